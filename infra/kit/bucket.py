"""Bucket: private S3 storage for uploads, KMS-encrypted, versioned, TLS-only, CORS for the app."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from kit.iam import policy_document
from kit.keys import encryption_key


@dataclass
class BucketArgs:
    """Inputs of :class:`Bucket`."""

    app_origin: str
    noncurrent_version_days: int
    tags: dict[str, str]
    force_destroy: bool = False
    protect: bool = True
    abort_multipart_days: int = 7


class Bucket(pulumi.ComponentResource):
    """An S3 bucket nobody outside the account can read.

    All four public-access blocks are on and ACLs are disabled (bucket owner enforced); objects
    are encrypted with the component's KMS key (S3 Bucket Keys keep KMS calls cheap); versions
    protect against overwrites and are expired after a while, as are abandoned multipart
    uploads; the policy denies any request not made over TLS; CORS allows only the app's
    origin, so browsers can upload with presigned URLs.
    """

    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: BucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kit:aws:Bucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = encryption_key(name, f"{name}: S3 objects", args.tags, self)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            force_destroy=args.force_destroy,
            tags=args.tags,
            # protect: `pulumi destroy` refuses until someone runs `pulumi state unprotect`.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=key.arn
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"
            ),
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-old-versions",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=args.noncurrent_version_days
                    ),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        expired_object_delete_marker=True
                    ),
                ),
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="abort-incomplete-uploads",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=args.abort_multipart_days
                    ),
                ),
            ],
            # S3 rejects lifecycle rules on versions before versioning is on.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=policy_document(
                [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                    {
                        "Sid": "DenyOldTls",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                        "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
                    },
                ]
            ),
            # The policy is only accepted once public policies are blocked, not before.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[block]),
        )
        aws.s3.BucketCorsConfiguration(
            f"{name}-cors",
            bucket=bucket.id,
            cors_rules=[
                aws.s3.BucketCorsConfigurationCorsRuleArgs(
                    allowed_origins=[args.app_origin],
                    allowed_methods=["GET", "PUT", "POST", "HEAD"],
                    allowed_headers=["*"],
                    expose_headers=["ETag"],
                    max_age_seconds=3000,
                )
            ],
            opts=child,
        )
        self.name = bucket.bucket
        self.arn = bucket.arn
        self.key_arn = key.arn
        self.register_outputs({"name": self.name, "arn": self.arn})
