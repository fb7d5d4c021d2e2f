"""Redis: an ElastiCache replication group, encrypted at rest and in transit, token-protected."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from kit.keys import encryption_key
from kit.network import REDIS_PORT
from kit.secrets import generated_password, stored_secret
from kit.settings import RedisSettings


@dataclass
class RedisArgs:
    """Inputs of :class:`Redis`."""

    settings: RedisSettings
    subnet_ids: pulumi.Input[list[str]]
    security_group_id: pulumi.Input[str]
    secret_recovery_days: int
    tags: dict[str, str]


class Redis(pulumi.ComponentResource):
    """A Redis replication group in private subnets.

    TLS is required (``transit_encryption_mode=required``), data at rest is encrypted with the
    component's KMS key and clients authenticate with a generated token kept in Secrets Manager.
    With more than one node, a replica in another zone takes over automatically.
    """

    primary_host: pulumi.Output[str]
    port: int
    secret_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: RedisArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kit:aws:Redis", name, None, opts)
        settings = args.settings
        key = encryption_key(name, f"{name}: ElastiCache data and secret", args.tags, self)
        subnets = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=args.subnet_ids,
            description=f"{name} private subnets",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        token = generated_password(name, 64, self)
        highly_available = settings.nodes > 1
        group = aws.elasticache.ReplicationGroup(
            f"{name}-rg",
            description=f"{name} cache, sessions and job queue",
            engine="redis",
            engine_version=settings.engine_version,
            node_type=settings.node_type,
            num_cache_clusters=settings.nodes,
            port=REDIS_PORT,
            subnet_group_name=subnets.name,
            security_group_ids=[args.security_group_id],
            at_rest_encryption_enabled=True,
            kms_key_id=key.arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            auth_token=token.result,
            automatic_failover_enabled=highly_available,
            multi_az_enabled=highly_available,
            snapshot_retention_limit=settings.snapshot_retention_days,
            snapshot_window="02:00-03:00",
            maintenance_window="sun:05:30-sun:06:30",
            auto_minor_version_upgrade=True,
            apply_immediately=False,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        document = pulumi.Output.json_dumps(
            {
                "auth_token": token.result,
                "host": group.primary_endpoint_address,
                "port": REDIS_PORT,
                # What the app reads as REDIS_URL: rediss:// is Redis over TLS.
                "url": pulumi.Output.format(
                    "rediss://:{0}@{1}:{2}/0",
                    token.result,
                    group.primary_endpoint_address,
                    REDIS_PORT,
                ),
            }
        )
        secret = stored_secret(
            name,
            f"{name}: auth token and REDIS_URL",
            document,
            key.arn,
            args.secret_recovery_days,
            args.tags,
            self,
        )
        self.primary_host = group.primary_endpoint_address
        self.port = REDIS_PORT
        self.secret_arn = secret.arn
        self.key_arn = key.arn
        self.register_outputs({"primaryHost": self.primary_host, "secretArn": self.secret_arn})
