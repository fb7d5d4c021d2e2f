"""The gate's sign-in: asked again only while the service is unavailable, never after a 500.

loadtests.reference.session imports locust, whose gevent monkey-patching must not run inside
pytest's process (ssl is imported already): the cases run in one child interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
CASES = [
    ([503, 503, 200], 3, 200),  # a restart: waited out
    ([502, 200], 2, 200),
    ([503, 503, 503], 3, 503),  # still down: the gate fails on it
    ([500, 200], 1, 500),  # a broken release: not asked again
    ([429, 200], 1, 429),  # the sign-in limit: not asked again
]
CHILD = """
import json, ssl, sys
from loadtests.reference import session
session.time.sleep = lambda _: None
out = []
for answers in json.loads(sys.argv[1]):
    calls = []
    def call(*_, **__):
        calls.append(answers[len(calls)])
        return calls[-1], {"access_token": "t"}
    session._call = call
    status, _ = session._token("https://x.invalid", ssl.create_default_context(), {})
    out.append([len(calls), status])
print(json.dumps(out))
"""


def test_only_unavailable_answers_are_asked_again() -> None:
    answers = [case[0] for case in CASES]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(answers)],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=60, check=True,
    )  # fmt: skip
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got == [[asked, final] for _, asked, final in CASES]
