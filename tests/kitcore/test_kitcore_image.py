"""The image's build context holds what the contract declares and nothing else of the checkout."""

from __future__ import annotations

from pathlib import Path

from kitcore.image import build_args, production_env, stage
from tests.support.contract import REFERENCE


def test_the_context_holds_the_service_its_lock_and_the_kits_scripts(tmp_path: Path) -> None:
    stage(REFERENCE, tmp_path)
    top = sorted(p.name for p in tmp_path.iterdir())
    assert top == ["kit", "pyproject.toml", "service", "uv.lock"]
    assert sorted(p.name for p in (tmp_path / "service").iterdir()) == ["app"]
    assert (tmp_path / "service" / "app" / "wsgi.py").is_file()
    assert not list(tmp_path.rglob("__pycache__"))
    assert not list(tmp_path.rglob("*.pyc"))
    scripts = sorted(p.name for p in (tmp_path / "kit").iterdir())
    wanted = [
        "build-requirements.txt",
        "dpkg-nodoc",
        "kit-serve.sh",
        "precompile.py",
        "production-defaults",
        "slim-venv.py",
        "with-ca.sh",
    ]
    assert scripts == wanted
    assert (tmp_path / "kit" / "production-defaults").read_text() == "APP_ENV=production\n"
    assert (tmp_path / "uv.lock").read_bytes() == REFERENCE.path("uv.lock").read_bytes()


def test_build_arguments_come_from_the_contract() -> None:
    assert build_args(REFERENCE, "v7") == [
        "WSGI_APP=app.wsgi:app",
        "GUNICORN_CONFIG=app.gunicorn_conf",
        "APP_PORT=8000",
        "HEALTH_PATH=/healthz",
        "VERSION_ENV=APP_VERSION",
        "APP_VERSION=v7",
        "IMAGE_TITLE=flask-kit",
    ]
    assert production_env(REFERENCE) == "APP_ENV=production\n"
