"""scripts/sbom.py: the image's CycloneDX SBOM from uv.lock and a dpkg list, offline."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from docker_harness import ROOT

SCRIPT = ROOT / "scripts" / "sbom.py"
# dpkg-query -W -f '${Package}\t${Version}\t${Architecture}\n' of a bookworm runtime (a sample).
DPKG = (
    "ca-certificates\t20230311+deb12u1\tall\n"
    "libc6\t2.36-9+deb12u10\tamd64\n"
    "python3\t3.11.2-1+b1\tamd64\n"
    "tini\t0.19.0-1\tamd64\n"
    "util-linux\t2.38.1-5+deb12u3\tamd64\n"
    "passwd\t1:4.13+dfsg1-1+b1\tamd64\n"
)


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sbom", SCRIPT)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(tmp_path: Path, listing: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    dpkg = tmp_path / "dpkg.tsv"
    dpkg.write_text(listing)
    out = tmp_path / "sbom.cdx.json"
    done = subprocess.run(
        [sys.executable, SCRIPT, "--image", "flask-deploy-kit:ci", "--version", "f" * 40,
         "--dpkg-list", dpkg, "-o", out],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    return done, out


@pytest.fixture(scope="module")
def bom(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    done, out = _run(tmp_path_factory.mktemp("sbom"), DPKG)
    assert done.returncode == 0, done.stderr
    loaded: dict[str, Any] = json.loads(out.read_text())
    return loaded


def test_the_sbom_is_valid_cyclonedx(bom: dict[str, Any]) -> None:
    assert bom["bomFormat"] == "CycloneDX"
    assert bom["specVersion"] == "1.5"
    assert JsonStrictValidator(SchemaVersion.V1_5).validate_str(json.dumps(bom)) is None
    refs = {c["bom-ref"] for c in bom["components"]} | {bom["metadata"]["component"]["bom-ref"]}
    for dependency in bom["dependencies"]:
        assert dependency["ref"] in refs
        assert set(dependency.get("dependsOn", [])) <= refs


def test_the_sbom_lists_what_the_image_installs(bom: dict[str, Any]) -> None:
    assert bom["metadata"]["component"]["type"] == "container"
    pypi = {c["name"] for c in bom["components"] if c.get("purl", "").startswith("pkg:pypi/")}
    # The app's runtime dependencies, from the lock...
    assert {"flask", "gunicorn", "psycopg", "sqlalchemy", "boto3"} <= pypi
    # ...and nothing of the dependency groups the Dockerfile leaves out.
    assert not pypi & {"pytest", "ruff", "pulumi", "locust", "pip-audit", "zizmor"}
    debs = {c["name"]: c for c in bom["components"] if c.get("purl", "").startswith("pkg:deb/")}
    assert set(debs) == {line.split("\t")[0] for line in DPKG.splitlines()}
    # An epoch's colon is percent-encoded in the purl, the version itself kept as dpkg says it.
    assert debs["passwd"]["version"] == "1:4.13+dfsg1-1+b1"
    assert "@1%3A4.13+dfsg1-1+b1?arch=amd64" in debs["passwd"]["purl"]
    (image,) = [
        d for d in bom["dependencies"] if d["ref"] == bom["metadata"]["component"]["bom-ref"]
    ]
    assert {c["bom-ref"] for c in debs.values()} <= set(image["dependsOn"])


def test_a_bad_dpkg_list_fails_with_one_line(tmp_path: Path) -> None:
    done, out = _run(tmp_path, "libc6 2.36 amd64\n")
    assert done.returncode == 2
    assert done.stderr.startswith("sbom: ")
    assert done.stderr.count("\n") == 1
    assert not out.exists()


def test_an_invalid_document_is_refused() -> None:
    module = _module()
    bom = module.image_bom(
        {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": []},
        module.debian_components(DPKG),
        "img",
        "v",
    )
    assert module.validation_error(bom) is None
    bom["components"][0]["type"] = "not-a-type"
    assert module.validation_error(bom)
