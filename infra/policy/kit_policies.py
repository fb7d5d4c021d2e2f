"""CrossGuard rules for the kit: the guide's production checklist as code.

Resource rules see a resource's inputs (camelCase, as the engine sends them) and are written as
small per-type checks that yield messages; stack rules see every resource's outputs and check
that the pieces a bucket or a database needs exist together.
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import Any

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

REQUIRED_TAGS = ("app", "environment", "managed-by")
PRODUCTION = frozenset({"prod", "production"})
DATA_PORTS = {5432: "PostgreSQL", 6379: "Redis"}
OPEN_CIDRS = frozenset({"0.0.0.0/0", "::/0"})

BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_ACL = "aws:s3/bucketAcl:BucketAcl"
DB_INSTANCE = "aws:rds/instance:Instance"
DB_PARAMETERS = "aws:rds/parameterGroup:ParameterGroup"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
KMS_KEY = "aws:kms/key:Key"
SECRETS_MANAGER = "aws:secretsmanager/secret:Secret"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
ECR_REPOSITORY = "aws:ecr/repository:Repository"

Props = Mapping[str, Any]
Check = Callable[[Props], Iterator[str]]


def _by_type(checks: dict[str, Check]) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    """Turn a table of per-type checks into a CrossGuard validate function."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        check = checks.get(args.resource_type)
        if check is not None:
            for message in check(args.props):
                report(message, None)

    return validate


def _parameter(props: Props, name: str) -> str | None:
    for parameter in props.get("parameters") or []:
        if parameter.get("name") == name:
            return str(parameter.get("value"))
    return None


def _statements(policy: Any) -> list[Mapping[str, Any]]:
    document = json.loads(policy) if isinstance(policy, str) else policy or {}
    statements = document.get("Statement") or []
    return [statements] if isinstance(statements, Mapping) else list(statements)


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
        _parameter(props, "rds.force_ssl") != "1"
    ):
        yield "PostgreSQL parameter groups must set rds.force_ssl=1."


def _databases_use_tls_parameters(args: StackValidationArgs, report: ReportViolation) -> None:
    forcing = {
        r.props.get("name")
        for r in args.resources
        if r.resource_type == DB_PARAMETERS and _parameter(r.props, "rds.force_ssl") == "1"
    }
    for r in args.resources:
        postgres = r.resource_type == DB_INSTANCE and str(r.props.get("engine")) == "postgres"
        if postgres and r.props.get("parameterGroupName") not in forcing:
            report(f"{r.name}: its parameter group does not force TLS (rds.force_ssl=1).", r.urn)


# --- no public data ---------------------------------------------------------------------------


def _is_anyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        aws = principal.get("AWS")
        return aws == "*" or (isinstance(aws, list) and "*" in aws)
    return False


def _public_access_block(props: Props) -> Iterator[str]:
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        if props.get(flag) is not True:
            yield f"S3 public access block must set {flag}: true."


def _public_acl(props: Props) -> Iterator[str]:
    acl = str(props.get("acl") or "")
    if acl.startswith(("public-", "authenticated-")):
        yield f"S3 ACL {acl!r} makes the bucket public."


def _public_bucket_policy(props: Props) -> Iterator[str]:
    for statement in _statements(props.get("policy")):
        if statement.get("Effect") == "Allow" and _is_anyone(statement.get("Principal")):
            yield "S3 bucket policies must not allow everyone (Principal '*')."


def _public_database(props: Props) -> Iterator[str]:
    if props.get("publiclyAccessible") is True:
        yield "RDS instances must not be publicly accessible."


def _denies_insecure_transport(props: Props) -> bool:
    for statement in _statements(props.get("policy")):
        condition = (statement.get("Condition") or {}).get("Bool") or {}
        insecure = str(condition.get("aws:SecureTransport")).lower() == "false"
        if statement.get("Effect") == "Deny" and insecure:
            return True
    return False


def _bucket_companions(args: StackValidationArgs, report: ReportViolation) -> None:
    """Report buckets without a public access block, default encryption or a TLS-only policy."""
    blocked = {
        r.props.get("bucket") for r in args.resources if r.resource_type == PUBLIC_ACCESS_BLOCK
    }
    encrypted = {
        r.props.get("bucket") for r in args.resources if r.resource_type == BUCKET_ENCRYPTION
    }
    tls_only = {
        r.props.get("bucket")
        for r in args.resources
        if r.resource_type == BUCKET_POLICY and _denies_insecure_transport(r.props)
    }
    for bucket in (r for r in args.resources if r.resource_type == BUCKET):
        name = bucket.props.get("bucket")
        if name not in blocked:
            report(f"{bucket.name}: no BucketPublicAccessBlock.", bucket.urn)
        if name not in encrypted:
            report(f"{bucket.name}: no default encryption configuration.", bucket.urn)
        if name not in tls_only:
            report(f"{bucket.name}: no bucket policy denying non-TLS requests.", bucket.urn)


# --- no 0.0.0.0/0 on database ports -----------------------------------------------------------


