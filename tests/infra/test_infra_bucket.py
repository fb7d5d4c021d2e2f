"""Bucket component under mocks: private, KMS-encrypted, versioned, TLS-only, CORS for the app."""

import pytest
from infra_harness import document, run_components
from kit.bucket import Bucket, BucketArgs

TAGS = {"app": "flask-kit", "environment": "prod", "managed-by": "pulumi"}
ORIGIN = "https://app.example.com"


@pytest.fixture(scope="module")
def run():
    args = BucketArgs(app_origin=ORIGIN, noncurrent_version_days=90, tags=TAGS)
    return run_components(lambda: Bucket("uploads", args))


def _bucket_name(run) -> str:
    return run.one("aws:s3/bucket:Bucket").state["bucket"]


def test_bucket_is_separate_resources_all_pointing_at_it(run) -> None:
    bucket = run.one("aws:s3/bucket:Bucket")
    assert bucket.inputs["forceDestroy"] is False
    assert bucket.inputs["tags"] == TAGS
    # pulumi-aws 7 moved settings out of Bucket into their own resources.
    for legacy in ("acl", "versioning", "serverSideEncryptionConfiguration", "corsRules", "policy"):
        assert legacy not in bucket.inputs
    for token in (
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration",
    ):
        assert run.one(token).inputs["bucket"] == _bucket_name(run), token


def test_all_public_access_is_blocked_and_acls_are_off(run) -> None:
    block = run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block[flag] is True, flag
    ownership = run.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


def test_default_encryption_is_kms_with_bucket_keys(run) -> None:
    sse = run.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs
    key = run.one("aws:kms/key:Key")
    (rule,) = sse["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key.state["arn"],
    }
    assert rule["bucketKeyEnabled"] is True


def test_versioning_and_lifecycle_for_old_versions_and_uploads(run) -> None:
    versioning = run.one("aws:s3/bucketVersioning:BucketVersioning").inputs
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    rules = {
        r["id"]: r
        for r in run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs[
            "rules"
        ]
    }
    assert rules["expire-old-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 90.0}
    assert rules["abort-incomplete-uploads"]["abortIncompleteMultipartUpload"] == {
        "daysAfterInitiation": 7.0
    }
    assert all(r["status"] == "Enabled" for r in rules.values())


def test_policy_denies_requests_without_tls(run) -> None:
    policy = document(run.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    arn = run.one("aws:s3/bucket:Bucket").state["arn"]
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    insecure = by_sid["DenyInsecureTransport"]
    assert insecure["Effect"] == "Deny"
    assert insecure["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert insecure["Resource"] == [arn, f"{arn}/*"]
    assert by_sid["DenyOldTls"]["Condition"] == {"NumericLessThan": {"s3:TlsVersion": "1.2"}}
    assert all(s["Effect"] == "Deny" for s in policy["Statement"])


def test_cors_allows_only_the_app_origin(run) -> None:
    cors = run.one("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration").inputs
    (rule,) = cors["corsRules"]
    assert rule["allowedOrigins"] == [ORIGIN]
    assert "PUT" in rule["allowedMethods"]
    assert "DELETE" not in rule["allowedMethods"]
