"""scripts/docker/slim-venv.py on a made-up virtualenv: what goes and what stays."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "docker" / "slim-venv.py"


def touch(path: Path, size: int = 10) -> Path:
    """Create PATH with SIZE bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


def test_only_unread_models_locales_and_tests_go(tmp_path: Path) -> None:
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    kept = [
        touch(site / "botocore" / "data" / "endpoints.json"),
        touch(site / "botocore" / "data" / "s3" / "2006-03-01" / "service-2.json.gz"),
        touch(site / "botocore" / "data" / "sts" / "2011-06-15" / "service-2.json.gz"),
        touch(site / "boto3" / "data" / "s3" / "2006-03-01" / "resources-1.json"),
        touch(site / "babel" / "locale-data" / "root.dat"),
        touch(site / "babel" / "locale-data" / "en.dat"),
        touch(site / "babel" / "locale-data" / "en_001.dat"),
        touch(site / "babel" / "locale-data" / "fr_CA.dat"),
        touch(site / "sqlalchemy" / "testing" / "__init__.py"),  # "testing" is not "tests"
        touch(site / "werkzeug" / "test.py"),  # a module, not a test suite
    ]
    gone = [
        touch(site / "botocore" / "data" / "ec2" / "2016-11-15" / "service-2.json.gz", 1000),
        touch(site / "boto3" / "data" / "ec2" / "2016-11-15" / "resources-1.json"),
        touch(site / "babel" / "locale-data" / "de.dat", 1000),
        touch(site / "babel" / "locale-data" / "frr.dat"),  # North Frisian, not French
        touch(site / "greenlet" / "tests" / "test_greenlet.py"),
    ]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "venv"), "s3 sts", "en fr"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert all(path.exists() for path in kept)
    assert not any(path.exists() for path in gone)
    assert "AWS models: 0.0 MB removed" in done.stdout


def test_usage_without_its_three_arguments(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "slim-venv.py VENV" in done.stderr
