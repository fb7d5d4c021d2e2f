"""The service layer: a contract's names and commands laid over a kustomize overlay.

k8s/base, k8s/components and k8s/overlays hold generic names only (web, blue, green, active,
preview, worker, migrate, config, secrets...). The outermost kustomization is never committed:
it is written here from kit.toml into a temporary directory and rendered with
`kubectl kustomize`. It adds the namespace, the `<prefix>-` name prefix, the label
app.kubernetes.io/name, the image's name, the contract's settings, and patches what the
contract declares: the web container's name, args, port, colour variable and probe paths, the
worker's args and the migration Job's (or removes them and what only they need).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from kitcore.contract import Contract, Migrate
from kitcore.paths import KIT_ROOT

OVERLAYS = KIT_ROOT / "k8s" / "overlays"
NAME_LABEL = "app.kubernetes.io/name"
IMAGE = "service"  # the image name in the base's pod templates
FIRST_CONTAINER = "/spec/template/spec/containers/0"
WEB = {"kind": "Deployment", "labelSelector": "app.kubernetes.io/component=web"}
# apiVersion of the kinds the service layer may remove (a delete patch names its object).
_API = {
    "Deployment": "apps/v1",
    "Job": "batch/v1",
    "NetworkPolicy": "networking.k8s.io/v1",
    "Ingress": "networking.k8s.io/v1",
    "ServiceAccount": "v1",
    "Secret": "v1",
    "ExternalSecret": "external-secrets.io/v1",
    "SecretStore": "external-secrets.io/v1",
    "ServiceMonitor": "monitoring.coreos.com/v1",
    "PrometheusRule": "monitoring.coreos.com/v1",
}
# What only the migration Job uses: gone with it when the contract has no [migrate].
_MIGRATE_ONLY = [
    ("Job", "migrate"),
    ("ServiceAccount", "migrate"),
    ("ServiceAccount", "migrate-secrets-reader"),
    ("ExternalSecret", "migrate-secrets"),
    ("SecretStore", "aws-secrets-manager-migrate"),
    ("Secret", "migrate-secrets"),
]
_WORKER_ONLY = [("Deployment", "worker"), ("NetworkPolicy", "allow-worker-smtp")]
_METRICS_ONLY = [
    ("ServiceMonitor", "web"),
    ("PrometheusRule", "slo"),
    ("NetworkPolicy", "allow-prometheus"),
    ("Ingress", "metrics-deny"),
]

Obj = dict[str, Any]


class RenderError(ValueError):
    """The overlay cannot be rendered; the message is one line."""


def overlay_path(value: str | os.PathLike[str]) -> Path:
    """Return an overlay directory from a name (dev, staging, prod) or a path."""
    text = os.fspath(value)
    return OVERLAYS / text if "/" not in text else Path(text)


def pinned_kubectl() -> str:
    """Return the kubectl pinned in uv.lock (beside this interpreter), else PATH's."""
    pinned = Path(sys.executable).with_name("kubectl")
    return str(pinned) if pinned.exists() else shutil.which("kubectl") or "kubectl"


def migrate_args(migrate: Migrate) -> list[str]:
    """Return the Job's args: `command upgrade head`, after `prepare` in one shell when set."""
    upgrade = migrate.upgrade()
    if not migrate.prepare:
        return upgrade
    return ["sh", "-c", f"{shlex.join(migrate.prepare)} && exec {shlex.join(upgrade)}"]


def _ops(target: dict[str, str], *ops: Obj) -> Obj:
    """Return a JSON6902 patch of the objects the target selects."""
    return {"target": target, "patch": json.dumps(list(ops))}


def _replace(path: str, value: Any) -> Obj:
    """Return a JSON6902 replace operation."""
    return {"op": "replace", "path": path, "value": value}


def _remove(kind: str, name: str) -> Obj:
    """Return a patch deleting one object (none selected is no error: overlays differ)."""
    body = {"$patch": "delete", "apiVersion": _API[kind], "kind": kind, "metadata": {"name": name}}
    return {"target": {"kind": kind, "name": name}, "patch": json.dumps(body)}


def _web(contract: Contract) -> Obj:
    """The web container: name, args, port, colour variable, probe paths."""
    serve, health, c = contract.serve, contract.health, FIRST_CONTAINER
    return _ops(
        WEB,
        # `test` first: a base that moved its container or variable fails loudly, not silently.
        {"op": "test", "path": f"{c}/name", "value": "app"},
        {"op": "test", "path": f"{c}/env/0/name", "value": "APP_COLOR"},
        _replace(f"{c}/name", contract.kubernetes.container),
        {
            "op": "add",
            "path": f"{c}/args",
            "value": ["gunicorn", "-c", f"python:{serve.gunicorn_config}", serve.wsgi],
        },
        _replace(f"{c}/ports/0/containerPort", serve.port),
        _replace(f"{c}/env/0/name", serve.colour_env),
        _replace(f"{c}/startupProbe/httpGet/path", health.liveness),
        _replace(f"{c}/livenessProbe/httpGet/path", health.liveness),
        _replace(f"{c}/readinessProbe/httpGet/path", health.readiness),
    )


