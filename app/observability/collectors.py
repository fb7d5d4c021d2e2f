"""Scrape-time collectors: dependency readiness and RQ queue/registry sizes."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from app.services.health import run_checks

log = logging.getLogger(__name__)


class ReadinessCollector(Collector):
    """app_dependency_up{dependency}: 1 when the readiness check passes, else 0."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Run the readiness checks and report each one."""
        up = GaugeMetricFamily(
            "app_dependency_up",
            "Readiness of each dependency (1 ok, 0 failing).",
            labels=["dependency"],
        )
        for result in run_checks():
            up.add_metric([result.name], 1.0 if result.ok else 0.0)
        yield up


class JobQueueCollector(Collector):
    """app_jobs_{queued,started,failed,finished,scheduled} per queue, read from Redis."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Count jobs in the queue and each RQ registry; nothing when jobs run eagerly."""
        from app.jobs.queue import job_counts

        try:
            counts = job_counts()
        except Exception as exc:  # Redis down: readiness already reports it
            log.warning("job counts unavailable: %s", type(exc).__name__)
            return
        for state, per_queue in counts.items():
            family = GaugeMetricFamily(
                f"app_jobs_{state}", f"Jobs currently {state}, per queue.", labels=["queue"]
            )
            for queue, value in per_queue.items():
                family.add_metric([queue], float(value))
            yield family
