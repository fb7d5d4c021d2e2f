"""What every CrossGuard rule of the kit shares: resource type tokens, thresholds, helpers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

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


def by_type(checks: dict[str, Check]) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    """Turn a table of per-type checks into a CrossGuard validate function."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        check = checks.get(args.resource_type)
        if check is not None:
            for message in check(args.props):
                report(message, None)

    return validate


def parameter(props: Props, name: str) -> str | None:
    for parameter in props.get("parameters") or []:
        if parameter.get("name") == name:
            return str(parameter.get("value"))
    return None


def statements(policy: Any) -> list[Mapping[str, Any]]:
    document = json.loads(policy) if isinstance(policy, str) else policy or {}
    statements = document.get("Statement") or []
    return [statements] if isinstance(statements, Mapping) else list(statements)
