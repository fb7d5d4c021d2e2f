"""What a service's locust users may report beside locust's stats, and the TLS they share.

The gate plugin (gate.py) writes `extras` into its verdict: ids the users saw created (for the
nothing-lost checks), optional features they skipped (listed, never counted as passes), and
what kept them from testing what they must (the gate fails).
A locustfile imports this module, never gate.py itself, so the plugin is loaded exactly once
(by `locust -f loadtests/gate.py,...`). A gate may be read-only or ask for a cleanup
(read_only, cleanup): the service's users honour them.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field

from locust.env import Environment


@dataclass
class Extras:
    """What the service's users report beside locust's stats."""

    skipped: dict[str, str] = field(default_factory=dict)
    created_ids: list[str] = field(default_factory=list)
    # Why the users could not do what the gate must test (a configured sign-in refused):
    # unlike a skipped optional feature, the gate fails with these reasons.
    blocked: list[str] = field(default_factory=list)
    # From the gate's config (the environment's gates file), set by the gate plugin at init.
    read_only: bool = False  # users make no writes and sign in to nothing
    cleanup: bool = False  # users delete what they wrote when the load stops


extras = Extras()


def ssl_context(environment: Environment) -> ssl.SSLContext:
    """Build the TLS context users and probes share: verify against --ca-cert when given."""
    ca = getattr(environment.parsed_options, "ca_cert", "") if environment.parsed_options else ""
    return ssl.create_default_context(cafile=ca or None)
