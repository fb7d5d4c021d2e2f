"""The service layer (rollout/kube/render.py): the service's identity comes from its contract
only, every reference in a render resolves, and the committed layers name no service."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from k8s_harness import (
    CLOUD_OVERLAYS,
    CRD_SCHEMAS,
    K8S,
    OVERLAYS,
    Doc,
    build,
    contract,
    kit_kustomize,
    kubernetes_validate,
    of_kind,
)

from kitcore.contract import Contract
from rollout.kube.render import (
    NAME_LABEL,
    RenderError,
    migrate_args,
    service_kustomization,
    write_service_layer,
)

# Written into the namespace by the pipeline (infra/scripts/rds_ca.py), never rendered.
PIPELINE_CONFIGMAPS = {"rds-ca"}
Ref = tuple[str, str, str, bool]  # (referrer, kind, name, optional)


def reference_identity() -> re.Pattern[str]:
    """Return a pattern of what names the reference service: its contract's values."""
    ref = contract("reference")
    assert ref.migrate is not None
    parts = ("blue", "green", "active", "preview", "worker", "migrate", "web", "config", "tls")
    words = {
        ref.name,
        ref.kubernetes.namespace,
        ref.image.name,
        ref.serve.wsgi_module,
        ref.serve.gunicorn_config,
        " ".join(ref.serve.worker),
        ref.migrate.revisions,
        *ref.migrate.prepare[-1:],
        *(s.path for s in ref.smoke if s.path.startswith("/api/")),
        *(ref.k8s_name(part) for part in parts),
    }
    return re.compile("|".join(rf"(?<![\w.-]){re.escape(w)}(?![\w-])" for w in sorted(words)))


