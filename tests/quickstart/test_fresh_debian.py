"""A newcomer on a fresh Debian 12: clone, then the README's first command, verbatim.

The machine is a container of the Debian base the image build makes (debootstrap minbase,
scripts/docker-base-image.sh) plus only what the README's quick start says must be there:
python3, git and make. The README's first command must install everything else and run the
gated rollout demo; the test passes only when it was promoted with 0 failed background
requests. Downloads are cached between runs (apt archives, uv's wheel cache); nothing is
installed by hand inside. The site's own CA certificates (/usr/local/share/ca-certificates,
e.g. a TLS-intercepting proxy's) are the machine's trust configuration, so they are mounted.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE = "localhost/debian:bookworm-minbase"
NEWCOMER = "flask-kit-newcomer:bookworm"
CACHE = Path(os.environ.get("KIT_NEWCOMER_CACHE", "/var/tmp/flask-kit-newcomer"))
SITE_CAS = Path("/usr/local/share/ca-certificates")
# The stack inside listens on the host's loopback (host network): its own ports (26100-26199).
PORTS = {
    "KIT_HTTP_PORT": 26180,
    "KIT_HTTPS_PORT": 26143,
    "KIT_PREVIEW_PORT": 26144,
    "KIT_BLUE_PORT": 26101,
    "KIT_GREEN_PORT": 26102,
    "KIT_POSTGRES_PORT": 26132,
    "KIT_REDIS_PORT": 26179,
    "KIT_S3_PORT": 26110,
}
STARTING_POINT = "python3 git make"


def quick_start_commands() -> list[str]:
    """Return the commands of the README's quick start block."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Quick start.*?```sh\n(.*?)```", text, flags=re.DOTALL)
    assert block, "README.md has no quick start block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def run(*argv: str, timeout: float = 600, env: dict[str, str] | None = None) -> str:
    """Run a command; fail the test with its output if it fails."""
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    assert done.returncode == 0, f"{' '.join(argv)}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def docker_env() -> Iterator[dict[str, str]]:
    """Point docker at a daemon (a private one started here is stopped again)."""
    script = str(ROOT / "scripts" / "docker-daemon.sh")
    was_running = subprocess.run([script, "status"], capture_output=True).returncode == 0
    started = run(script, "start", timeout=180)
    env = {**os.environ, "DOCKER_HOST": started.strip().rpartition("DOCKER_HOST=")[2]}
    try:
        yield env
    finally:
        if not was_running:
            subprocess.run([script, "stop"], check=False, timeout=60)


@pytest.fixture(scope="module")
def fresh_debian(docker_env: dict[str, str]) -> str:
    """Build the newcomer's machine: the minbase image plus python3, git and make only."""
    run(str(ROOT / "scripts" / "docker-base-image.sh"), timeout=900, env=docker_env)
    dockerfile = (
        f"FROM {BASE}\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends "
        f"{STARTING_POINT} && rm -rf /var/lib/apt/lists/*\n"
    )
    subprocess.run(
        ["docker", "build", "--network", "host", "-q", "-t", NEWCOMER, "-"],
        input=dockerfile, capture_output=True, text=True, timeout=600, env=docker_env, check=True,
    )  # fmt: skip
    return NEWCOMER


def test_the_readme_names_the_starting_point() -> None:
    text = (ROOT / "README.md").read_text()
    assert "Debian 12" in text
    assert all(tool in text for tool in STARTING_POINT.split())
    assert quick_start_commands() == ["make demo", "make test"]


@pytest.mark.parametrize("command", ["make demo", "make test"])
def test_a_non_root_user_is_told_what_to_install(
    fresh_debian: str, docker_env: dict[str, str], command: str
) -> None:
    # Cloned by root (git refuses a repository another user owns), handed to the newcomer.
    script = (
        "useradd --create-home newcomer && git clone -q /src /home/newcomer/kit && "
        "chown -R newcomer: /home/newcomer/kit && "
        f"su newcomer -c 'cd ~/kit && {command}'"
    )
    done = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "-v", f"{ROOT}:/src:ro",
         fresh_debian, "bash", "-c", script],
        capture_output=True, text=True, timeout=300, env=docker_env, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    line = re.search(r"^missing system packages for '(\w+)': (.*) \(as root: (.*)\)$",
                     done.stderr, flags=re.MULTILINE)  # fmt: skip
    assert line, done.stdout + done.stderr
    assert line.group(3) == f"apt-get install -y {line.group(2)}"
    assert {"postgresql", "redis-server", "nginx"} <= set(line.group(2).split())
    if command == "make test":
        assert {"docker.io", "chromium"} <= set(line.group(2).split())
    assert "installing" not in done.stdout  # nothing was attempted


def test_the_first_command_runs_the_demo_on_a_fresh_machine(
    fresh_debian: str, docker_env: dict[str, str]
) -> None:
    first = quick_start_commands()[0]
    for sub in ("apt-archives", "uv"):
        (CACHE / sub).mkdir(parents=True, exist_ok=True)
    name = f"kit-newcomer-{os.getpid()}"
    mounts = [
        "-v", f"{ROOT}:/src:ro",
        "-v", f"{CACHE / 'apt-archives'}:/var/cache/apt/archives",
        "-v", f"{CACHE / 'uv'}:/root/.cache/uv",
    ]  # fmt: skip
    if SITE_CAS.is_dir():
        mounts += ["-v", f"{SITE_CAS}:{SITE_CAS}:ro"]
    env = [opt for key, port in PORTS.items() for opt in ("-e", f"{key}={port}")]
    script = f"git clone -q /src /root/kit && cd /root/kit && {first}"
    began = time.monotonic()
    try:
        done = subprocess.run(
            ["docker", "run", "--rm", "--name", name, "--network", "host",
             *mounts, *env, fresh_debian, "bash", "-c", script],
            capture_output=True, text=True, timeout=1500, env=docker_env, check=False,
        )  # fmt: skip
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, env=docker_env)
    took = time.monotonic() - began
    out = done.stdout + done.stderr
    tail = f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-1500:]}"
    assert done.returncode == 0, f"`{first}` failed on a fresh Debian after {took:.0f}s:\n{tail}"
    background = re.search(r"background load: (\d+) requests, (\d+) failed", out)
    assert background, f"no background load figures:\n{tail}"
    assert int(background.group(1)) > 0
    assert int(background.group(2)) == 0, tail
    assert re.search(r"outcome: promoted \(exit 0\)", out), tail
    assert "demo passed" in out
