"""The one place that runs kubectl: argv lists, --context/--namespace, timeouts, JSON parsed.

Every call goes through `Kubectl._spawn` (one-shot) or `Kubectl.popen` (long-running, e.g.
port-forward), so a test can put a stand-in cluster's `kubectl` first on PATH, or pass
`binary=`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rollout.errors import TargetError

Obj = dict[str, Any]


def default_binary() -> str:
    """Return the user's kubectl from PATH, else the client pinned in uv.lock (in this venv)."""
    return shutil.which("kubectl") or str(Path(sys.executable).with_name("kubectl"))


class KubectlError(TargetError):
    """A kubectl call failed, timed out or answered something unreadable."""


@dataclass(frozen=True)
class Result:
    """What a finished kubectl call printed."""

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Kubectl:
    """kubectl bound to one context and namespace (context None: kubeconfig's current one)."""

    namespace: str
    context: str | None = None
    binary: str = field(default_factory=default_binary)
    timeout_s: float = 60.0
    calls: list[list[str]] = field(default_factory=list)

    def argv(self, *args: str, cluster: bool = True) -> list[str]:
        """Build the argv; cluster=False for offline calls (kustomize, --local)."""
        head = [self.binary]
        if cluster:
            if self.context:
                head += ["--context", self.context]
            head += ["--namespace", self.namespace]
        return [*head, *args]

    def _spawn(self, argv: list[str], stdin: str | None, timeout: float) -> Result:
        self.calls.append(argv)
        try:
            proc = subprocess.run(  # noqa: S603 - argv list, no shell
                argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
            )
        except FileNotFoundError as exc:
            raise KubectlError(f"{self.binary} not found: install kubectl") from exc
        except subprocess.TimeoutExpired as exc:
            raise KubectlError(f"`{_show(argv)}` did not finish within {timeout:.0f}s") from exc
        return Result(argv, proc.returncode, proc.stdout, proc.stderr)

    def run(
        self,
        *args: str,
        stdin: str | None = None,
        timeout: float | None = None,
        check: bool = True,
        cluster: bool = True,
    ) -> Result:
        """Run kubectl; raise KubectlError naming the command and its stderr when it fails."""
        result = self._spawn(self.argv(*args, cluster=cluster), stdin, timeout or self.timeout_s)
        if check and result.returncode != 0:
            raise KubectlError(
                f"`{_show(result.argv)}` exited {result.returncode}: {_last(result.stderr)}"
            )
        return result

    def json(self, *args: str, stdin: str | None = None, cluster: bool = True) -> Any:
        """Run a command with `-o json` and return the parsed answer."""
        out = self.run(*args, "-o", "json", stdin=stdin, cluster=cluster).stdout
        try:
            return json.loads(out) if out.strip() else None
        except ValueError as exc:
            raise KubectlError(f"`kubectl {' '.join(args)}` printed no JSON: {out[:200]}") from exc

    def get(self, kind: str, *names: str, selector: str | None = None) -> list[Obj]:
        """Return the objects of a kind (by names, or by label selector)."""
        args = ["get", kind, *names]
        if selector:
            args += ["-l", selector]
        answer = self.json(*args)
        if not isinstance(answer, dict):
            return []
        if str(answer.get("kind", "")).endswith("List"):
            return list(answer.get("items") or [])
        return [answer]

    def get_one(self, kind: str, name: str, *, missing_ok: bool = False) -> Obj | None:
        """Return one object, or None when missing_ok and it does not exist."""
        args = ["get", kind, name, *(["--ignore-not-found"] if missing_ok else [])]
        answer = self.json(*args)
        if not isinstance(answer, dict) or not answer:
            return None  # --ignore-not-found prints nothing...
        if str(answer.get("kind", "")).endswith("List"):  # ...or an empty List, by version
            items = answer.get("items") or []
            return dict(items[0]) if items else None
        return answer

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """Start a long-running kubectl (stdout piped, stderr merged); the caller stops it."""
        argv = self.argv(*args)
        self.calls.append(argv)
        try:
            return subprocess.Popen(  # noqa: S603 - argv list, no shell
                argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
            )
        except FileNotFoundError as exc:
            raise KubectlError(f"{self.binary} not found: install kubectl") from exc

    def host_url(self, pod: str, container: str) -> str:
        """Return the testinfra kubectl:// host string of a pod's container."""
        url = f"kubectl://{pod}?namespace={self.namespace}&container={container}"
        return url + (f"&context={self.context}" if self.context else "")


def _show(argv: list[str]) -> str:
    return " ".join(argv)


def _last(stderr: str) -> str:
    """Return the last few lines of stderr (kubectl puts the cause last)."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return " | ".join(lines[-3:]) or "(no error output)"
