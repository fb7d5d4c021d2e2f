"""Blue-green routing: which colour the public and preview listeners send to, and the switch.

The public and preview upstreams live in two small include files (nginx/templates/upstream/).
A switch rewrites both atomically, checks the config (`nginx -t`), reloads gracefully, waits for
every pre-reload worker to exit, then confirms which colour answers; on any failure the previous
files are put back. The routing record (routing.json) is the truth: it names the confirmed
colour, and a switch in flight as `pending`. The include files are rendered from the record,
so a switch killed half-way (files rewritten, not reloaded; or reloaded, not confirmed) is
undone by the next render and reload (`stack up`) instead of moving traffic silently.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from kitcore.colours import other
from kitcore.contract import Contract
from kitcore.proxy import proxy_variables
from kitcore.release import Release
from stack.config import HOST, StackConfig
from stack.errors import StackError
from stack.nginx import Listeners, Nginx, render_tree, write_atomic

UPSTREAM_FILES = ("upstream/active.conf", "upstream/preview.conf")
RECORD_FILE = "routing.json"


@dataclass(frozen=True)
class RoutingRecord:
    """The confirmed public colour, and a switch in flight (None when there is none)."""

    active: str
    pending: str | None = None


def read_record(prefix: Path) -> RoutingRecord | None:
    """Return the routing record of an Nginx prefix, if one was written."""
    path = prefix / RECORD_FILE
    if not path.exists():
        return None
    raw = json.loads(path.read_text())
    return RoutingRecord(str(raw["active"]), raw.get("pending"))


def write_record(prefix: Path, record: RoutingRecord) -> None:
    """Replace the routing record in one rename."""
    write_atomic(prefix / RECORD_FILE, json.dumps(asdict(record)) + "\n")


@dataclass(frozen=True)
class Route:
    """Which colour a listener sends to: its name, gunicorn address and app directory."""

    colour: str
    port: int
    app_root: Path


def upstream_variables(active: Route, preview: Route, host: str = HOST) -> dict[str, str]:
    """Return the ${NGINX_*} values of the two upstream include files."""
    return {
        "NGINX_ACTIVE_COLOUR": active.colour,
        "NGINX_ACTIVE_SERVER": f"{host}:{active.port}",
        "NGINX_ACTIVE_ROOT": str(active.app_root),
        "NGINX_PREVIEW_COLOUR": preview.colour,
        "NGINX_PREVIEW_SERVER": f"{host}:{preview.port}",
        "NGINX_PREVIEW_ROOT": str(preview.app_root),
    }


def prepare_prefix(templates: Path, listeners: Listeners, active: Route, preview: Route) -> Nginx:
    """Render the whole config into prefix/conf and create its run, log and temp dirs."""
    for sub in ("run", "logs", "temp", "conf"):
        (listeners.prefix / sub).mkdir(parents=True, exist_ok=True)
    variables = listeners.variables() | upstream_variables(active, preview)
    render_tree(templates, listeners.prefix / "conf", variables)
    return Nginx(prefix=listeners.prefix, conf=listeners.prefix / "conf" / "nginx.conf")


def read_colour(include: Path) -> str:
    """Return the colour an upstream include names (its `# kit-colour:` line)."""
    match = re.search(r"^# kit-colour: (\w+)$", include.read_text(), flags=re.MULTILINE)
    if not match:
        raise StackError(f"{include} names no colour")
    return match.group(1)


def switch_upstreams(
    nginx: Nginx,
    templates: Path,
    pid_file: Path,
    active: Route,
    preview: Route,
    confirm: Callable[[], str],
) -> None:
    """Point the public upstream at active (preview at the other), reload, confirm.

    On any failure the previous include files are restored (and reloaded when the new
    ones had been loaded), then StackError says what went wrong.
    """
    conf_dir = nginx.conf.parent
    previous = {name: (conf_dir / name).read_text() for name in UPSTREAM_FILES}

    def restore(reload: bool) -> None:
        for name, text in previous.items():
            write_atomic(conf_dir / name, text)
        if reload:
            # Best effort: the error that brought us here is the one to report.
            with contextlib.suppress(StackError):
                nginx.reload(pid_file)

    render_tree(templates, conf_dir, upstream_variables(active, preview), only=UPSTREAM_FILES)
    try:
        nginx.test()
    except StackError:
        restore(reload=False)
        raise
    try:
        nginx.reload(pid_file)
    except StackError:
        restore(reload=True)
        raise
    try:
        answered = confirm()
    except StackError as exc:
        restore(reload=True)
        raise StackError(f"switch to {active.colour} not confirmed: {exc}") from exc
    if answered != active.colour:
        restore(reload=True)
        raise StackError(f"switch to {active.colour} not confirmed: {answered!r} answered")


class Routing:
    """The routing of one stack: its Nginx prefix, templates and colours' releases."""

    def __init__(
        self, config: StackConfig, contract: Contract, nginx: Nginx, templates: Path
    ) -> None:
        self.config, self.contract, self.nginx, self.templates = config, contract, nginx, templates
        self.conf_dir = nginx.conf.parent
        self.pid_file = nginx.prefix / "run" / "nginx.pid"

    def active(self) -> str:
        """Return the confirmed public colour (the record; before any, the include file's)."""
        record = read_record(self.nginx.prefix)
        if record is not None:
            return record.active
        include = self.conf_dir / UPSTREAM_FILES[0]
        if not include.exists():
            raise StackError(f"no upstream include at {include}: run `make up`")
        return read_colour(include)

    def pending(self) -> str | None:
        """Return the colour of a switch that was started and never confirmed, if any."""
        record = read_record(self.nginx.prefix)
        return record.pending if record else None

    def current(self) -> str:
        """Return the active colour, blue on a fresh state dir."""
        try:
            return self.active()
        except StackError:
            return "blue"

    def route(self, colour: str, release: Release | None) -> Route:
        """Return colour's upstream target; the release's static files are served from it."""
        static_dir = self.contract.nginx.static_dir
        # Nginx appends the whole URI to root: root is the static dir's parent. Without static
        # files the root is a dir with none, so every static request falls back to the app.
        if release and static_dir:
            root = (release.source_dir / static_dir).parent
        else:
            root = self.config.state_dir / "no-static-files"
        return Route(colour, self.config.colour_port(colour), root)

    def render(self, releases: dict[str, Release | None], tls_dir: Path) -> str | None:
        """Render the whole config from the record; return an unconfirmed switch it undid."""
        active = self.current()
        undone = self.pending()
        listeners = Listeners(
            self.nginx.prefix,
            self.config.http_port,
            self.config.https_port,
            self.config.preview_port,
            tls_dir / "server.pem",
            tls_dir / "server.key",
            self.config.hsts_max_age,
            proxy_variables(self.contract),
        )
        blue = releases.get("blue")
        routes = {c: self.route(c, releases.get(c) or blue) for c in (active, other(active))}
        prepare_prefix(self.templates, listeners, routes[active], routes[other(active)])
        write_record(self.nginx.prefix, RoutingRecord(active))
        return undone

    def switch(
        self, active: str, releases: dict[str, Release | None], confirm: Callable[[], str]
    ) -> None:
        """Send public traffic to active and preview to the other colour, and confirm it."""
        blue = releases.get("blue")
        routes = {c: self.route(c, releases.get(c) or blue) for c in (active, other(active))}
        before = self.current()
        # Recorded before anything moves: a switch killed from here on is undone by `up`.
        write_record(self.nginx.prefix, RoutingRecord(before, pending=active))
        try:
            switch_upstreams(
                self.nginx, self.templates, self.pid_file,
                routes[active], routes[other(active)], confirm,
            )  # fmt: skip
        except BaseException:
            write_record(self.nginx.prefix, RoutingRecord(before))  # the files were put back
            raise
        write_record(self.nginx.prefix, RoutingRecord(active))
