"""Which jobs of a workflow run for a given event: its `if:` expressions evaluated offline.

Nothing here can run a workflow, but the questions a security review asks of one ("does a pull
request reach the prod job?", "does a manual dispatch from a branch deploy?") are answered by the
jobs' `if:` conditions and their `needs:`. This module evaluates the subset of GitHub's
expression language the kit's workflows use (literals, contexts, `== != && || !`, parentheses,
`format`, `startsWith`, `endsWith`, `contains`, and the status functions) against a context the
test builds, and propagates skips through `needs:` the way the runner does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
REPOSITORY = "acme/flask-kit"
DEFAULT_BRANCH = "main"

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+(?:\.\d+)?)|(?P<op>==|!=|&&|\|\||[!(),])"
    r"|(?P<name>[A-Za-z_][\w.\-]*))"
)


def load(name: str) -> dict[str, Any]:
    """Return a parsed workflow, with YAML 1.1's `on: -> True` key put back as `on`."""
    doc: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def event(
    name: str,
    ref: str = f"refs/heads/{DEFAULT_BRANCH}",
    *,
    fork: bool = False,
    inputs: Mapping[str, Any] | None = None,
    **payload: Any,
) -> dict[str, Any]:
    """Return an expression context for one event (`github`, `inputs`, `vars`)."""
    head_repo = "someone/flask-kit" if fork else REPOSITORY
    github_event: dict[str, Any] = {
        "repository": {"full_name": REPOSITORY, "default_branch": DEFAULT_BRANCH},
        **payload,
    }
    if name == "pull_request":
        github_event["pull_request"] = {"head": {"repo": {"full_name": head_repo}}}
    return {
        "github": {
            "event_name": name,
            "ref": ref,
            "repository": REPOSITORY,
            "event": github_event,
        },
        "inputs": dict(inputs or {}),
        "vars": {},
    }


def _lookup(context: Mapping[str, Any], dotted: str) -> Any:
    value: Any = context
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _fold(value: Any) -> Any:
    """Strings compare case-insensitively in GitHub expressions."""
    return value.lower() if isinstance(value, str) else value


class _Parser:
    def __init__(self, text: str, context: Mapping[str, Any], status: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        text = text.strip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if not match or match.end() == position:
                raise ValueError(f"cannot parse expression at {text[position:]!r}")
            kind = match.lastgroup
            assert kind is not None
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.index = 0
        self.context = context
        self.status = status

    def peek(self) -> str | None:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.index != len(self.tokens):
            raise ValueError(f"trailing tokens: {self.tokens[self.index :]}")
        return value

    def _chain(self, operator: str, operand: Callable[[], Any]) -> Any:
        """Parse `operand (operator operand)*`; && and || yield an operand, as in GitHub."""
        value = operand()
        while self.peek() == operator:
            self.take()
            right = operand()
            value = (value and right) if operator == "&&" else (value or right)
        return value

    def or_(self) -> Any:
        return self._chain("||", self.and_)

    def and_(self) -> Any:
        return self._chain("&&", self.compare)

    def compare(self) -> Any:
        value = self.unary()
        while self.peek() in ("==", "!="):
            op = self.take()[1]
            right = self.unary()
            same = _fold(value) == _fold(right)
            value = same if op == "==" else not same
        return value

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not self.unary()
        return self.primary()

    def primary(self) -> Any:
        kind, text = self.take()
        if text == "(":
            value = self.or_()
            assert self.take()[1] == ")"
            return value
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text)
        if self.peek() == "(":
            return self.call(text)
        literals = {"true": True, "false": False, "null": None}
        if text in literals:
            return literals[text]
        return _lookup(self.context, text)

    def call(self, name: str) -> Any:
        self.take()  # (
        args: list[Any] = []
        while self.peek() != ")":
            args.append(self.or_())
            if self.peek() == ",":
                self.take()
        self.take()  # )
        functions: dict[str, Callable[..., Any]] = {
            "format": lambda fmt, *a: re.sub(r"\{(\d+)\}", lambda m: str(a[int(m[1])]), fmt),
            "startsWith": lambda s, p: str(s).lower().startswith(str(p).lower()),
            "endsWith": lambda s, p: str(s).lower().endswith(str(p).lower()),
            "contains": lambda s, p: (
                _fold(p) in [_fold(x) for x in s]
                if isinstance(s, list)
                else str(p).lower() in str(s).lower()
            ),
            "success": lambda: self.status == "success",
            "failure": lambda: self.status == "failure",
            "cancelled": lambda: False,
            "always": lambda: True,
        }
        return functions[name](*args)


def evaluate(expression: str | bool, context: Mapping[str, Any], status: str = "success") -> Any:
    """Evaluate one `if:` value (with or without `${{ }}`) in this context."""
    if isinstance(expression, bool):
        return expression
    text = expression.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    return _Parser(text, context, status).parse()


def _needs(job: Mapping[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def running_jobs(workflow: Mapping[str, Any], context: Mapping[str, Any]) -> set[str]:
    """Return the jobs that run for this event, assuming every job that runs succeeds.

    A job whose `if:` is false is skipped, and so (without a status function in its `if:`) is
    every job that needs a skipped job, as on GitHub.
    """
    jobs: Mapping[str, Any] = workflow["jobs"]
    ran: dict[str, bool] = {}

    def runs(name: str) -> bool:
        if name not in ran:
            job = jobs[name]
            needs = _needs(job)
            condition = job.get("if", "success()")
            status_aware = isinstance(condition, str) and re.search(
                r"\b(always|failure|cancelled)\(", condition
            )
            all_ran = all(runs(n) for n in needs)
            ran[name] = bool(
                (all_ran or status_aware)
                and evaluate(condition, context, "success" if all_ran else "skipped")
            )
        return ran[name]

    return {name for name in jobs if runs(name)}


def needs_closure(workflow: Mapping[str, Any], name: str) -> set[str]:
    """Return every job `name` waits for, directly or through other jobs."""
    jobs: Mapping[str, Any] = workflow["jobs"]
    seen: set[str] = set()
    todo = _needs(jobs[name])
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(_needs(jobs[current]))
    return seen


def steps(job: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return a job's steps (none for a job that calls a reusable workflow)."""
    return list(job.get("steps", []))


def uses(step: Mapping[str, Any], action: str) -> bool:
    """Tell whether a step runs this action (owner/name, any pinned version)."""
    return str(step.get("uses", "")).startswith(f"{action}@")
