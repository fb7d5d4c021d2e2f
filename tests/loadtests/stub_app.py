"""A tiny stand-in for the kit's API (same paths and headers) to test the locust users and gate.

STUB_DELAY_MS slows every API answer; STUB_FAIL_EVERY makes every Nth request a 500;
STUB_SIGN_IN_STATUS serves POST /api/v1/auth/token with that status (unset: no such route);
STUB_SIGN_IN_FAILS answers its first N sign-ins 503 and then gives a token.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
from typing import Any

from flask import Flask, Response, jsonify, request

app = Flask(__name__)
_items: dict[str, dict[str, Any]] = {"1": {"id": 1, "owner_id": 1, "title": "seed", "body": ""}}
_lock = threading.Lock()
_counter = itertools.count(1)
DELAY = float(os.environ.get("STUB_DELAY_MS", "0")) / 1000
FAIL_EVERY = int(os.environ.get("STUB_FAIL_EVERY", "0"))
SIGN_IN_STATUS = int(os.environ.get("STUB_SIGN_IN_STATUS", "0"))
SIGN_IN_FAILS = int(os.environ.get("STUB_SIGN_IN_FAILS", "0"))
_sign_ins: list[float] = []  # when each sign-in arrived


@app.before_request
def _slow_or_fail() -> Any:
    n = next(_counter)
    if DELAY:
        time.sleep(DELAY)
    if FAIL_EVERY and n % FAIL_EVERY == 0:
        return jsonify(error="injected"), 500
    return None


@app.after_request
def _headers(resp: Response) -> Response:
    resp.headers["X-App-Version"] = os.environ.get("APP_VERSION", "stub")
    resp.headers["X-App-Color"] = os.environ.get("APP_COLOR", "blue")
    resp.headers["X-Request-ID"] = uuid.uuid4().hex
    return resp


def sign_in() -> Any:
    """Refuse sign-ins with the configured status (a limit), or the first few with 503."""
    with _lock:
        _sign_ins.append(time.time())
        n = len(_sign_ins)
    if SIGN_IN_FAILS and n > SIGN_IN_FAILS:
        return jsonify(access_token="stub-token", token_type="Bearer")
    return jsonify(error="refused"), SIGN_IN_STATUS or 503


@app.get("/debug/sign-ins")
def sign_ins() -> Any:
    with _lock:
        return jsonify(len(_sign_ins))


if SIGN_IN_STATUS or SIGN_IN_FAILS:
    app.post("/api/v1/auth/token")(sign_in)


@app.get("/")
def home() -> str:
    return "<html><body>stub</body></html>"


@app.get("/healthz")
def healthz() -> Any:
    return jsonify(
        status="ok",
        version=os.environ.get("APP_VERSION", "stub"),
        color=os.environ.get("APP_COLOR", "blue"),
    )


@app.get("/api/v1/openapi.json")
def openapi() -> Any:
    return jsonify(openapi="3.0.3")


@app.get("/api/v1/items")
def list_items() -> Any:
    with _lock:
        return jsonify(list(reversed(_items.values()))[:20])


@app.post("/api/v1/items")
def create_item() -> Any:
    body = request.get_json(silent=True) or {}
    if not body.get("title") or body.get("owner_id") != 1:
        return jsonify(error="title and owner_id 1 required"), 422
    item = {"owner_id": 1, "title": body["title"], "body": body.get("body", "")}
    with _lock:
        item["id"] = len(_items) + 1
        _items[str(item["id"])] = item
    return jsonify(item), 201


@app.route("/api/v1/items/<item_id>", methods=["GET", "PATCH", "DELETE"])
def one_item(item_id: str) -> Any:
    with _lock:
        item = _items.pop(item_id) if request.method == "DELETE" else _items.get(item_id)
    if item is None:
        return jsonify(error="not found"), 404
    if request.method == "DELETE":
        return "", 204
    if request.method == "PATCH":
        item.update(request.get_json(silent=True) or {})
    return jsonify(item)


@app.get("/debug/ids")
def ids() -> Any:
    with _lock:
        return jsonify(sorted(int(i) for i in _items))
