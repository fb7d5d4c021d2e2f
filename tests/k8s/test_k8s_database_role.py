"""Database credentials and TLS in the rendered overlays (issue 13, item 15).

The web and worker pods get the application role's DATABASE_URL (rows only); only the migration
Job gets the owner's, through its own SecretStore and IAM role. Every pod that talks to the
database verifies the server against the RDS CA bundle mounted from the ConfigMap rds-ca.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import pytest
from k8s_harness import CLOUD_OVERLAYS, Doc, get, of_kind, workloads

from kitcore.contract import Contract


def _env(k8s_root: Any, overlay: str) -> dict[str, str]:
    lines = (k8s_root / "overlays" / overlay / "infra.env").read_text().splitlines()
    return dict(ln.split("=", 1) for ln in lines if ln and not ln.startswith("#"))


def _remote_keys(docs: list[Doc], name: str) -> dict[str, str]:
    external = get(docs, "ExternalSecret", name)
    return {d["secretKey"]: d["remoteRef"]["key"] for d in external["spec"]["data"]}


def _secrets_used(pod: Doc) -> set[str]:
    """Return the Secrets a pod template reads (envFrom and env valueFrom)."""
    used = set()
    for container in pod["spec"]["containers"]:
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                used.add(source["secretRef"]["name"])
        for var in container.get("env", []):
            ref = var.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                used.add(ref["name"])
    return used


def _database_url_source(pod: Doc, secrets: str) -> str:
    """Return the Secret the first container's DATABASE_URL comes from (env beats envFrom)."""
    container = pod["spec"]["containers"][0]
    for var in container.get("env", []):
        if var["name"] == "DATABASE_URL":
            return str(var["valueFrom"]["secretKeyRef"]["name"])
    sources = [s["secretRef"]["name"] for s in container.get("envFrom", []) if "secretRef" in s]
    return secrets if secrets in sources else ""


@pytest.mark.parametrize("overlay", CLOUD_OVERLAYS)
def test_pods_connect_as_the_app_role_and_only_the_job_as_the_owner(
    rendered: dict[str, list[Doc]], service: Contract, k8s_root: Any, overlay: str
) -> None:
    docs, env = rendered[overlay], _env(k8s_root, overlay)
    app_secrets, owner_secrets = service.k8s_name("secrets"), service.k8s_name("migrate-secrets")
    assert env["DATABASE_APP_SECRET_ARN"] != env["DATABASE_SECRET_ARN"]
    assert _remote_keys(docs, app_secrets)["DATABASE_URL"] == env["DATABASE_APP_SECRET_ARN"]
    migrate = _remote_keys(docs, owner_secrets)
    assert migrate == {
        "DATABASE_URL": env["DATABASE_SECRET_ARN"],
        "DATABASE_APP_USER": env["DATABASE_APP_SECRET_ARN"],
        "DATABASE_APP_PASSWORD": env["DATABASE_APP_SECRET_ARN"],
    }
    sources = {}
    for workload, pod in workloads(docs):
        name = workload["metadata"]["name"]
        sources[name] = _database_url_source(pod, app_secrets)
        if workload["kind"] == "Deployment":
            assert owner_secrets not in _secrets_used(pod), name
    pods = ["blue", "green", *(["worker"] if service.serve.worker else [])]
    assert sources == {
        **{service.k8s_name(pod): app_secrets for pod in pods},
        service.k8s_name("migrate"): owner_secrets,
    }
    # The owner's secret is read as the Job's own ServiceAccount and IAM role, never the app's.
    external = get(docs, "ExternalSecret", owner_secrets)
    store = get(docs, "SecretStore", external["spec"]["secretStoreRef"]["name"])
    account = store["spec"]["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"]["name"]
    roles = {
        sa["metadata"]["name"]: sa["metadata"]
        .get("annotations", {})
        .get("eks.amazonaws.com/role-arn")
        for sa in of_kind(docs, "ServiceAccount")
    }
    assert roles == {
        service.k8s_name("web"): env["APP_ROLE_ARN"],
        service.k8s_name("migrate"): None,  # the Job itself holds no AWS role
        account: env["MIGRATE_ROLE_ARN"],
    }
    assert account == service.k8s_name("migrate-secrets-reader")
    # ...and no pod runs as the account that may read the owner's secret.
    assert all(p["spec"]["serviceAccountName"] != account for _, p in workloads(docs))


@pytest.mark.parametrize("overlay", CLOUD_OVERLAYS)
def test_every_database_client_verifies_the_server_with_the_rds_bundle(
    rendered: dict[str, list[Doc]], service: Contract, overlay: str
) -> None:
    docs = rendered[overlay]
    prefix = service.k8s_name("config-")
    (config,) = [c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].startswith(prefix)]
    bundle = PurePosixPath(config["data"]["DATABASE_SSLROOTCERT"])
    clients = list(workloads(docs))
    assert len(clients) == 3 + bool(service.serve.worker)
    for workload, pod in clients:
        spec = pod["spec"]
        volumes = {v["name"]: v for v in spec["volumes"] if "configMap" in v}
        (mount,) = [m for m in spec["containers"][0]["volumeMounts"] if m["name"] in volumes]
        source = volumes[mount["name"]]["configMap"]
        assert source["name"] == "rds-ca", workload["metadata"]["name"]
        assert "optional" not in source  # no bundle, no pod: never a silent unverified start
        assert mount["readOnly"] is True
        assert PurePosixPath(mount["mountPath"]) == bundle.parent
        assert [i["path"] for i in source["items"]] == [bundle.name]
