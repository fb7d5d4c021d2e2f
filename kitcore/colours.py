"""The two colours of a blue-green deployment."""

from __future__ import annotations

COLOURS = ("blue", "green")


class UnknownColour(ValueError):
    """A colour that is neither blue nor green."""


def check_colour(colour: str) -> str:
    """Return colour if it is blue or green, else raise UnknownColour."""
    if colour not in COLOURS:
        raise UnknownColour(f"unknown colour {colour!r} (expected blue or green)")
    return colour


def other(colour: str) -> str:
    """Return the colour that is not colour."""
    return COLOURS[1] if check_colour(colour) == COLOURS[0] else COLOURS[0]
