"""From the stack to the pods: which database credentials each workload ends up with.

Issue 13, item 15, end to end offline: the prod program runs under mocks, its exports go
through overlay_config.py into a copy of the prod overlay, `rollout render` renders it for
the reference service (rollout/kube/render.py), and each
ExternalSecret is followed to the Secrets Manager document the program stored. The web and
worker pods must get the application role's URL, the migration Job the owner's, both with
sslmode=verify-full.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from infra_harness import INFRA, Run, document, run_program, secret_value

from rollout.kube.render import render_overlay
from tests.support.contract import REFERENCE
from tests.support.kubectl import KUBECTL

SCRIPT = INFRA / "scripts" / "overlay_config.py"
Stack = tuple[Run, list[dict[str, Any]]]  # the mocked program's run, the rendered prod overlay


def _stored(run: Run, arn: str) -> dict[str, Any]:
    """Return the JSON document the program stored in the secret with this ARN."""
    (secret,) = [
        r for r in run.of_type("aws:secretsmanager/secret:Secret") if r.state["arn"] == arn
    ]
    (version,) = [
        r
        for r in run.of_type("aws:secretsmanager/secretVersion:SecretVersion")
        if r.inputs["secretId"] == f"{secret.name}-id"
    ]
    return dict(document(secret_value(version.inputs["secretString"])))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    run = run_program("prod")
    root = tmp_path_factory.mktemp("repo") / "k8s"
    shutil.copytree(INFRA.parent / "k8s", root, ignore=shutil.ignore_patterns("*secrets.env"))
    outputs = root.parent / "prod.json"
    outputs.write_text(json.dumps(run.exports))
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(outputs), str(root / "overlays/prod/infra.env")],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return run, render_overlay(REFERENCE, root / "overlays/prod", KUBECTL)


def _database_document(stack: Stack, external: str) -> dict[str, Any]:
    run, docs = stack
    (secret,) = [
        d for d in docs if d["kind"] == "ExternalSecret" and d["metadata"]["name"] == external
    ]
    (entry,) = [d for d in secret["spec"]["data"] if d["secretKey"] == "DATABASE_URL"]
    assert entry["remoteRef"]["property"] == "url"
    return _stored(run, entry["remoteRef"]["key"])


def test_the_pods_database_url_is_the_app_roles_and_verifies_the_server(stack: Stack) -> None:
    pods = _database_document(stack, REFERENCE.k8s_name("secrets"))
    owner = _database_document(stack, REFERENCE.k8s_name("migrate-secrets"))
    url = urlsplit(pods["url"])
    assert url.username == pods["username"] == "app_rw"
    assert url.username != urlsplit(owner["url"]).username
    assert owner["password"] not in pods["url"]
    for document_ in (pods, owner):
        query = parse_qs(urlsplit(document_["url"]).query)
        assert query["sslmode"] == ["verify-full"]


def test_the_job_creates_exactly_the_role_the_pods_log_in_as(stack: Stack) -> None:
    run, docs = stack
    (secret,) = [
        d
        for d in docs
        if d["kind"] == "ExternalSecret"
        and d["metadata"]["name"] == REFERENCE.k8s_name("migrate-secrets")
    ]
    refs = {d["secretKey"]: d["remoteRef"] for d in secret["spec"]["data"]}
    role = _stored(run, refs["DATABASE_APP_USER"]["key"])[refs["DATABASE_APP_USER"]["property"]]
    password = _stored(run, refs["DATABASE_APP_PASSWORD"]["key"])[
        refs["DATABASE_APP_PASSWORD"]["property"]
    ]
    pods = urlsplit(_database_document(stack, REFERENCE.k8s_name("secrets"))["url"])
    assert (role, password) == (pods.username, pods.password)
