"""The image build's context, staged from the contract: the service, its lock, the kit's scripts.

`scripts/docker-image.sh` builds the kit's one Dockerfile from a context made here, so the
image holds exactly what the contract declares ([image] include, [dependencies] project and
lock) and nothing else of the checkout; the build arguments carry the rest (WSGI entry,
gunicorn config, port, health route, the variable that names the release).
Usage: python -m kitcore.image [--contract FILE] DEST_DIR VERSION  (prints the build args)
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from kitcore.contract import Contract, ContractError, load_contract
from kitcore.paths import KIT_ROOT

KIT_FILES = (
    "with-ca.sh",
    "build-requirements.txt",
    "kit-serve.sh",
    "slim-venv.py",
    "precompile.py",
    "dpkg-nodoc",
)
# Never copied into an image, whatever the include paths hold.
JUNK = ("__pycache__", "*.pyc", ".env", "*.env", "instance", "*.db", "*.sqlite3", ".DS_Store")


def stage(contract: Contract, dest: Path) -> None:
    """Fill dest with the build context: pyproject/lock, service/<include>, kit/ scripts."""
    deps = contract.dependencies
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(contract.path(deps.project), dest / "pyproject.toml")
    shutil.copy2(contract.path(deps.lock), dest / "uv.lock")
    for include in contract.image.include:
        source, target = contract.path(include), dest / "service" / include
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns(*JUNK))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    kit = dest / "kit"
    kit.mkdir(exist_ok=True)
    for name in KIT_FILES:
        shutil.copy2(KIT_ROOT / "scripts" / "docker" / name, kit / name)
    (kit / "production-defaults").write_text(production_env(contract))


def production_env(contract: Contract) -> str:
    """Return the contract's production defaults as KEY=VALUE lines (kit-serve reads them)."""
    lines = []
    for key, value in contract.serve.production_env.items():
        if "\n" in value or "=" in key:
            raise ContractError(f"serve.production_env.{key}: one line, no '=' in the name")
        lines.append(f"{key}={value}\n")
    return "".join(lines)


def build_args(contract: Contract, version: str) -> list[str]:
    """Return the Dockerfile's KEY=VALUE build arguments for this service and release."""
    serve = contract.serve
    return [
        f"WSGI_APP={serve.wsgi}",
        f"GUNICORN_CONFIG={serve.gunicorn_config}",
        f"APP_PORT={serve.port}",
        f"HEALTH_PATH={contract.health.liveness}",
        f"VERSION_ENV={serve.version_env}",
        f"APP_VERSION={version}",
        f"IMAGE_TITLE={contract.name}",
    ]


def main(argv: list[str] | None = None) -> int:
    """Stage the context into DEST_DIR and print the build arguments, one per line."""
    parser = argparse.ArgumentParser(prog="python -m kitcore.image", description=__doc__)
    parser.add_argument("--contract", help="the service's kit.toml (default: $KIT_CONTRACT)")
    parser.add_argument("dest", type=Path)
    parser.add_argument("version")
    args = parser.parse_args(argv)
    try:
        contract = load_contract(args.contract)
        stage(contract, args.dest)
    except ContractError as exc:
        print(f"image: {exc}", file=sys.stderr)
        return 2
    print("\n".join(build_args(contract, args.version)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
