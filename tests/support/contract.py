"""The contracts the suites use: the reference app's kit.toml (and the example service's)."""

from __future__ import annotations

from pathlib import Path

from kitcore.contract import Contract, load_contract

ROOT = Path(__file__).resolve().parents[2]
REFERENCE: Contract = load_contract(ROOT / "kit.toml")
REFERENCE_GATES = REFERENCE.path(REFERENCE.gate.thresholds)
# A second service, unlike the reference in every name the Kubernetes layer renders.
OTHER_FILE = ROOT / "tests" / "k8s" / "data" / "other-kit.toml"
OTHER: Contract = load_contract(OTHER_FILE)
