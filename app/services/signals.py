"""Signals other parts subscribe to (e.g. the jobs package sends the welcome email)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with the new User after a successful registration (API or page).
user_registered = _signals.signal("user-registered")
