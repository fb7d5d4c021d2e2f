"""One verdict type for every verification: passed, failed, inconclusive or error, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """How a verification ended (argo-rollouts' analysis phases)."""

    PASSED = "passed"
    FAILED = "failed"
    # The release may be fine: something it shares with the serving colour failed as badly.
    INCONCLUSIVE = "inconclusive"
    # The verification itself could not run (load generator crashed, checks did not start).
    ERROR = "error"


@dataclass
class Verdict:
    """The outcome of one verification and the reasons behind it."""

    check: str
    status: Status
    summary: str = ""
    reasons: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Tell whether the verification passed."""
        return self.status is Status.PASSED

    @classmethod
    def of(cls, check: str, reasons: list[str], summary: str = "") -> Verdict:
        """Passed when there are no reasons, failed otherwise."""
        status = Status.FAILED if reasons else Status.PASSED
        return cls(check, status, summary or ("ok" if not reasons else reasons[0]), reasons)

    @classmethod
    def combine(cls, check: str, parts: list[Verdict]) -> Verdict:
        """Fold several verdicts into one: the worst status, every reason, each summary."""
        order = [Status.PASSED, Status.INCONCLUSIVE, Status.FAILED, Status.ERROR]
        worst = max((p.status for p in parts), key=order.index, default=Status.PASSED)
        reasons = [r for p in parts for r in (f"{p.check} {x}" for x in p.reasons)]
        summary = "; ".join(f"{p.check} {p.summary}" for p in parts)
        return cls(check, worst, summary, reasons)
