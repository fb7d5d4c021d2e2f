"""Entry point the Pulumi CLI runs for the policy pack; the rules live in kit_policies."""

from kit_policies import POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

# Constructing the pack starts the analyzer server and blocks: tests import kit_policies instead.
PolicyPack(
    name="flask-kit-aws",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
)
