"""Log-line context outside requests (job id, the enqueuing request's id) and trace ids."""

from __future__ import annotations

import logging
from contextvars import ContextVar

from opentelemetry import trace

# Set while a background job runs (app/jobs/runner.py).
job_request_id: ContextVar[str | None] = ContextVar("job_request_id", default=None)
job_id: ContextVar[str | None] = ContextVar("job_id", default=None)


class LogContextFilter(logging.Filter):
    """Add the job's request id, the job id and the current trace/span ids to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate the record; never drop it."""
        if record.__dict__.get("request_id") is None:
            record.request_id = job_request_id.get()
        current_job = job_id.get()
        if current_job is not None:
            record.job_id = current_job
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        return True


def install_log_context() -> None:
    """Attach the filter to the root JSON handlers configure_logging installed."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_kit_json", False) and not any(
            isinstance(f, LogContextFilter) for f in handler.filters
        ):
            handler.addFilter(LogContextFilter())
