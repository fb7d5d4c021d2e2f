"""The service's own soak load: `soak.py` beside its gate locustfile, defining `SoakLoad`.

The soak knows nothing of a service's API: what to read, what to write and how to read every
accepted write and queued job back is the service's, as its locust users are.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Protocol, cast

from kitcore.contract import Contract
from rollout.soak.accounting import Request

MODULE = "soak.py"


class Recording(Protocol):
    """What the load saw: every request, every accepted write and every queued job."""

    requests: list[Request]
    items: list[int]
    uploads: list[int]
    jobs: list[int]


class ServiceLoad(Protocol):
    """Mixed load against the public URL until stopped, and the read-back afterwards."""

    rec: Recording

    def start(self) -> None:
        """Sign in and start the load's threads."""

    def stop(self) -> None:
        """Stop every thread of the load."""

    def writes_found(self) -> int:
        """Read every accepted write back; return how many were found."""

    def jobs_completed(self, wait_s: float) -> int:
        """Wait up to wait_s for the queued jobs; return how many completed."""


class LoadFactory(Protocol):
    """The service's SoakLoad class: built from the public URL, its CA and the account.

    It may set APP_ENV (dict): settings the soak's stack gives the service on top of its
    contract's production_env, each for a reason the service's soak.py says.
    """

    def __call__(
        self, base: str, ca: Path, creds: dict[str, str], colour_header: str
    ) -> ServiceLoad: ...


class SoakLoadMissing(LookupError):
    """The service declares no soak load."""


def load_factory(contract: Contract) -> LoadFactory:
    """Import the service's SoakLoad from soak.py beside its locustfile, or say what is missing."""
    path = contract.path(contract.gate.locustfile).parent / MODULE
    if not path.is_file():
        raise SoakLoadMissing(f"{path}: the service has no soak load (a SoakLoad class)")
    spec = importlib.util.spec_from_file_location(f"kit_soak_{contract.name}", path)
    if spec is None or spec.loader is None:
        raise SoakLoadMissing(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    factory = getattr(module, "SoakLoad", None)
    if factory is None:
        raise SoakLoadMissing(f"{path}: defines no SoakLoad class")
    return cast(LoadFactory, factory)


def with_soak_env(contract: Contract, factory: LoadFactory) -> Contract:
    """Return the contract with the SoakLoad's APP_ENV added to its production environment."""
    extra = dict(getattr(factory, "APP_ENV", {}))
    if not extra:
        return contract
    serve = contract.serve.model_copy(
        update={"production_env": {**contract.serve.production_env, **extra}}
    )
    return contract.model_copy(update={"serve": serve})
