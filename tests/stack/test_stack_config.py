"""StackConfig and the small pieces around it, without starting servers."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from cryptography import x509

from stack import LocalStack, StackConfig, StackError
from stack.certs import ensure_certificates
from stack.config import SHARED_STATE_ROOT
from stack.credentials import Credentials
from stack.programs import ports_of

REPO = Path(__file__).resolve().parents[2]


def test_defaults_are_the_documented_ports(tmp_path: Path) -> None:
    cfg = StackConfig.from_env(REPO, {})
    assert cfg.state_dir == REPO / ".state"
    assert (cfg.http_port, cfg.https_port, cfg.preview_port) == (8080, 8443, 8444)
    assert (cfg.blue_port, cfg.green_port) == (8001, 8002)
    assert (cfg.postgres_port, cfg.redis_port, cfg.s3_port) == (15432, 16379, 18333)


def test_env_overrides(tmp_path: Path) -> None:
    cfg = StackConfig.from_env(
        REPO, {"KIT_STATE_DIR": str(tmp_path), "KIT_HTTPS_PORT": "23443", "KIT_BUCKET": "b"}
    )
    assert (cfg.state_dir, cfg.https_port, cfg.bucket) == (tmp_path, 23443, "b")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KIT_BLUE_PORT": "x"}, "KIT_BLUE_PORT must be an integer"),
        ({"KIT_BLUE_PORT": "70000"}, "out of range"),
        ({"KIT_GREEN_PORT": "8001"}, "port 8001 is configured for both web-blue and web-green"),
        ({"KIT_REDIS_PORT": "18335"}, "configured for both redis and s3 volume"),
        ({"KIT_REDIS_PORT": "40000"}, r"port 40000 \(redis\) lies in Linux's ephemeral range"),
    ],
)
def test_bad_config_is_one_clear_error(env: dict[str, str], message: str) -> None:
    with pytest.raises(StackError, match=message):
        StackConfig.from_env(REPO, env)


def test_ports_of_names_every_listener() -> None:
    cfg = StackConfig.from_env(REPO, {})
    assert [p for p, _ in ports_of(cfg, "nginx")] == [8080, 8443, 8444]
    assert [p for p, _ in ports_of(cfg, "s3")] == list(range(18333, 18343))
    assert ports_of(cfg, "web-green") == [(8002, "web-green")]


def test_certificates_for_localhost_and_loopback(tmp_path: Path) -> None:
    ca_path, cert_path, key_path = ensure_certificates(tmp_path)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    ca = x509.load_pem_x509_certificate(ca_path.read_bytes())
    cert.verify_directly_issued_by(ca)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert ensure_certificates(tmp_path) == (ca_path, cert_path, key_path)  # kept, not redone


def test_credentials_are_private_and_stable(tmp_path: Path) -> None:
    first = Credentials.load_or_create(tmp_path / "credentials.json")
    assert stat.S_IMODE((tmp_path / "credentials.json").stat().st_mode) == 0o600
    assert Credentials.load_or_create(tmp_path / "credentials.json") == first
    assert len(first.secret_key) == 64


def test_launcher_usage_error_is_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "stack.launch", "nowhere"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=30,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("usage: python -m stack.launch")


def test_state_dir_moves_out_of_a_private_home(tmp_path: Path) -> None:
    """Root's 0700 home: Postgres and Nginx workers could not enter REPO/.state."""
    # Not under pytest's own 0700 tmp dir: the test needs a parent others can enter.
    base = Path(tempfile.mkdtemp(prefix="state-dir-"))
    try:
        base.chmod(0o755)
        home = base / "root"
        repo = home / "kit"
        repo.mkdir(parents=True)
        home.chmod(0o700)
        state = StackConfig.from_env(repo, {}).state_dir
        assert state.parent == SHARED_STATE_ROOT
        assert state.name.startswith("kit-")
        assert state == StackConfig.from_env(repo, {}).state_dir  # stable per checkout
        home.chmod(0o755)
        assert StackConfig.from_env(repo, {}).state_dir == repo / ".state"
        explicit = {"KIT_STATE_DIR": str(tmp_path)}
        assert StackConfig.from_env(repo, explicit).state_dir == tmp_path
    finally:
        shutil.rmtree(base)


def test_a_state_dir_of_another_user_is_refused(tmp_path: Path) -> None:
    """A state dir someone else owns (planted in a shared /var/tmp) is never used."""
    planted = tmp_path / "planted"
    planted.mkdir()
    os.chown(planted, 65534, 65534)  # nobody
    stack = LocalStack(StackConfig.from_env(REPO, {"KIT_STATE_DIR": str(planted)}))
    with pytest.raises(StackError, match="is not a directory of this user"):
        stack.up()
    assert not list(planted.iterdir())
