"""Fixtures: every overlay rendered once per session from a private copy of k8s/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest
from checkov_runs import CheckovRuns
from k8s_harness import CONTRACTS, OVERLAYS, Doc, build, contract, copy_k8s

from kitcore.contract import Contract

CHECKOV_KEY = pytest.StashKey[CheckovRuns]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start checkov right after collection when its tests are selected: it then runs in
    the background while the faster tests do."""
    if any(item.path.name == "test_k8s_validate_checkov.py" for item in items):
        runs = CheckovRuns()
        config.stash[CHECKOV_KEY] = runs
        runs.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave no checkov behind when its tests never ran (deselected, -x, Ctrl-C)."""
    runs = config.stash.get(CHECKOV_KEY, None)
    if runs is not None:
        runs.stop()


@pytest.fixture(scope="session")
def checkov_runs(pytestconfig: pytest.Config) -> Iterator[CheckovRuns]:
    """Return the background checkov runs (started now if collection did not start them)."""
    runs = pytestconfig.stash.get(CHECKOV_KEY, None) or CheckovRuns()
    try:
        yield runs
    finally:
        runs.stop()


@pytest.fixture(scope="session")
def k8s_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a copy of k8s/ whose dev overlay has a secrets.env (git-ignored in the repo)."""
    return copy_k8s(tmp_path_factory.mktemp("k8s"))


@pytest.fixture(scope="session")
def renders(k8s_root: Path) -> Callable[[str], dict[str, list[Doc]]]:
    """Return a function: contract key -> the rendered objects of every overlay (once each)."""

    @cache
    def render(key: str) -> dict[str, list[Doc]]:
        return {overlay: build(k8s_root, overlay, contract(key)) for overlay in OVERLAYS}

    return render


@pytest.fixture(scope="session", params=sorted(CONTRACTS))
def service(request: pytest.FixtureRequest) -> Contract:
    """Return each contract in turn: the reference service's, then another service's."""
    return contract(request.param)


@pytest.fixture(scope="session")
def rendered(
    renders: Callable[[str], dict[str, list[Doc]]], service: Contract
) -> dict[str, list[Doc]]:
    """Return the rendered objects of every overlay for the contract under test."""
    key = next(k for k in CONTRACTS if contract(k) is service)
    return renders(key)
