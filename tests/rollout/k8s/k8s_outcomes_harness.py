"""Rollouts on the stateful fake cluster: the real K8sTarget and flow, a public route that follows
the active Service, gates and pod checks whose verdict is the release's (a bad version fails).

The gates run as the real gate Jobs; the fake cluster decides their verdict from the release
behind the Service each Job targets (tests/support/fakecluster/gaterun.py, `mark_bad`), and the
target reads it from the Job's log. Only testinfra in the pods is stood in (tested for real in
test_rollout_k8s_pod_checks.py). Everything else is the code users run.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from kitcore.release import Release
from rollout.errors import RolloutLocked
from rollout.exitcodes import Exit
from rollout.flow import Options, Rollout
from rollout.kube.config import K8sConfig
from rollout.outcome import Outcome
from rollout.targets.k8s import K8sTarget
from rollout.verify.gates import load_gates
from rollout.verify.loadrun import LoadSpec
from rollout.verify.testinfra import PodSpec
from rollout.verify.verdict import Verdict
from tests.support.contract import REFERENCE, REFERENCE_GATES
from tests.support.fakecluster.cluster import FakeCluster
from tests.support.fakecluster.pod import ingress

DIGEST = "registry.example/flask-kit@sha256:"
IMAGES = {f"v{n}": DIGEST + f"{n:02d}" * 32 for n in range(10)}
GATE_IMAGE = "registry.example/flask-kit-gate@sha256:" + "ab" * 32


@dataclass
class Verdicts:
    """What the pod-check stand-in decides, and the phases it holds until killed."""

    cluster: FakeCluster
    hang: set[str] = field(default_factory=set)  # "verify"
    pod_failures: list[str] = field(default_factory=list)  # what testinfra finds wrong
    checked: list[tuple[str, PodSpec]] = field(default_factory=list)

    def pause(self, phase: str) -> None:
        """Block a stand-in phase until the process is killed (the test's kill point)."""
        if phase in self.hang:
            with self.cluster.world() as world:
                world.event(f"hang {phase}")
            time.sleep(120)

    def testinfra(self, checks: Path, host: str, spec: PodSpec, out: Path, _bin: Any) -> Verdict:
        """The pod checks (their real run is tested on a real process elsewhere)."""
        self.pause("verify")
        self.checked.append((host, spec))
        return Verdict.of("testinfra", self.pod_failures)


@contextmanager
def public_route(cluster: FakeCluster) -> Iterator[str]:
    """The ingress: a URL whose requests reach the active Service's Ready pods."""
    srv = ingress(cluster.world_file, cluster.name("active"))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def target(cluster: FakeCluster, overlay: Path, public: str, lease_s: int = 60) -> K8sTarget:
    """The real Kubernetes target, on the fake cluster, with short waits."""
    cfg = K8sConfig(
        overlay=overlay, kubectl=str(cluster.kubectl), public_url=public, lease_s=lease_s,
        settle_timeout_s=5, switch_timeout_s=3, migrate_timeout_s=3, poll_s=0.05,
        gate_image=GATE_IMAGE,
    )  # fmt: skip
    return K8sTarget(REFERENCE, cfg)


def deploy(k8s: K8sTarget, reports: Path, version: str) -> Outcome:
    """Run `rollout deploy` of a version's image in this process."""
    opts = Options(
        gates=load_gates(REFERENCE_GATES), reports_base=reports, load=LoadSpec.of(REFERENCE),
        stop_delay_s=0,
    )  # fmt: skip
    report = reports / f"{version}-{time.monotonic_ns()}"
    release = Release(version, REFERENCE.root, IMAGES[version])
    return Rollout(k8s, k8s.store(), release, opts, Console(quiet=True)).run(report)


def deploy_in_child(k8s: K8sTarget, reports: Path, version: str) -> multiprocessing.Process:
    """Start a deploy in a forked process (a second deployer, or one to kill mid-phase)."""

    def run() -> None:
        # Its own process group: killing the group takes the port-forwards it started too.
        os.setsid()
        try:
            code = int(deploy(k8s, reports, version).code)
        except RolloutLocked:
            code = Exit.LOCKED  # what the CLI exits with
        os._exit(code)

    proc = multiprocessing.get_context("fork").Process(target=run, daemon=True)
    proc.start()
    return proc


def wait_for_event(cluster: FakeCluster, prefix: str, timeout: float = 120) -> float:
    """Wait until the cluster logged an event starting with prefix; return when it happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hits = [t for t, what, _ in cluster.events() if what.startswith(prefix)]
        if hits:
            return hits[0]
        time.sleep(0.05)
    raise AssertionError(f"no '{prefix}' event within {timeout}s: {cluster.events()[-5:]}")
