"""What users of a colour saw on a cluster: the app's Prometheus series, scraped from its pods.

Each pod of the colour is scraped through the API server's pod proxy (`kubectl get --raw
/api/v1/namespaces/NS/pods/POD:PORT/proxy/metrics`: no port-forward, no Prometheus needed),
so the colour is the pods' label, not a series label. A background thread scrapes every
`every_s` from the switch on; the verdict takes one last scrape and reduces counter and
histogram deltas (per pod: a restarted pod's counters start again from 0) to the whole window
and to its last short_window_s, judged by rollout/verify/observe.py.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

from kitcore.contract import Contract
from rollout.kube.kubectl import Kubectl, KubectlError
from rollout.verify.gates import GateConfig
from rollout.verify.observe import FixedObserver, Window, judge
from rollout.verify.observe import Observer as Observer  # re-exported for K8sTarget.observe
from rollout.verify.verdict import Status, Verdict

REQUESTS = "app_http_requests"  # the parser drops the counter's _total from the family name
LATENCY = "app_http_request_duration_seconds"


@dataclass(frozen=True)
class Counts:
    """One pod's cumulative request count, 5xx count and latency buckets (le -> count)."""

    requests: float = 0.0
    errors: float = 0.0
    buckets: dict[float, float] = field(default_factory=dict)

    def minus(self, earlier: Counts) -> Counts:
        """The increase since an earlier scrape (a reset counter counts from 0)."""
        if self.requests < earlier.requests:
            return self
        buckets = {le: n - earlier.buckets.get(le, 0.0) for le, n in self.buckets.items()}
        return Counts(self.requests - earlier.requests, self.errors - earlier.errors, buckets)

    def plus(self, other: Counts) -> Counts:
        """Add two pods' counts."""
        keys = set(self.buckets) | set(other.buckets)
        buckets = {k: self.buckets.get(k, 0.0) + other.buckets.get(k, 0.0) for k in keys}
        return Counts(self.requests + other.requests, self.errors + other.errors, buckets)


def parse(text: str, skip: Iterable[str] = ()) -> Counts:
    """Sum the app's request series of one scrape, leaving out probe endpoints."""
    skipped = set(skip)
    requests = errors = 0.0
    buckets: dict[float, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.labels.get("endpoint") in skipped:
                continue
            if family.name == REQUESTS and s.name.endswith("_total"):
                requests += s.value
                errors += s.value if s.labels.get("status", "").startswith("5") else 0.0
            elif family.name == LATENCY and s.name.endswith("_bucket"):
                le = float(s.labels["le"])
                buckets[le] = buckets.get(le, 0.0) + s.value
    return Counts(requests, errors, buckets)


def quantile(q: float, buckets: dict[float, float]) -> float:
    """histogram_quantile over cumulative buckets, linear within a bucket (seconds)."""
    ordered = sorted(buckets.items())
    total = ordered[-1][1] if ordered else 0.0
    if total <= 0:
        return 0.0
    rank, lower, below = q * total, 0.0, 0.0
    for le, count in ordered:
        if count >= rank:
            if math.isinf(le):
                return lower  # as Prometheus: the highest finite bound
            return lower + (le - lower) * (rank - below) / max(count - below, 1e-9)
        lower, below = le, count
    return lower


def window(later: dict[str, Counts], earlier: dict[str, Counts]) -> Window:
    """Reduce two scrapes of every pod to a window (a pod new since then counts from 0)."""
    total = Counts()
    for pod, counts in later.items():
        total = total.plus(counts.minus(earlier.get(pod, Counts())))
    return Window(int(total.requests), int(total.errors), 1000 * quantile(0.99, total.buckets))


Scrape = Callable[[], dict[str, Counts]]


class MetricsObserver:
    """Scrapes a colour's pods from the switch on; judges the window when asked."""

    def __init__(self, colour: str, scrape: Scrape, every_s: float = 2.0) -> None:
        self.colour, self.scrape, self.every_s = colour, scrape, every_s
        self.samples: list[tuple[float, dict[str, Counts]]] = []
        self.broken = ""
        try:
            self.samples.append((time.time(), scrape()))
        except KubectlError as exc:
            self.broken = str(exc)
        self._stop = threading.Event()
        # Daemon: a rollout that dies mid-verification must not wait on a scrape loop.
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.samples.append((time.time(), self.scrape()))
            except KubectlError:
                continue  # one missed scrape only widens the short window

    def close(self) -> None:
        """Stop the scrape loop (a failed or interrupted verification never asks a verdict)."""
        self._stop.set()
        self._thread.join(timeout=30)

    def verdict(self, cfg: GateConfig) -> Verdict:
        """The window since the switch and its last short_window_s, from one last scrape."""
        self.close()
        try:
            now, last = time.time(), self.scrape()
        except KubectlError as exc:
            self.broken = str(exc)
        if self.broken or not self.samples:
            # The gate still judges; a metrics path that cannot be read is no reason to roll back.
            return Verdict("observe", Status.PASSED, f"not judged: scrape failed: {self.broken}")
        samples, first = [*self.samples, (now, last)], self.samples[0][1]
        # The short window ends at the colour's last traffic, not at this call (a control run
        # after the gate leaves seconds without requests to the new colour).
        seen = [window(sample, first).requests for _, sample in samples]
        end = max((i for i in range(1, len(seen)) if seen[i] > seen[i - 1]), default=0)
        end_t, end_sample = samples[end]
        recent = [s for t, s in samples[: end + 1] if t <= end_t - cfg.short_window_s]
        short_base = recent[-1] if recent else first
        long, short = window(end_sample, first), window(end_sample, short_base)
        return judge(cfg, self.colour, long, short)


def observer(kubectl: Kubectl, colour: str, selector: str, contract: Contract) -> Observer:
    """Start watching a colour's pods (nothing to watch when the contract has no metrics)."""
    health = contract.health
    if not health.metrics:
        return FixedObserver("the service exposes no metrics")
    skip = [health.liveness, health.readiness]
    scrape = pod_scraper(kubectl, selector, contract.serve.port, health.metrics, skip)
    return MetricsObserver(colour, scrape)


def pod_scraper(kubectl: Kubectl, selector: str, port: int, path: str, skip: list[str]) -> Scrape:
    """Scrape every Running pod matching the selector through the API server's pod proxy."""

    def scrape() -> dict[str, Counts]:
        found: dict[str, Counts] = {}
        for pod in kubectl.get("pods", selector=selector):
            if pod.get("status", {}).get("phase") != "Running":
                continue
            name = pod["metadata"]["name"]
            raw = f"/api/v1/namespaces/{kubectl.namespace}/pods/{name}:{port}/proxy{path}"
            found[name] = parse(kubectl.run("get", "--raw", raw).stdout, skip)
        return found

    return scrape
