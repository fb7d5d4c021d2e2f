"""Schema validation: kubernetes-validate --strict for core kinds, our schemas for the CRDs."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from k8s_harness import (
    CRD_SCHEMAS,
    KUBERNETES_VERSION,
    OVERLAYS,
    REPO,
    SCHEMAS,
    Doc,
    dump,
    get,
    run,
)
from referencing import Registry, Resource

VALIDATE = str(REPO / ".venv" / "bin" / "kubernetes-validate")


def kubernetes_validate(docs: list[Doc], tmp_path: Path) -> str:
    """Run kubernetes-validate --strict on the objects and return its report."""
    path = tmp_path / "objects.yaml"
    path.write_text(dump(docs))
    return run(VALIDATE, "--strict", "-k", KUBERNETES_VERSION, str(path))


def crd_validator(kind: str) -> jsonschema.Draft202012Validator:
    """Return a validator for one custom resource kind."""
    meta = json.loads((SCHEMAS / "_meta.json").read_text())
    registry: Registry = Registry().with_resource(meta["$id"], Resource.from_contents(meta))
    schema = json.loads((SCHEMAS / CRD_SCHEMAS[kind]).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, registry=registry)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_core_objects_pass_strict_validation(
    rendered: dict[str, list[Doc]], overlay: str, tmp_path: Path
) -> None:
    core = [d for d in rendered[overlay] if d["kind"] not in CRD_SCHEMAS]
    report = kubernetes_validate(core, tmp_path)
    # A kind without a schema is only a WARN for the tool: require a pass for every object.
    passed = [line for line in report.splitlines() if line.startswith("INFO") and "passed" in line]
    assert len(passed) == len(core), report
    assert "WARN" not in report
    assert "ERROR" not in report


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_custom_resources_match_their_schemas(rendered: dict[str, list[Doc]], overlay: str) -> None:
    custom = [d for d in rendered[overlay] if d["kind"] in CRD_SCHEMAS]
    for doc in custom:
        errors = [e.message for e in crd_validator(doc["kind"]).iter_errors(doc)]
        assert not errors, f"{doc['kind']}/{doc['metadata']['name']}: {errors}"
    if overlay != "dev":
        assert {d["kind"] for d in custom} == set(CRD_SCHEMAS)


def test_strict_validation_rejects_an_unknown_field(
    rendered: dict[str, list[Doc]], tmp_path: Path
) -> None:
    broken = copy.deepcopy(get(rendered["prod"], "Deployment", "app-blue"))
    broken["spec"]["template"]["spec"]["containers"][0]["securityContxt"] = {}
    with pytest.raises(AssertionError, match="securityContxt"):
        kubernetes_validate([broken], tmp_path)


@pytest.mark.parametrize(
    ("kind", "name", "path", "value"),
    [
        ("ExternalSecret", "app-secrets", ("spec", "data", 0, "remoteRef", "key"), "not-an-arn"),
        ("Certificate", "app-tls", ("spec", "issuerRef", "kind"), "Issuers"),
        ("ServiceMonitor", "app", ("spec", "endpoints", 0, "path"), "metrics"),
        ("PrometheusRule", "app-slo", ("spec", "groups", 0, "rules", 0, "for"), "five minutes"),
        ("SecretStore", "aws-secrets-manager", ("spec", "provider", "aws", "region"), "Ireland"),
        ("Password", "app-secret-key", ("spec", "length"), 8),
    ],
)
def test_crd_schemas_reject_bad_values(
    rendered: dict[str, list[Doc]], kind: str, name: str, path: tuple[str | int, ...], value: object
) -> None:
    doc = copy.deepcopy(get(rendered["prod"], kind, name))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert list(crd_validator(kind).iter_errors(doc)), f"{kind} accepted {path}={value!r}"
