"""LocalStack: the whole kit as supervised processes on 127.0.0.1 (stack/README.md)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from kitcore import probe
from kitcore.colours import COLOURS, check_colour, other
from kitcore.contract import CONTRACT_FILE, Contract, load_contract
from kitcore.paths import KIT_ROOT
from kitcore.release import Release, checkout_version, materialise
from stack import services
from stack.appenv import app_environment, write_app_env
from stack.assigned import Assignment, read_release, write_assignment
from stack.certs import ensure_certificates
from stack.config import HOST, SHARED_STATE_ROOT, StackConfig, prepare_state_dir
from stack.credentials import Credentials
from stack.errors import StackError
from stack.nginx import Nginx
from stack.programs import SERVICE_PROGRAMS, build_programs, check_ports_free
from stack.routing import Routing
from stack.service import ServiceCommands
from stack.status import ColourStatus, ProcessStatus, StackStatus
from stack.supervisor import RUNNING, Program, Supervisor, alive
from stack.sysdeps import ensure_system_packages

HEALTH_TIMEOUT = 60.0


class LocalStack:
    """Start, inspect, switch and stop the local stack of one StackConfig."""

    def __init__(
        self,
        config: StackConfig,
        contract: Contract | None = None,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self.contract = contract or load_contract(config.repo_root / CONTRACT_FILE)
        self.state = config.state_dir
        self.supervisor = Supervisor(self.state, config.repo_root)
        self.nginx = Nginx(prefix=self.state / "nginx", conf=self.state / "nginx/conf/nginx.conf")
        self.routing = Routing(config, self.contract, self.nginx, KIT_ROOT / "nginx" / "templates")
        self._echo = echo or (lambda _message: None)
        self.commands = ServiceCommands(self.contract, self.state, self._echo)

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
        return app_environment(self.config, self.credentials, self.contract)

    # -- up / down -----------------------------------------------------------------------------
    def up(self) -> None:
        """Start everything that is not running yet; safe to repeat."""
        ensure_system_packages()
        prepare_state_dir(self.state)
        if self.state.is_relative_to(SHARED_STATE_ROOT):
            self._echo(f"state dir: {self.state} (the checkout's .state is not reachable)")
        creds = self.credentials
        ensure_certificates(self.state / "tls")
        write_app_env(self.config, creds, self.contract)
        blue = read_release(self.state, "blue") or self._initial_release()
        active = self.routing.current()
        undone = self.routing.render(self._releases(), self.state / "tls")
        if undone:
            self._echo(f"a switch to {undone} was never confirmed: traffic stays on {active}")
        programs = self._programs()
        self._check_ports([p.name for p in programs])
        used = self.contract.platform.services
        if "postgres" in used:
            services.init_postgres(self.config, creds)
        self.supervisor.render(programs)
        self.supervisor.ensure_running()
        for name in [s for s in SERVICE_PROGRAMS if s in used]:
            if not self._running(name):
                self._echo(f"starting {name}")
            self.supervisor.start(name)
        if "postgres" in used:
            services.create_app_database(self.config, creds, self.contract.platform.database)
        if "redis" in used:
            services.wait_redis(self.config, creds)
        if "s3" in used:
            services.create_bucket(self.config, creds)
        active_release = read_release(self.state, active) or blue
        self.commands.migrate_if_pending(active_release, self.app_env())
        if not self._running(f"web-{active}"):
            self._echo(f"starting web-{active} ({active_release.version})")
            self._start_colour(active, active_release)
        if any(p.name == "worker" for p in programs):
            self.supervisor.start("worker")
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
        for group in (["nginx"], ["web-blue", "web-green", "worker"], list(SERVICE_PROGRAMS)):
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
    def start_colour(self, colour: str, release: Release) -> None:
        """(Re)start colour's gunicorn on the release; return once it answers as that release."""
        check_colour(colour)
        entry = self.contract.module_file(self.contract.serve.wsgi_module)
        if not (release.source_dir / entry).exists():
            raise StackError(
                f"{release.source_dir} is not a release of {self.contract.name} (no {entry})"
            )
        if not self.supervisor.is_running():
            raise StackError("the local stack is not up (run `make up`)")
        if self._running(f"web-{colour}") and self._receives_traffic(colour):
            raise StackError(f"{colour} is the active colour: start the idle one instead")
        self._start_colour(colour, Release(release.version, release.source_dir.resolve()))

    def stop_colour(self, colour: str, timeout: float = 30) -> None:
        """Stop colour gracefully (SIGTERM drains in-flight requests) and wait for it to exit."""
        check_colour(colour)
        if self._running(f"web-{colour}") and self._receives_traffic(colour):
            # gunicorn closes its socket on SIGTERM: queued public requests would be reset.
            raise StackError(f"{colour} is the active colour: route away from it first")
        self.supervisor.stop([f"web-{colour}"], timeout=timeout)

    def route(self, active: str) -> None:
        """Point public traffic at active and preview at the other colour, and confirm it."""
        check_colour(active)
        if not self._running("nginx"):
            raise StackError("nginx is not running (run `make up`)")
        self._check_health(active, read_release(self.state, active))
        self.routing.switch(active, self._releases(), self._answering_colour)
        self._echo(f"routed: public -> {active}, preview -> {other(active)}")

    def active_colour(self) -> str:
        """Return the colour public traffic goes to."""
        return self.routing.active()

    def release_of(self, colour: str) -> Release | None:
        """Return the release colour was last started with."""
        return read_release(self.state, colour)

    def migrate(self, release: Release) -> None:
        """Run the contract's migration command (upgrade head) from the release, in its venv."""
        self.commands.migrate(release, self.app_env())

    def seed(self) -> None:
        """Run the contract's demo seed command with the serving release (when it has one)."""
        release = read_release(self.state, self.routing.current())
        if release is not None:
            self.commands.seed(release, self.app_env())

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
        for colour, release in self._releases().items():
            routes = "" if active is None else ("public" if colour == active else "preview")
            colours[colour] = ColourStatus(
                colour,
                self.colour_port(colour),
                states.get(f"web-{colour}", "STOPPED"),
                release.version if release else None,
                str(release.source_dir) if release else None,
                routes,
            )
        urls = {"public": self.public_url, "preview": self.preview_url} if procs else {}
        return StackStatus(procs, active, colours, urls)

    # -- internals -----------------------------------------------------------------------------
    def _initial_release(self) -> Release:
        """Make blue's first release from the working tree."""
        version = checkout_version(self.config.repo_root)
        self._echo(f"making release {version} from the working tree")
        path = materialise(self.config.repo_root, self.state / "releases", version)
        release = Release(version, path)
        self._assign("blue", release)
        return release

    def _assign(self, colour: str, release: Release) -> None:
        """Record the colour's release and the venv of its lock (built when new)."""
        write_assignment(self.state, colour, Assignment(release, self.commands.venv(release)))

    def _releases(self) -> dict[str, Release | None]:
        """Return the release each colour was last started with."""
        return {colour: read_release(self.state, colour) for colour in COLOURS}

    def _programs(self) -> list[Program]:
        """Return the programs for the current state (worker from the active release)."""
        used = self.contract.platform.services
        worker = bool(self.contract.serve.worker)
        return build_programs(self.config, self.credentials, self.nginx, used, worker)

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
        return self._running("nginx") and self.routing.current() == colour

    def _start_colour(self, colour: str, release: Release) -> None:
        """Record colour's release, (re)start its program and wait until it answers."""
        name = f"web-{colour}"
        if self._running(name):
            self.supervisor.stop([name], timeout=60)
        self._check_ports([name])
        self._assign(colour, release)
        self.supervisor.start(name)
        self._check_health(colour, release, wait=HEALTH_TIMEOUT)

    def _check_health(self, colour: str, release: Release | None, wait: float = 0) -> None:
        """Require colour to answer as its release (waiting up to wait seconds)."""
        expected = probe.Identity(release.version if release else None, colour)
        tail = functools.partial(self.supervisor.tail, f"web-{colour}")  # read only on failure
        health = self.contract.health
        try:
            probe.wait_for(self.colour_url(colour), health, expected, wait, explain=tail)
        except probe.ProbeError as exc:
            raise StackError(f"{colour} not healthy: {exc}") from exc

    def _answering_colour(self) -> str:
        """Ask through Nginx which colour answers the public URL."""
        try:
            seen = probe.identity(self.public_url, self.contract.health, self.ca_cert_path)
        except probe.ProbeError as exc:
            raise StackError(f"no answer through nginx: {exc}") from exc
        return seen.colour or "no colour"

    def _start_nginx(self) -> None:
        """Start Nginx, or reload it gracefully when it already runs; check it answers."""
        self.nginx.test()
        if self._running("nginx"):
            self.nginx.reload(self.state / "nginx" / "run" / "nginx.pid")
        else:
            self.supervisor.start("nginx")
        wanted = probe.Identity(None, self.routing.current())
        try:
            probe.wait_for(self.public_url, self.contract.health, wanted, 15, self.ca_cert_path)
        except probe.ProbeError as exc:
            raise StackError(f"nginx does not route to the active colour: {exc}") from exc
