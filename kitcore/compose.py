"""A Docker Compose file for a service, rendered from its contract.

Nginx (HTTPS, the kit's templates) in front of the service's image; one-shot migrations and
bucket creation; PostgreSQL, Redis and SeaweedFS only when the contract's [platform] uses
them; the worker only when it declares one. Secrets are required variables (`${X:?...}`),
never defaults. The repository's compose.yml is this rendering of its kit.toml (a test keeps
them equal): `python -m kitcore.compose > compose.yml`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import yaml

from kitcore.contract import Contract, ContractError, load_contract
from kitcore.proxy import proxy_variables

HEADER = """\
# Rendered from kit.toml by `python -m kitcore.compose` (make compose): edit the contract or
# kitcore/compose.py, not this file. For users with Docker Compose v2 (`docker compose up`):
# Nginx (HTTPS) in front of the service's image, one-shot migrations, and the services the
# contract's [platform] uses. Required variables (the file refuses to load without them):
# SECRET_KEY, the platform's passwords and keys, TLS_CERT and TLS_KEY (PEM files for Nginx).
# The image is `make image`'s (APP_IMAGE overrides it, e.g. a registry image by digest).
"""
HARDENED = {
    "read_only": True,
    "tmpfs": ["/tmp:size=64m,noexec,nosuid"],  # noqa: S108 - a container's private tmpfs
    "cap_drop": ["ALL"],
    "security_opt": ["no-new-privileges:true"],
    "networks": ["backend"],
    "restart": "unless-stopped",
}
HEALTH = {"interval": "5s", "timeout": "3s", "retries": 10}


def _required(name: str, hint: str = "") -> str:
    return "${%s:?set %s%s}" % (name, name, f" ({hint})" if hint else "")  # noqa: UP031


def service_environment(contract: Contract) -> dict[str, str]:
    """Return the environment of every container of the service."""
    used, database = contract.platform.services, contract.platform.database
    env = {
        **contract.serve.production_env,
        "SECRET_KEY": _required("SECRET_KEY", "e.g. openssl rand -hex 32"),
        "LOG_LEVEL": "${LOG_LEVEL:-INFO}",
        "GUNICORN_BIND": f"0.0.0.0:{contract.serve.port}",
        "GUNICORN_WORKERS": "${GUNICORN_WORKERS:-2}",
        # Only the nginx container reaches the service (its port is not published), so the
        # proxy headers it sets are trusted from any address on this private network.
        "FORWARDED_ALLOW_IPS": "*",
        "TRUSTED_PROXY_HOPS": "1",
    }
    if "postgres" in used:
        password = _required("POSTGRES_PASSWORD")
        env["DATABASE_URL"] = f"postgresql://{database}:{password}@postgres:5432/{database}"
    if "redis" in used:
        env["REDIS_URL"] = f"redis://:{_required('REDIS_PASSWORD')}@redis:6379/0"
    if "s3" in used:
        env |= {
            "S3_ENDPOINT_URL": "http://s3:8333",
            "S3_BUCKET": f"${{S3_BUCKET:-{contract.name}}}",
            "S3_REGION": "${S3_REGION:-us-east-1}",
            "AWS_ACCESS_KEY_ID": _required("S3_ACCESS_KEY"),
            "AWS_SECRET_ACCESS_KEY": _required("S3_SECRET_KEY"),
        }
    return env


def _service(contract: Contract, **extra: Any) -> dict[str, Any]:
    base = {"image": f"${{APP_IMAGE:-{contract.image.name}:local}}"}
    return {**base, "environment": service_environment(contract), **HARDENED, **extra}


def _one_shot(contract: Contract, command: list[str], needs: dict[str, Any]) -> dict[str, Any]:
    return _service(
        contract, command=command, restart="no", depends_on=needs, healthcheck={"disable": True}
    )


def render_compose(contract: Contract) -> dict[str, Any]:
    """Return the Compose file of the service as a dict."""
    used = contract.platform.services
    ready: dict[str, Any] = {}
    services: dict[str, Any] = {}
    if contract.migrate is not None:
        # One database role under Compose (the owner): no application role to prepare.
        upgrade = contract.migrate.upgrade()
        needs = {"postgres": {"condition": "service_healthy"}} if "postgres" in used else {}
        services["migrate"] = _one_shot(contract, upgrade, needs)
        ready["migrate"] = {"condition": "service_completed_successfully"}
    if "s3" in used:
        services["bucket"] = _one_shot(
            contract, ["python3", "-c", BUCKET_SCRIPT], {"s3": {"condition": "service_healthy"}}
        )
        ready["bucket"] = {"condition": "service_completed_successfully"}
    if "redis" in used:
        ready["redis"] = {"condition": "service_healthy"}
    # Beyond gunicorn's graceful timeout (30 s): in-flight requests finish. The image's
    # HEALTHCHECK (the contract's liveness route) applies.
    services["app"] = _service(contract, stop_grace_period="40s", depends_on=dict(ready))
    if contract.serve.worker:
        worker = _service(
            contract, command=contract.serve.worker, stop_grace_period="60s",
            depends_on=dict(ready),
        )  # fmt: skip
        if contract.serve.worker_check:
            check = ["CMD", *contract.serve.worker_check]
            worker["healthcheck"] = {"test": check, **HEALTH, "interval": "15s"}
        services["worker"] = worker
    services |= {name: make(contract) for name, make in PLATFORM.items() if name in used}
    services["nginx"] = nginx(contract)
    volumes: dict[str, Any] = {f"{VOLUMES[name]}data": {} for name in PLATFORM if name in used}
    return {
        "services": services,
        "networks": {"frontend": {}, "backend": {"internal": True}},
        "volumes": volumes,
    }


BUCKET_SCRIPT = """\
import os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"],
                  region_name=os.environ["S3_REGION"])
