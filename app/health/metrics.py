"""app_dependency_up{dependency}: every readiness check, read at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from app.health.checks import run_checks


class ReadinessCollector(Collector):
    """1 when a dependency's check passes, else 0; required and optional checks alike."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Run the readiness checks and report each one."""
        up = GaugeMetricFamily(
            "app_dependency_up",
            "Readiness of each dependency (1 ok, 0 failing).",
            labels=["dependency"],
        )
        required = GaugeMetricFamily(
            "app_dependency_required",
            "Whether the app needs the dependency to serve (1) or degrades without it (0).",
            labels=["dependency"],
        )
        for result in run_checks():
            up.add_metric([result.name], 1.0 if result.ok else 0.0)
            required.add_metric([result.name], 1.0 if result.required else 0.0)
        yield up
        yield required
