"""Generated credentials stored in Secrets Manager: values go in, only ARNs come out."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_random as random


def generated_password(name: str, length: int, parent: pulumi.Resource) -> random.RandomPassword:
    """Return a random password of letters and digits (URL-safe, so it fits in a DSN unescaped)."""
    return random.RandomPassword(
        f"{name}-password",
        length=length,
        special=False,
        min_lower=4,
        min_upper=4,
        min_numeric=4,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def stored_secret(
    name: str,
    description: str,
    value: pulumi.Input[str],
    kms_key_id: pulumi.Input[str],
    recovery_days: int,
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> aws.secretsmanager.Secret:
    """Store ``value`` (a JSON document) in a KMS-encrypted secret and return the secret."""
    secret = aws.secretsmanager.Secret(
        f"{name}-secret",
        name_prefix=f"{name}/",
        description=description,
        kms_key_id=kms_key_id,
        # A deleted secret stays recoverable for this many days (7-30).
        recovery_window_in_days=recovery_days,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.secretsmanager.SecretVersion(
        f"{name}-secret-value",
        secret_id=secret.id,
        secret_string=pulumi.Output.from_input(value).apply(pulumi.Output.secret),
        opts=pulumi.ResourceOptions(parent=secret),
    )
    return secret
