"""LocalStack: the whole kit as supervised processes on 127.0.0.1 (see docs in nginx/README.md)."""

from __future__ import annotations

import functools
import json
import os
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rollout.stack import services
from rollout.stack.certs import ensure_certificates
from rollout.stack.colours import Release, read_release, write_release
from rollout.stack.config import (
    COLOURS,
    HOST,
    SHARED_STATE_ROOT,
    StackConfig,
    check_colour,
    other_colour,
)
from rollout.stack.credentials import Credentials
from rollout.stack.errors import StackError
from rollout.stack.nginx import (
    Listeners,
    Nginx,
    Route,
    prepare_prefix,
    read_colour,
    switch_upstreams,
)
from rollout.stack.probes import answering_colour, wait_answering, wait_healthy
from rollout.stack.proc import run
from rollout.stack.programs import build_programs, check_ports_free
from rollout.stack.releases import release_from_worktree, worktree_version
from rollout.stack.status import ColourStatus, ProcessStatus, StackStatus
from rollout.stack.supervisor import RUNNING, Program, Supervisor, alive
from rollout.stack.sysdeps import ensure_system_packages, venv_bin

SERVICES = ("postgres", "redis", "s3")
HEALTH_TIMEOUT = 60.0


class LocalStack:
    """Start, inspect, switch and stop the local stack of one StackConfig."""

    def __init__(self, config: StackConfig, echo: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.state = config.state_dir
        self.supervisor = Supervisor(self.state, config.repo_root)
        self.templates = config.repo_root / "nginx" / "templates"
        self.nginx = Nginx(prefix=self.state / "nginx", conf=self.state / "nginx/conf/nginx.conf")
        self._echo = echo or (lambda _message: None)

    # -- addresses ---------------------------------------------------------------------------
    @property
    def public_url(self) -> str:
        """Return the public HTTPS URL (routes to the active colour)."""
        return f"https://{HOST}:{self.config.https_port}"

    @property
    def preview_url(self) -> str:
        """Return the preview HTTPS URL (routes to the idle colour)."""
        return f"https://{HOST}:{self.config.preview_port}"

    @property
    def ca_cert_path(self) -> Path:
        """Return the local CA certificate clients must trust."""
        return self.state / "tls" / "ca.pem"

    @property
    def nginx_conf_paths(self) -> list[Path]:
        """Return the rendered Nginx config files."""
        return sorted((self.state / "nginx" / "conf").rglob("*.conf"))

    def colour_port(self, colour: str) -> int:
        """Return the loopback port of colour's gunicorn."""
        return self.config.colour_port(colour)

    def colour_url(self, colour: str) -> str:
        """Return colour's direct URL (bypassing Nginx)."""
        return f"http://{HOST}:{self.colour_port(colour)}"

    @property
    def credentials(self) -> Credentials:
        """Return the stack's generated credentials (created on first use)."""
        return Credentials.load_or_create(self.state / "credentials.json")

    def app_env(self) -> dict[str, str]:
        """Return the environment app processes get (services, secrets, gunicorn sizing)."""
        c, cfg = self.credentials, self.config
        return {
            "APP_ENV": "production",
            "SECRET_KEY": c.secret_key,
            "DATABASE_URL": (
                f"postgresql://{services.APP_ROLE}:{c.postgres_app_password}"
                f"@{HOST}:{cfg.postgres_port}/{services.APP_DB}"
            ),
            "REDIS_URL": f"redis://:{c.redis_password}@{HOST}:{cfg.redis_port}/0",
            "S3_ENDPOINT_URL": f"http://{HOST}:{cfg.s3_port}",
            "S3_BUCKET": cfg.bucket,
            "S3_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": c.s3_app_key,
            "AWS_SECRET_ACCESS_KEY": c.s3_app_secret,
            "FORWARDED_ALLOW_IPS": HOST,
            # Nginx is the one proxy in front: trust its X-Forwarded-For for client addresses
            # (rate limits key on them), and nothing further out.
            "TRUSTED_PROXY_HOPS": "1",
            "GUNICORN_WORKERS": str(cfg.gunicorn_workers),
            "GUNICORN_THREADS": str(cfg.gunicorn_threads),
            "LOG_LEVEL": "INFO",
        }

    # -- up / down -----------------------------------------------------------------------------
    def up(self) -> None:
        """Start everything that is not running yet; safe to repeat."""
        ensure_system_packages(self.config.repo_root)
        self._prepare_state_dir()
        if self.state != self.config.repo_root / ".state":
            self._echo(f"state dir: {self.state} (the checkout's .state is not reachable)")
        creds = self.credentials
        ensure_certificates(self.state / "tls")
        self._write_app_env()
        blue = read_release(self.state, "blue") or self._initial_release()
        active = self._current_active()
        self._render_nginx(active)
        programs = self._programs()
        self._check_ports([p.name for p in programs])
        services.init_postgres(self.config, creds)
        self.supervisor.render(programs)
        self.supervisor.ensure_running()
        for name in SERVICES:
            if not self._running(name):
                self._echo(f"starting {name}")
            self.supervisor.start(name)
        services.create_app_database(self.config, creds)
        services.wait_redis(self.config, creds)
        services.create_bucket(self.config, creds)
        active_release = read_release(self.state, active) or blue
        self._migrate_once(active_release)
        if not self._running(f"app-{active}"):
            self._echo(f"starting app-{active} ({active_release.version})")
            self._start_colour(active, active_release)
        if any(p.name == "worker" for p in programs):
            self.supervisor.start("worker")
        else:
            self._echo("no app.worker module in the release: worker not started")
        self._start_nginx()
        self._echo(f"up: {self.public_url} (active {active}), preview {self.preview_url}")

    def down(self) -> None:
        """Stop every program (Nginx first, then the app, then services) and supervisord."""
        infos = self.supervisor.all_info()
        if not infos:
            self._echo("local stack is not running")
            return
        pids = [i["pid"] for i in infos if i["pid"]]
        names = {i["name"] for i in infos}
        for group in (["nginx"], ["app-blue", "app-green", "worker"], list(SERVICES)):
            present = [n for n in group if n in names]
            if present:
                self._echo(f"stopping {', '.join(present)}")
                self.supervisor.stop(present, timeout=60)
        self.supervisor.shutdown()
        left = [pid for pid in pids if alive(pid)]
        if left:
            raise StackError(f"processes still running after down: {left}")
        self._echo("down: nothing left running")

    # -- colours -------------------------------------------------------------------------------
    def start_colour(self, colour: str, release_dir: Path, version: str) -> None:
        """(Re)start colour's gunicorn on release_dir as version; return once it is healthy."""
        check_colour(colour)
        if not (release_dir / "app" / "wsgi.py").exists():
            raise StackError(f"{release_dir} is not a release (no app/wsgi.py)")
        if not self.supervisor.is_running():
            raise StackError("the local stack is not up (run `make up`)")
        if self._running(f"app-{colour}") and self._receives_traffic(colour):
            raise StackError(f"{colour} is the active colour: start the idle one instead")
        self._start_colour(colour, Release(release_dir.resolve(), version))

    def stop_colour(self, colour: str, timeout: float = 30) -> None:
        """Stop colour gracefully (SIGTERM drains in-flight requests) and wait for it to exit."""
        check_colour(colour)
        if self._running(f"app-{colour}") and self._receives_traffic(colour):
            # gunicorn closes its socket on SIGTERM: queued public requests would be reset.
            raise StackError(f"{colour} is the active colour: route away from it first")
        self.supervisor.stop([f"app-{colour}"], timeout=timeout)

    def route(self, active: str) -> None:
        """Point public traffic at active and preview at the other colour, and confirm it."""
        check_colour(active)
        if not self._running("nginx"):
            raise StackError("nginx is not running (run `make up`)")
        self._check_health(active, read_release(self.state, active))
        switch_upstreams(
            self.nginx,
            self.templates,
            self.state / "nginx" / "run" / "nginx.pid",
            self._route(active),
            self._route(other_colour(active)),
            self._answering_colour,
        )
        self._echo(f"routed: public -> {active}, preview -> {other_colour(active)}")

    def active_colour(self) -> str:
        """Return the colour the public upstream include names."""
        include = self.state / "nginx" / "conf" / "upstream" / "active.conf"
        if not include.exists():
            raise StackError(f"no upstream include at {include}: run `make up`")
        return read_colour(include)

    def migrate(self, release_dir: Path) -> None:
        """Run `flask db upgrade` from release_dir against the stack's database."""
        env = self.app_env() | {
            "FLASK_APP": "app.wsgi",
            "PYTHONPATH": str(release_dir),
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        }
        run([str(venv_bin("flask")), "db", "upgrade"], env=env, cwd=release_dir, timeout=300)

    def status(self) -> StackStatus:
        """Report programs, the active colour and each colour's release."""
        infos = self.supervisor.all_info()
        procs = [ProcessStatus(i["name"], i["pid"] or None, i["statename"]) for i in infos]
        states = {p.name: p.state for p in procs}
        try:
            active: str | None = self.active_colour()
        except StackError:
            active = None
        colours = {}
        for colour in COLOURS:
            release = read_release(self.state, colour)
            routes = "" if active is None else ("public" if colour == active else "preview")
            colours[colour] = ColourStatus(
                colour,
                self.colour_port(colour),
                states.get(f"app-{colour}", "STOPPED"),
                release.version if release else None,
                str(release.release_dir) if release else None,
                routes,
            )
        urls = {"public": self.public_url, "preview": self.preview_url} if procs else {}
        return StackStatus(procs, active, colours, urls)

    # -- internals -----------------------------------------------------------------------------
    def _prepare_state_dir(self) -> None:
        """Create the state dir, traversable by the postgres user and Nginx workers (nobody)."""
        self.state.mkdir(parents=True, exist_ok=True)
        for own in (self.state, *[p for p in self.state.parents if p == SHARED_STATE_ROOT]):
            info = own.lstat()
            if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
                raise StackError(f"{own} is not a directory of this user: refusing to use it")
        self.state.chmod(0o755)
        for parent in [self.state, *self.state.parents]:
            if not parent.stat().st_mode & stat.S_IXOTH:
                raise StackError(
                    f"{parent} is not traversable by other users (postgres, nginx workers): "
                    f"chmod o+x {parent} or set KIT_STATE_DIR elsewhere"
                )

    def _write_app_env(self) -> None:
        """Store the app environment for the launcher (0600: it holds secrets)."""
        binds = {f"KIT_{c.upper()}_BIND": f"{HOST}:{self.colour_port(c)}" for c in COLOURS}
        path = self.state / "app-env.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(self.app_env() | binds, handle, indent=2)

    def _initial_release(self) -> Release:
        """Make blue's first release from the working tree."""
        version = worktree_version(self.config.repo_root)
        self._echo(f"making release {version} from the working tree")
        path = release_from_worktree(self.config.repo_root, self.state / "releases", version)
        release = Release(path, version)
        write_release(self.state, "blue", release)
        return release

    def _current_active(self) -> str:
        """Return the active colour, blue on a fresh state dir."""
        try:
            return self.active_colour()
        except StackError:
            return "blue"

    def _route(self, colour: str) -> Route:
        """Return colour's upstream target (its release's app dir for static files)."""
        release = read_release(self.state, colour) or read_release(self.state, "blue")
        app_root = release.release_dir / "app" if release else self.state / "releases"
        return Route(colour, self.colour_port(colour), app_root)

    def _render_nginx(self, active: str) -> None:
        """Render the whole Nginx config, keeping the current routing."""
        tls = self.state / "tls"
        listeners = Listeners(
            self.state / "nginx",
            self.config.http_port,
            self.config.https_port,
            self.config.preview_port,
            tls / "server.pem",
            tls / "server.key",
            self.config.hsts_max_age,
        )
        prepare_prefix(
            self.templates, listeners, self._route(active), self._route(other_colour(active))
        )

    def _programs(self) -> list[Program]:
        """Return the programs for the current state (worker from the active release)."""
        release = read_release(self.state, self._current_active())
        return build_programs(
            self.config, self.credentials, self.nginx, release.release_dir if release else None
        )

    def _check_ports(self, names: list[str]) -> None:
        """Fail with one clear line when a port of a program that is not running is taken."""
        check_ports_free(self.config, [n for n in names if not self._running(n)])

    def _running(self, name: str) -> bool:
        """Tell whether supervisor runs program name."""
        return any(
            i["name"] == name and i["statename"] == RUNNING for i in self.supervisor.all_info()
        )

    def _receives_traffic(self, colour: str) -> bool:
        """Tell whether public traffic can reach colour (Nginx up and routing to it)."""
        return self._running("nginx") and self._current_active() == colour

    def _start_colour(self, colour: str, release: Release) -> None:
        """Record colour's release, (re)start its program and wait for its /healthz."""
        name = f"app-{colour}"
        if self._running(name):
            self.supervisor.stop([name], timeout=60)
        self._check_ports([name])
        write_release(self.state, colour, release)
        self.supervisor.start(name)
        self._check_health(colour, release, wait=HEALTH_TIMEOUT)

    def _check_health(self, colour: str, release: Release | None, wait: float = 0) -> None:
        """Require colour's /healthz to answer with its release's version (waiting up to wait)."""
        version = release.version if release else None
        tail = functools.partial(self.supervisor.tail, f"app-{colour}")  # read only on failure
        wait_healthy(self.colour_url(colour), colour, version, wait, tail)

    def _answering_colour(self) -> str:
        """Ask through Nginx which colour answers the public URL."""
        return answering_colour(self.public_url, self.ca_cert_path)

    def _migrate_once(self, release: Release) -> None:
        """Migrate for a release once (a marker per version); later ups skip it."""
        marker = self.state / "migrations" / f"{release.version}.done"
        if marker.exists():
            return
        self._echo(f"migrating the database for {release.version}")
        self.migrate(release.release_dir)
        marker.parent.mkdir(exist_ok=True)
        marker.write_text(time.strftime("%Y-%m-%dT%H:%M:%S%z\n"))

    def _start_nginx(self) -> None:
        """Start Nginx, or reload it gracefully when it already runs; check it answers."""
        self.nginx.test()
        if self._running("nginx"):
            self.nginx.reload(self.state / "nginx" / "run" / "nginx.pid")
        else:
            self.supervisor.start("nginx")
        wait_answering(self.public_url, self.ca_cert_path, self._current_active(), wait=15)
