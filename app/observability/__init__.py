"""Logging and request correlation (metrics and tracing slot in here later)."""
