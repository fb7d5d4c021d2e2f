"""Render the nginx/ templates and drive a private Nginx: test, graceful reload, wait."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from stack.errors import StackError
from stack.proc import run

SUFFIX = ".template"
# envsubst-style: only ${UPPER_CASE} is ours; nginx's own $variables are lower case.
_VARIABLE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
# `http2 on;` exists since nginx 1.25.1; older builds take `listen ... ssl http2`.
HTTP2_DIRECTIVE_SINCE = (1, 25, 1)


def render_text(text: str, variables: Mapping[str, str], legacy_http2: bool = False) -> str:
    """Substitute ${VAR} like envsubst, refusing any variable that has no value."""
    missing = sorted({m for m in _VARIABLE.findall(text) if m not in variables})
    if missing:
        raise StackError(f"nginx template variables without a value: {', '.join(missing)}")
    rendered = _VARIABLE.sub(lambda m: variables[m.group(1)], text)
    if legacy_http2:
        rendered = re.sub(r"^\s*http2 on;\n", "", rendered, flags=re.MULTILINE)
        rendered = re.sub(r"(listen\s+\S+\s+ssl)\b", r"\1 http2", rendered)
    return rendered


def render_tree(
    src: Path, dst: Path, variables: Mapping[str, str], only: tuple[str, ...] = ()
) -> list[Path]:
    """Render every *.template under src into dst (same layout, suffix dropped)."""
    legacy = nginx_version() < HTTP2_DIRECTIVE_SINCE
    written = []
    for template in sorted(src.rglob(f"*{SUFFIX}")):
        relative = template.relative_to(src).as_posix().removesuffix(SUFFIX)
        if only and relative not in only:
            continue
        target = dst / relative
        write_atomic(target, render_text(template.read_text(), variables, legacy))
        written.append(target)
    return written


def write_atomic(path: Path, text: str) -> None:
    """Replace a file in one rename so Nginx never reads a half-written include."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@cache
def nginx_binary() -> str:
    """Return nginx's path; /usr/sbin is not on a normal user's PATH on Debian."""
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    return shutil.which("nginx", path=path) or "nginx"


def nginx_version(binary: str = "") -> tuple[int, ...]:
    """Return the installed nginx version, e.g. (1, 22, 1)."""
    out = run([binary or nginx_binary(), "-v"]).stderr
    match = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out)
    if not match:
        raise StackError(f"cannot read the nginx version from: {out.strip()}")
    return tuple(int(part) for part in match.groups())


# The access log under an instance's prefix (kit_json lines; rollout/verify/access_log.py).
ACCESS_LOG = "logs/access.log"


@dataclass(frozen=True)
class Nginx:
    """One private Nginx instance: its prefix (pid, logs, temp) and main config file."""

    prefix: Path
    conf: Path
    binary: str = field(default_factory=nginx_binary)

    def command(self, *extra: str) -> list[str]:
        """Build an nginx command line for this instance."""
        return [self.binary, "-p", f"{self.prefix}/", "-c", str(self.conf), *extra]

    def test(self) -> None:
        """Run `nginx -t`; raise with nginx's own message when the config is broken."""
        proc = run(self.command("-t", "-q"), check=False)
        if proc.returncode != 0:
            raise StackError(f"nginx -t failed: {proc.stderr.strip()}")

    def master_pid(self, pid_file: Path) -> int:
        """Return the master's pid from its pid file, checking it is alive."""
        try:
            pid = int(pid_file.read_text().strip())
            os.kill(pid, 0)
        except (OSError, ValueError) as exc:
            raise StackError(f"nginx is not running (pid file {pid_file})") from exc
        return pid

    def reload(self, pid_file: Path, timeout: float = 45.0) -> None:
        """Reload gracefully and return once every worker from before the reload has exited.

        The timeout is above worker_shutdown_timeout (30 s), after which Nginx itself closes
        what old workers still hold.
        """
        master = self.master_pid(pid_file)
        old_workers = children(master)
        # `-s reload` (unlike a bare HUP) reports a config it cannot load.
        proc = run(self.command("-s", "reload"), check=False)
        if proc.returncode != 0:
            raise StackError(f"nginx reload failed: {proc.stderr.strip()}")
        deadline = time.monotonic() + timeout
        while True:
            remaining = old_workers & children(master)
            if not remaining:
                return
            if time.monotonic() > deadline:
                raise StackError(f"old nginx workers still running after {timeout}s: {remaining}")
            time.sleep(0.02)


def children(pid: int) -> set[int]:
    """Return the pids of pid's child processes (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 (ppid) follows the parenthesised command name, which may contain spaces.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


@dataclass(frozen=True)
class Listeners:
    """What a rendered config needs besides the upstreams: ports, certificate, paths."""

    prefix: Path
    http_port: int
    https_port: int
    preview_port: int
    tls_cert: Path
    tls_key: Path
    hsts_max_age: int
    service: Mapping[str, str] = field(default_factory=dict)  # proxy_variables(contract)
    host: str = "127.0.0.1"

    def variables(self) -> dict[str, str]:
        """Return the ${NGINX_*} values for the main config and snippets."""
        return {
            "NGINX_PID": str(self.prefix / "run" / "nginx.pid"),
            "NGINX_ERROR_LOG": str(self.prefix / "logs" / "error.log"),
            "NGINX_ACCESS_LOG": str(self.prefix / ACCESS_LOG),
            "NGINX_TEMP_DIR": str(self.prefix / "temp"),
            "NGINX_HTTP_LISTEN": f"{self.host}:{self.http_port}",
            "NGINX_HTTPS_LISTEN": f"{self.host}:{self.https_port}",
            "NGINX_PREVIEW_LISTEN": f"{self.host}:{self.preview_port}",
            "NGINX_HTTPS_PORT": str(self.https_port),
            "NGINX_SERVER_NAME": "localhost 127.0.0.1",
            "NGINX_TLS_CERT": str(self.tls_cert),
            "NGINX_TLS_KEY": str(self.tls_key),
            "NGINX_HSTS_MAX_AGE": str(self.hsts_max_age),
            **self.service,
        }
