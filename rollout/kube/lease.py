"""The rollout lock on a cluster: a coordination.k8s.io/v1 Lease, taken, renewed and released.

A Lease with a live holder (renewed within its duration) refuses every other deployer, whoever
and wherever they are. Every write carries the resourceVersion it read, so of two deployers
racing for a free or expired Lease exactly one wins. A holder that dies stops renewing; the
Lease expires after LEASE_S and the next deployer takes it over (and settles what it left).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from datetime import UTC, datetime

from rollout.errors import RolloutLocked
from rollout.kube.kubectl import Kubectl, KubectlError
from rollout.kube.objects import Obj

LEASE_S = 60  # long enough to ride out an API server hiccup, short enough to take over
ABORT_ANNOTATION = "kit.rollout/abort-requested"
CONFLICT_MARKERS = ("(Conflict)", "(AlreadyExists)", "has been modified", "already exists")


def micro_time(at: float) -> str:
    """Format a time as Kubernetes MicroTime (RFC 3339, microseconds, UTC)."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str | None) -> float:
    """Parse a MicroTime or Time (0.0 when absent)."""
    if not text:
        return 0.0
    stamp = text.replace("Z", "+00:00")
    return datetime.fromisoformat(stamp).timestamp()


def is_conflict(exc: KubectlError) -> bool:
    """Tell whether a write lost a race (stale resourceVersion, or created meanwhile)."""
    return any(marker in str(exc) for marker in CONFLICT_MARKERS)


def holder_of(lease: Obj | None, now: float) -> str:
    """Return the live holder of a Lease ('' when free or expired)."""
    spec = (lease or {}).get("spec") or {}
    holder = str(spec.get("holderIdentity") or "")
    duration = float(spec.get("leaseDurationSeconds") or LEASE_S)
    renewed = parse_time(spec.get("renewTime") or spec.get("acquireTime"))
    return holder if holder and renewed + duration > now else ""


class Lease:
    """The rollout Lease of one service in one namespace."""

    def __init__(self, kubectl: Kubectl, name: str, duration_s: int = LEASE_S) -> None:
        self.kubectl, self.name, self.duration_s = kubectl, name, duration_s
        self.lost = ""  # why the lease was lost while held (read by the abort watch)
        self._obj: Obj | None = None
        self._identity = ""
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def read(self) -> Obj | None:
        """Return the Lease object, None when it was never created."""
        return self.kubectl.get_one("lease", self.name, missing_ok=True)

    def holder(self) -> str:
        """Describe the live holder ('' when nobody holds it)."""
        return holder_of(self.read(), time.time())

    def acquire(self, identity: str) -> None:
        """Take the Lease, or raise RolloutLocked naming who holds it."""
        current = self.read()
        now = time.time()
        holder = holder_of(current, now)
        if holder:
            renewed = now - parse_time(current["spec"].get("renewTime")) if current else 0.0
            raise RolloutLocked(
                f"another rollout is running ({holder}; lease {self.name} renewed "
                f"{renewed:.0f}s ago); wait for it, or `rollout abort`"
            )
        spec = (current or {}).get("spec") or {}
        body = self._body(current, identity, now)
        body["spec"]["acquireTime"] = micro_time(now)
        body["spec"]["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + bool(current)
        try:
            self._obj = self._write(body, create=current is None)
        except KubectlError as exc:
            if is_conflict(exc):
                raise RolloutLocked(
                    f"another rollout took lease {self.name} at the same moment "
                    f"({self.holder() or 'holder unknown'})"
                ) from None
            raise
        self._identity, self.lost = identity, ""
        self._stop.clear()
        self._renewer = threading.Thread(target=self._renew_loop, name="lease", daemon=True)
        self._renewer.start()

    def release(self) -> None:
        """Stop renewing and free the Lease (left to expire if the write fails)."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=10)
        if self._obj is None or self.lost:
            return
        self._obj = None
        with contextlib.suppress(KubectlError):  # if not freed, it expires within its duration
            current = self.read()
            spec = (current or {}).get("spec") or {}
            if current is not None and spec.get("holderIdentity") == self._identity:
                body = self._body(current, "", time.time())
                body["spec"].pop("holderIdentity", None)
                self._write(body, create=False)
        self._identity = ""

    def request_abort(self, who: str) -> None:
        """Annotate the Lease; its holder's abort watch reads it within seconds."""
        self.kubectl.run("annotate", "lease", self.name, f"{ABORT_ANNOTATION}={who}", "--overwrite")

    def abort_requested(self) -> str:
        """Return who asked the holder to stop, or why the Lease was lost ('' if neither)."""
        if self.lost:
            return self.lost
        annotations = ((self.read() or {}).get("metadata") or {}).get("annotations") or {}
        return str(annotations.get(ABORT_ANNOTATION) or "")

    def _renew_loop(self) -> None:
        every = self.duration_s / 4  # three chances to renew before anyone may take over
        while not self._stop.wait(every):
            try:
                self._renew()
            except KubectlError as exc:
                if is_conflict(exc) or not self._still_valid():
                    self.lost = f"lost lease {self.name}: {exc}"
                    return

    def _renew(self) -> None:
        current = self.read()
        holder = str(((current or {}).get("spec") or {}).get("holderIdentity") or "")
        if current is None or holder != self._identity:
            self.lost = f"lost lease {self.name} to {holder or 'nobody'}"
            self._stop.set()
            return
        self._obj = self._write(self._body(current, self._identity, time.time()), create=False)

    def _still_valid(self) -> bool:
        renewed = parse_time(((self._obj or {}).get("spec") or {}).get("renewTime"))
        return renewed + self.duration_s > time.time()

    def _body(self, current: Obj | None, identity: str, now: float) -> Obj:
        """The Lease to write: the current one (its resourceVersion) with a fresh renewTime."""
        metadata = dict((current or {}).get("metadata") or {"name": self.name})
        annotations = dict(metadata.get("annotations") or {})
        if identity != self._identity:  # a new holder starts without an old abort request
            annotations.pop(ABORT_ANNOTATION, None)
        keep = ("name", "namespace", "resourceVersion", "labels")
        metadata = {k: v for k, v in metadata.items() if k in keep}
        metadata["namespace"] = self.kubectl.namespace
        metadata["annotations"] = annotations
        spec = dict((current or {}).get("spec") or {})
        spec.update(
            holderIdentity=identity, leaseDurationSeconds=self.duration_s, renewTime=micro_time(now)
        )
        return {
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": metadata, "spec": spec,
        }  # fmt: skip

    def _write(self, body: Obj, create: bool) -> Obj:
        verb = "create" if create else "replace"
        answer = self.kubectl.json(verb, "-f", "-", stdin=json.dumps(body))
        return dict(answer) if isinstance(answer, dict) else body
