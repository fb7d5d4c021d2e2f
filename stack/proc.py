"""Run external programs (argument lists we build ourselves, never a shell)."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from stack.errors import StackError


def run(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    check: bool = True,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run cmd, capture its output; with check, raise StackError naming it on failure."""
    try:
        proc = subprocess.run(  # noqa: S603 - fixed argument lists, no shell
            list(cmd),
            env=None if env is None else dict(env),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StackError(f"cannot run {cmd[0]}: {exc}") from exc
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        message = " / ".join(detail[-3:]) or f"exit {proc.returncode}"
        raise StackError(f"{Path(cmd[0]).name} failed: {message}")
    return proc