name = os.environ["S3_BUCKET"]
if name not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]:
    s3.create_bucket(Bucket=name)
print("bucket ready:", name)
"""


def postgres(contract: Contract) -> dict[str, Any]:
    """PostgreSQL with the service's database and its owner role."""
    db = contract.platform.database
    check = ["CMD", "pg_isready", f"--username={db}", f"--dbname={db}", "--host=127.0.0.1"]
    return {
        "image": "postgres:17-bookworm",
        "environment": {
            "POSTGRES_USER": db, "POSTGRES_DB": db,
            "POSTGRES_PASSWORD": _required("POSTGRES_PASSWORD"),
        },
        "volumes": ["pgdata:/var/lib/postgresql/data"],
        "networks": ["backend"],
        "healthcheck": {"test": check, **HEALTH, "start_period": "10s"},
        "restart": "unless-stopped",
    }  # fmt: skip


def redis(contract: Contract) -> dict[str, Any]:
    """Redis with a password and an append-only file (queued jobs survive a restart)."""
    return {
        "image": "redis:7.4-bookworm",
        "environment": {
            "REDIS_PASSWORD": _required("REDIS_PASSWORD"),
            "REDISCLI_AUTH": _required("REDIS_PASSWORD"),
        },
        # The password is read from the environment by the shell, not written into the command.
        "command": [
            "sh",
            "-c",
            'exec redis-server --requirepass "$$REDIS_PASSWORD" --appendonly yes',
        ],
        "volumes": ["redisdata:/data"],
        "networks": ["backend"],
        "healthcheck": {"test": ["CMD-SHELL", "redis-cli ping | grep -q PONG"], **HEALTH},
        "restart": "unless-stopped",
    }


S3_IDENTITY = (
    '{"identities":[{"name":"app","credentials":[{"accessKey":"%s","secretKey":"%s"}],'
    '"actions":["Admin","Read","Write","List","Tagging"]}]}'
)
S3_START = (
    f'printf \'{S3_IDENTITY}\' "$$S3_ACCESS_KEY" "$$S3_SECRET_KEY" > /tmp/s3.json\n'
    "exec weed server -dir=/data -s3 -s3.port=8333 -s3.config=/tmp/s3.json"
    " -master.volumeSizeLimitMB=1024\n"
)


def s3(contract: Contract) -> dict[str, Any]:
    """SeaweedFS: an S3 API that checks SigV4 signatures against the service's identity."""
    check = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8333/healthz"]
    return {
        "image": "chrislusf/seaweedfs:4.48",
        "environment": {
            "S3_ACCESS_KEY": _required("S3_ACCESS_KEY"),
            "S3_SECRET_KEY": _required("S3_SECRET_KEY"),
        },
        "entrypoint": ["/bin/sh", "-c"],
        "command": [S3_START],
        "volumes": ["s3data:/data"],
        "networks": ["backend"],
        "healthcheck": {"test": check, **HEALTH, "retries": 12, "start_period": "10s"},
        "restart": "unless-stopped",
    }


