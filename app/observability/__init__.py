"""Logging, request correlation, Prometheus metrics, OpenTelemetry tracing and log context."""
