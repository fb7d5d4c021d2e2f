"""Where the kit itself lives (its templates, load-test plugin and patches are found from here)."""

from __future__ import annotations

from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent
