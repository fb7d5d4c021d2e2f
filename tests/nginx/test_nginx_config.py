"""The templates render into a config `nginx -t` accepts, and nothing else slips through."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kitcore.proxy import proxy_variables
from stack.certs import ensure_certificates
from stack.errors import StackError
from stack.nginx import Listeners, render_text
from stack.routing import Route, prepare_prefix
from tests.support.contract import REFERENCE

TEMPLATES = Path(__file__).resolve().parents[2] / "nginx" / "templates"
SERVICE = proxy_variables(REFERENCE)


def test_rendered_config_passes_nginx_t(tmp_path: Path) -> None:
    _, cert, key = ensure_certificates(tmp_path / "tls")
    listeners = Listeners(
        tmp_path / "nginx", 23081, 23441, 23442, cert, key, hsts_max_age=60, service=SERVICE
    )
    nginx = prepare_prefix(
        TEMPLATES, listeners, Route("blue", 23003, tmp_path), Route("green", 23004, tmp_path)
    )
    nginx.test()
    rendered = "\n".join(p.read_text() for p in (tmp_path / "nginx" / "conf").rglob("*.conf"))
    assert "${" not in rendered


def test_nginx_t_rejects_a_broken_config(tmp_path: Path) -> None:
    _, cert, key = ensure_certificates(tmp_path / "tls")
    listeners = Listeners(
        tmp_path / "nginx", 23081, 23441, 23442, cert, key, hsts_max_age=60, service=SERVICE
    )
    nginx = prepare_prefix(
        TEMPLATES, listeners, Route("blue", 23003, tmp_path), Route("green", 23004, tmp_path)
    )
    include = tmp_path / "nginx" / "conf" / "upstream" / "active.conf"
    include.write_text(include.read_text().replace("server ", "servr "))
    with pytest.raises(StackError, match="nginx -t failed"):
        nginx.test()


def test_a_missing_variable_is_refused() -> None:
    with pytest.raises(StackError, match="NGINX_NOPE"):
        render_text("listen ${NGINX_NOPE};", {})


def test_nginx_variables_are_left_alone() -> None:
    assert render_text("return 301 https://$host${X}$request_uri;", {"X": ":1"}) == (
        "return 301 https://$host:1$request_uri;"
    )


def test_legacy_http2_rewrite() -> None:
    text = "    listen 127.0.0.1:1 ssl default_server;\n    http2 on;\n"
    assert render_text(text, {}, legacy_http2=True) == (
        "    listen 127.0.0.1:1 ssl http2 default_server;\n"
    )


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.template")), ids=lambda p: p.name)
def test_templates_are_envsubst_safe(template: Path) -> None:
    """Only ${NGINX_*} is ours, so the official image's envsubst (filter ^NGINX_) agrees."""
    text = template.read_text()
    names = set(re.findall(r"\$\{(\w+)\}", text))
    assert all(name.startswith("NGINX_") for name in names), names
    assert not re.findall(r"\$NGINX_", text), "write ${NGINX_X}, not $NGINX_X"
    assert text.startswith("#"), "each file starts with a header saying why"


def test_python_renderer_matches_envsubst_as_the_official_image_runs_it() -> None:
    """The nginx image's entrypoint runs `envsubst "${NGINX_A} ${NGINX_B} ..."` per template."""
    envsubst = shutil.which("envsubst")
    if envsubst is None:
        pytest.fail("envsubst is missing (apt-get install gettext-base)")
    variables = {
        name: f"value-of-{name.lower()}"
        for template in TEMPLATES.rglob("*.template")
        for name in re.findall(r"\$\{(NGINX_\w+)\}", template.read_text())
    }
    # Like the image, define more variables than are used, some that look like nginx's own.
    env = {"PATH": "/usr/bin:/bin", "host": "NOT-SUBSTITUTED", "NGINX_VERSION": "1.28"}
    env |= variables
    shell_format = " ".join(f"${{{name}}}" for name in env if re.match(r"^NGINX_", name))
    for template in sorted(TEMPLATES.rglob("*.template")):
        text = template.read_text()
        official = subprocess.run(
            [envsubst, shell_format],
            input=text,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert render_text(text, variables) == official, template.name
