"""The contract between the kit and the service it deploys: one `kit.toml` beside the service.

Everything the kit needs to know about a service is declared here and read from here: how to
serve it, migrate it, tell which release answers, smoke-check it, load it, build it, name it
on Kubernetes and protect it in Nginx. The file is validated strictly (unknown keys, missing
files and malformed values are refused with one line naming the key); docs/adopt.md explains
every key.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from kitcore.paths import KIT_ROOT

CONTRACT_FILE = "kit.toml"
CONTRACT_ENV = "KIT_CONTRACT"
_DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_MODULE = r"^[A-Za-z_][\w.]*$"
Route = Annotated[str, Field(pattern=r"^/[^\s]*$")]


class ContractError(ValueError):
    """The contract is missing or invalid; the message is one line naming the key."""


class Section(BaseModel):
    """A table of the contract: typos are errors, not silently ignored keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Serve(Section):
    """How a colour runs the service: gunicorn with its WSGI entry and config."""

    wsgi: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    gunicorn_config: str = Field(pattern=_MODULE)
    worker: list[str] = []
    # Exits 0 while the worker is alive (Kubernetes exec probes, the Compose healthcheck).
    worker_check: list[str] = []
    version_env: str = Field(default="APP_VERSION", pattern=r"^[A-Z][A-Z0-9_]*$")
    colour_env: str = Field(default="APP_COLOR", pattern=r"^[A-Z][A-Z0-9_]*$")
    port: int = Field(default=8000, ge=1024, le=65535)
    production_env: dict[str, str] = {}

    @property
    def wsgi_module(self) -> str:
        """Return the module part of the WSGI entry."""
        return self.wsgi.partition(":")[0]


class Health(Section):
    """The routes that say whether a colour lives, is ready, and which release it is."""

    liveness: Route
    readiness: Route
    identity: Route
    version_field: str = "version"
    colour_field: str = "color"
    version_header: str = "X-App-Version"
    colour_header: str = "X-App-Color"
    request_id_header: str | None = "X-Request-ID"
    metrics: Route | None = None


class Migrate(Section):
    """Alembic migrations: the command prefix, a command run first, where the scripts are."""

    command: list[str] = Field(min_length=1)
    revisions: str
    # Run before `command upgrade`, as the database owner, in the same container (e.g. creating
    # the least-privilege role the pods log in as); empty: nothing.
    prepare: list[str] = []

    def upgrade(self) -> list[str]:
        """Return the command that applies every pending revision: COMMAND upgrade head."""
        # Plain Alembic requires the target; Flask-Migrate's `db upgrade` accepts it too.
        return [*self.command, "upgrade", "head"]


class SmokeCheck(Section):
    """One request of the smoke checks and what its answer must be."""

    path: Route
    status: int = Field(default=200, ge=100, le=599)
    content_type: str = ""


class Gate(Section):
    """The load gate: the service's locustfile, its user classes and the thresholds file."""

    locustfile: str
    users: list[str] = []
    thresholds: str


class Dependencies(Section):
    """Where the service's runtime dependencies are locked."""

    project: str = "pyproject.toml"
    lock: str = "uv.lock"
    groups: list[str] = []


class Image(Section):
    """What goes into the image besides the locked dependencies."""

    name: str = Field(pattern=r"^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?$")
    include: list[str] = Field(min_length=1)


class Kubernetes(Section):
    """The service's names on a cluster."""

    namespace: str = Field(pattern=_DNS_LABEL, max_length=63)
    prefix: str = Field(pattern=_DNS_LABEL, max_length=40)
    container: str = Field(default="app", pattern=_DNS_LABEL)


