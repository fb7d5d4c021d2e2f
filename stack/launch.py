"""Supervisor's entry for app programs: read the colour's release file, exec gunicorn in it.

`python -m stack.launch STATE_DIR colour blue` or `... STATE_DIR worker`. Reading the
release at start (not from supervisord.conf) lets start_colour switch versions without a
config reload.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from kitcore.colours import check_colour
from kitcore.release import Release
from stack.assigned import read_release
from stack.routing import read_colour


def environment(state_dir: Path, release: Release) -> dict[str, str]:
    """Build the app's environment: stack services plus the release on the import path."""
    env = json.loads((state_dir / "app-env.json").read_text())
    venv = str(Path(sys.executable).parent)
    env |= {
        "APP_VERSION": release.version,
        # The release's code comes first; dependencies are the shared .venv's.
        "PYTHONPATH": str(release.source_dir),
        "PATH": f"{venv}:/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/nonexistent"),
        "LANG": "C.UTF-8",
    }
    return dict(env)


def exec_colour(state_dir: Path, colour: str) -> None:
    """Replace this process with gunicorn serving colour's release on its port."""
    release = _release(state_dir, check_colour(colour))
    env = environment(state_dir, release)
    env |= {"APP_COLOR": colour, "GUNICORN_BIND": env[f"KIT_{colour.upper()}_BIND"]}
    env = {k: v for k, v in env.items() if not k.startswith("KIT_")}
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    args = [gunicorn, "-c", "python:app.gunicorn_conf", "--chdir", str(release.source_dir)]
    os.chdir(release.source_dir)
    os.execve(gunicorn, [*args, "app.wsgi:app"], env)  # noqa: S606 - fixed program


def exec_worker(state_dir: Path) -> None:
    """Replace this process with the RQ worker of the active colour's release."""
    include = state_dir / "nginx" / "conf" / "upstream" / "active.conf"
    colour = read_colour(include) if include.exists() else "blue"
    release = _release(state_dir, colour)
    os.chdir(release.source_dir)
    python = sys.executable
    env = {k: v for k, v in environment(state_dir, release).items() if not k.startswith("KIT_")}
    os.execve(python, [python, "-m", "app.worker"], env)  # noqa: S606 - fixed program


def _release(state_dir: Path, colour: str) -> Release:
    """Return colour's recorded release or exit with one clear line."""
    release = read_release(state_dir, colour)
    if release is None:
        sys.exit(f"error: no release recorded for {colour} in {state_dir}/colours")
    return release


def main(argv: list[str]) -> None:
    """Dispatch `STATE_DIR colour NAME` or `STATE_DIR worker`."""
    match argv:
        case [state, "colour", colour]:
            exec_colour(Path(state), colour)
        case [state, "worker"]:
            exec_worker(Path(state))
        case _:
            sys.exit("usage: python -m stack.launch STATE_DIR (colour NAME | worker)")


if __name__ == "__main__":
    main(sys.argv[1:])