def _port_and_tls(contract: Contract) -> list[Obj]:
    """The gates' egress port, and the TLS Secret's name in the Ingresses and Certificate."""
    tls = contract.k8s_name("tls")
    return [
        _ops(
            {"kind": "NetworkPolicy", "name": "allow-gate-egress"},
            _replace("/spec/egress/0/ports/0/port", contract.serve.port),
        ),
        _ops({"kind": "Ingress"}, _replace("/spec/tls/0/secretName", tls)),
        _ops({"kind": "Certificate", "name": "tls"}, _replace("/spec/secretName", tls)),
    ]


def _worker(contract: Contract) -> list[Obj]:
    """The worker's args, or no worker."""
    if not contract.serve.worker:
        return [_remove(kind, name) for kind, name in _WORKER_ONLY]
    args = {"op": "add", "path": f"{FIRST_CONTAINER}/args", "value": contract.serve.worker}
    return [_ops({"kind": "Deployment", "name": "worker"}, args)]


def _migrate(contract: Contract) -> list[Obj]:
    """The migration Job's args, or no Job."""
    if contract.migrate is None:
        return [_remove(kind, name) for kind, name in _MIGRATE_ONLY]
    args = {"op": "add", "path": f"{FIRST_CONTAINER}/args", "value": migrate_args(contract.migrate)}
    return [_ops({"kind": "Job", "name": "migrate"}, args)]


def _metrics(contract: Contract) -> list[Obj]:
    """The metrics path where it is scraped and denied publicly, or no monitoring."""
    path = contract.health.metrics
    if path is None:
        return [_remove(kind, name) for kind, name in _METRICS_ONLY]
    return [
        _ops({"kind": "ServiceMonitor", "name": "web"}, _replace("/spec/endpoints/0/path", path)),
        _ops(
            {"kind": "Ingress", "name": "metrics-deny"},
            _replace("/spec/rules/0/http/paths/0/path", path),
        ),
    ]


def service_kustomization(contract: Contract, overlay: Path) -> Obj:
    """Return the service layer over an overlay (as kustomize reads it: relative to the file)."""
    serve = contract.serve
    settings = [f"{key}={value}" for key, value in serve.production_env.items()]
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [overlay.as_posix()],
        "namespace": contract.kubernetes.namespace,
        "namePrefix": f"{contract.kubernetes.prefix}-",
        # The one includeSelectors label (k8s/README.md, "Layers"): fixed for the service's
        # lifetime, so the selectors it adds never change under a running Deployment.
        "labels": [
            {
                "pairs": {NAME_LABEL: contract.name},
                "includeSelectors": True,
                "includeTemplates": True,
            }
        ],
        # An overlay that sets only a tag (dev) runs the image built under the service's name.
        "images": [{"name": IMAGE, "newName": contract.image.name}],
        "configMapGenerator": [
            {
                "name": "config",
                "behavior": "merge",
                "literals": [*settings, f"GUNICORN_BIND=0.0.0.0:{serve.port}"],
            }
        ],
        "patches": [
            _web(contract),
            *_port_and_tls(contract),
            *_worker(contract),
            *_migrate(contract),
            *_metrics(contract),
        ],
    }


def write_service_layer(contract: Contract, overlay: Path, dest: Path) -> Path:
    """Write dest/kustomization.yaml over the overlay; return dest."""
    dest.mkdir(parents=True, exist_ok=True)
    # kustomize refuses an absolute resource root ("new root cannot be absolute").
    relative = Path(os.path.relpath(overlay.resolve(), dest.resolve()))
    header = f"# The service layer of {contract.name}, written by `rollout render`. Do not edit.\n"
    layer = service_kustomization(contract, relative)
    body = yaml.safe_dump(layer, sort_keys=False, width=1_000_000)  # one patch per line
    (dest / "kustomization.yaml").write_text(header + body)
    return dest


def render_yaml(contract: Contract, overlay: Path, kubectl: str | None = None) -> str:
    """Return the service's manifests for an overlay as one YAML stream."""
    if not any((overlay / name).is_file() for name in ("kustomization.yaml", "kustomization.yml")):
        raise RenderError(f"{overlay}: not a kustomize overlay (no kustomization.yaml)")
    binary = kubectl or pinned_kubectl()
    with tempfile.TemporaryDirectory(prefix="kit-render-") as tmp:
        layer = write_service_layer(contract, overlay, Path(tmp))
        try:
            proc = subprocess.run(  # noqa: S603 - argv list, no shell
                [binary, "kustomize", str(layer)],
                capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RenderError(f"{binary} kustomize {overlay}: {exc}") from None
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.splitlines() if line.strip()] or ["(no output)"]
        raise RenderError(f"kubectl kustomize {overlay}: {lines[0]}")
    return proc.stdout


def render_overlay(contract: Contract, overlay: Path, kubectl: str | None = None) -> list[Obj]:
    """Return the objects the service layer over an overlay renders to."""
    return [doc for doc in yaml.safe_load_all(render_yaml(contract, overlay, kubectl)) if doc]