PLATFORM = {"postgres": postgres, "redis": redis, "s3": s3}
VOLUMES = {"postgres": "pg", "redis": "redis", "s3": "s3"}


def nginx(contract: Contract) -> dict[str, Any]:
    """The official image renders the kit's templates with the NGINX_* variables first."""
    upstream = f"app:{contract.serve.port}"
    env = {
        "NGINX_ENVSUBST_OUTPUT_DIR": "/etc/nginx",
        "NGINX_ENVSUBST_FILTER": "^NGINX_",
        "NGINX_PID": "/var/run/nginx.pid",
        "NGINX_ERROR_LOG": "/dev/stderr",
        "NGINX_ACCESS_LOG": "/dev/stdout",
        "NGINX_TEMP_DIR": "/var/cache/nginx",
        "NGINX_HTTP_LISTEN": "80",
        "NGINX_HTTPS_LISTEN": "443",
        "NGINX_PREVIEW_LISTEN": "8444",
        "NGINX_HTTPS_PORT": "${HTTPS_PORT:-8443}",
        "NGINX_SERVER_NAME": "${SERVER_NAME:-localhost}",
        "NGINX_TLS_CERT": "/etc/nginx/tls/cert.pem",
        "NGINX_TLS_KEY": "/etc/nginx/tls/key.pem",
        "NGINX_HSTS_MAX_AGE": "${HSTS_MAX_AGE:-31536000}",
        # One colour under Compose: active and preview both name the app service.
        "NGINX_ACTIVE_COLOUR": "blue",
        "NGINX_ACTIVE_SERVER": upstream,
        "NGINX_PREVIEW_COLOUR": "blue",
        "NGINX_PREVIEW_SERVER": upstream,
        # Static files live in the image: with no local copy, try_files falls through to it.
        "NGINX_ACTIVE_ROOT": "/srv/static-from-app",
        "NGINX_PREVIEW_ROOT": "/srv/static-from-app",
        **proxy_variables(contract),
    }
    check = ["CMD", "curl", "--fail", "--silent", "--insecure", "--output", "/dev/null"]
    return {
        "image": "nginx:1.28-bookworm",
        "environment": env,
        "volumes": [
            "./nginx/templates:/etc/nginx/templates:ro",
            f"{_required('TLS_CERT', 'to a PEM certificate file')}:/etc/nginx/tls/cert.pem:ro",
            f"{_required('TLS_KEY', 'to its PEM key file')}:/etc/nginx/tls/key.pem:ro",
        ],
        "ports": [
            "${BIND_ADDRESS:-127.0.0.1}:${HTTP_PORT:-8080}:80",
            "${BIND_ADDRESS:-127.0.0.1}:${HTTPS_PORT:-8443}:443",
        ],
        "networks": ["frontend", "backend"],
        "depends_on": {"app": {"condition": "service_healthy"}},
        "healthcheck": {
            "test": [*check, f"https://127.0.0.1{contract.health.liveness}"],
            "interval": "10s", "timeout": "3s", "retries": 3, "start_period": "10s",
        },
        "restart": "unless-stopped",
    }  # fmt: skip


class _NoAliases(yaml.SafeDumper):
    """Write every value in full: services share settings, the file should not say &id001."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render_text(contract: Contract) -> str:
    """Return the Compose file as YAML, with its header."""
    body = yaml.dump(render_compose(contract), Dumper=_NoAliases, sort_keys=False, width=100)
    return HEADER + str(body)


def main(argv: list[str] | None = None) -> int:
    """Print the service's Compose file."""
    parser = argparse.ArgumentParser(prog="python -m kitcore.compose", description=__doc__)
    parser.add_argument("--contract", help="the service's kit.toml (default: $KIT_CONTRACT)")
    args = parser.parse_args(argv)
    try:
        print(render_text(load_contract(args.contract)), end="")
    except ContractError as exc:
        print(f"compose: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
