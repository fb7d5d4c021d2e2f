"""The supervised programs of a stack, and the loopback ports each one needs."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from kitcore.colours import COLOURS
from stack import services
from stack.config import HOST, StackConfig
from stack.credentials import Credentials
from stack.errors import StackError
from stack.nginx import Nginx
from stack.ports import describe_holder, port_free
from stack.supervisor import Program

SERVICE_PROGRAMS = ("postgres", "redis", "s3")


def build_programs(
    cfg: StackConfig,
    creds: Credentials,
    nginx: Nginx,
    services_used: Sequence[str],
    worker: bool,
) -> list[Program]:
    """Return the programs: the services the contract uses, both colours, worker, Nginx."""
    launch = [sys.executable, "-m", "stack.launch", str(cfg.state_dir)]
    makers = {
        "postgres": lambda: services.postgres_program(cfg),
        "redis": lambda: services.redis_program(cfg, creds),
        "s3": lambda: services.s3_program(cfg, creds),
    }
    programs = [makers[name]() for name in SERVICE_PROGRAMS if name in services_used]
    # stopwaitsecs above gunicorn's graceful timeout (30 s): SIGTERM drains, then SIGKILL.
    programs += [
        Program(f"web-{c}", [*launch, "colour", c], cfg.repo_root, priority=50, stopwaitsecs=40)
        for c in COLOURS
    ]
    if worker:
        programs.append(
            Program("worker", [*launch, "worker"], cfg.repo_root, priority=60, stopwaitsecs=40)
        )
    # QUIT is Nginx's graceful shutdown: in-flight requests finish.
    nginx_cmd = nginx.command("-g", "daemon off;")
    programs.append(
        Program("nginx", nginx_cmd, nginx.prefix, priority=90, stopsignal="QUIT", stopwaitsecs=30)
    )
    return programs


def ports_of(cfg: StackConfig, name: str) -> list[tuple[int, str]]:
    """Return the ports program name listens on, each with a name for messages."""
    return [
        (port, what)
        for what, port in cfg.ports().items()
        if what == name or what.startswith(f"{name} ")
    ]


def check_ports_free(cfg: StackConfig, names: list[str]) -> None:
    """Fail with one clear line naming the first taken port of the named programs."""
    for name in names:
        for port, what in ports_of(cfg, name):
            if not port_free(port, HOST):
                raise StackError(
                    f"port {port} ({what}) on {HOST} is already taken: {describe_holder(port)}"
                )
