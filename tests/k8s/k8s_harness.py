"""Render the kustomize overlays for a contract (rollout/kube/render.py) and pick objects out."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from kitcore.contract import Contract, load_contract
from rollout.kube.render import render_overlay
from tests.support.kubectl import KUBECTL

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "k8s"
DATA = Path(__file__).resolve().parent / "data"
OVERLAYS = ("dev", "staging", "prod")
# Every overlay is rendered and checked for the reference service and for a second service
# that differs in every name and value the service layer renders.
CONTRACTS = {"reference": REPO / "kit.toml", "other": DATA / "other-kit.toml"}
# Overlays that run on EKS: images by digest, secrets from the External Secrets Operator.
CLOUD_OVERLAYS = ("staging", "prod")
KUBERNETES_VERSION = "1.33.0"
# Custom resources have no schema in kubernetes-validate: these kinds, and only these, are
# checked against tests/k8s/schemas/ instead.
CRD_SCHEMAS = {
    "Certificate": "certificate.json",
    "ExternalSecret": "externalsecret.json",
    "SecretStore": "secretstore.json",
    "Password": "password.json",
    "ServiceMonitor": "servicemonitor.json",
    "PrometheusRule": "prometheusrule.json",
}
SCHEMAS = Path(__file__).resolve().parent / "schemas"
COLORS = ("blue", "green")

Doc = dict[str, Any]


def run(*args: str, stdin: str | None = None) -> str:
    """Run a command and return stdout; fail the test with its stderr when it fails."""
    if shutil.which(args[0]) is None and not Path(args[0]).exists():
        raise AssertionError(f"{args[0]} is not installed; the k8s tests need it")
    proc = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"
        )
    return proc.stdout


def copy_k8s(dest: Path) -> Path:
    """Copy k8s/ to dest with the dev overlay's git-ignored secrets.env and migrate-secrets.env
    made from their examples."""
    root = dest / "k8s"
    shutil.copytree(K8S, root, ignore=shutil.ignore_patterns("secrets.env", "migrate-secrets.env"))
    example = (root / "overlays/dev/secrets.env.example").read_text()
    (root / "overlays/dev/secrets.env").write_text(
        example.replace("SECRET_KEY=\n", "SECRET_KEY=test-only-not-a-real-secret-key-0123456789\n")
    )
    migrate = (root / "overlays/dev/migrate-secrets.env.example").read_text()
    (root / "overlays/dev/migrate-secrets.env").write_text(
        migrate.replace("DATABASE_APP_PASSWORD=\n", "DATABASE_APP_PASSWORD=test-only-app-role-pw\n")
    )
    return root


def load(text: str) -> list[Doc]:
    """Parse a multi-document YAML stream, dropping empty documents."""
    return [doc for doc in yaml.safe_load_all(text) if doc]


@cache
def contract(key: str) -> Contract:
    """Return one of CONTRACTS, loaded and validated."""
    return load_contract(CONTRACTS[key])


def build(root: Path, overlay: str, service: Contract) -> list[Doc]:
    """Return the objects the service layer renders over one overlay under root."""
    return render_overlay(service, root / "overlays" / overlay, KUBECTL)


def kit_kustomize(root: Path, overlay: str) -> list[Doc]:
    """Return an overlay rendered alone, without a service layer (generic names)."""
    return load(run(KUBECTL, "kustomize", str(root / "overlays" / overlay)))


def dump(docs: list[Doc]) -> str:
    """Serialise objects as one YAML stream."""
    return yaml.safe_dump_all(docs, sort_keys=False)


def of_kind(docs: list[Doc], kind: str) -> list[Doc]:
    """Return the objects of one kind."""
    return [doc for doc in docs if doc["kind"] == kind]


def get(docs: list[Doc], kind: str, name: str) -> Doc:
    """Return the one object of this kind and name."""
    found = [doc for doc in of_kind(docs, kind) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def workloads(docs: list[Doc]) -> Iterator[tuple[Doc, Doc]]:
    """Yield (object, pod template) for every Deployment and Job."""
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            yield doc, doc["spec"]["template"]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    """Return True when a label selector (matchLabels form) matches the labels."""
    return all(labels.get(key) == value for key, value in selector.items())


def kubernetes_validate(docs: list[Doc], tmp_path: Path) -> str:
    """Run kubernetes-validate --strict on the objects and return its report."""
    path = tmp_path / "objects.yaml"
    path.write_text(dump(docs))
    validator = str(REPO / ".venv" / "bin" / "kubernetes-validate")
    return run(validator, "--strict", "-k", KUBERNETES_VERSION, str(path))


def assert_strictly_valid(docs: list[Doc], tmp_path: Path) -> None:
    """Every object passes kubernetes-validate --strict: no warning, no error, none skipped."""
    report = kubernetes_validate(docs, tmp_path)
    # A kind without a schema is only a WARN for the tool: require a pass for every object.
    passed = [line for line in report.splitlines() if line.startswith("INFO") and "passed" in line]
    assert len(passed) == len(docs), report
    assert "WARN" not in report
    assert "ERROR" not in report
