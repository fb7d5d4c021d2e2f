"""Every overlay renders for every contract, and the values it takes from infra.env land where
they belong."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from k8s_harness import (
    CLOUD_OVERLAYS,
    K8S,
    OVERLAYS,
    REPO,
    Doc,
    build,
    contract,
    get,
    of_kind,
    workloads,
)

from kitcore.contract import Contract
from rollout.kube.render import RenderError

DIGEST = re.compile(r"^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+@sha256:[0-9a-f]{64}$")
TAGGED = re.compile(r"^[a-z0-9./-]+:(?!latest$)[A-Za-z0-9_][A-Za-z0-9._-]*$")


def infra_env(overlay: str) -> dict[str, str]:
    """Return the KEY=value pairs of an overlay's committed infra.env."""
    pairs = {}
    for line in (K8S / "overlays" / overlay / "infra.env").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def kustomizations() -> list[Path]:
    """Return every kustomization file under k8s/."""
    return sorted(K8S.rglob("kustomization.yaml"))


def config_map(docs: list[Doc], service: Contract) -> Doc:
    """Return the one ConfigMap `config` (its name carries the content hash)."""
    prefix = service.k8s_name("config-")
    (config,) = [c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].startswith(prefix)]
    return config


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_builds_into_the_contracts_namespace(
    rendered: dict[str, list[Doc]], service: Contract, overlay: str
) -> None:
    docs = rendered[overlay]
    assert len(docs) > 20
    namespace = service.kubernetes.namespace
    namespaced = [d for d in docs if d["kind"] != "Namespace"]
    assert {d["metadata"].get("namespace") for d in namespaced} == {namespace}
    # The base's placeholder Namespace, renamed by the service layer's `namespace:`.
    (ns,) = of_kind(docs, "Namespace")
    assert ns["metadata"]["name"] == namespace


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_infra_env_names_the_rendered_identity(
    renders: Callable[[str], dict[str, list[Doc]]], overlay: str
) -> None:
    # The IAM roles trust these subjects (IRSA): the stack reads them from the same contract.
    docs, env, reference = renders("reference")[overlay], infra_env(overlay), contract("reference")
    assert env["K8S_NAMESPACE"] == reference.kubernetes.namespace
    web = get(docs, "Deployment", reference.k8s_name("blue"))["spec"]["template"]["spec"]
    assert env["K8S_SERVICE_ACCOUNT"] == web["serviceAccountName"] == reference.k8s_name("web")
    # The stores authenticate as these two, and no pod runs as the migration reader.
    stores = {
        s["spec"]["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"]["name"]
        for s in of_kind(docs, "SecretStore")
    }
    assert stores <= {env["K8S_SERVICE_ACCOUNT"], env["K8S_MIGRATE_SERVICE_ACCOUNT"]}
    reader = get(docs, "ServiceAccount", env["K8S_MIGRATE_SERVICE_ACCOUNT"])
    assert reader["metadata"]["name"] == reference.k8s_migrate_reader


@pytest.mark.parametrize("path", kustomizations(), ids=lambda p: str(p.relative_to(K8S)))
def test_no_common_labels_or_vars(path: Path) -> None:
    # commonLabels rewrites selectors (immutable on Deployments); vars are deprecated.
    spec = yaml.safe_load(path.read_text())
    assert "commonLabels" not in spec
    assert "vars" not in spec


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_images_pinned_never_latest(
    rendered: dict[str, list[Doc]], service: Contract, overlay: str
) -> None:
    images = [c["image"] for _, t in workloads(rendered[overlay]) for c in t["spec"]["containers"]]
    # blue, green, the migration Job, and the worker when the service has one
    assert len(images) == 3 + bool(service.serve.worker)
    assert len(set(images)) == 1, "every workload runs the release image"
    pattern = DIGEST if overlay in CLOUD_OVERLAYS else TAGGED
    assert pattern.match(images[0]), images[0]
    if overlay not in CLOUD_OVERLAYS:
        # A tag only in the overlay: the service layer names the image (image.name).
        assert images[0].rpartition(":")[0] == service.image.name


@pytest.mark.parametrize("overlay", CLOUD_OVERLAYS)
def test_registry_is_the_stack_repository(
    rendered: dict[str, list[Doc]], service: Contract, overlay: str
) -> None:
    blue = get(rendered[overlay], "Deployment", service.k8s_name("blue"))
    image = blue["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.split("@")[0] == infra_env(overlay)["IMAGE_REPOSITORY"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_infra_outputs_land_in_the_manifests(
    rendered: dict[str, list[Doc]], service: Contract, overlay: str
) -> None:
    docs, env = rendered[overlay], infra_env(overlay)
    account = get(docs, "ServiceAccount", service.k8s_name("web"))
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == env["APP_ROLE_ARN"]
    data = config_map(docs, service)["data"]
    assert (data["S3_BUCKET"], data["S3_REGION"]) == (env["S3_BUCKET"], env["S3_REGION"])
    for ingress in of_kind(docs, "Ingress"):
        assert ingress["spec"]["rules"][0]["host"] == env["APP_DOMAIN"]
        assert ingress["spec"]["tls"][0]["hosts"] == [env["APP_DOMAIN"]]
    # The generated source is local-config: it never reaches the cluster.
    assert not [c for c in of_kind(docs, "ConfigMap") if "infra-outputs" in c["metadata"]["name"]]
    assert "set-by-infra-outputs" not in yaml.safe_dump_all(docs)


