"""What the Nginx templates (nginx/templates) take from the service's contract."""

from __future__ import annotations

import re

from kitcore.contract import Contract


def proxy_variables(contract: Contract) -> dict[str, str]:
    """Return the ${NGINX_*} values that come from the service's contract."""
    nginx = contract.nginx
    # One regex location for every credential path: an alternation of exact paths; `(?!)`
    # never matches, for a service with none.
    limited = "|".join(re.escape(path) for path in nginx.rate_limited) or "(?!)"
    return {
        "NGINX_RATE_LIMITED": limited,
        "NGINX_METRICS_PATH": contract.health.metrics or "/metrics",
        "NGINX_STATIC_URL": nginx.static_url,
    }
