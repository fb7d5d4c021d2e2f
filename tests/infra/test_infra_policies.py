"""Each CrossGuard policy, called directly: one resource that passes, one that fails."""

import json

import pytest
from infra_harness import Resource, validate_resource, validate_stack
from kit_policies import POLICIES, is_taggable
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

TAGS = {"app": "flask-kit", "environment": "prod", "managed-by": "pulumi"}
BY_NAME = {p.name: p for p in POLICIES}

DB = "aws:rds/instance:Instance"
PARAMS = "aws:rds/parameterGroup:ParameterGroup"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET = "aws:s3/bucket:Bucket"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG = "aws:ec2/securityGroup:SecurityGroup"

GOOD_DB = {
    "engine": "postgres",
    "storageEncrypted": True,
    "kmsKeyId": "arn:aws:kms:eu-west-1:1:key/db",
    "performanceInsightsEnabled": True,
    "performanceInsightsKmsKeyId": "arn:aws:kms:eu-west-1:1:key/db",
    "publiclyAccessible": False,
    "deletionProtection": True,
    "skipFinalSnapshot": False,
    "backupRetentionPeriod": 30.0,
    "parameterGroupName": "pg-tls",
    "tags": TAGS,
}
GOOD_REDIS = {
    "atRestEncryptionEnabled": True,
    "transitEncryptionEnabled": True,
    "transitEncryptionMode": "required",
    "authToken": "x" * 32,
    "automaticFailoverEnabled": True,
    "snapshotRetentionLimit": 7.0,
    "tags": TAGS,
}
TLS_PARAMS = {
    "family": "postgres17",
    "name": "pg-tls",
    "parameters": [{"name": "rds.force_ssl", "value": "1"}],
}
DENY_PLAIN_HTTP = json.dumps(
    {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    }
)
ALL_BLOCKED = dict.fromkeys(
    ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True
)


def _check(policy: str, token: str, props: dict) -> list[str]:
    found = BY_NAME[policy]
    assert isinstance(found, ResourceValidationPolicy)
    return validate_resource(found, token, props)


def _stack(policy: str, resources: list[tuple[str, dict]]) -> list[str]:
    found = BY_NAME[policy]
    assert isinstance(found, StackValidationPolicy)
    return validate_stack(
        found,
        [Resource(t, f"r{i}", f"urn:r{i}", props, props) for i, (t, props) in enumerate(resources)],
    )


def test_pack_has_the_checklist_and_unique_names() -> None:
    assert [p.name for p in POLICIES] == [
        "encryption-at-rest",
        "encryption-in-transit",
        "database-tls-enforced",
        "no-public-data",
        "bucket-baseline",
        "no-open-database-ports",
        "deletion-protection-in-prod",
        "required-tags",
    ]
    assert all(p.description for p in POLICIES)


@pytest.mark.parametrize(
    ("token", "good", "bad", "message"),
    [
        (DB, GOOD_DB, {**GOOD_DB, "storageEncrypted": False}, "storageEncrypted"),
        (DB, GOOD_DB, {**GOOD_DB, "kmsKeyId": None}, "kmsKeyId"),
        (DB, GOOD_DB, {**GOOD_DB, "performanceInsightsKmsKeyId": None}, "Performance Insights"),
        (REDIS, GOOD_REDIS, {**GOOD_REDIS, "atRestEncryptionEnabled": False}, "at rest"),
        (
            SSE,
            {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]},
            {"rules": []},
            "default encryption",
        ),
        ("aws:kms/key:Key", {"enableKeyRotation": True}, {"enableKeyRotation": False}, "rotate"),
        (
            "aws:secretsmanager/secret:Secret",
            {"kmsKeyId": "arn:aws:kms:eu-west-1:1:key/s"},
            {},
            "customer-managed",
        ),
        (
            "aws:eks/cluster:Cluster",
            {"encryptionConfig": {"resources": ["secrets"]}},
            {"encryptionConfig": None},
            "envelope-encrypt",
        ),
    ],
)
def test_encryption_at_rest(token: str, good: dict, bad: dict, message: str) -> None:
    assert _check("encryption-at-rest", token, good) == []
    assert any(message in m for m in _check("encryption-at-rest", token, bad))