def kit_files(*dirs: str) -> Iterator[Path]:
    """Yield the kit's files under k8s/<dir>: tracked or not ignored (never a local
    secrets.env)."""
    listed = subprocess.run(
        ["git", "-C", str(K8S), "ls-files", "--cached", "--others", "--exclude-standard", *dirs],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout.splitlines()  # fmt: skip
    yield from sorted(K8S / name for name in set(listed) if (K8S / name).is_file())


@pytest.mark.parametrize(
    "path", list(kit_files("base", "components")), ids=lambda p: str(p.relative_to(K8S))
)
def test_base_and_components_name_no_service(path: Path) -> None:
    # The brief's own list, then everything the reference's contract names.
    text = path.read_text()
    assert not re.search(r"api/v1/items|app\.wsgi|app/migrations|app-blue|flask-kit", text)
    assert not reference_identity().search(text), reference_identity().findall(text)


def test_the_identity_pattern_can_fail() -> None:
    pattern = reference_identity()
    for named in (
        "name: app-blue",
        "image: flask-kit",
        "python:app.gunicorn_conf",
        "app/migrations",
    ):
        assert pattern.search(named), named
    for generic in ("name: blue", "image: service", "app.kubernetes.io/name", "happ-blue"):
        assert not pattern.search(generic), generic


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlays_name_no_service_beyond_their_environment(overlay: str) -> None:
    # infra.env is the environment's stack outputs (hosts, ARNs); `newName:` its registry.
    for path in kit_files(f"overlays/{overlay}"):
        if path.name == "infra.env":
            continue
        lines = [ln for ln in path.read_text().splitlines() if "newName:" not in ln]
        found = [ln for ln in lines if reference_identity().search(ln)]
        assert not found, f"{path.relative_to(K8S)}: {found}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlays_alone_render_generic_objects(k8s_root: Path, overlay: str) -> None:
    # Without the service layer: no namespace, no name label, no service's names.
    docs = kit_kustomize(k8s_root, overlay)
    assert not [d for d in docs if d["metadata"].get("namespace")]
    assert not [d for d in docs if NAME_LABEL in d["metadata"].get("labels", {})]
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert {("Deployment", "blue"), ("Service", "active"), ("Job", "migrate")} <= names
    assert ("Namespace", "service") in names


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_the_services(
    rendered: dict[str, list[Doc]], service: Contract, overlay: str
) -> None:
    for doc in rendered[overlay]:
        meta = doc["metadata"]
        assert meta["labels"][NAME_LABEL] == service.name, meta["name"]
        if doc["kind"] != "Namespace":
            assert meta["name"].startswith(service.k8s_name("")), meta["name"]
            assert meta["namespace"] == service.kubernetes.namespace


def references(docs: list[Doc]) -> Iterator[Ref]:
    """Yield every reference by name from one rendered object to another."""
    for doc in docs:
        kind, spec = doc["kind"], doc.get("spec", {})
        where = f"{kind}/{doc['metadata']['name']}"
        if kind in ("Deployment", "Job"):
            yield from _pod_references(where, spec["template"]["spec"])
        elif kind == "Ingress":
            for tls in spec["tls"]:
                yield where, "Secret", tls["secretName"], False
            for rule in spec["rules"]:
                for path in rule["http"]["paths"]:
                    yield where, "Service", path["backend"]["service"]["name"], False
        elif kind == "HorizontalPodAutoscaler":
            yield where, spec["scaleTargetRef"]["kind"], spec["scaleTargetRef"]["name"], False
        elif kind == "SecretStore":
            account = spec["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"]["name"]
            yield where, "ServiceAccount", account, False
        elif kind == "ExternalSecret":
            if "secretStoreRef" in spec:
                yield where, "SecretStore", spec["secretStoreRef"]["name"], False
            for source in spec.get("dataFrom", []):
                generator = source["sourceRef"]["generatorRef"]
                yield where, generator["kind"], generator["name"], False


def _pod_references(where: str, pod: Doc) -> Iterator[Ref]:
    yield where, "ServiceAccount", pod["serviceAccountName"], False
    for container in pod["containers"]:
        for source in container.get("envFrom", []):
            for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                if field in source:
                    ref = source[field]
                    yield where, kind, ref["name"], ref.get("optional", False)
        for var in container.get("env", []):
            value = var.get("valueFrom", {})
            for field, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                if field in value:
                    ref = value[field]
                    yield where, kind, ref["name"], ref.get("optional", False)
    for volume in pod.get("volumes", []):
        if "configMap" in volume:
            yield where, "ConfigMap", volume["configMap"]["name"], False
        if "secret" in volume:
            yield where, "Secret", volume["secret"]["secretName"], False


def provided(docs: list[Doc]) -> set[tuple[str, str]]:
    """Return (kind, name) of what the render holds or makes its operators write."""
    found = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for external in of_kind(docs, "ExternalSecret"):
        # No target.name: the External Secrets Operator names the Secret after the object.
        name = external["spec"]["target"].get("name", external["metadata"]["name"])
        found.add(("Secret", name))
    for certificate in of_kind(docs, "Certificate"):
        found.add(("Secret", certificate["spec"]["secretName"]))
    return found | {("ConfigMap", name) for name in PIPELINE_CONFIGMAPS}


def unresolved(docs: list[Doc], service: Contract, overlay: str) -> set[Ref]:
    """Return the references the render (or its operators) does not provide."""
    have = provided(docs)
    if overlay not in CLOUD_OVERLAYS:
        have.add(("Secret", service.k8s_name("tls")))  # made by hand (k8s/README.md)
    return {ref for ref in references(docs) if (ref[1], ref[2]) not in have}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_reference_resolves(
    rendered: dict[str, list[Doc]], service: Contract, overlay: str
) -> None:
    docs = rendered[overlay]
    refs = list(references(docs))
    assert len(refs) > 20
    missing = unresolved(docs, service, overlay)
    if overlay in CLOUD_OVERLAYS:
        assert missing == set()
    else:
        # A dev cluster has no generated SECRET_KEY: `secrets` carries it, so the optional
        # reference of every pod finds nothing, by design.
        assert {(kind, name, optional) for _, kind, name, optional in missing} == {
            ("Secret", "secret-key", True)
        }
    # The Secret the pods read carries the service's prefix (the operator's, or generated).
    secrets = {name for _, kind, name, _ in refs if kind == "Secret"}
    main = service.k8s_name("secrets")
    assert [n for n in secrets if n == main or re.fullmatch(rf"{main}-[a-z0-9]{{10}}", n)]


def test_references_can_fail(rendered: dict[str, list[Doc]], service: Contract) -> None:
    docs = [dict(d) for d in rendered["prod"] if d["kind"] != "ExternalSecret"]
    missing = {name for _, _, name, _ in unresolved(docs, service, "prod")}
    assert service.k8s_name("secrets") in missing


def without(service: Contract, *, worker: bool, migrate: bool, metrics: bool) -> Contract:
    """Return the contract minus a worker, a [migrate] or a metrics route."""
    health = service.health.model_copy(update={} if metrics else {"metrics": None})
    serve = service.serve.model_copy(update={} if worker else {"worker": []})
    update = {"health": health, "serve": serve, **({} if migrate else {"migrate": None})}
    return service.model_copy(update=update)


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_what_the_contract_lacks_is_not_rendered(
    k8s_root: Path, overlay: str, tmp_path: Path
) -> None:
    bare = without(contract("reference"), worker=False, migrate=False, metrics=False)
    docs = build(k8s_root, overlay, bare)
    names = {(d["kind"], d["metadata"]["name"].removeprefix(bare.k8s_name(""))) for d in docs}
    gone = {
        ("Deployment", "worker"),
        ("NetworkPolicy", "allow-worker-smtp"),
        ("Job", "migrate"),
        ("ServiceAccount", "migrate"),
        ("ServiceAccount", "migrate-secrets-reader"),
        ("ExternalSecret", "migrate-secrets"),
        ("SecretStore", "aws-secrets-manager-migrate"),
        ("ServiceMonitor", "web"),
        ("PrometheusRule", "slo"),
        ("NetworkPolicy", "allow-prometheus"),
        ("Ingress", "metrics-deny"),
    }
    assert not names & gone
    assert not [s for s in of_kind(docs, "Secret") if "migrate" in s["metadata"]["name"]]
    assert {("Deployment", "blue"), ("Deployment", "green"), ("Ingress", "web")} <= names
    missing = unresolved(docs, bare, overlay)
    assert not [ref for ref in missing if not ref[3]], missing
    core = [d for d in docs if d["kind"] not in CRD_SCHEMAS]
    assert kubernetes_validate(core, tmp_path).count("passed") == len(core)


def test_a_base_that_drifted_fails_the_render(k8s_root: Path, tmp_path: Path) -> None:
    # The web patch checks the base's container first: renamed, the render stops, loudly.
    root = tmp_path / "k8s"
    shutil.copytree(k8s_root, root)
    deployment = root / "base" / "web" / "deployment.yaml"
    text = deployment.read_text()
    assert text.count("        - name: app\n") == 1
    deployment.write_text(text.replace("        - name: app\n", "        - name: gunicorn\n"))
    with pytest.raises(RenderError, match="test"):
        build(root, "staging", contract("other"))


def test_migrate_args_quote_each_word() -> None:
    reference = contract("reference")
    assert reference.migrate is not None
    assert migrate_args(reference.migrate) == [
        "sh",
        "-c",
        "flask --app app.wsgi db-grant-app-role && exec flask --app app.wsgi db upgrade head",
    ]
    other = contract("other").migrate
    assert other is not None
    assert migrate_args(other) == [*other.command, "upgrade", "head"]  # no prepare: no shell
    odd = other.model_copy(update={"prepare": ["grant", "a role; rm -rf /"]})
    assert migrate_args(odd)[2].startswith("grant 'a role; rm -rf /' && exec python -m ")


def test_service_kustomization_is_the_contracts(service: Contract) -> None:
    layer = service_kustomization(service, Path("../overlays/prod"))
    assert layer["resources"] == ["../overlays/prod"]
    assert layer["namespace"] == service.kubernetes.namespace
    assert layer["namePrefix"] == f"{service.kubernetes.prefix}-"
    assert layer["labels"] == [
        {"pairs": {NAME_LABEL: service.name}, "includeSelectors": True, "includeTemplates": True}
    ]
    (config,) = layer["configMapGenerator"]
    assert (config["name"], config["behavior"]) == ("config", "merge")
    assert f"GUNICORN_BIND=0.0.0.0:{service.serve.port}" in config["literals"]
    assert "commonLabels" not in layer


def test_the_written_layer_refers_to_the_overlay_relatively(tmp_path: Path) -> None:
    # kustomize refuses an absolute resource root; a relative one works from anywhere.
    dest = write_service_layer(contract("other"), K8S / "overlays" / "prod", tmp_path / "layer")
    layer = yaml.safe_load((dest / "kustomization.yaml").read_text())
    (resource,) = layer["resources"]
    assert not Path(resource).is_absolute()
    assert (dest / resource).resolve() == (K8S / "overlays" / "prod").resolve()
