"""DATABASE_SSLROOTCERT with sslmode=verify-full, against a real PostgreSQL speaking TLS.

Issue 13, item 15: the pods verify the server (RDS's CA bundle, mounted from the ConfigMap
rds-ca) instead of `sslmode=require`, which encrypts but accepts any certificate. Here a
private CA stands in for RDS's: the app connects with the right bundle and the right host name,
and refuses another CA's certificate or a certificate for another host.
"""

from __future__ import annotations

import ipaddress
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_helpers import APP_PORTS, make_settings
from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.database import engine_options
from app.extensions import db
from tests.support.certs import certificate, key_pem, pem
from tests.support.postgres import PostgresServer, PostgresTemplate
from tests.support.servers import ServerError, fail


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


class TlsPostgres:
    """A private PostgreSQL with ssl=on, its server certificate issued by a test CA."""

    def __init__(self, template: PostgresTemplate, tmp: Path, host_names: list[str]) -> None:
        self.ca, ca_key = certificate(_name("kit test RDS-like CA"))
        sans: list[x509.GeneralName] = [x509.DNSName(n) for n in host_names]
        sans += (
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))] if "localhost" in host_names else []
        )
        server_cert, server_key = certificate(
            _name("db"), (_name("kit test RDS-like CA"), ca_key), ca=False, sans=sans
        )
        self.bundle = tmp / "ca-bundle.pem"
        self.bundle.write_text(pem(self.ca))
        self.server: PostgresServer = template.new_server(APP_PORTS)
        data = self.server.data
        (data / "server.crt").write_text(pem(server_cert))
        (data / "server.key").write_text(key_pem(server_key))
        (data / "server.key").chmod(0o600)
        with (data / "postgresql.conf").open("a") as conf:
            conf.write("\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n")
        if self.server.user:
            for name in ("server.crt", "server.key", "postgresql.conf"):
                shutil.chown(data / name, self.server.user, self.server.user)

    def url(self, sslmode: str, host: str = "127.0.0.1") -> str:
        return f"postgresql://postgres@{host}:{self.server.port}/postgres?sslmode={sslmode}"


@pytest.fixture(scope="module")
def tls_pg(
    pg_template: PostgresTemplate, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TlsPostgres]:
    server = TlsPostgres(pg_template, tmp_path_factory.mktemp("tls"), ["localhost"])
    try:
        server.server.start()
    except ServerError as exc:
        fail(str(exc))
    yield server
    server.server.stop()


def _connects(url: str, sslrootcert: str) -> str:
    """Return what the server says about the session's TLS, or raise OperationalError."""
    settings = make_settings(url, database={"sslrootcert": sslrootcert})
    app = create_app(settings)
    with app.app_context():
        try:
            return str(
                db.session.scalar(text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))
            )
        finally:
            db.session.remove()
            db.engine.dispose()


def test_verify_full_with_the_bundle_connects_over_tls(tls_pg: TlsPostgres) -> None:
    assert _connects(tls_pg.url("verify-full"), str(tls_pg.bundle)) == "True"
    assert _connects(tls_pg.url("verify-full", "localhost"), str(tls_pg.bundle)) == "True"


def test_verify_full_refuses_a_certificate_of_another_ca(
    tls_pg: TlsPostgres, tmp_path: Path
) -> None:
    other, _ = certificate(_name("someone else's CA"))
    (tmp_path / "other.pem").write_text(pem(other))
    with pytest.raises(OperationalError, match="certificate verify failed"):
        _connects(tls_pg.url("verify-full"), str(tmp_path / "other.pem"))
    # sslmode=require (what the pods used before) accepts that same impostor setup.
    assert _connects(tls_pg.url("require"), str(tmp_path / "missing.pem")) == "True"


def test_verify_full_refuses_a_certificate_for_another_host(
    pg_template: PostgresTemplate, tmp_path: Path
) -> None:
    impostor = TlsPostgres(pg_template, tmp_path, ["db.example.com"])
    impostor.server.start()
    try:
        with pytest.raises(OperationalError, match="does not match host name"):
            _connects(impostor.url("verify-full"), str(impostor.bundle))
    finally:
        impostor.server.stop()


def test_the_setting_reaches_libpq_only_when_set() -> None:
    url = "postgresql+psycopg://app@db.example.com/app?sslmode=verify-full"
    with_ca = engine_options(make_settings(url, database={"sslrootcert": "/etc/rds-ca/b.pem"}))
    assert with_ca["connect_args"]["sslrootcert"] == "/etc/rds-ca/b.pem"
    assert "sslrootcert" not in engine_options(make_settings(url))["connect_args"]
