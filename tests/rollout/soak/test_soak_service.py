"""The soak finds the service's own load beside its locustfile, or refuses in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kitcore.contract import load_contract
from rollout.soak.service import SoakLoadMissing, load_factory, with_soak_env
from tests.support.contract import REFERENCE

TODO = Path(__file__).resolve().parents[3] / "examples" / "todo" / "kit.toml"


def test_the_reference_service_brings_its_soak_load() -> None:
    factory = load_factory(REFERENCE)
    assert getattr(factory, "__name__", "") == "SoakLoad"
    assert "writes_found" in dir(factory)


def test_the_soak_load_raises_the_sign_in_limit_of_the_soaks_stack_only() -> None:
    soaked = with_soak_env(REFERENCE, load_factory(REFERENCE))
    assert soaked.serve.production_env["AUTH_LOGIN_RATE_LIMIT"] == "60/minute;1000/hour"
    assert soaked.serve.production_env["APP_ENV"] == "production"
    assert "AUTH_LOGIN_RATE_LIMIT" not in REFERENCE.serve.production_env
    assert soaked.root == REFERENCE.root


def test_a_service_without_a_soak_load_is_named_and_refused() -> None:
    with pytest.raises(SoakLoadMissing, match=r"soak\.py: the service has no soak load"):
        load_factory(load_contract(TODO))


def test_the_command_refuses_it_before_starting_anything() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rollout.soak", "-n", "1", "--contract", str(TODO)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "has no soak load" in done.stderr
