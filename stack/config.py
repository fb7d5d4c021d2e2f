"""StackConfig: where the local stack keeps its state and which loopback ports it uses."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from kitcore.colours import COLOURS, check_colour
from stack.errors import StackError
from stack.ports import refuse_ephemeral

HOST = "127.0.0.1"
# SeaweedFS needs a port per component: s3, master, volume, filer, admin and their gRPC ports.
S3_PORT_SPAN = 10
# Where the state goes when the checkout sits under a directory other users cannot enter (root's
# 0700 home on a fresh Debian): Postgres and the Nginx workers must reach the state dir. Per user,
# and LocalStack refuses it unless this user owns it (no one else can plant it in /var/tmp).
SHARED_STATE_ROOT = Path(f"/var/tmp/flask-deploy-kit-state-{os.geteuid()}")  # noqa: S108 - owner checked


def traversable(path: Path) -> bool:
    """Tell whether other users can enter path and every existing parent of it."""
    existing = [p for p in (path, *path.parents) if p.exists()]
    return all(p.stat().st_mode & stat.S_IXOTH for p in existing)


def prepare_state_dir(state: Path) -> None:
    """Create the state dir, owned by this user and traversable by postgres and Nginx workers."""
    state.mkdir(parents=True, exist_ok=True)
    for own in (state, *[p for p in state.parents if p == SHARED_STATE_ROOT]):
        info = own.lstat()
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
            raise StackError(f"{own} is not a directory of this user: refusing to use it")
    state.chmod(0o755)
    for parent in [state, *state.parents]:
        if not parent.stat().st_mode & stat.S_IXOTH:
            raise StackError(
                f"{parent} is not traversable by other users (postgres, nginx workers): "
                f"chmod o+x {parent} or set KIT_STATE_DIR elsewhere"
            )


def resolve_state_dir(repo_root: Path, env: Mapping[str, str]) -> Path:
    """Return $KIT_STATE_DIR, else REPO/.state, else a per-checkout dir under /var/tmp."""
    if env.get("KIT_STATE_DIR"):
        return Path(env["KIT_STATE_DIR"]).resolve()
    local = repo_root.resolve() / ".state"
    if traversable(local.parent):
        return local
    tag = hashlib.sha256(str(local).encode()).hexdigest()[:12]
    return SHARED_STATE_ROOT / f"{repo_root.resolve().name}-{tag}"


@dataclass(frozen=True)
class StackConfig:
    """Ports and paths of one local stack; defaults are the documented ones (KIT_* overrides)."""

    repo_root: Path
    state_dir: Path
    http_port: int = 8080
    https_port: int = 8443
    preview_port: int = 8444
    blue_port: int = 8001
    green_port: int = 8002
    # Below Linux's ephemeral range (32768-60999), where no outbound connection can take them.
    postgres_port: int = 15432
    redis_port: int = 16379
    s3_port: int = 18333
    # 0: the app connects to Postgres directly. Else the port of a proxy in front of it that the
    # caller runs (the soak's latency proxy), so faults can be put on the app's connections.
    db_proxy_port: int = 0
    bucket: str = "kit-local"
    gunicorn_workers: int = 2
    gunicorn_threads: int = 4
    # Browsers pin HSTS per host name (every port of localhost): keep it short locally.
    hsts_max_age: int = 300

    @classmethod
    def from_env(cls, repo_root: Path, env: Mapping[str, str] | None = None) -> StackConfig:
        """Build the config from KIT_* variables (KIT_STATE_DIR, KIT_HTTPS_PORT, ...)."""
        env = os.environ if env is None else env
        repo_root = repo_root.resolve()
        state = resolve_state_dir(repo_root, env)
        values: dict[str, object] = {}
        for field in fields(cls):
            name = f"KIT_{field.name.upper()}"
            if field.name in ("repo_root", "state_dir") or name not in env:
                continue
            raw = env[name]
            if field.type == "int":
                try:
                    values[field.name] = int(raw)
                except ValueError:
                    raise StackError(f"{name} must be an integer, got {raw!r}") from None
            else:
                values[field.name] = raw
        config = cls(repo_root=repo_root, state_dir=state, **values)  # type: ignore[arg-type]
        config.validate()
        return config

    def validate(self) -> None:
        """Refuse ports out of range, used twice, or inside the ephemeral range."""
        ports = self.ports()
        for name, port in ports.items():
            if not 1 <= port <= 65535:
                raise StackError(f"port {port} for {name} is out of range")
        seen: dict[int, str] = {}
        for name, port in ports.items():
            if port in seen:
                raise StackError(f"port {port} is configured for both {seen[port]} and {name}")
            seen[port] = name
        refuse_ephemeral(ports)

    def ports(self) -> dict[str, int]:
        """Map every port the stack listens on to a name for messages."""
        ports = {
            "nginx http": self.http_port,
            "nginx https": self.https_port,
            "nginx preview": self.preview_port,
            "web-blue": self.blue_port,
            "web-green": self.green_port,
            "postgres": self.postgres_port,
            "redis": self.redis_port,
        }
        if self.db_proxy_port:
            ports["db-proxy"] = self.db_proxy_port
        for offset, part in enumerate(S3_PARTS):
            ports[f"s3 {part}"] = self.s3_port + offset
        return ports

    def app_postgres_port(self) -> int:
        """Return the port the app's processes reach Postgres on (the proxy's when set)."""
        return self.db_proxy_port or self.postgres_port

    def colour_port(self, colour: str) -> int:
        """Return the loopback port gunicorn of that colour binds."""
        return self.blue_port if check_colour(colour) == COLOURS[0] else self.green_port


S3_PARTS = (
    "api",
    "master",
    "volume",
    "filer",
    "master grpc",
    "volume grpc",
    "filer grpc",
    "api grpc",
    "admin",
    "admin grpc",
)
assert len(S3_PARTS) == S3_PORT_SPAN