@pytest.mark.parametrize(
    ("token", "good", "bad", "message"),
    [
        (REDIS, GOOD_REDIS, {**GOOD_REDIS, "transitEncryptionEnabled": False}, "TLS"),
        (REDIS, GOOD_REDIS, {**GOOD_REDIS, "transitEncryptionMode": "preferred"}, "required"),
        (REDIS, GOOD_REDIS, {**GOOD_REDIS, "authToken": None}, "authentication"),
        (PARAMS, TLS_PARAMS, {**TLS_PARAMS, "parameters": []}, "rds.force_ssl"),
        (
            PARAMS,
            TLS_PARAMS,
            {**TLS_PARAMS, "parameters": [{"name": "rds.force_ssl", "value": "0"}]},
            "rds.force_ssl",
        ),
    ],
)
def test_encryption_in_transit(token: str, good: dict, bad: dict, message: str) -> None:
    assert _check("encryption-in-transit", token, good) == []
    assert any(message in m for m in _check("encryption-in-transit", token, bad))


def test_database_must_use_a_tls_parameter_group() -> None:
    assert _stack("database-tls-enforced", [(PARAMS, TLS_PARAMS), (DB, GOOD_DB)]) == []
    plain = {**TLS_PARAMS, "name": "pg-plain", "parameters": []}
    messages = _stack(
        "database-tls-enforced",
        [
            (PARAMS, TLS_PARAMS),
            (PARAMS, plain),
            (DB, {**GOOD_DB, "parameterGroupName": "pg-plain"}),
        ],
    )
    assert len(messages) == 1
    assert "does not force TLS" in messages[0]


@pytest.mark.parametrize(
    ("token", "good", "bad", "message"),
    [
        (
            PAB,
            ALL_BLOCKED,
            {**ALL_BLOCKED, "restrictPublicBuckets": False},
            "restrictPublicBuckets",
        ),
        (BUCKET, {"tags": TAGS}, {"acl": "public-read"}, "public-read"),
        ("aws:s3/bucketAcl:BucketAcl", {"acl": "private"}, {"acl": "authenticated-read"}, "ACL"),
        (
            POLICY,
            {"policy": DENY_PLAIN_HTTP},
            {
                "policy": json.dumps(
                    {
                        "Statement": {
                            "Effect": "Allow",
                            "Principal": {"AWS": "*"},
                            "Action": "s3:GetObject",
                        }
                    }
                )
            },
            "everyone",
        ),
        (DB, GOOD_DB, {**GOOD_DB, "publiclyAccessible": True}, "publicly accessible"),
    ],
)
def test_no_public_data(token: str, good: dict, bad: dict, message: str) -> None:
    assert _check("no-public-data", token, good) == []
    assert any(message in m for m in _check("no-public-data", token, bad))


def test_every_bucket_needs_its_baseline() -> None:
    bucket = {"bucket": "uploads", "tags": TAGS}
    complete = [
        (BUCKET, bucket),
        (PAB, {"bucket": "uploads", **ALL_BLOCKED}),
        (SSE, {"bucket": "uploads", "rules": []}),
        (POLICY, {"bucket": "uploads", "policy": DENY_PLAIN_HTTP}),
    ]
    assert _stack("bucket-baseline", complete) == []
    bare = _stack(
        "bucket-baseline", [(BUCKET, bucket), (POLICY, {"bucket": "other", "policy": "{}"})]
    )
    assert len(bare) == 3
    assert any("BucketPublicAccessBlock" in m for m in bare)
    assert any("default encryption" in m for m in bare)
    assert any("non-TLS" in m for m in bare)


