"""Run checkov on every overlay in the background, started as soon as pytest has collected."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from k8s_harness import OVERLAYS, copy_k8s

CHECKOV = ("uv", "tool", "run", "--from", "checkov==3.2.459", "checkov")


def config_for(root: Path, overlay: str) -> Path:
    """Return the checkov config an overlay is checked with (its own, or k8s/.checkov.yaml)."""
    own = root / "overlays" / overlay / ".checkov.yaml"
    return own if own.exists() else root / ".checkov.yaml"


@dataclass
class CheckovRuns:
    """One checkov process per overlay; checkov is slow, so they run beside the other tests."""

    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="k8s-checkov-")))
    procs: dict[str, subprocess.Popen[str]] = field(default_factory=dict)
    results: dict[str, tuple[int, list[dict[str, Any]], str]] = field(default_factory=dict)

    def start(self) -> None:
        """Start checkov for every overlay of a private copy of k8s/."""
        assert shutil.which("uv"), "uv is needed to run checkov (uv tool run)"
        root = copy_k8s(self.workdir)
        for overlay in OVERLAYS:
            args = ["--config-file", str(config_for(root, overlay)), "-o", "json"]
            self.procs[overlay] = subprocess.Popen(
                [*CHECKOV, *args, "-d", str(root / "overlays" / overlay)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )

    def result(self, overlay: str) -> tuple[int, list[dict[str, Any]], str]:
        """Wait for one overlay's run; return its exit status, reports and stderr."""
        if overlay not in self.results:
            if not self.procs:
                self.start()
            proc = self.procs[overlay]
            out, err = proc.communicate(timeout=600)
            parsed = json.loads(out) if out.strip() else []
            reports = parsed if isinstance(parsed, list) else [parsed]
            self.results[overlay] = (proc.returncode, reports, err)
        return self.results[overlay]

    def stop(self) -> None:
        """Stop any run still going (by its pid) and remove the copy; safe to call twice."""
        for overlay, proc in self.procs.items():
            if overlay in self.results:
                continue
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
            self.results[overlay] = (proc.returncode, [], "stopped before its test ran")
        shutil.rmtree(self.workdir, ignore_errors=True)
