"""The production rules: what holds data in prod survives a mistaken delete."""

from __future__ import annotations

from collections.abc import Iterator

from policy_support import (
    BUCKET,
    DB_INSTANCE,
    ECR_REPOSITORY,
    PRODUCTION,
    REPLICATION_GROUP,
    Check,
    Props,
    by_type,
)
from pulumi_policy import (
    ResourceValidationPolicy,
    StackValidationPolicy,
)

# --- deletion protection in prod --------------------------------------------------------------


def _in_production(check: Check) -> Check:
    """Apply ``check`` only to resources tagged with a production environment."""

    def checked(props: Props) -> Iterator[str]:
        if str((props.get("tags") or {}).get("environment", "")) in PRODUCTION:
            yield from check(props)

    return checked


def _database_kept(props: Props) -> Iterator[str]:
    if props.get("deletionProtection") is not True:
        yield "Production databases need deletionProtection: true."
    if props.get("skipFinalSnapshot") is True:
        yield "Production databases must take a final snapshot (skipFinalSnapshot: false)."
    if not props.get("backupRetentionPeriod"):
        yield "Production databases need automated backups (backupRetentionPeriod > 0)."


def _bucket_kept(props: Props) -> Iterator[str]:
    if props.get("forceDestroy") is True:
        yield "Production buckets must not be force-destroyable."


def _registry_kept(props: Props) -> Iterator[str]:
    if props.get("forceDelete") is True:
        yield "Production registries must not be force-deletable."


def _redis_kept(props: Props) -> Iterator[str]:
    if props.get("automaticFailoverEnabled") is not True:
        yield "Production Redis needs automatic failover (two or more nodes)."
    if not props.get("snapshotRetentionLimit"):
        yield "Production Redis needs snapshots (snapshotRetentionLimit > 0)."


PRODUCTION_SAFETY: list[ResourceValidationPolicy | StackValidationPolicy] = [
    ResourceValidationPolicy(
        name="deletion-protection-in-prod",
        description="Resources tagged environment=prod keep their data when deleted by mistake.",
        validate=by_type(
            {
                DB_INSTANCE: _in_production(_database_kept),
                BUCKET: _in_production(_bucket_kept),
                ECR_REPOSITORY: _in_production(_registry_kept),
                REPLICATION_GROUP: _in_production(_redis_kept),
            }
        ),
    ),
]
