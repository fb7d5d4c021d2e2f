"""The rollout state on a cluster: a ConfigMap beside the service, and the Lease as its lock.

The ConfigMap `<prefix>-rollout-state` holds each colour's last release and standing (the image
digest that last passed, and any that failed), the rollout in progress with its phase and
holder, and the history. Every write names the resourceVersion it read: a writer that lost
its Lease and writes late fails with StateConflict instead of overwriting the truth.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

from rollout.errors import StateConflict
from rollout.kube.kubectl import Kubectl, KubectlError
from rollout.kube.lease import LEASE_S, Lease, is_conflict
from rollout.state import State
from rollout.store import identity

STATE_KEY = "state.json"
MANAGED_BY = {"app.kubernetes.io/managed-by": "flask-deploy-kit-rollout"}


class ClusterStore:
    """The rollout state (ConfigMap) and lock (Lease) of one service, in its namespace."""

    def __init__(self, kubectl: Kubectl, prefix: str, lease_s: int = LEASE_S) -> None:
        self.kubectl = kubectl
        self.name = f"{prefix}-rollout-state"
        self.lease = Lease(kubectl, f"{prefix}-rollout", lease_s)
        self._version: str | None = None  # resourceVersion of the ConfigMap last read

    def __str__(self) -> str:
        return f"configmap/{self.name} and lease/{self.lease.name} in {self.kubectl.namespace}"

    def load(self) -> State:
        """Read the state (an empty one when the ConfigMap does not exist yet)."""
        found = self.kubectl.get_one("configmap", self.name, missing_ok=True)
        if found is None:
            self._version = None
            return State()
        self._version = str(found["metadata"].get("resourceVersion") or "") or None
        text = (found.get("data") or {}).get(STATE_KEY)
        try:
            return State.from_json(text) if text else State()
        except (ValueError, KeyError, TypeError) as exc:
            raise RuntimeError(f"configmap/{self.name} holds no readable state: {exc}") from exc

    def save(self, state: State) -> None:
        """Write the state if nobody else wrote it since it was read; else StateConflict."""
        metadata = {"name": self.name, "namespace": self.kubectl.namespace, "labels": MANAGED_BY}
        if self._version:
            metadata["resourceVersion"] = self._version
        body = {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata,
            "data": {STATE_KEY: state.to_json()},
        }  # fmt: skip
        verb = "replace" if self._version else "create"
        try:
            answer = self.kubectl.json(verb, "-f", "-", stdin=json.dumps(body))
        except KubectlError as exc:
            if is_conflict(exc):
                raise StateConflict(
                    f"configmap/{self.name} was written by someone else since it was read "
                    f"(lease holder now: {self.lease.holder() or 'nobody'})"
                ) from None
            raise
        if isinstance(answer, dict):
            self._version = str(answer.get("metadata", {}).get("resourceVersion") or "") or None

    @contextlib.contextmanager
    def lock(self, what: str) -> Iterator[None]:
        """Hold the Lease while the block runs (renewed in the background)."""
        self.lease.acquire(identity(what))
        try:
            yield
        finally:
            self.lease.release()

    def is_locked(self) -> bool:
        """Tell whether a live holder has the Lease."""
        return bool(self.lease.holder())

    def holder(self) -> str:
        """Describe the Lease's live holder."""
        return self.lease.holder() or "nobody"

    def request_abort(self, who: str) -> None:
        """Ask the holder to stop (an annotation on the Lease)."""
        self.lease.request_abort(who)

    def abort_requested(self) -> str:
        """Return who asked the running rollout to stop, or that its Lease was lost."""
        return self.lease.abort_requested()
