"""Releases: version names from git and the materialised tree."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kitcore.release import checkout_version, materialise


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q")
    git(r, "config", "user.email", "t@example.com")
    git(r, "config", "user.name", "t")
    (r / ".gitignore").write_text("ignored/\n")
    (r / "app").mkdir()
    (r / "app" / "__init__.py").write_text("V = 1\n")
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "one")
    return r


def test_clean_checkout_is_the_commit(repo: Path, tmp_path: Path) -> None:
    version = checkout_version(repo)
    assert version == git(repo, "rev-parse", "--short=10", "HEAD")
    out = materialise(repo, tmp_path / "releases", version)
    assert (out / "app" / "__init__.py").read_text() == "V = 1\n"
    assert (out / ".release-complete").read_text().strip() == version
    assert not (out / ".git").exists()


def test_dirty_checkout_copies_the_work_tree(repo: Path, tmp_path: Path) -> None:
    (repo / "app" / "__init__.py").write_text("V = 2\n")
    (repo / "app" / "new.py").write_text("N = 1\n")
    (repo / "ignored").mkdir()
    (repo / "ignored" / "secret.env").write_text("X=1\n")
    version = checkout_version(repo)
    assert version.endswith("-dirty")
    out = materialise(repo, tmp_path / "releases", version)
    assert (out / "app" / "__init__.py").read_text() == "V = 2\n"
    assert (out / "app" / "new.py").exists()
    assert not (out / "ignored").exists()
    assert [p.name for p in (tmp_path / "releases").iterdir()] == [version]


def test_outside_git_the_tree_is_copied_as_dev(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "app").mkdir(parents=True)
    (tree / "app" / "__init__.py").write_text("V = 3\n")
    (tree / ".venv" / "bin").mkdir(parents=True)
    assert checkout_version(tree) == "dev"
    out = materialise(tree, tmp_path / "releases", "dev")
    assert (out / "app" / "__init__.py").read_text() == "V = 3\n"
    assert not (out / ".venv").exists()
