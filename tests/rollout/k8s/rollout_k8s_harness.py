"""The simulated cluster behind the recording `kubectl` stand-in (fake_kubectl.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory

REPO_ROOT = Path(__file__).resolve().parents[3]
FAKE = Path(__file__).resolve().parent / "fake_kubectl.py"
V1, V2 = "registry.example/flask-kit:v1", "registry.example/flask-kit@sha256:" + "ab12" * 16
HEADS = list(ScriptDirectory(str(REPO_ROOT / "app" / "migrations")).get_heads())


@dataclass
class Cluster:
    """The fake cluster's state file, its command log and the kubectl path."""

    state_file: Path
    log_file: Path
    kubectl: Path

    def state(self) -> dict[str, Any]:
        """Read the cluster state."""
        return dict(json.loads(self.state_file.read_text()))

    def update(self, **changes: Any) -> None:
        """Change top-level keys of the state (e.g. fail=...)."""
        state = self.state()
        state.update(changes)
        self.state_file.write_text(json.dumps(state))

    def fail(self, **modes: Any) -> None:
        """Inject failures (see fake_kubectl.py)."""
        state = self.state()
        state["fail"].update(modes)
        self.state_file.write_text(json.dumps(state))

    def calls(self) -> list[list[str]]:
        """Every argv kubectl received, in order (global flags included)."""
        return [json.loads(line) for line in self.log_file.read_text().splitlines()]

    def verbs(self) -> list[str]:
        """The calls as short strings without the global flags: 'set image deployment/app-green'."""
        out = []
        for argv in self.calls():
            args = list(argv)
            for flag in ("--context", "--namespace"):
                if flag in args:
                    i = args.index(flag)
                    del args[i : i + 2]
            out.append(" ".join(a for a in args[:3] if not a.startswith("{")))
        return out


def initial_state() -> dict[str, Any]:
    """Blue serves v1 with two pods; green idles at 0 (scaled down by the last promotion)."""
    return {
        "services": {"app-active": "blue", "app-preview": "green"},
        "endpoints": {"app-active": "blue", "app-preview": "green"},
        "deployments": {
            "app-blue": {"image": V1, "replicas": 2},
            "app-green": {"image": V1, "replicas": 0},
            "app-worker": {"image": V1, "replicas": 1},
        },
        "versions": {V1: "v1", V2: "v2"},
        "jobs": {},
        "job_log": "alembic.util.exc.CommandError: Can't locate revision identified by 'x'",
        "db_heads": HEADS,
        "image_heads": HEADS,
        "fail": {},
    }
