"""The contract: the reference's kit.toml is valid, and a wrong one is one line naming the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kitcore.contract import ContractError, contract_path, load_contract, lookup
from tests.support.contract import REFERENCE, ROOT

TEXT = (ROOT / "kit.toml").read_text()


def write(tmp_path: Path, text: str) -> Path:
    """A contract beside copies of what the reference's declares (same relative paths)."""
    for rel in ("app", "loadtests", "pyproject.toml", "uv.lock"):
        (tmp_path / rel).symlink_to(ROOT / rel)
    path = tmp_path / "kit.toml"
    path.write_text(text)
    return path


def test_the_reference_contract_is_valid() -> None:
    assert REFERENCE.name == "flask-kit"
    assert REFERENCE.serve.wsgi_module == "app.wsgi"
    assert REFERENCE.module_file("app.wsgi") == "app/wsgi.py"
    assert REFERENCE.module_file("app") == "app/__init__.py"
    assert REFERENCE.k8s_name("blue") == "app-blue"
    assert REFERENCE.revisions_dir == ROOT / "app" / "migrations"
    assert lookup(REFERENCE, "kubernetes.namespace") == "flask-kit"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("[health]", "[helth]"), "helth: Extra inputs are not permitted"),
        (('wsgi = "app.wsgi:app"', 'wsgi = "app.wsgi"'), "serve.wsgi: String should match"),
        (("port = 8000", "port = 80"), "serve.port: Input should be greater than or equal to 1024"),
        (('prefix = "app"', 'prefix = "App_"'), "kubernetes.prefix: String should match"),
        (('liveness = "/healthz"', 'liveness = "healthz"'), "health.liveness: String should match"),
        (('static_url = "/static/"', 'static_url = "/static"'), "nginx.static_url"),
        (
            ('locustfile = "loadtests/reference/locustfile.py"', 'locustfile = "nope.py"'),
            "gate.locustfile: nope.py does not exist",
        ),
        (
            ('revisions = "app/migrations"', 'revisions = "app/nope"'),
            "migrate.revisions: app/nope does not exist",
        ),
        (
            ('wsgi = "app.wsgi:app"', 'wsgi = "app.nope:app"'),
            "serve.wsgi: app/nope.py does not exist",
        ),
        (('services = ["postgres", "redis", "s3"]', 'services = ["mysql"]'), "platform.services.0"),
        (('name = "flask-kit"', 'name = "flask-kit"\nroot = "/"'), "root: not a key"),
        (('path = "/healthz"', "path = 1"), "smoke.0.path"),
    ],
)
def test_a_wrong_contract_names_the_key(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    assert change[0] in TEXT
    path = write(tmp_path, TEXT.replace(change[0], change[1], 1))
    with pytest.raises(ContractError) as caught:
        load_contract(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: ")
    assert message in text
    assert "\n" not in text


def test_not_toml_and_missing_file_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="not valid TOML"):
        load_contract(write(tmp_path, "name = [\n"))
    with pytest.raises(ContractError, match="cannot read the contract"):
        load_contract(tmp_path / "missing" / "kit.toml")


def test_a_directory_means_its_kit_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert contract_path(ROOT) == ROOT / "kit.toml"
    monkeypatch.setenv("KIT_CONTRACT", str(tmp_path / "other.toml"))
    assert contract_path() == tmp_path / "other.toml"


def test_the_cli_checks_and_reads_values(tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kitcore.contract", *args],
            capture_output=True, text=True, cwd=ROOT, check=False,
        )  # fmt: skip

    assert cli("check").returncode == 0
    assert cli("get", "kubernetes.prefix").stdout.strip() == "app"
    assert cli("get", "serve.production_env").stdout.strip() == '{"APP_ENV": "production"}'
    missing = cli("get", "serve.nope")
    assert (missing.returncode, missing.stderr.strip()) == (
        2,
        "contract: no key 'serve.nope' in the contract",
    )
    bad = write(tmp_path, TEXT.replace("[health]", "[helth]"))
    done = cli("--contract", str(bad), "check")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