@pytest.mark.parametrize("overlay", CLOUD_OVERLAYS)
def test_secrets_and_certificate_follow_the_stack(
    rendered: dict[str, list[Doc]], service: Contract, overlay: str
) -> None:
    docs, env = rendered[overlay], infra_env(overlay)
    external = get(docs, "ExternalSecret", service.k8s_name("secrets"))
    keys = {d["secretKey"]: d["remoteRef"]["key"] for d in external["spec"]["data"]}
    # The pods get the application role's database secret (tests/k8s/test_k8s_database_role.py).
    assert keys == {
        "DATABASE_URL": env["DATABASE_APP_SECRET_ARN"],
        "REDIS_URL": env["REDIS_SECRET_ARN"],
    }
    store = get(docs, "SecretStore", service.k8s_name("aws-secrets-manager"))
    aws = store["spec"]["provider"]["aws"]
    assert aws["region"] == env["AWS_REGION"]
    assert aws["auth"]["jwt"]["serviceAccountRef"]["name"] == service.k8s_name("web")
    cert = get(docs, "Certificate", service.k8s_name("tls"))["spec"]
    assert cert["dnsNames"] == [env["APP_DOMAIN"]] == [cert["commonName"]]
    assert not of_kind(docs, "Secret"), "no Secret may be rendered from the repository"


def test_dev_secrets_come_from_the_ignored_env_file(
    rendered: dict[str, list[Doc]], service: Contract
) -> None:
    secrets = {
        s["metadata"]["name"].rsplit("-", 1)[0]: s for s in of_kind(rendered["dev"], "Secret")
    }
    main, migrate = service.k8s_name("secrets"), service.k8s_name("migrate-secrets")
    assert set(secrets) == {main, migrate}
    assert set(secrets[main]["data"]) == {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"}
    assert set(secrets[migrate]["data"]) == {
        "DATABASE_URL",
        "DATABASE_APP_USER",
        "DATABASE_APP_PASSWORD",
    }
    assert not of_kind(rendered["dev"], "ExternalSecret")
    for name in ("secrets.env", "migrate-secrets.env"):
        ignored = subprocess.run(
            ["git", "-C", str(REPO), "check-ignore", "-q", f"k8s/overlays/dev/{name}"], check=False
        )
        assert ignored.returncode == 0, f"k8s/overlays/dev/{name} must be git-ignored"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_committed_infra_env_is_what_the_infra_script_writes(overlay: str, tmp_path: Path) -> None:
    # Keeps the overlays in step with infra/scripts/overlay_config.py and its stack outputs.
    outputs = Path(__file__).parent / "data" / f"{overlay}-stack-outputs.json"
    written = tmp_path / "infra.env"
    script = REPO / "infra" / "scripts" / "overlay_config.py"
    subprocess.run([sys.executable, str(script), str(outputs), str(written)], check=True)
    assert written.read_text() == (K8S / "overlays" / overlay / "infra.env").read_text()


def test_changed_infra_outputs_roll_the_pods(
    k8s_root: Path, tmp_path: Path, service: Contract
) -> None:
    root = tmp_path / "k8s"
    shutil.copytree(k8s_root, root)
    env_file = root / "overlays/staging/infra.env"
    env_file.write_text(env_file.read_text().replace("flask-kit-staging-uploads", "other-bucket"))
    before = build(k8s_root, "staging", service)
    after = build(root, "staging", service)

    def config_name(docs: list[Doc]) -> str:
        pod = get(docs, "Deployment", service.k8s_name("blue"))["spec"]["template"]["spec"]
        return str(pod["containers"][0]["envFrom"][0]["configMapRef"]["name"])

    assert config_name(before) != config_name(after), "a new ConfigMap hash restarts the pods"
    assert config_name(after) == config_map(after, service)["metadata"]["name"]


def test_missing_infra_output_fails_the_build(k8s_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "k8s"
    shutil.copytree(k8s_root, root)
    env_file = root / "overlays/prod/infra.env"
    lines = env_file.read_text().splitlines()
    env_file.write_text("\n".join(x for x in lines if not x.startswith("APP_ROLE_ARN=")) + "\n")
    with pytest.raises(RenderError, match="APP_ROLE_ARN"):
        build(root, "prod", contract("reference"))
