"""Run checkov on every rendered overlay in the background, started as soon as pytest collected.

checkov renders a kustomization itself (framework kustomize), so each run scans a service
layer written by rollout/kube/render.py over a private copy of k8s/: the objects it checks are
the ones `rollout render` prints, with the service's names, for every contract of CONTRACTS.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from k8s_harness import CONTRACTS, OVERLAYS, contract, copy_k8s

from rollout.kube.render import write_service_layer
from tests.support.kubectl import KUBECTL

CHECKOV = ("uv", "tool", "run", "--from", "checkov==3.2.459", "checkov")
Key = tuple[str, str]  # (contract key, overlay)


def config_for(root: Path, overlay: str) -> Path:
    """Return the checkov config an overlay is checked with (its own, or k8s/.checkov.yaml)."""
    own = root / "overlays" / overlay / ".checkov.yaml"
    return own if own.exists() else root / ".checkov.yaml"


@dataclass
class CheckovRuns:
    """One checkov process per contract and overlay; checkov is slow, so they run beside the
    other tests."""

    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="k8s-checkov-")))
    procs: dict[Key, subprocess.Popen[str]] = field(default_factory=dict)
    results: dict[Key, tuple[int, list[dict[str, Any]], str]] = field(default_factory=dict)

    def start(self) -> None:
        """Start checkov for every service layer over a private copy of k8s/."""
        assert shutil.which("uv"), "uv is needed to run checkov (uv tool run)"
        root = copy_k8s(self.workdir)
        # checkov runs `kubectl kustomize` from PATH: the pinned client, never a machine's.
        env = {**os.environ, "PATH": f"{Path(KUBECTL).parent}{os.pathsep}{os.environ['PATH']}"}
        for key in CONTRACTS:
            for overlay in OVERLAYS:
                layer = write_service_layer(
                    contract(key), root / "overlays" / overlay, self.workdir / key / overlay
                )
                args = ["--config-file", str(config_for(root, overlay)), "-o", "json"]
                self.procs[key, overlay] = subprocess.Popen(
                    [*CHECKOV, *args, "-d", str(layer)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=env,
                )

    def result(self, key: str, overlay: str) -> tuple[int, list[dict[str, Any]], str]:
        """Wait for one run; return its exit status, reports and stderr."""
        if (key, overlay) not in self.results:
            if not self.procs:
                self.start()
            proc = self.procs[key, overlay]
            out, err = proc.communicate(timeout=900)
            parsed = json.loads(out) if out.strip() else []
            reports = parsed if isinstance(parsed, list) else [parsed]
            self.results[key, overlay] = (proc.returncode, reports, err)
        return self.results[key, overlay]

    def stop(self) -> None:
        """Stop any run still going (by its pid) and remove the copy; safe to call twice."""
        for run, proc in self.procs.items():
            if run in self.results:
                continue
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
            self.results[run] = (proc.returncode, [], "stopped before its test ran")
        shutil.rmtree(self.workdir, ignore_errors=True)
