"""A gunicorn logger class whose access and error lines match the app's JSON shape."""

from __future__ import annotations

import datetime
from typing import Any

from gunicorn import glogging

from app.observability.logging import json_formatter


# gunicorn ships no type hints, so its Logger is Any to mypy.
class JsonGunicornLogger(glogging.Logger):  # type: ignore[misc]
    """gunicorn's logger with JSON formatters and a structured access line."""

    def setup(self, cfg: Any) -> None:
        """Let gunicorn create its handlers, then make them write JSON."""
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            for handler in logger.handlers:
                handler.setFormatter(json_formatter())

    def access(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: datetime.timedelta
    ) -> None:
        """Log one JSON line per request with the id the app put on the response."""
        if not self.cfg.accesslog:
            return
        # The id is one header among a handful: find it without building a dict per request.
        request_id = next(
            (value for name, value in resp.headers if name.lower() == "x-request-id"), None
        )
        self.access_log.info(
            "request",
            extra={
                "request_id": request_id,
                "method": environ.get("REQUEST_METHOD"),
                "path": environ.get("PATH_INFO"),
                "status": getattr(resp, "status_code", None),
                "duration_ms": round(request_time.total_seconds() * 1000, 2),
                "remote_addr": environ.get("REMOTE_ADDR"),
                "user_agent": environ.get("HTTP_USER_AGENT"),
                "bytes": getattr(resp, "sent", None),
            },
        )