class Nginx(Section):
    """What the proxy knows of the service."""

    rate_limited: list[Route] = []
    static_url: Route = "/static/"
    static_dir: str | None = None

    @field_validator("static_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        if not value.endswith("/"):
            raise ValueError("must end with /")
        return value


class Demo(Section):
    """What `make demo` needs beyond a rollout: a command that puts demo data in place."""

    seed: list[str] = []


class Platform(Section):
    """What the local stack runs for the service."""

    services: list[Literal["postgres", "redis", "s3"]] = ["postgres"]
    database: str = Field(default="app", pattern=r"^[a-z_][a-z0-9_]*$")


class Contract(Section):
    """The whole contract of one service."""

    name: str = Field(pattern=_DNS_LABEL, max_length=63)
    root: Path
    serve: Serve
    health: Health
    migrate: Migrate | None = None
    smoke: list[SmokeCheck] = Field(min_length=1)
    gate: Gate
    dependencies: Dependencies = Dependencies()
    image: Image
    kubernetes: Kubernetes
    nginx: Nginx = Nginx()
    platform: Platform = Platform()
    demo: Demo = Demo()

    def path(self, relative: str) -> Path:
        """Return a path of the contract, resolved against the service's root."""
        return (self.root / relative).resolve()

    @property
    def revisions_dir(self) -> Path | None:
        """Return the Alembic script directory, if the service migrates."""
        return self.path(self.migrate.revisions) if self.migrate else None

    def release_revisions(self, release_dir: Path) -> Path | None:
        """Return a release's copy of the revision scripts, if the service migrates."""
        return release_dir / self.migrate.revisions if self.migrate else None

    def module_file(self, module: str) -> str:
        """Return the path (relative to the root) of a dotted module of the service."""
        base = self.root / Path(*module.split("."))
        if (base / "__init__.py").exists():
            return str((base / "__init__.py").relative_to(self.root))
        return str(base.with_suffix(".py").relative_to(self.root))

    def k8s_name(self, part: str) -> str:
        """Return a Kubernetes object's name: <prefix>-<part> (blue, active, worker...)."""
        return f"{self.kubernetes.prefix}-{part}"

    @property
    def k8s_service_account(self) -> str:
        """Return the web and worker pods' ServiceAccount: the service's IAM role trusts it."""
        return self.k8s_name("web")

    @property
    def k8s_migrate_reader(self) -> str:
        """Return the ServiceAccount the migration Job's secrets are read as (its IAM role's)."""
        return self.k8s_name("migrate-secrets-reader")


def contract_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the contract file: explicit, else $KIT_CONTRACT, else the kit's own kit.toml."""
    path = Path(explicit or os.environ.get(CONTRACT_ENV) or KIT_ROOT / CONTRACT_FILE)
    return path / CONTRACT_FILE if path.is_dir() else path


def load_contract(path: str | os.PathLike[str] | None = None) -> Contract:
    """Read and validate a contract; ContractError names the first wrong key."""
    file = contract_path(path).resolve()
    try:
        raw = tomllib.loads(file.read_text())
    except OSError as exc:
        raise ContractError(f"{file}: cannot read the contract ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ContractError(f"{file}: not valid TOML ({exc})") from None
    if "root" in raw:
        raise ContractError(f"{file}: root: not a key of the contract (it is the file's dir)")
    try:
        contract = Contract(**raw, root=file.parent)
    except ValidationError as exc:
        raise ContractError(f"{file}: {_first_error(exc)}") from None
    problem = _missing_file(contract)
    if problem:
        raise ContractError(f"{file}: {problem}")
    return contract


def _first_error(exc: ValidationError) -> str:
    """Turn pydantic's first error into 'key.path: message' (an unknown key, a typo, first)."""
    error = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
    key = ".".join(str(part) for part in error["loc"])
    message = re.sub(r"^Value error, ", "", str(error["msg"]))
    return f"{key}: {message}" if key else message


def _missing_file(contract: Contract) -> str | None:
    """Name the first path the contract declares that does not exist."""
    paths: dict[str, str | None] = {
        "gate.locustfile": contract.gate.locustfile,
        "gate.thresholds": contract.gate.thresholds,
        "dependencies.project": contract.dependencies.project,
        "dependencies.lock": contract.dependencies.lock,
        "migrate.revisions": contract.migrate.revisions if contract.migrate else None,
        "nginx.static_dir": contract.nginx.static_dir,
        **{f"image.include[{i}]": p for i, p in enumerate(contract.image.include)},
        "serve.wsgi": contract.module_file(contract.serve.wsgi_module),
        "serve.gunicorn_config": contract.module_file(contract.serve.gunicorn_config),
    }
    for key, relative in paths.items():
        if relative is not None and not contract.path(relative).exists():
            return f"{key}: {relative} does not exist under {contract.root}"
    return None


def lookup(contract: Contract, dotted: str) -> Any:
    """Return the value at a dotted key (for scripts and workflows)."""
    value: Any = contract
    for part in dotted.split("."):
        if not isinstance(value, BaseModel) or part not in type(value).model_fields:
            raise ContractError(f"no key {dotted!r} in the contract")
        value = getattr(value, part)
    return value


def main(argv: list[str] | None = None) -> int:
    """`python -m kitcore.contract [--contract FILE] check|get KEY`."""
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(prog="python -m kitcore.contract", description=__doc__)
    parser.add_argument("--contract", help="the contract file (default: $KIT_CONTRACT, kit.toml)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="validate the contract")
    get = sub.add_parser("get", help="print one value (JSON for lists and tables)")
    get.add_argument("key", help="dotted key, e.g. kubernetes.namespace")
    args = parser.parse_args(argv)
    try:
        contract = load_contract(args.contract)
        if args.command == "check":
            print(f"{contract_path(args.contract)}: ok ({contract.name})")
        else:
            value = lookup(contract, args.key)
            if isinstance(value, str | int):
                print(value)
            else:
                print(json.dumps(TypeAdapter(Any).dump_python(value, mode="json")))
    except ContractError as exc:
        print(f"contract: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
