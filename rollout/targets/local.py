"""The local target: colours are gunicorn processes of the local stack behind its Nginx."""

from __future__ import annotations

import contextlib
import dataclasses
import getpass
from collections.abc import Iterator
from pathlib import Path

from kitcore.contract import Contract
from kitcore.migrations import database_heads, pending_revisions
from kitcore.release import Release, ReleaseError, checkout_version, materialise
from rollout.errors import TargetError
from rollout.store import FileStore, Store
from rollout.targets.base import LoadRequest, ReleaseRequest, TargetStatus, load_from_here
from rollout.verify.access_log import AccessLogObserver
from rollout.verify.loadrun import LoadResult
from rollout.verify.observe import Observer
from rollout.verify.smoke import smoke
from rollout.verify.testinfra import COLOUR_CHECKS, ColourSpec, run_testinfra, service_facts
from rollout.verify.verdict import Verdict
from stack import LocalStack, StackConfig, StackError
from stack.nginx import ACCESS_LOG


@contextlib.contextmanager
def stack_call(what: str) -> Iterator[None]:
    """Turn the stack's errors into target errors that say which call failed."""
    try:
        yield
    except StackError as exc:
        raise TargetError(f"{what}: {exc}") from exc


class LocalTarget:
    """Blue-green on the local stack, through the LocalStack API only."""

    name = "local"
    environment = "local"

    def __init__(self, contract: Contract, stack: LocalStack | None = None) -> None:
        self.contract = contract
        self.stack = stack or LocalStack(StackConfig.from_env(contract.root), contract)

    def store(self) -> Store:
        """The state file and lock in the stack's state dir."""
        return FileStore(self.stack.config.state_dir / "rollout.json")

    def make_release(self, request: ReleaseRequest, releases_dir: Path) -> Release:
        """Release a prepared tree (--release-dir) or materialise the checkout."""
        if request.image:
            raise ReleaseError("--image is for --target k8s; the local target runs source trees")
        if request.release_dir:
            source = request.release_dir.resolve()
            entry = self.contract.module_file(self.contract.serve.wsgi_module)
            if not (source / entry).is_file():
                raise ReleaseError(
                    f"{request.release_dir} does not look like a release of "
                    f"{self.contract.name} (no {entry})"
                )
            return Release(request.version or source.name, source)
        root = self.stack.config.repo_root
        version = request.version or checkout_version(root)
        return Release(version, materialise(root, releases_dir, version))

    def ensure_ready(self) -> None:
        """Bring the stack up (idempotent: a running stack is left as it is)."""
        with stack_call("stack up"):
            self.stack.up()

    def active_colour(self) -> str:
        """Return the colour Nginx's public upstream names."""
        with stack_call("active colour"):
            return self.stack.active_colour()

    def running(self, colour: str) -> bool:
        """Tell whether the colour's gunicorn runs."""
        with stack_call("status"):
            return self.stack.status().colours[colour].state == "RUNNING"

    def release_of(self, colour: str) -> Release | None:
        """Return the release the colour's program was last started with."""
        return self.stack.release_of(colour)

    def start(self, colour: str, release: Release) -> None:
        """(Re)start gunicorn for the colour from the release dir; returns once it answers."""
        with stack_call(f"start {colour}"):
            self.stack.start_colour(colour, release)

    def pending_migrations(self, release: Release) -> list[Path]:
        """Compare the database's migration heads with the release's revision scripts."""
        scripts = self.contract.release_revisions(release.source_dir)
        if scripts is None:
            return []
        try:
            heads = database_heads(self.stack.app_env()["DATABASE_URL"])
        except Exception as exc:  # SQLAlchemy's errors, whatever the driver
            raise TargetError(f"cannot read the database's migration heads: {exc}") from exc
        return pending_revisions(scripts, heads)

    def migrate(self, release: Release) -> None:
        """Run the release's migrations against the stack database."""
        with stack_call("migrate"):
            self.stack.migrate(release)

    def verify(self, colour: str, release: Release, out_dir: Path) -> Verdict:
        """testinfra checks on the host, then smoke checks through the preview route."""
        spec = ColourSpec(
            colour=colour,
            port=self.stack.colour_port(colour),
            version=release.version,
            release_dir=str(release.source_dir.resolve()),
            user=getpass.getuser(),
            config_files=[str(p) for p in self.stack.nginx_conf_paths],
            service=service_facts(self.contract),
        )
        checks = run_testinfra(COLOUR_CHECKS, "local://", spec, out_dir)
        return Verdict.combine("verify", [checks, self.smoke(colour, release.version)])

    def smoke(self, colour: str, version: str | None) -> Verdict:
        """Smoke checks through the preview route (Nginx refuses /metrics there too)."""
        return smoke(self.contract, self.preview_url(), colour, version, self.ca_cert())

    def public_url(self) -> str:
        """Return Nginx's public HTTPS URL."""
        return self.stack.public_url

    def preview_url(self) -> str:
        """Return Nginx's preview HTTPS URL (routes to the idle colour)."""
        return self.stack.preview_url

    def ca_cert(self) -> Path | None:
        """Return the stack's locally generated CA."""
        return self.stack.ca_cert_path

    def run_load(self, request: LoadRequest) -> LoadResult:
        """Run the gate's locust here, through Nginx's preview or public route."""
        return load_from_here(self, request)

    def observe(self, colour: str, since: float) -> Observer:
        """Watch the colour's requests in Nginx's access log from `since` on."""
        address = f"127.0.0.1:{self.stack.colour_port(colour)}"
        return AccessLogObserver(self.stack.nginx.prefix / ACCESS_LOG, colour, address, since)

    def switch(self, colour: str) -> None:
        """Rewrite the upstream include, nginx -t, reload, wait for old workers, confirm."""
        with stack_call(f"switch to {colour}"):
            self.stack.route(colour)

    def stop(self, colour: str) -> None:
        """Stop the colour's gunicorn gracefully (it no longer receives traffic)."""
        with stack_call(f"stop {colour}"):
            self.stack.stop_colour(colour)

    def status(self) -> TargetStatus:
        """Translate the stack's status into the target status."""
        with stack_call("status"):
            st = self.stack.status()
        colours = {
            name: {k: str(v) for k, v in dataclasses.asdict(c).items()}
            for name, c in st.colours.items()
        }
        processes = [{k: str(v) for k, v in dataclasses.asdict(p).items()} for p in st.processes]
        return TargetStatus(st.active_colour, colours, processes)
