"""Materialise a release: the current checkout copied to .state/releases/<version>/."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


class ReleaseError(RuntimeError):
    """The release could not be materialised."""


def _git(repo: Path, *args: str) -> str:
    try:
        out = subprocess.run(  # noqa: S603 - fixed argv, no shell
            ["git", "-C", str(repo), *args],  # noqa: S607 - git from PATH, like a user
            check=True,
            capture_output=True,
            text=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise ReleaseError(f"git {' '.join(args)} failed: {detail.strip()}") from exc
    return out.stdout


def _is_dirty(repo: Path) -> bool:
    return bool(_git(repo, "status", "--porcelain", "--untracked-files=normal").strip())


def checkout_version(repo: Path) -> str:
    """Name the checkout: short commit sha, plus -dirty when the tree has changes."""
    try:
        sha = _git(repo, "rev-parse", "--short=10", "HEAD").strip()
    except ReleaseError:
        sha = "nocommit"  # a repository with no commit yet
    return f"{sha}-dirty" if _is_dirty(repo) else sha


def materialise(repo: Path, releases_dir: Path, version: str) -> Path:
    """Copy the checkout into releases_dir/version (git archive when clean, else the work tree)."""
    target = releases_dir / version
    if (target / ".release-complete").exists() and not version.endswith("-dirty"):
        return target  # a clean commit's tree never changes: reuse it
    tmp = releases_dir / f".{version}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if version.endswith("-dirty") or version.startswith("nocommit") or _is_dirty(repo):
        # Tracked and untracked-but-not-ignored files, as they are on disk now.
        files = _git(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        for rel in filter(None, files.split("\0")):
            src = repo / rel
            if src.is_file():
                dest = tmp / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest)
    else:
        archive = subprocess.run(  # noqa: S603
            ["git", "-C", str(repo), "archive", "--format=tar", "HEAD"],  # noqa: S607
            check=True,
            capture_output=True,
        ).stdout
        # tar(1), not tarfile: Debian 12's Python 3.11.2 predates extractall's safety filter.
        subprocess.run(  # noqa: S603
            ["tar", "-x", "--no-same-owner", "-C", str(tmp)],  # noqa: S607
            input=archive,
            check=True,
            capture_output=True,
        )
    (tmp / ".release-complete").write_text(version + "\n")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target
