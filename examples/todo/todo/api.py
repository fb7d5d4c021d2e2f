"""The to-do API: list the newest todos, create one, read one back."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import NotFound

from todo import store
from todo.runtime import runtime
from todo.validation import json_object, new_title, page_limit

# Ids are PostgreSQL integers (serial): a larger one cannot exist, and could not be bound.
MAX_ID = 2**31 - 1
api = Blueprint("todos", __name__, url_prefix="/todos")


@api.get("")
def list_todos() -> Response:
    """Return the newest todos first, at most ?limit= of them."""
    limit = page_limit(request.args)
    with runtime().engine.connect() as conn:
        found = store.recent(conn, limit)
    return jsonify(todos=[todo.as_json() for todo in found], limit=limit)


@api.post("")
def create_todo() -> tuple[Response, int, dict[str, str]]:
    """Create a todo from {"title": ...}; answer 201 with it and its Location."""
    title = new_title(json_object())
    with runtime().engine.begin() as conn:
        todo = store.add(conn, title)
    return jsonify(todo.as_json()), 201, {"Location": f"/todos/{todo.id}"}


@api.get(f"/<int(max={MAX_ID}):todo_id>")
def read_todo(todo_id: int) -> Response:
    """Return one todo, or 404."""
    with runtime().engine.connect() as conn:
        todo = store.find(conn, todo_id)
    if todo is None:
        raise NotFound(f"No todo with id {todo_id}.")
    return jsonify(todo.as_json())
