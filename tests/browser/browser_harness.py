"""The browser suite's ports and Chromium settings (a module name no other folder uses)."""

from __future__ import annotations

import os

PORTS = (25000, 25499)  # this suite's range
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