@pytest.mark.parametrize(
    ("token", "good", "bad"),
    [
        (
            INGRESS,
            {
                "ipProtocol": "tcp",
                "fromPort": 5432.0,
                "toPort": 5432.0,
                "referencedSecurityGroupId": "sg-app",
            },
            {"ipProtocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "cidrIpv4": "0.0.0.0/0"},
        ),
        (
            INGRESS,
            {"ipProtocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrIpv4": "0.0.0.0/0"},
            {"ipProtocol": "-1", "cidrIpv6": "::/0"},
        ),
        (
            SG,
            {
                "ingress": [
                    {
                        "protocol": "tcp",
                        "fromPort": 6379.0,
                        "toPort": 6379.0,
                        "cidrBlocks": ["10.0.0.0/16"],
                    }
                ]
            },
            {
                "ingress": [
                    {
                        "protocol": "tcp",
                        "fromPort": 6000.0,
                        "toPort": 7000.0,
                        "cidrBlocks": ["0.0.0.0/0"],
                    }
                ]
            },
        ),
        (
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            {
                "type": "egress",
                "protocol": "tcp",
                "fromPort": 0.0,
                "toPort": 65535.0,
                "cidrBlocks": ["0.0.0.0/0"],
            },
            {
                "type": "ingress",
                "protocol": "tcp",
                "fromPort": 0.0,
                "toPort": 65535.0,
                "cidrBlocks": ["0.0.0.0/0"],
            },
        ),
    ],
)
def test_no_open_database_ports(token: str, good: dict, bad: dict) -> None:
    assert _check("no-open-database-ports", token, good) == []
    messages = _check("no-open-database-ports", token, bad)
    assert messages
    assert all("is open to" in m for m in messages)


@pytest.mark.parametrize(
    ("token", "good", "bad", "message"),
    [
        (DB, GOOD_DB, {**GOOD_DB, "deletionProtection": False}, "deletionProtection"),
        (DB, GOOD_DB, {**GOOD_DB, "skipFinalSnapshot": True}, "final snapshot"),
        (DB, GOOD_DB, {**GOOD_DB, "backupRetentionPeriod": 0.0}, "backups"),
        (
            BUCKET,
            {"forceDestroy": False, "tags": TAGS},
            {"forceDestroy": True, "tags": TAGS},
            "force",
        ),
        (
            "aws:ecr/repository:Repository",
            {"forceDelete": False, "tags": TAGS},
            {"forceDelete": True, "tags": TAGS},
            "force",
        ),
        (REDIS, GOOD_REDIS, {**GOOD_REDIS, "automaticFailoverEnabled": False}, "failover"),
        (REDIS, GOOD_REDIS, {**GOOD_REDIS, "snapshotRetentionLimit": 0.0}, "snapshots"),
    ],
)
def test_deletion_protection_in_prod(token: str, good: dict, bad: dict, message: str) -> None:
    assert _check("deletion-protection-in-prod", token, good) == []
    assert any(message in m for m in _check("deletion-protection-in-prod", token, bad))
    # The same resource outside prod is not this policy's business.
    dev = {**bad, "tags": {**TAGS, "environment": "dev"}}
    assert _check("deletion-protection-in-prod", token, dev) == []


def test_required_tags_on_taggable_resources_only() -> None:
    assert _check("required-tags", DB, {"tags": TAGS}) == []
    assert _check("required-tags", DB, {"tags": {"app": "flask-kit"}}) == [
        "Missing tags: environment, managed-by."
    ]
    assert _check("required-tags", DB, {}) == ["Missing tags: app, environment, managed-by."]
    # Route53 records and random passwords cannot carry tags.
    assert _check("required-tags", "aws:route53/record:Record", {}) == []
    assert _check("required-tags", "random:index/randomPassword:RandomPassword", {}) == []


def test_taggability_comes_from_the_installed_provider() -> None:
    assert is_taggable("aws:rds/instance:Instance")
    assert is_taggable("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert (
        is_taggable(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        )
        is False
    )
    assert not is_taggable("aws:iam/rolePolicy:RolePolicy")
    assert not is_taggable("aws:nosuchmodule/thing:Thing")
    assert not is_taggable("kit:aws:Postgres")