def _open_data_ports(rule: Props, cidrs: list[str]) -> Iterator[str]:
    open_to = sorted(OPEN_CIDRS.intersection(cidrs))
    if not open_to:
        return
    protocol = str(rule.get("ipProtocol", rule.get("protocol")))
    if protocol in ("-1", "all"):
        ports = list(DATA_PORTS)
    elif protocol in ("tcp", "6"):
        low = int(rule.get("fromPort") or 0)
        high = int(rule["toPort"]) if rule.get("toPort") is not None else 65535
        ports = [port for port in DATA_PORTS if low <= port <= high]
    else:
        ports = []
    for port in ports:
        yield f"{DATA_PORTS[port]} port {port} is open to {open_to[0]}."


def _group_inline_ingress(props: Props) -> Iterator[str]:
    for rule in props.get("ingress") or []:
        cidrs = [*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or [])]
        yield from _open_data_ports(rule, cidrs)


def _group_rule(props: Props) -> Iterator[str]:
    if props.get("type") == "ingress":
        cidrs = [*(props.get("cidrBlocks") or []), *(props.get("ipv6CidrBlocks") or [])]
        yield from _open_data_ports(props, cidrs)


def _ingress_rule(props: Props) -> Iterator[str]:
    cidrs = [c for c in (props.get("cidrIpv4"), props.get("cidrIpv6")) if c]
    yield from _open_data_ports(props, cidrs)


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


# --- tags -------------------------------------------------------------------------------------


@cache
def args_class(resource_type: str) -> type | None:
    """Return the installed pulumi-aws Args class of a resource type token, if there is one."""
    parts = resource_type.split(":")
    if len(parts) != 3 or parts[0] != "aws" or parts[1].startswith("index"):
        return None
    try:
        package = importlib.import_module(f"pulumi_aws.{parts[1].split('/')[0]}")
    except ImportError:
        return None
    resource_class = getattr(package, parts[2], None)
    if resource_class is None:
        return None
    module = sys.modules[resource_class.__module__]
    # pulumi-aws names it <Class>InitArgs when <Class>Args is taken by a nested input type.
    for candidate in (f"{parts[2]}InitArgs", f"{parts[2]}Args"):
        found = getattr(module, candidate, None)
        if isinstance(found, type) and found.__module__ == module.__name__:
            return found
    return None


def is_taggable(resource_type: str) -> bool:
    """Return True when the installed pulumi-aws resource accepts ``tags``."""
    found = args_class(resource_type)
    return found is not None and "tags" in inspect.signature(found).parameters


def _required_tags(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_taggable(args.resource_type):
        return
    tags = args.props.get("tags") or {}
    missing = [key for key in REQUIRED_TAGS if not tags.get(key)]
    if missing:
        report(f"Missing tags: {', '.join(missing)}.", None)


POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    ResourceValidationPolicy(
        name="encryption-at-rest",
        description="RDS, ElastiCache, S3, secrets and EKS secrets use KMS; KMS keys rotate.",
        validate=_by_type(
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
        validate=_by_type(
            {REPLICATION_GROUP: _redis_in_transit, DB_PARAMETERS: _postgres_parameters_in_transit}
        ),
    ),
    StackValidationPolicy(
        name="database-tls-enforced",
        description="Every PostgreSQL instance uses a parameter group with rds.force_ssl=1.",
        validate=_databases_use_tls_parameters,
    ),
    ResourceValidationPolicy(
        name="no-public-data",
        description="No public bucket ACLs or policies, public access blocked, no public RDS.",
        validate=_by_type(
            {
                PUBLIC_ACCESS_BLOCK: _public_access_block,
                BUCKET: _public_acl,
                BUCKET_ACL: _public_acl,
                BUCKET_POLICY: _public_bucket_policy,
                DB_INSTANCE: _public_database,
            }
        ),
    ),
    StackValidationPolicy(
        name="bucket-baseline",
        description="Every bucket has a public access block, default encryption, TLS-only policy.",
        validate=_bucket_companions,
    ),
    ResourceValidationPolicy(
        name="no-open-database-ports",
        description="Security groups never open 5432 or 6379 to 0.0.0.0/0 or ::/0.",
        validate=_by_type(
            {
                SECURITY_GROUP: _group_inline_ingress,
                SECURITY_GROUP_RULE: _group_rule,
                INGRESS_RULE: _ingress_rule,
            }
        ),
    ),
    ResourceValidationPolicy(
        name="deletion-protection-in-prod",
        description="Resources tagged environment=prod keep their data when deleted by mistake.",
        validate=_by_type(
            {
                DB_INSTANCE: _in_production(_database_kept),
                BUCKET: _in_production(_bucket_kept),
                ECR_REPOSITORY: _in_production(_registry_kept),
                REPLICATION_GROUP: _in_production(_redis_kept),
            }
        ),
    ),
    ResourceValidationPolicy(
        name="required-tags",
        description=f"Every taggable AWS resource carries the tags {', '.join(REQUIRED_TAGS)}.",
        validate=_required_tags,
    ),
]
