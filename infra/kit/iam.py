"""IAM policy documents shared by the components (JSON built from Outputs, never from strings)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi


def policy_document(statements: Sequence[dict[str, Any]]) -> pulumi.Output[str]:
    """Return an IAM policy document as JSON; statements may contain Outputs."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def irsa_trust_policy(
    provider_arn: pulumi.Input[str],
    issuer_url: pulumi.Input[str],
    namespace: str,
    service_account: str,
) -> pulumi.Output[str]:
    """Return a trust policy letting exactly one Kubernetes service account assume the role."""
    issuer = pulumi.Output.from_input(issuer_url).apply(lambda url: url.removeprefix("https://"))
    return policy_document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": issuer.apply(
                        lambda host: {
                            f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                            f"{host}:aud": "sts.amazonaws.com",
                        }
                    )
                },
            }
        ]
    )


def service_trust_policy(service: str) -> str:
    """Return a trust policy for an AWS service principal such as ``eks.amazonaws.com``."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
