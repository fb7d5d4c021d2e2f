"""app_jobs_{queued,started,failed,finished,scheduled}{queue}: RQ sizes read at scrape time."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from app.jobs.queue import job_counts

log = logging.getLogger(__name__)


class JobQueueCollector(Collector):
    """Jobs in the queue and in each RQ registry, per queue, read from Redis."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Count jobs per state; nothing when jobs run eagerly or Redis is down."""
        try:
            counts = job_counts()
        except Exception as exc:  # Redis down: app_dependency_up{dependency="redis"} says so
            log.warning("job counts unavailable: %s", type(exc).__name__)
            return
        for state, per_queue in counts.items():
            family = GaugeMetricFamily(
                f"app_jobs_{state}", f"Jobs currently {state}, per queue.", labels=["queue"]
            )
            for queue, value in per_queue.items():
                family.add_metric([queue], float(value))
            yield family
