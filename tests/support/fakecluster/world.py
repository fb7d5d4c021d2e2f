"""The fake cluster's state: stored objects with resource versions, and what controllers derive.

Stored: Services, Deployments, Jobs, Leases, ConfigMaps (every write bumps a cluster-wide
resourceVersion; a write naming a stale one is a Conflict, a create of an existing name is
AlreadyExists, as on an API server). Derived on every read, like controllers would: the pods of
each Deployment (its replicas, its template's labels and image; Ready unless the image is
marked unready), each Service's endpoints (the Ready pods its selector picks), HPAs.
The whole world is one JSON file under an flock: every kubectl call is its own process.
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Obj = dict[str, Any]
KINDS = {
    "service": "Service", "svc": "Service", "deployment": "Deployment", "deploy": "Deployment",
    "pod": "Pod", "job": "Job", "endpointslice": "EndpointSlice", "lease": "Lease",
    "configmap": "ConfigMap", "cm": "ConfigMap", "hpa": "HorizontalPodAutoscaler",
    "horizontalpodautoscaler": "HorizontalPodAutoscaler",
}  # fmt: skip
RESOURCES = {
    "Service": "services", "Deployment": "deployments.apps", "Job": "jobs.batch",
    "Lease": "leases.coordination.k8s.io", "ConfigMap": "configmaps",
}  # fmt: skip


class ApiError(Exception):
    """What the API server refuses, worded like kubectl prints it."""


def kind_of(word: str) -> str:
    """Map a kubectl resource word (pods, svc, deployment.apps) to a Kind."""
    base = word.split(".")[0].lower()
    base = base[:-1] if base.endswith("s") and base[:-1] in KINDS else base
    if base not in KINDS:
        raise ApiError(f'error: the server doesn\'t have a resource type "{word}"')
    return KINDS[base]


def parse_selector(text: str) -> dict[str, str]:
    """Parse an equality label selector: a=b,c=d."""
    pairs = [p.split("=", 1) for p in text.split(",") if p]
    return {k.strip(): v.strip() for k, v in pairs}


def matches(labels: dict[str, str], selector: dict[str, str]) -> bool:
    """Tell whether labels satisfy every key of the selector."""
    return all(labels.get(k) == v for k, v in selector.items())


class World:
    """The cluster, loaded from and saved to one JSON file."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @staticmethod
    def empty() -> dict[str, Any]:
        """A cluster with nothing in it."""
        return {
            "rv": 1000, "objects": {}, "versions": {}, "unready": [], "broken": {},
            "stale_selector": {}, "fail": {}, "hang": [], "db_heads": [], "heads": [],
            "image_heads": {},
            "job_log": "", "job_logs": {}, "gate_runs": [], "bad": [], "bad_live": [],
            "exec_pid": 0, "contract": "", "events": [], "public_service": "",
        }  # fmt: skip

    @classmethod
    @contextmanager
    def open(cls, path: Path, write: bool = False) -> Iterator[World]:
        """Load the world under its lock; save it back when write."""
        with open(path.with_suffix(".lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            world = cls(json.loads(path.read_text()))
            yield world
            if write:
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(world.data, indent=1))
                tmp.replace(path)

    # -- stored objects ------------------------------------------------------------------------
    def get(self, kind: str, name: str) -> Obj | None:
        """Return a stored or derived object (a copy), None when absent."""
        if kind in ("Pod", "HorizontalPodAutoscaler", "EndpointSlice"):
            return next((o for o in self.list(kind) if o["metadata"]["name"] == name), None)
        found = self.data["objects"].get(f"{kind}/{name}")
        return self._with_status(copy.deepcopy(found)) if found else None

    def list(self, kind: str, selector: dict[str, str] | None = None) -> list[Obj]:
        """Return every object of a kind whose labels match the selector."""
        if kind == "Pod":
            items = [p for d in self._stored("Deployment") for p in self.pods(d)]
        elif kind == "EndpointSlice":
            items = [self.endpoint_slice(s) for s in self._stored("Service")]
        elif kind == "HorizontalPodAutoscaler":
            items = [self._hpa(d) for d in self._stored("Deployment") if _web(d)]
        else:
            items = [self._with_status(copy.deepcopy(o)) for o in self._stored(kind)]
        return [o for o in items if matches(o["metadata"].get("labels") or {}, selector or {})]

    def put(self, obj: Obj, *, create: bool) -> Obj:
        """Create or replace an object; the API server's conflicts are ApiErrors."""
        kind, name = obj["kind"], obj["metadata"]["name"]
        key, resource = f"{kind}/{name}", RESOURCES.get(kind, kind.lower() + "s")
        current = self.data["objects"].get(key)
        if create and current is not None:
            raise ApiError(
                f'Error from server (AlreadyExists): error when creating "STDIN": '
                f'{resource} "{name}" already exists'
            )
        if not create:
            if current is None:
                raise ApiError(f'Error from server (NotFound): {resource} "{name}" not found')
            wanted = obj["metadata"].get("resourceVersion")
            if wanted and wanted != current["metadata"]["resourceVersion"]:
                raise ApiError(
                    f'Error from server (Conflict): error when replacing "STDIN": Operation '
                    f'cannot be fulfilled on {resource} "{name}": the object has been modified; '
                    "please apply your changes to the latest version and try again"
                )
        stored = copy.deepcopy(obj)
        if kind != "Job":  # the fake decides a Job's outcome at creation; others derive theirs
            stored.pop("status", None)
        self._bump(stored)
        self.data["objects"][key] = stored
        self.event(f"{'create' if create else 'replace'} {key}")
        return self._with_status(copy.deepcopy(stored))

    def update(self, kind: str, name: str) -> Obj:
        """Return the stored object to change in place (bumped and logged by `touch`)."""
        found = self.data["objects"].get(f"{kind}/{name}")
        if found is None:
            resource = RESOURCES.get(kind, kind.lower() + "s")
            raise ApiError(f'Error from server (NotFound): {resource} "{name}" not found')
        return dict(found)

    def touch(self, obj: Obj, what: str) -> None:
        """Record a change made through `update`."""
        self._bump(obj)
        self.event(what)

    def delete(self, kind: str, name: str) -> bool:
        """Delete a stored object; say whether it existed."""
        return self.data["objects"].pop(f"{kind}/{name}", None) is not None

    def event(self, what: str) -> None:
        """Log a change and what public traffic reached right after it (the outcome trace)."""
        serving = sorted(self.serving_images(self.data["public_service"]))
        self.data["events"].append([time.time(), what, serving])

    # -- what controllers derive ---------------------------------------------------------------
    def pods(self, deployment: Obj) -> list[Obj]:
        """The pods a Deployment has now: its replicas, all of its template's image."""
        template = deployment["spec"]["template"]
        labels = dict(template["metadata"].get("labels") or {})
        containers = template["spec"]["containers"]
        image = containers[0]["image"]
        name = deployment["metadata"]["name"]
        bad = image in self.data["unready"] or self.data["fail"].get(f"rollout:{name}")
        suffix = hashlib.sha256(image.encode()).hexdigest()[:6]
        pods = []
        for i in range(int(deployment["spec"].get("replicas") or 0)):
            status: Obj = {"conditions": [{"type": "Ready", "status": "False" if bad else "True"}]}
            if bad:
                waiting = {"waiting": {"reason": "ImagePullBackOff"}}
                status["containerStatuses"] = [
                    {"name": containers[0]["name"], "restartCount": 0, "state": waiting}
                ]
            pods.append({
                "kind": "Pod",
                "metadata": {"name": f"{name}-{suffix}-{i}", "labels": labels},
                "spec": copy.deepcopy(template["spec"]),
                "status": status,
            })  # fmt: skip
        return pods

    def endpoints(self, service: str) -> list[tuple[Obj, bool]]:
        """The pods behind a Service and whether each is Ready (its selector, or a stale one)."""
        svc = self.data["objects"].get(f"Service/{service}")
        if svc is None:
            return []
        selector = self.data["stale_selector"].get(service) or svc["spec"].get("selector") or {}
        return [
            (p, _ready(p)) for p in self.list("Pod") if matches(p["metadata"]["labels"], selector)
        ]

    def endpoint_slice(self, service: Obj) -> Obj:
        """The EndpointSlice the endpoint controller keeps for a Service."""
        name = service["metadata"]["name"]
        eps = [
            {"targetRef": {"kind": "Pod", "name": p["metadata"]["name"]},
             "conditions": {"ready": ready}}
            for p, ready in self.endpoints(name)
        ]  # fmt: skip
        labels = {"kubernetes.io/service-name": name}
        return {"kind": "EndpointSlice", "metadata": {"name": f"{name}-x1", "labels": labels},
                "endpoints": eps}  # fmt: skip

    def serving_images(self, service: str) -> set[str]:
        """The images of the Ready pods a Service sends traffic to."""
        return {
            p["spec"]["containers"][0]["image"] for p, ready in self.endpoints(service) if ready
        }

    def _stored(self, kind: str) -> list[Obj]:
        return [o for k, o in sorted(self.data["objects"].items()) if k.startswith(f"{kind}/")]

    def _with_status(self, obj: Obj) -> Obj:
        if obj["kind"] == "Deployment":
            pods = self.pods(obj)
            ready = sum(_ready(p) for p in pods)
            obj["status"] = {"replicas": len(pods), "readyReplicas": ready}
        return obj

    def _hpa(self, deployment: Obj) -> Obj:
        name, n = deployment["metadata"]["name"], int(deployment["spec"].get("replicas") or 0)
        return {"kind": "HorizontalPodAutoscaler", "metadata": {"name": name, "labels": {}},
                "status": {"currentReplicas": n, "desiredReplicas": n}}  # fmt: skip

    def _bump(self, obj: Obj) -> None:
        self.data["rv"] += 1
        obj["metadata"]["resourceVersion"] = str(self.data["rv"])


def _ready(pod: Obj) -> bool:
    conditions = pod.get("status", {}).get("conditions") or []
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def _web(deployment: Obj) -> bool:
    labels = deployment["metadata"].get("labels") or {}
    return labels.get("app.kubernetes.io/component") == "web"
