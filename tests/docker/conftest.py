"""Fixtures for the image tests: a Docker daemon, the built image and a running container."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import testinfra
from cryptography import x509
from cryptography.x509.oid import NameOID
from docker_harness import (
    APP_PORT,
    IMAGE,
    ROOT,
    SUMMARY,
    Container,
    build_image,
    inspect,
    record,
    start_daemon,
    stop_daemon,
)

from tests.support.certs import certificate, pem

HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def _marker_ca(common_name: str) -> str:
    """Return a throwaway self-signed CA certificate in PEM, named so it can be searched for."""
    cert, _ = certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
    return pem(cert)


@pytest.fixture(scope="session")
def extra_ca_pem() -> str:
    """Return the PEM of the marker CA passed to the build as the extra CA secret."""
    return _marker_ca("flask-kit image test extra CA")


@pytest.fixture(scope="session")
def docker_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Point the docker CLI at a daemon, starting a private one (and stopping it after)."""
    host, started = start_daemon()
    previous = os.environ.get("DOCKER_HOST")
    os.environ["DOCKER_HOST"] = host
    yield host
    if previous is None:
        os.environ.pop("DOCKER_HOST", None)
    else:
        os.environ["DOCKER_HOST"] = previous
    if started:
        stop_daemon()


@pytest.fixture(scope="session")
def image(docker_host: str, extra_ca_pem: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Build the image as `make image` does (with the host CA bundle plus the marker CA)."""
    workdir = tmp_path_factory.mktemp("image")
    bundle = workdir / "extra-ca.pem"
    host_bundle = HOST_CA_BUNDLE.read_text() if HOST_CA_BUNDLE.exists() else ""
    bundle.write_text(host_bundle + extra_ca_pem)
    seconds = build_image(bundle, ROOT / "reports" / "docker-image-build.log")
    size = inspect(IMAGE, "image")["Size"]
    record(f"image {IMAGE}: {size / 1e6:.0f} MB ({size} bytes), built in {seconds:.1f} s")
    return IMAGE


@pytest.fixture(scope="module")
def container(image: str) -> Iterator[Container]:
    """Run one production-like container for the module's checks."""
    running = Container(f"kit-image-test-{os.getpid()}", APP_PORT).start()
    yield running
    running.remove()


@pytest.fixture(scope="module")
def host(container: Container) -> testinfra.host.Host:
    """Return the testinfra host for the running container."""
    return testinfra.get_host(f"docker://{container.name}")


@pytest.fixture(scope="module")
def root_host(container: Container) -> testinfra.host.Host:
    """Return a testinfra host that runs commands as root (still without capabilities)."""
    return testinfra.get_host(f"docker://root@{container.name}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the image size (and build time) measured in this run."""
    for line in SUMMARY:
        terminalreporter.write_line(line)
