"""Customer-managed KMS keys: one per data service, so each grant names exactly one key."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def encryption_key(
    name: str,
    description: str,
    tags: dict[str, str],
    parent: pulumi.Resource,
    deletion_window_days: int = 30,
) -> aws.kms.Key:
    """Create a rotating symmetric key and an alias ``alias/<name>`` for humans."""
    key = aws.kms.Key(
        f"{name}-key",
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=deletion_window_days,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.kms.Alias(
        f"{name}-key-alias",
        name=f"alias/{name}",
        target_key_id=key.key_id,
        opts=pulumi.ResourceOptions(parent=key),
    )
    return key
