"""Make a release dir from the working tree: a plain copy of the repo's source files."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from rollout.stack.errors import StackError
from rollout.stack.proc import run

# Without git, never copy these into a release.
_IGNORE = (
    ".git",
    ".venv",
    ".state",
    "__pycache__",
    "*.pyc",
    ".mypy_cache",
    ".ruff_cache",
    "reports",
)


def worktree_version(repo_root: Path) -> str:
    """Describe the working tree (short commit, -dirty when modified); "dev" without git."""
    proc = run(["git", "-C", str(repo_root), "describe", "--always", "--dirty"], check=False)
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else "dev"


def release_from_worktree(repo_root: Path, releases_dir: Path, version: str) -> Path:
    """Copy the tracked and unignored files into releases_dir/version (kept if it exists)."""
    target = releases_dir / version
    if target.exists():
        return target
    releases_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=releases_dir))
    try:
        listing = run(
            [
                "git",
                "-C",
                str(repo_root),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            check=False,
        )
        if listing.returncode == 0:
            for name in filter(None, listing.stdout.split("\0")):
                source = repo_root / name
                if source.is_file():
                    (staging / name).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, staging / name)
        else:
            shutil.copytree(
                repo_root, staging, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*_IGNORE)
            )
        if not (staging / "app" / "wsgi.py").exists():
            raise StackError(f"{repo_root} has no app/wsgi.py: not a release of the kit")
        staging.chmod(0o755)  # Nginx workers (nobody) read static files from here
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
