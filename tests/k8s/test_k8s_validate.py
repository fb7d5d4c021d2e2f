"""Schema validation: kubernetes-validate --strict for core kinds, our schemas for the CRDs."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from k8s_harness import (
    CRD_SCHEMAS,
    OVERLAYS,
    SCHEMAS,
    Doc,
    assert_strictly_valid,
    get,
    kubernetes_validate,
)
from referencing import Registry, Resource

from kitcore.contract import Contract


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
    assert_strictly_valid(core, tmp_path)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_custom_resources_match_their_schemas(rendered: dict[str, list[Doc]], overlay: str) -> None:
    custom = [d for d in rendered[overlay] if d["kind"] in CRD_SCHEMAS]
    for doc in custom:
        errors = [e.message for e in crd_validator(doc["kind"]).iter_errors(doc)]
        assert not errors, f"{doc['kind']}/{doc['metadata']['name']}: {errors}"
    if overlay != "dev":
        assert {d["kind"] for d in custom} == set(CRD_SCHEMAS)


def test_strict_validation_rejects_an_unknown_field(
    rendered: dict[str, list[Doc]], service: Contract, tmp_path: Path
) -> None:
    broken = copy.deepcopy(get(rendered["prod"], "Deployment", service.k8s_name("blue")))
    broken["spec"]["template"]["spec"]["containers"][0]["securityContxt"] = {}
    with pytest.raises(AssertionError, match="securityContxt"):
        kubernetes_validate([broken], tmp_path)


@pytest.mark.parametrize(
    ("kind", "name", "path", "value"),
    [
        ("ExternalSecret", "secrets", ("spec", "data", 0, "remoteRef", "key"), "not-an-arn"),
        ("Certificate", "tls", ("spec", "issuerRef", "kind"), "Issuers"),
        ("ServiceMonitor", "web", ("spec", "endpoints", 0, "path"), "metrics"),
        ("ServiceMonitor", "web", ("spec", "endpoints", 0, "relabelings", 0, "action"), "swap"),
        ("PrometheusRule", "slo", ("spec", "groups", 0, "rules", 0, "for"), "five minutes"),
        ("SecretStore", "aws-secrets-manager", ("spec", "provider", "aws", "region"), "Ireland"),
        ("Password", "secret-key", ("spec", "length"), 8),
        ("ExternalSecret", "secrets", ("spec", "target", "name"), ""),
    ],
)
def test_crd_schemas_reject_bad_values(
    rendered: dict[str, list[Doc]],
    service: Contract,
    kind: str,
    name: str,
    path: tuple[str | int, ...],
    value: object,
) -> None:
    doc = copy.deepcopy(get(rendered["prod"], kind, service.k8s_name(name)))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert list(crd_validator(kind).iter_errors(doc)), f"{kind} accepted {path}={value!r}"
