"""The blue-green switch: rewrite the upstream include, reload, confirm; no failed requests."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from stack.errors import StackError
from stack.routing import Route, read_colour, switch_upstreams
from tests.nginx.conftest import TEMPLATES, Proxy


def answering(proxy: Proxy) -> str:
    """Return the colour that answers on the public listener."""
    resp = requests.get(proxy.url("/"), verify=str(proxy.ca), timeout=5)
    return resp.headers.get("X-App-Color", f"HTTP {resp.status_code}")


def route(proxy: Proxy, active: Route, preview: Route) -> None:
    """Switch the public listener to active."""
    switch_upstreams(
        proxy.nginx, TEMPLATES, proxy.pid_file, active, preview, lambda: answering(proxy)
    )


def active_include(proxy: Proxy) -> Path:
    """Return the rendered public upstream include."""
    return proxy.nginx.conf.parent / "upstream" / "active.conf"


def test_switch_under_load_fails_no_request(proxy: Proxy) -> None:
    results: Counter[str] = Counter()
    stop = threading.Event()

    def hammer(keep_alive: bool) -> None:
        with requests.Session() as session:
            if keep_alive:
                # An old worker closes idle client connections when it exits; like browsers
                # (RFC 9112 9.3.1), retry an idempotent request once when that races a send.
                retry = Retry(total=1, connect=0, read=1, status=0, allowed_methods={"GET"})
                session.mount("https://", HTTPAdapter(max_retries=retry))
            else:
                session.headers["Connection"] = "close"  # fresh connections: no retry at all
            while not stop.is_set():
                try:
                    resp = session.get(proxy.url("/healthz"), verify=str(proxy.ca), timeout=5)
                    results[resp.headers.get("X-App-Color", str(resp.status_code))] += 1
                except requests.RequestException as exc:
                    results[f"{keep_alive=} {exc}"] += 1

    threads = [threading.Thread(target=hammer, args=(i % 2 == 0,)) for i in range(6)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        route(proxy, proxy.green, proxy.blue)
        assert read_colour(active_include(proxy)) == "green"
        time.sleep(0.5)
        route(proxy, proxy.blue, proxy.green)
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    assert set(results) == {"blue", "green"}, results
    assert results["green"] > 10
    assert answering(proxy) == "blue"


def test_failed_confirmation_keeps_the_previous_route(proxy: Proxy) -> None:
    dead = Route("green", 23099, proxy.green.app_root)  # nothing listens there
    with pytest.raises(StackError, match="not confirmed"):
        route(proxy, dead, proxy.blue)
    assert read_colour(active_include(proxy)) == "blue"
    assert answering(proxy) == "blue"


def test_dead_upstream_gives_json_502(proxy: Proxy) -> None:
    dead = Route("green", 23099, proxy.green.app_root)
    route(proxy, proxy.blue, dead)
    try:
        resp = requests.get(proxy.url("/", 23444), verify=str(proxy.ca), timeout=5)
        assert resp.status_code == 502
        assert resp.json()["code"] == 502
    finally:
        route(proxy, proxy.blue, proxy.green)


def test_config_nginx_refuses_is_never_loaded(proxy: Proxy) -> None:
    before = active_include(proxy).read_text()
    broken = Route("green", 0, proxy.green.app_root)  # port 0: `nginx -t` fails
    with pytest.raises(StackError, match="nginx -t failed"):
        route(proxy, broken, proxy.blue)
    assert active_include(proxy).read_text() == before
    assert answering(proxy) == "blue"
