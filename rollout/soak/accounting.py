"""The soak's figures: requests inside and outside fault windows, rule of three, criteria."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from enum import IntEnum

from rollout.exitcodes import Exit

# The gate and its control against the serving colour failed alike: neither good nor bad (14
# before the switch; 15 after it, traffic switched back all the same).
INCONCLUSIVE_CODES = {Exit.INCONCLUSIVE, Exit.ROLLED_BACK_INCONCLUSIVE}

PROMOTED_CODES = {0, 13}  # 13: promoted, but the gate's own background load saw failures
REFUSED_CODES = {5, 6, 7, 8, 9, 10}  # traffic never moved to the new release
ROLLED_BACK = 11


class SoakExit(IntEnum):
    """Why the soak failed: the first unmet criterion, in this order."""

    PASSED = 0
    ERROR = 1
    USAGE = 2
    WRITES_LOST = 20
    FAILURES_OUTSIDE_FAULTS = 21
    GOOD_REFUSED = 22
    BAD_NOT_REFUSED = 23
    JOBS_NOT_COMPLETED = 24
    TIME_BOUND = 25
    INTERRUPTED = 130


def classify(code: int) -> str:
    """Name a rollout's exit code: promoted, refused, rolled_back, inconclusive or error."""
    if code in PROMOTED_CODES:
        return "promoted"
    if code in REFUSED_CODES:
        return "refused"
    if code == ROLLED_BACK:
        return "rolled_back"
    if code in INCONCLUSIVE_CODES:
        return "inconclusive"
    return "error"


@dataclass(frozen=True)
class Window:
    """A fault's window: from injection to recovery plus a settle margin, epoch seconds."""

    kind: str
    start: float
    end: float
    detail: str = ""


@dataclass(frozen=True)
class Request:
    """One request of the soak's own load."""

    t: float
    dur: float
    method: str
    path: str
    status: int
    colour: str
    ok: bool
    error: str = ""  # why there was no answer (the client's exception), for the report
    resent: int = 0  # times sent again after its connection closed before any answer


def inside(req: Request, windows: Iterable[Window]) -> bool:
    """Tell whether the request overlaps any fault window."""
    return any(req.t < w.end and req.t + req.dur > w.start for w in windows)


@dataclass(frozen=True)
class Split:
    """Requests sent and failed, inside and outside fault windows."""

    inside_sent: int
    inside_failed: int
    outside_sent: int
    outside_failed: int
    inside_resent: int = 0  # requests safe to send twice, sent again (the client's one retry)
    outside_resent: int = 0


def split(requests: Iterable[Request], windows: Sequence[Window]) -> Split:
    """Count requests, failures and resent requests inside and outside the fault windows."""
    counts = [0, 0, 0, 0]
    resent = [0, 0]
    for req in requests:
        within = inside(req, windows)
        base = 0 if within else 2
        counts[base] += 1
        counts[base + 1] += not req.ok
        resent[0 if within else 1] += req.resent
    return Split(*counts, *resent)


def by_kind(requests: Iterable[Request], windows: Sequence[Window]) -> dict[str, tuple[int, int]]:
    """Count requests sent and failed inside each fault kind's windows."""
    counts: dict[str, list[int]] = {w.kind: [0, 0] for w in windows}
    for req in requests:
        for kind in {w.kind for w in windows if inside(req, (w,))}:
            counts[kind][0] += 1
            counts[kind][1] += not req.ok
    return {kind: (sent, failed) for kind, (sent, failed) in counts.items()}


def failed_outside(requests: Iterable[Request], windows: Sequence[Window]) -> list[Request]:
    """Return the failed requests outside every fault window (each one breaks a criterion)."""
    return [r for r in requests if not r.ok and not inside(r, windows)]


def rule_of_three(n: int) -> float | None:
    """Return the 95% upper bound 3/n on a failure rate when 0 of n failed (None for n=0)."""
    return 3 / n if n else None


@dataclass
class RolloutResult:
    """One rollout of the soak: its release, what came of it and when."""

    index: int
    version: str
    bad: str | None
    start: float
    end: float
    code: int
    outcome: str
    retried: bool = False
    faults: list[str] = field(default_factory=list)
    reason: str = ""


@dataclass
class Figures:
    """Everything the soak reports, and the criteria it is judged by."""

    rollouts: list[RolloutResult]
    split: Split
    writes_accepted: int
    writes_found: int
    jobs_enqueued: int
    jobs_completed: int
    windows: list[Window]
    planned: int
    timed_out: bool = False
    per_kind: dict[str, tuple[int, int]] = field(default_factory=dict)  # sent, failed inside

    def count(self, outcome: str, bad: bool = False) -> int:
        """Count good (or bad) rollouts whose final outcome is outcome."""
        return sum(1 for r in self.rollouts if r.outcome == outcome and bool(r.bad) == bad)

    @property
    def upper_bound(self) -> float | None:
        """Return the rule-of-three bound on the failure rate outside fault windows."""
        if self.split.outside_failed:
            return None  # failures seen: the bound is for zero observed failures only
        return rule_of_three(self.split.outside_sent)

    def unmet(self) -> list[tuple[SoakExit, str]]:
        """Return the unmet criteria with their exit codes, in order."""
        good = [r for r in self.rollouts if not r.bad]
        bad = [r for r in self.rollouts if r.bad]
        checks = [
            (SoakExit.WRITES_LOST, self.writes_found < self.writes_accepted,
             f"{self.writes_accepted - self.writes_found} accepted writes not found"),
            (SoakExit.FAILURES_OUTSIDE_FAULTS, self.split.outside_failed > 0,
             f"{self.split.outside_failed} failed requests outside fault windows"),
            (SoakExit.GOOD_REFUSED, any(r.outcome != "promoted" for r in good),
             f"{sum(r.outcome != 'promoted' for r in good)} good releases not promoted"),
            (SoakExit.BAD_NOT_REFUSED, any(r.outcome != "refused" for r in bad),
             f"{sum(r.outcome != 'refused' for r in bad)} bad releases not refused"),
            (SoakExit.JOBS_NOT_COMPLETED, self.jobs_completed < self.jobs_enqueued,
             f"{self.jobs_enqueued - self.jobs_completed} jobs not completed"),
            (SoakExit.TIME_BOUND, self.timed_out or len(self.rollouts) < self.planned,
             f"{len(self.rollouts)} of {self.planned} rollouts ran (--max-minutes)"),
        ]  # fmt: skip
        return [(code, text) for code, failed, text in checks if failed]

    def exit_code(self) -> SoakExit:
        """Return the first unmet criterion's code, or PASSED."""
        unmet = self.unmet()
        return unmet[0][0] if unmet else SoakExit.PASSED

    def as_dict(self) -> dict[str, object]:
        """Return the figures as JSON-ready data."""
        return {
            "rollouts": [asdict(r) for r in self.rollouts],
            "requests": asdict(self.split),
            "failure_rate_upper_bound_outside": self.upper_bound,
            "writes": {"accepted": self.writes_accepted, "found": self.writes_found},
            "jobs": {"enqueued": self.jobs_enqueued, "completed": self.jobs_completed},
            "windows": [asdict(w) for w in self.windows],
            "inside_by_kind": {k: {"sent": n, "failed": f} for k, (n, f) in self.per_kind.items()},
            "planned": self.planned,
            "unmet": [text for _, text in self.unmet()],
            "exit": int(self.exit_code()),
        }
