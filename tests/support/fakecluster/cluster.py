"""The tests' handle on the fake cluster: install its kubectl, seed it, read the outcomes.

The world (world.py) holds objects with resource versions and derives pods and endpoints the way
controllers would, so tests assert outcomes: which image serves public traffic, which Lease
holder won, what the state ConfigMap says. `kubectl.py` answers the calls; `pod.py` serves a
port-forward as the pod behind a Service.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kitcore.contract import Contract
from tests.support.fakecluster import ssa
from tests.support.fakecluster.world import Obj, World

REPO = Path(__file__).resolve().parents[3]
UID = 10001


class FakeCluster:
    """One fake cluster: its world file, its kubectl and the service contract it runs."""

    def __init__(self, root: Path, contract: Contract, contract_file: Path | None = None) -> None:
        self.root, self.contract = root, contract
        self.contract_file = contract_file or contract.root / "kit.toml"
        self.world_file = root / "cluster.json"
        self.kubectl = root / "bin" / "kubectl"
        self.namespace = contract.kubernetes.namespace

    def install(self, real_kubectl: str) -> dict[str, str]:
        """Write the world and the kubectl shim; return the environment that selects them."""
        self.kubectl.parent.mkdir(parents=True, exist_ok=True)
        self.kubectl.write_text(
            f'#!/bin/sh\nPYTHONPATH="{REPO}" exec "{sys.executable}" '
            f'"{REPO}/tests/support/fakecluster/kubectl.py" "$@"\n'
        )
        self.kubectl.chmod(0o755)
        data = World.empty()
        data["contract"] = str(self.contract_file)
        data["public_service"] = self.name("active")
        self.world_file.write_text(json.dumps(data))
        return {
            "FAKE_CLUSTER": str(self.world_file),
            "REAL_KUBECTL": real_kubectl,
            "PATH": f"{self.kubectl.parent}:{os.environ['PATH']}",
        }

    @contextmanager
    def world(self, write: bool = True) -> Iterator[World]:
        """Open the world to read or change it."""
        with World.open(self.world_file, write=write) as world:
            yield world

    def name(self, role: str) -> str:
        """The contract's name for a role (blue, green, active, preview, worker, migrate)."""
        return self.contract.k8s_name(role)

    def seed(self, image: str, version: str, heads: list[str], replicas: int = 2) -> None:
        """Blue serves image with `replicas` pods, green idles at 0, the worker runs image."""
        with self.world() as world:
            world.data["versions"][image] = version
            world.data["db_heads"] = world.data["heads"] = heads  # images carry the same heads
            for colour, n in (("blue", replicas), ("green", 0)):
                world.put(self.deployment(colour, image, n), create=True)
            if self.contract.serve.worker:
                world.put(self.worker(image), create=True)
            for role, colour in (("active", "blue"), ("preview", "green")):
                world.put(self.service(role, colour), create=True)
            world.data["events"] = []
            world.event("seeded")  # the trace starts here

    def first_install(self, docs: list[Obj], manager: str = "kit-bootstrap") -> None:
        """Apply a rendered overlay server-side, as the documented first install does."""
        with self.world() as world:
            for doc in docs:
                ssa.apply(world, doc, manager, force=False)
            world.data["events"] = []
            world.event("installed")  # the trace starts here

    def owner(self, kind: str, name: str, field: str) -> str:
        """The field manager that owns a field (dotted path, e.g. spec.selector.color)."""
        with self.world(write=False) as world:
            return ssa.owner_of(world, f"{kind}/{name}", tuple(field.split(".")))

    def labels(self, colour: str | None = None) -> dict[str, str]:
        """The labels of the service's web pods (of one colour)."""
        labels = {"app.kubernetes.io/name": self.contract.name,
                  "app.kubernetes.io/component": "web"}  # fmt: skip
        return labels | ({"color": colour} if colour else {})

    def deployment(self, colour: str, image: str, replicas: int) -> Obj:
        """A web Deployment as the rendered overlay declares it."""
        container = {
            "name": self.contract.kubernetes.container, "image": image,
            "ports": [{"containerPort": self.contract.serve.port}],
            "securityContext": {"runAsUser": UID, "runAsNonRoot": True},
        }  # fmt: skip
        return self._workload(self.name(colour), self.labels(colour), container, replicas)

    def worker(self, image: str) -> Obj:
        """The worker Deployment (it follows the serving image)."""
        labels = self.labels() | {"app.kubernetes.io/component": "worker"}
        container = {"name": "worker", "image": image, "securityContext": {"runAsUser": UID}}
        return self._workload(self.name("worker"), labels, container, 1)

    def service(self, role: str, colour: str) -> Obj:
        """The active or preview Service, selecting one colour."""
        return {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": self.name(role), "namespace": self.namespace},
            "spec": {"selector": self.labels(colour), "ports": [{"port": 80}]},
        }  # fmt: skip

    def _workload(self, name: str, labels: dict[str, str], container: Obj, n: int) -> Obj:
        return {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": self.namespace, "labels": labels},
            "spec": {
                "replicas": n,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"securityContext": {"runAsUser": UID}, "containers": [container]},
                },
            },
        }  # fmt: skip

    # -- outcomes ------------------------------------------------------------------------------
    def serving(self) -> set[str]:
        """The images public traffic reaches: Ready pods behind the active Service."""
        with self.world(write=False) as world:
            return world.serving_images(self.name("active"))

    def selects(self, role: str) -> str:
        """The colour a Service (active, preview) selects."""
        with self.world(write=False) as world:
            svc = world.get("Service", self.name(role)) or {}
        return str(svc.get("spec", {}).get("selector", {}).get("color", ""))

    def image_of(self, colour: str) -> tuple[str, int]:
        """The image and replicas of a colour's Deployment."""
        with self.world(write=False) as world:
            dep = world.get("Deployment", self.name(colour)) or {}
        spec = dep.get("spec", {})
        return spec["template"]["spec"]["containers"][0]["image"], int(spec.get("replicas", 0))

    def get(self, kind: str, name: str) -> Obj | None:
        """A stored object, as the API server would return it."""
        with self.world(write=False) as world:
            return world.get(kind, name)

    def set(self, **changes: Any) -> None:
        """Change top-level keys of the world (fail, hang, unready, broken, versions...)."""
        with self.world() as world:
            for key, value in changes.items():
                if isinstance(value, dict) and isinstance(world.data.get(key), dict):
                    world.data[key].update(value)
                else:
                    world.data[key] = value

    def events(self) -> list[tuple[float, str, list[str]]]:
        """What changed in the cluster, in order: when, what, and the images serving after it."""
        with self.world(write=False) as world:
            return [(float(t), str(w), list(s)) for t, w, s in world.data["events"]]

    def ever_served(self) -> set[str]:
        """Every image public traffic reached since the cluster was seeded."""
        return {image for _, _, serving in self.events() for image in serving}

    def mark_bad(self, version: str, *, live_only: bool = False) -> None:
        """Make the gate Jobs fail a version (live_only: only under real traffic, post_switch)."""
        with self.world() as world:
            world.data["bad_live" if live_only else "bad"].append(version)

    def gate_runs(self) -> list[dict[str, Any]]:
        """Every gate Job the cluster ran: job, gate, service, the versions it measured, image."""
        with self.world(write=False) as world:
            return list(world.data["gate_runs"])

    def measured(self) -> list[tuple[str, str]]:
        """(gate, versions it measured) of every gate Job, in order."""
        return [(r["gate"], ",".join(r["versions"])) for r in self.gate_runs()]

    def jobs(self, component: str) -> list[str]:
        """The names of the stored Jobs of a component (gate, migrate)."""
        with self.world(write=False) as world:
            return [
                j["metadata"]["name"] for j in world.list("Job")
                if (j["metadata"].get("labels") or {}).get("app.kubernetes.io/component")
                == component
            ]  # fmt: skip

    def calls(self) -> list[list[str]]:
        """Every kubectl argv as the rollout sent it."""
        log = self.world_file.with_suffix(".log")
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
