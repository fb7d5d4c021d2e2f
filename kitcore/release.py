"""A release: a version, its source tree and (for image targets) its image; made from a checkout.

One version scheme for every release the kit makes from a checkout: the commit's short sha
(10 hex digits), with `-dirty` when the work tree has changes, `nocommit` in a repository
without commits and `dev` outside git.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

COMPLETE_MARKER = ".release-complete"
# Never copied into a release made without git.
_IGNORE = (".git", ".venv", ".state", "__pycache__", "*.pyc", ".mypy_cache", ".ruff_cache")


class ReleaseError(RuntimeError):
    """The release could not be made or is not one."""


@dataclass(frozen=True)
class Release:
    """What is rolled out: a version, its source tree and, for image targets, its image."""

    version: str
    source_dir: Path
    image: str | None = None


def _git(repo: Path, *args: str) -> str:
    try:
        out = subprocess.run(  # noqa: S603 - fixed argv, no shell
            ["git", "-C", str(repo), *args],  # noqa: S607 - git from PATH, like a user
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", b"") or str(exc)
        text = detail.decode(errors="replace") if isinstance(detail, bytes) else detail
        raise ReleaseError(f"git {' '.join(args)} failed: {text.strip()}") from exc
    return out.stdout.decode(errors="replace")


def _in_git(repo: Path) -> bool:
    try:
        _git(repo, "rev-parse", "--git-dir")
    except ReleaseError:
        return False
    return True


def _is_dirty(repo: Path) -> bool:
    return bool(_git(repo, "status", "--porcelain", "--untracked-files=normal").strip())


def checkout_version(repo: Path) -> str:
    """Name the checkout: short commit sha, plus -dirty when the tree has changes."""
    if not _in_git(repo):
        return "dev"
    try:
        sha = _git(repo, "rev-parse", "--short=10", "HEAD").strip()
    except ReleaseError:
        sha = "nocommit"  # a repository with no commit yet
    return f"{sha}-dirty" if _is_dirty(repo) else sha


def materialise(repo: Path, releases_dir: Path, version: str) -> Path:
    """Copy the checkout into releases_dir/version (git archive when clean, else the work tree)."""
    target = releases_dir / version
    reusable = not version.endswith("-dirty") and version not in ("dev", "nocommit")
    if reusable and (target / COMPLETE_MARKER).exists():
        return target  # a clean commit's tree never changes: reuse it
    tmp = releases_dir / f".{version}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if not _in_git(repo):
        shutil.copytree(repo, tmp, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*_IGNORE))
    elif not reusable or _is_dirty(repo):
        _copy_work_tree(repo, tmp)
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
    (tmp / COMPLETE_MARKER).write_text(version + "\n")
    tmp.chmod(0o755)  # Nginx workers (nobody) read static files from releases
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def _copy_work_tree(repo: Path, dest: Path) -> None:
    """Copy tracked and untracked-but-not-ignored files, as they are on disk now."""
    files = _git(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for rel in filter(None, files.split("\0")):
        src = repo / rel
        if src.is_file():
            out = dest / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, out)


if __name__ == "__main__":
    import sys

    # `python -m kitcore.release [DIR]`: the version name of a checkout (the image build uses it).
    print(checkout_version(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
