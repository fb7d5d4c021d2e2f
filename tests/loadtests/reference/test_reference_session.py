"""The gate's sign-in: asked again only while the service is unavailable, never after a 500."""

from __future__ import annotations

import ssl
from typing import Any

import pytest

from loadtests.reference import session


@pytest.mark.parametrize(
    ("answers", "asked", "final"),
    [
        ([503, 503, 200], 3, 200),  # a restart: waited out
        ([502, 200], 2, 200),
        ([503, 503, 503], 3, 503),  # still down: the gate fails on it
        ([500, 200], 1, 500),  # a broken release: not asked again
        ([429, 200], 1, 429),  # the sign-in limit: not asked again
    ],
)
def test_only_unavailable_answers_are_asked_again(
    monkeypatch: pytest.MonkeyPatch, answers: list[int], asked: int, final: int
) -> None:
    calls: list[int] = []

    def call(*_: Any, **__: Any) -> tuple[int, Any]:
        calls.append(answers[len(calls)])
        return calls[-1], {"access_token": "t"}

    monkeypatch.setattr(session, "_call", call)
    monkeypatch.setattr(session.time, "sleep", lambda _: None)
    status, _ = session._token("https://x.invalid", ssl.create_default_context(), {})
    assert (len(calls), status) == (asked, final)
