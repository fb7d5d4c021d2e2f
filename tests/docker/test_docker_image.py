"""testinfra checks of the app image: user, processes, port, health, contents, read-only root."""

from __future__ import annotations

import json
import shlex
import time
import urllib.request

import pytest
from docker_harness import APP_VERSION, Container, docker, inspect
from testinfra.host import Host

from tests.support.contract import REFERENCE

pytestmark = pytest.mark.timeout(900)  # the first test may build the image from scratch
APP_UID = 10001
# A budget, so a fat layer slipping in (a compiler, a cache, data no request reads) fails the suite.
MAX_IMAGE_BYTES = 200_000_000


def test_runs_as_the_fixed_non_root_user(host: Host, image: str) -> None:
    assert inspect(image, "image")["Config"]["User"] == f"{APP_UID}:{APP_UID}"
    assert host.user().uid == APP_UID
    assert host.user().gid == APP_UID
    owners = host.check_output("ps -eo uid= | sort -u").split()
    assert owners == [str(APP_UID)]


def test_gunicorn_master_and_workers_run(host: Host) -> None:
    gunicorns = host.process.filter(user="app", comm="gunicorn")
    # One master plus GUNICORN_WORKERS=2 workers, under tini as PID 1, serving the contract's
    # WSGI entry with its gunicorn config (kit-serve exec'd gunicorn: no shell in between).
    assert len(gunicorns) == 3
    assert host.process.get(pid=1).args.startswith("/usr/bin/tini -- kit-serve")
    master = next(p for p in gunicorns if p.ppid == 1)
    assert REFERENCE.serve.wsgi in master.args
    assert f"python:{REFERENCE.serve.gunicorn_config}" in master.args


def test_port_is_listening_and_serving(host: Host, container: Container) -> None:
    assert host.socket(f"tcp://127.0.0.1:{container.port}").is_listening
    url = f"{container.url}/healthz"
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (http URL)
        body = json.load(response)
        assert response.headers["X-App-Version"] == APP_VERSION
    assert body["status"] == "ok"
    assert body["version"] == APP_VERSION


def test_healthcheck_reports_healthy(image: str, container: Container) -> None:
    config = inspect(image, "image")["Config"]
    assert "KIT_HEALTH_PATH" in " ".join(config["Healthcheck"]["Test"])
    assert f"KIT_HEALTH_PATH={REFERENCE.health.liveness}" in config["Env"]  # the contract's route
    deadline = time.monotonic() + 30
    while (health := inspect(container.name)["State"]["Health"])["Status"] != "healthy":
        assert health["Status"] != "unhealthy", health["Log"][-1:]
        assert time.monotonic() < deadline, health
        time.sleep(0.5)


@pytest.mark.parametrize("command", ["gcc", "cc", "c++", "make", "pip", "pip3", "uv", "curl"])
def test_no_build_tools(host: Host, command: str) -> None:
    assert not host.exists(command)


@pytest.mark.parametrize("package", ["gcc", "libc6-dev", "python3-pip", "python3-venv"])
def test_no_build_packages(host: Host, package: str) -> None:
    assert not host.package(package).is_installed


def test_python_has_no_pip(host: Host) -> None:
    assert host.run("python3 -m pip --version").rc != 0
    assert host.run("python3 -m ensurepip --help").rc != 0


FORBIDDEN_NAMES = (".git", ".env", "*.env", "tests", "id_rsa", "*.key", "uv.lock", "pyproject.toml")


def test_no_git_tests_or_secret_files(root_host: Host) -> None:
    names = " -o ".join(f"-name '{name}'" for name in FORBIDDEN_NAMES)
    # apt's partial-download directory belongs to _apt and is empty: not worth a capability.
    found = root_host.check_output(
        f"find / -xdev -path /var/cache/apt/archives/partial -prune -o \\( {names} \\) "
        "-not -path '/usr/lib/python3*' -not -path '/opt/venv/*' -print"
    )
    assert found == ""
    assert root_host.check_output("ls -A /srv") == "app"


def test_no_secrets_in_image_config(image: str) -> None:
    env = inspect(image, "image")["Config"]["Env"]
    names = [item.partition("=")[0] for item in env]
    assert not [n for n in names if any(w in n for w in ("SECRET", "PASSWORD", "TOKEN", "KEY"))]


def test_extra_ca_never_reaches_the_image(host: Host, image: str, extra_ca_pem: str) -> None:
    # A line from the middle of the marker CA's base64 body: unique to this run's certificate.
    body = extra_ca_pem.splitlines()[3]
    found = host.run(f"grep -rlF -- {shlex.quote(body)} /etc /opt /srv /usr/local /run")
    assert found.stdout == ""
    history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", image).stdout
    assert body not in history
    assert not host.file("/usr/local/bin/with-ca").exists


def test_root_filesystem_is_read_only(host: Host, container: Container) -> None:
    assert inspect(container.name)["HostConfig"]["ReadonlyRootfs"] is True
    assert host.run("touch /srv/app/written").rc != 0
    assert host.run("touch /tmp/written && rm /tmp/written").rc == 0
    # Byte-code is compiled at build time, as nothing can be written beside the sources later.
    assert host.file("/srv/app/__pycache__").is_directory
    # And so is every module a worker imports at start-up (the kit's precompile step).
    for package in ("flask", "sqlalchemy/orm", "gunicorn/workers"):
        compiled = f"/opt/venv/lib/python3*/site-packages/{package}/__pycache__/*.pyc"
        assert host.run(f"ls {compiled}").rc == 0, package


def test_image_size_within_budget(image: str) -> None:
    size = inspect(image, "image")["Size"]
    print(f"image {image}: {size / 1e6:.0f} MB")
    assert size <= MAX_IMAGE_BYTES


def test_refuses_to_start_without_production_secrets(image: str) -> None:
    done = docker(
        "run", "--rm", "--network", "host", "--read-only", "-e", "GUNICORN_BIND=127.0.0.1:22083",
        image, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "SECRET_KEY must be set when APP_ENV=production" in done.stdout + done.stderr
