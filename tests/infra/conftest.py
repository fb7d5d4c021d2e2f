"""Make the Pulumi program (infra/) and the policy pack (infra/policy/) importable."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
INFRA = HERE.parents[1] / "infra"
# The CLI runs the program and the pack with their own directory on sys.path; so do we.
for path in (HERE, INFRA / "policy", INFRA):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


def pytest_configure(config) -> None:  # type: ignore[no-untyped-def]
    """Silence pulumi-aws's import-time notices about resources the kit does not use."""
    config.addinivalue_line("filterwarnings", r"ignore::DeprecationWarning:pulumi_aws\..*")
