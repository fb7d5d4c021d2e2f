#!/usr/bin/env python3
"""Write the image's SBOM, CycloneDX 1.5 JSON: its locked Python packages and its Debian packages.

Usage (image.yml does this after `make image`)::

    docker run --rm --entrypoint dpkg-query IMAGE \\
        -W -f '${Package}\\t${Version}\\t${Architecture}\\n' > dpkg.tsv
    .venv/bin/python scripts/sbom.py --image IMAGE --version SHA \\
        --dpkg-list dpkg.tsv -o sbom.cdx.json

The Python part is ``uv export --format cyclonedx1.5`` of exactly what the Dockerfile installs
(``uv sync --frozen --no-default-groups``: the project's dependencies, no dependency group), read
from uv.lock without network. The Debian part is the runtime stage's ``dpkg-query`` list, as
``pkg:deb/debian/...`` components. The image is the BOM's subject (a ``container``) and depends on
the project and on every Debian package. The document is validated against the CycloneDX 1.5
JSON schema (cyclonedx-python-lib, locked in the ``audit`` group) before it is written; an
invalid one, or unreadable input, exits 2 with one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
# What the Dockerfile's `uv sync --frozen --no-default-groups --no-install-project` installs.
UV_EXPORT = [
    "uv",
    "export",
    "--frozen",
    "--offline",
    "--quiet",
    "--no-default-groups",
    "--format",
    "cyclonedx1.5",
    "--preview-features",
    "sbom-export",
]
DEBIAN_DISTRO = "debian-12"  # the Dockerfile's bookworm base


class SbomError(ValueError):
    """The inputs cannot make a valid SBOM."""


def python_bom(root: Path = ROOT) -> dict[str, Any]:
    """Return uv's CycloneDX export of the image's Python packages."""
    done = subprocess.run(  # noqa: S603 (a fixed argv, no input of ours)
        UV_EXPORT, cwd=root, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SbomError(f"uv export failed: {done.stderr.strip().splitlines()[-1:]}")
    bom: dict[str, Any] = json.loads(done.stdout)
    return bom


def debian_components(listing: str) -> list[dict[str, Any]]:
    """Return one component per `Package<TAB>Version<TAB>Architecture` line of dpkg-query."""
    components = []
    for number, line in enumerate(listing.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3 or not all(fields):
            raise SbomError(f"dpkg list line {number} is not 'package<TAB>version<TAB>arch'")
        name, version, arch = fields
        encoded = quote(version, safe=".+~-")
        purl = f"pkg:deb/debian/{name}@{encoded}?arch={arch}&distro={DEBIAN_DISTRO}"
        components.append(
            {"type": "library", "bom-ref": purl, "name": name, "version": version, "purl": purl}
        )
    if not components:
        raise SbomError("the dpkg list is empty")
    return components


def image_bom(
    python: dict[str, Any], debian: list[dict[str, Any]], image: str, version: str
) -> dict[str, Any]:
    """Return one BOM whose subject is the image: the project, its packages, the Debian ones."""
    bom = dict(python)
    metadata = dict(bom.get("metadata", {}))
    project = metadata.pop("component", None)
    subject = {"type": "container", "bom-ref": f"image:{image}", "name": image, "version": version}
    metadata["component"] = subject
    bom["metadata"] = metadata
    components = list(bom.get("components", []))
    direct = [c["bom-ref"] for c in debian]
    if project is not None:
        components.insert(0, {**project, "type": "application"})
        direct.insert(0, project["bom-ref"])
    bom["components"] = components + debian
    bom["dependencies"] = [
        {"ref": subject["bom-ref"], "dependsOn": direct},
        *bom.get("dependencies", []),
        *({"ref": c["bom-ref"]} for c in debian),
    ]
    return bom


def validation_error(bom: dict[str, Any]) -> str | None:
    """Return why the document is not valid CycloneDX 1.5 JSON, or None when it is."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_5).validate_str(json.dumps(bom))
    return None if error is None else str(error)


def main(argv: list[str] | None = None) -> int:
    """Build, validate and write the SBOM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", required=True, help="image name, e.g. flask-deploy-kit:ci")
    parser.add_argument("--version", required=True, help="its APP_VERSION (the commit)")
    parser.add_argument("--dpkg-list", required=True, type=Path, help="dpkg-query output")
    parser.add_argument("-o", "--output", required=True, type=Path)
    args = parser.parse_args(argv)
    try:
        debian = debian_components(args.dpkg_list.read_text())
        bom = image_bom(python_bom(), debian, args.image, args.version)
        problem = validation_error(bom)
        if problem:
            raise SbomError(f"not valid CycloneDX 1.5: {problem}")
        args.output.write_text(json.dumps(bom, indent=2) + "\n")
    except (OSError, SbomError, json.JSONDecodeError) as error:
        print(f"sbom: {error}", file=sys.stderr)
        return 2
    print(f"sbom: {len(bom['components'])} components -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
