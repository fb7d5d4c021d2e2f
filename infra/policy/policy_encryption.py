"""The encryption rules: data at rest under KMS, TLS in transit to Redis and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

from policy_support import (
    BUCKET_ENCRYPTION,
    DB_INSTANCE,
    DB_PARAMETERS,
    EKS_CLUSTER,
    KMS_KEY,
    REPLICATION_GROUP,
    SECRETS_MANAGER,
    Props,
    by_type,
    parameter,
)
from pulumi_policy import (
    ReportViolation,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

# --- encryption at rest -----------------------------------------------------------------------


def _rds_at_rest(props: Props) -> Iterator[str]:
    if props.get("storageEncrypted") is not True:
        yield "RDS storage must be encrypted (storageEncrypted: true)."
    elif not props.get("kmsKeyId"):
        yield "RDS storage must use a customer-managed KMS key (kmsKeyId)."
    if props.get("performanceInsightsEnabled") and not props.get("performanceInsightsKmsKeyId"):
        yield "Performance Insights must be encrypted with a KMS key."


def _redis_at_rest(props: Props) -> Iterator[str]:
    if props.get("atRestEncryptionEnabled") is not True:
        yield "ElastiCache must encrypt data at rest (atRestEncryptionEnabled: true)."


def _bucket_at_rest(props: Props) -> Iterator[str]:
    algorithms = [
        (rule.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm")
        for rule in props.get("rules") or []
    ]
    if not any(a in ("aws:kms", "aws:kms:dsse", "AES256") for a in algorithms):
        yield "S3 default encryption must be aws:kms (or AES256)."


def _key_rotation(props: Props) -> Iterator[str]:
    if props.get("enableKeyRotation") is not True:
        yield "KMS keys must rotate (enableKeyRotation: true)."


def _secret_at_rest(props: Props) -> Iterator[str]:
    if not props.get("kmsKeyId"):
        yield "Secrets must be encrypted with a customer-managed KMS key (kmsKeyId)."


def _eks_at_rest(props: Props) -> Iterator[str]:
    if "secrets" not in ((props.get("encryptionConfig") or {}).get("resources") or []):
        yield "EKS must envelope-encrypt Kubernetes secrets with KMS (encryptionConfig)."


# --- encryption in transit --------------------------------------------------------------------


def _redis_in_transit(props: Props) -> Iterator[str]:
    if props.get("transitEncryptionEnabled") is not True:
        yield "ElastiCache must use TLS (transitEncryptionEnabled: true)."
    elif props.get("transitEncryptionMode") not in (None, "required"):
        yield "ElastiCache transitEncryptionMode must be 'required'."
    if not props.get("authToken") and not props.get("userGroupIds"):
        yield "ElastiCache must require authentication (authToken or user groups)."


def _postgres_parameters_in_transit(props: Props) -> Iterator[str]:
    if str(props.get("family", "")).startswith("postgres") and (
        parameter(props, "rds.force_ssl") != "1"
    ):
        yield "PostgreSQL parameter groups must set rds.force_ssl=1."


def _databases_use_tls_parameters(args: StackValidationArgs, report: ReportViolation) -> None:
    forcing = {
        r.props.get("name")
        for r in args.resources
        if r.resource_type == DB_PARAMETERS and parameter(r.props, "rds.force_ssl") == "1"
    }
    for r in args.resources:
        postgres = r.resource_type == DB_INSTANCE and str(r.props.get("engine")) == "postgres"
        if postgres and r.props.get("parameterGroupName") not in forcing:
            report(f"{r.name}: its parameter group does not force TLS (rds.force_ssl=1).", r.urn)


ENCRYPTION: list[ResourceValidationPolicy | StackValidationPolicy] = [
    ResourceValidationPolicy(
        name="encryption-at-rest",
        description="RDS, ElastiCache, S3, secrets and EKS secrets use KMS; KMS keys rotate.",
        validate=by_type(
            {
                DB_INSTANCE: _rds_at_rest,
                REPLICATION_GROUP: _redis_at_rest,
                BUCKET_ENCRYPTION: _bucket_at_rest,
                KMS_KEY: _key_rotation,
                SECRETS_MANAGER: _secret_at_rest,
                EKS_CLUSTER: _eks_at_rest,
            }
        ),
    ),
    ResourceValidationPolicy(
        name="encryption-in-transit",
        description="Redis requires TLS and a token; PostgreSQL parameter groups force TLS.",
        validate=by_type(
            {REPLICATION_GROUP: _redis_in_transit, DB_PARAMETERS: _postgres_parameters_in_transit}
        ),
    ),
    StackValidationPolicy(
        name="database-tls-enforced",
        description="Every PostgreSQL instance uses a parameter group with rds.force_ssl=1.",
        validate=_databases_use_tls_parameters,
    ),
]
