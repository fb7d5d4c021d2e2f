"""Postgres: RDS PostgreSQL, KMS-encrypted, TLS-only, backed up, passwords in Secrets Manager."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from kit.keys import encryption_key
from kit.secrets import generated_password, stored_secret
from kit.settings import PostgresSettings


@dataclass
class PostgresArgs:
    """Inputs of :class:`Postgres`."""

    settings: PostgresSettings
    subnet_ids: pulumi.Input[list[str]]
    security_group_id: pulumi.Input[str]
    deletion_protection: bool
    final_snapshot: bool
    secret_recovery_days: int
    tags: dict[str, str]
    database: str = "app"
    username: str = "app"  # the master user: owns the schema, runs the migrations
    # The login role the web and worker pods use: rows only, created by the migration Job
    # (`flask db-grant-app-role`, app/cli.py) with the password generated here.
    app_username: str = "app_rw"


def _connection_document(
    username: str,
    password: pulumi.Input[str],
    instance: aws.rds.Instance,
    database: str,
) -> pulumi.Output[str]:
    """Return the JSON a secret holds: the parts, and a ready DATABASE_URL that verifies the
    server (sslmode=verify-full; the pods name the RDS CA bundle in DATABASE_SSLROOTCERT)."""
    return pulumi.Output.json_dumps(
        {
            "engine": "postgres",
            "username": username,
            "password": password,
            "host": instance.address,
            "port": instance.port,
            "dbname": database,
            "url": pulumi.Output.format(
                "postgresql+psycopg://{0}:{1}@{2}:{3}/{4}?sslmode=verify-full",
                username,
                password,
                instance.address,
                instance.port,
                database,
            ),
        }
    )


class Postgres(pulumi.ComponentResource):
    """An RDS PostgreSQL instance in private subnets.

    Storage and Performance Insights are encrypted with the component's own KMS key; a parameter
    group refuses non-TLS connections; with deletion protection on, destroying it is refused (by
    AWS and by Pulumi's ``protect``); unless the stack's data is disposable, a final snapshot is
    taken when it is finally deleted. The generated master password only lives in Secrets Manager
    (as a JSON document with a ready ``url``) and in Pulumi's encrypted state; so does the
    password of the application role (``app_secret_arn``), the only credentials the app's pods
    get. Both URLs verify the server's certificate (``sslmode=verify-full``).
    """

    address: pulumi.Output[str]
    port: pulumi.Output[int]
    database: str
    secret_arn: pulumi.Output[str]
    app_secret_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: PostgresArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kit:aws:Postgres", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        key = encryption_key(
            name, f"{name}: RDS storage, Performance Insights, secret", args.tags, self
        )

        subnets = aws.rds.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=args.subnet_ids,
            description=f"{name} private subnets",
            tags=args.tags,
            opts=child,
        )
        major = settings.engine_version.split(".")[0]
        parameters = aws.rds.ParameterGroup(
            f"{name}-params",
            family=f"postgres{major}",
            description=f"{name}: TLS only",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1"),
                aws.rds.ParameterGroupParameterArgs(
                    name="ssl_min_protocol_version", value="TLSv1.2"
                ),
                aws.rds.ParameterGroupParameterArgs(name="log_min_duration_statement", value="500"),
            ],
            tags=args.tags,
            opts=child,
        )
        password = generated_password(name, 32, self)
        instance = aws.rds.Instance(
            f"{name}-db",
            engine="postgres",
            engine_version=settings.engine_version,
            instance_class=settings.instance_class,
            allocated_storage=settings.allocated_storage,
            max_allocated_storage=settings.max_allocated_storage,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=key.arn,
            db_name=args.database,
            username=args.username,
            password=password.result,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[args.security_group_id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            multi_az=settings.multi_az,
            backup_retention_period=settings.backup_retention_days,
            backup_window="03:00-04:00",
            maintenance_window="sun:04:30-sun:05:30",
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            deletion_protection=args.deletion_protection,
            # Only a stack whose data is disposable (dev) may drop the last snapshot and backups.
            skip_final_snapshot=not args.final_snapshot,
            final_snapshot_identifier=f"{name}-final" if args.final_snapshot else None,
            delete_automated_backups=not args.final_snapshot,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=key.arn,
            performance_insights_retention_period=settings.performance_insights_retention_days,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            tags=args.tags,
            # protect: `pulumi destroy` refuses until someone runs `pulumi state unprotect`.
            opts=pulumi.ResourceOptions(parent=self, protect=args.deletion_protection),
        )
        document = _connection_document(args.username, password.result, instance, args.database)
        secret = stored_secret(
            name,
            f"{name}: master credentials and DATABASE_URL",
            document,
            key.arn,
            args.secret_recovery_days,
            args.tags,
            self,
        )
        app_password = generated_password(f"{name}-app", 32, self)
        app_secret = stored_secret(
            f"{name}-app",
            f"{name}: application role {args.app_username} (rows only) and its DATABASE_URL",
            _connection_document(args.app_username, app_password.result, instance, args.database),
            key.arn,
            args.secret_recovery_days,
            args.tags,
            self,
        )
        self.address = instance.address
        self.port = instance.port
        self.database = args.database
        self.secret_arn = secret.arn
        self.app_secret_arn = app_secret.arn
        self.key_arn = key.arn
        self.register_outputs(
            {
                "address": self.address,
                "port": self.port,
                "secretArn": self.secret_arn,
                "appSecretArn": self.app_secret_arn,
            }
        )
