"""The example service (examples/todo) for real: its lock, Alembic, gunicorn and PostgreSQL.

Everything runs the way the kit runs a release of it: a venv built from the example's own
lock, `alembic -c todo/alembic.ini` from its directory, gunicorn with its config module.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kitcore.migrations import database_heads, pending_revisions
from rollout.kube.migrate import revisions
from tests.examples.todo_service import (
    CONTRACT,
    EXAMPLE,
    PORTS,
    TodoServer,
    in_venv,
    run,
    run_or_fail,
    service_env,
    uv,
)
from tests.support.postgres import PostgresServer, PostgresTemplate

IDENTITY_HEADERS = ("X-Release", "X-Slot", "X-Request-ID")


def call(server: TodoServer, method: str, path: str, **kwargs: Any) -> requests.Response:
    """Make one request to the server (10 s timeout)."""
    return requests.request(method, server.url + path, timeout=10, **kwargs)


def create(server: TodoServer, title: str) -> dict[str, Any]:
    """Create a todo and return its JSON."""
    resp = call(server, "POST", "/todos", json={"title": title})
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def assert_json_error(resp: requests.Response, status: int) -> dict[str, Any]:
    """Check a JSON error answer with its status and the identity headers; return its body."""
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"] == "application/json"
    assert all(resp.headers.get(name) for name in IDENTITY_HEADERS)
    body: dict[str, Any] = resp.json()
    assert body["status"] == status
    assert body["message"]
    return body


# -- the project and its contract -------------------------------------------------------------
def test_lock_matches_the_project() -> None:
    uv("lock", "--check")


def test_contract_is_its_own() -> None:
    assert CONTRACT.name == "todo-api"
    assert CONTRACT.serve.wsgi == "todo.web:application"
    assert CONTRACT.health.identity == "/_status/live"
    assert CONTRACT.platform.services == ["postgres"]


def test_migration_heads_are_readable_by_the_kit(todo_venv: Path, todo_database: str) -> None:
    # The rollout reads `current` and `heads` on Kubernetes, the database's heads locally.
    assert CONTRACT.migrate is not None
    env = service_env(todo_venv, DATABASE_URL=todo_database)
    for verb in ("current", "heads"):
        output = run_or_fail(in_venv(todo_venv, [*CONTRACT.migrate.command, verb]), env)
        assert revisions(output) == ["0001"], output
    assert database_heads(todo_database) == ("0001",)
    assert pending_revisions(EXAMPLE / "todo" / "migrations", ("0001",)) == []


def test_production_refuses_to_start_without_a_database(todo_venv: Path) -> None:
    proc = run(
        in_venv(todo_venv, ["python", "-c", "import todo.web"]),
        service_env(todo_venv, TODO_ENV="production"),
    )
    assert proc.returncode != 0
    assert "DATABASE_URL is required when TODO_ENV=production" in proc.stderr


# -- health and identity ----------------------------------------------------------------------
def test_liveness_names_the_release_and_slot(todo_server: TodoServer) -> None:
    resp = call(todo_server, "GET", "/_status/live")
    assert resp.status_code == 200
    assert resp.json() == {"state": "up", "release": "r-test-1", "slot": "green"}
    assert resp.headers["X-Release"] == "r-test-1"
    assert resp.headers["X-Slot"] == "green"
    assert len(resp.headers["X-Request-ID"]) >= 16


def test_ready_when_the_database_answers(todo_server: TodoServer) -> None:
    resp = call(todo_server, "GET", "/_status/ready")
    assert resp.status_code == 200
    assert resp.json()["state"] == "ready"


def test_request_id_is_echoed(todo_server: TodoServer) -> None:
    resp = call(todo_server, "GET", "/todos", headers={"X-Request-ID": "trace-42.a:b_c"})
    assert resp.headers["X-Request-ID"] == "trace-42.a:b_c"


def test_unusable_request_id_is_replaced(todo_server: TodoServer) -> None:
    resp = call(todo_server, "GET", "/todos", headers={"X-Request-ID": "not an id; x=1"})
    assert resp.headers["X-Request-ID"] not in ("", "not an id; x=1")


# -- the API ----------------------------------------------------------------------------------
def test_create_then_read_back(todo_server: TodoServer) -> None:
    resp = call(todo_server, "POST", "/todos", json={"title": "  buy milk  "})
    assert resp.status_code == 201
    todo = resp.json()
    assert todo["title"] == "buy milk"
    assert todo["done"] is False
    assert todo["created_at"]
    assert resp.headers["Location"] == f"/todos/{todo['id']}"
    assert resp.headers["X-Slot"] == "green"
    again = call(todo_server, "GET", f"/todos/{todo['id']}")
    assert again.status_code == 200
    assert again.json() == todo


def test_title_of_the_longest_length_is_taken(todo_server: TodoServer) -> None:
    assert len(create(todo_server, "x" * 200)["title"]) == 200


def test_list_is_newest_first_and_limited(todo_server: TodoServer) -> None:
    made = [create(todo_server, f"item {uuid.uuid4().hex[:8]}")["id"] for _ in range(3)]
    resp = call(todo_server, "GET", "/todos", params={"limit": "2"})
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    body = resp.json()
    assert body["limit"] == 2
    assert [todo["id"] for todo in body["todos"]] == made[::-1][:2]


def test_list_defaults_to_twenty(todo_server: TodoServer) -> None:
    for n in range(21):
        create(todo_server, f"bulk {n}")
    body = call(todo_server, "GET", "/todos").json()
    assert body["limit"] == 20
    assert len(body["todos"]) == 20


@pytest.mark.parametrize("limit", ["0", "101", "abc", "-1", "", "1.5", "٣"])
def test_limit_out_of_bounds_is_a_400(todo_server: TodoServer, limit: str) -> None:
    resp = call(todo_server, "GET", "/todos", params={"limit": limit})
    assert "1 to 100" in assert_json_error(resp, 400)["message"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ('{"title": "unterminated', 400),
        ("", 400),
        ("[1, 2]", 422),
        ('"just a string"', 422),
        ("{}", 422),
        ('{"title": null}', 422),
        ('{"title": 7}', 422),
        ('{"title": ""}', 422),
        ('{"title": "   "}', 422),
        ('{"title": "' + "x" * 201 + '"}', 422),
        ('{"title": "nul \\u0000 byte"}', 422),
        ('{"title": "lone \\ud800 surrogate"}', 422),
        ('{"title": "two\\nlines"}', 422),
        ('{"title": "ok", "done": true}', 422),
        ("[" * 3_000 + "]" * 3_000, 400),  # nesting the parser gives up on
        ('{"title": ' + "1" * 5_000 + "}", 400),  # an integer Python refuses to parse
        (b'{"title": "\xff\xfe"}', 400),  # not UTF-8
    ],
    ids=lambda value: value[:40] if isinstance(value, str | bytes) else str(value),
)
def test_bad_new_todo_is_a_json_4xx(
    todo_server: TodoServer, body: str | bytes, status: int
) -> None:
    resp = call(
        todo_server, "POST", "/todos", data=body, headers={"Content-Type": "application/json"}
    )
    assert_json_error(resp, status)


def test_body_that_is_not_json_is_a_415(todo_server: TodoServer) -> None:
    resp = call(todo_server, "POST", "/todos", data="title=x")
    assert_json_error(resp, 415)


def test_oversized_body_is_a_413(todo_server: TodoServer) -> None:
    resp = call(todo_server, "POST", "/todos", json={"title": "x" * 20_000})
    assert_json_error(resp, 413)


@pytest.mark.parametrize("path", ["/todos/999999", "/todos/abc", "/todos/-1", "/todos/99999999999"])
def test_missing_or_impossible_todo_is_a_404(todo_server: TodoServer, path: str) -> None:
    assert_json_error(call(todo_server, "GET", path), 404)


def test_unknown_route_is_a_json_404(todo_server: TodoServer) -> None:
    body = assert_json_error(call(todo_server, "GET", "/nowhere"), 404)
    assert body["request_id"]


@pytest.mark.parametrize(("method", "path"), [("DELETE", "/todos"), ("POST", "/_status/live")])
def test_wrong_method_is_a_json_405(todo_server: TodoServer, method: str, path: str) -> None:
    resp = call(todo_server, method, path)
    assert_json_error(resp, 405)
    assert "GET" in resp.headers["Allow"]


# -- an outage of the database ----------------------------------------------------------------
@pytest.fixture
def outage_pair(
    todo_pg_template: PostgresTemplate, todo_venv: Path, tmp_path: Path
) -> Iterator[tuple[PostgresServer, TodoServer]]:
    """A private PostgreSQL this test stops and starts again, and todo-api on it."""
    database = todo_pg_template.new_server(PORTS)
    # Heroku-style postgres:// on purpose: the app must map it to its driver too.
    url = database.url().replace("postgresql://", "postgres://", 1)
    server = TodoServer(todo_venv, url, tmp_path / "gunicorn.log")
    try:
        database.start()
        server.start()
        yield database, server
    finally:
        server.stop()
        database.stop()


def test_readiness_follows_the_database(outage_pair: tuple[PostgresServer, TodoServer]) -> None:
    database, server = outage_pair
    assert call(server, "GET", "/_status/ready").status_code == 200
    database.stop()
    resp = call(server, "GET", "/_status/ready")
    assert resp.status_code == 503
    assert resp.json() == {"state": "unavailable", "database": "unreachable"}
    # Nothing about where the database is or how it failed.
    for secret in ("127.0.0.1", str(database.port), "postgres", "connection", "refused"):
        assert secret not in resp.text.lower()
    # Alive all the same (liveness never asks the database), and the API says 503, not 500.
    assert call(server, "GET", "/_status/live").status_code == 200
    assert_json_error(call(server, "GET", "/todos"), 503)
    database.start()
    assert call(server, "GET", "/_status/ready").status_code == 200
