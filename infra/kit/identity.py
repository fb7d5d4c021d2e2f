"""Identity: the app's IRSA role and the pipeline's GitHub OIDC role (no static keys anywhere)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from kit.cluster import ClusterOidc
from kit.iam import irsa_trust_policy, policy_document

GITHUB_ISSUER = "token.actions.githubusercontent.com"


@dataclass
class IdentityArgs:
    """Inputs of :class:`Identity`."""

    cluster: ClusterOidc
    namespace: str
    service_account: str
    bucket_arn: pulumi.Input[str]
    bucket_key_arn: pulumi.Input[str]
    secret_arns: list[pulumi.Input[str]]
    secret_key_arns: list[pulumi.Input[str]]
    repository_arn: pulumi.Input[str]
    github_repository: str
    github_environment: str
    tags: dict[str, str]
    github_oidc_provider_arn: str | None = None
    extra_pipeline_subjects: list[str] = field(default_factory=list)
    # The service account the External Secrets Operator reads the migration Job's secrets as
    # (no pod runs as it; <prefix>-migrate-secrets-reader once rendered), and what it may read:
    # the database owner's secret (the Job runs the migrations) and the app role's (the Job
    # creates that role). Empty: no such role.
    migrate_service_account: str = "migrate-secrets-reader"
    migrate_secret_arns: list[pulumi.Input[str]] = field(default_factory=list)
    migrate_secret_key_arns: list[pulumi.Input[str]] = field(default_factory=list)


def _secret_statements(
    secret_arns: list[pulumi.Input[str]], key_arns: list[pulumi.Input[str]]
) -> list[dict[str, object]]:
    """Return the statements that read exactly these secrets (through their KMS keys)."""
    return [
        {
            "Sid": "OwnSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": secret_arns,
        },
        {
            "Sid": "SecretKeys",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": key_arns,
            "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.amazonaws.com"}},
        },
    ]


class Identity(pulumi.ComponentResource):
    """Three roles, each allowed exactly what its holder does.

    The app role is assumable only by the app's Kubernetes service account (IRSA) and may use
    objects in this bucket (through its KMS key) and read the app's secrets (the application
    database role's, Redis's; never the database owner's). The migrate role is assumable only by
    the service account that reads the migration Job's secrets (no pod runs as it) and reads
    the owner's and the app role's database secrets, nothing else. The pipeline role is
    assumable only by GitHub Actions jobs of this repository running on main or in the GitHub
    environment named like the stack (where reviewers approve), and may push to this ECR
    repository and describe this cluster (kubectl access is granted in the cluster itself).
    """

    app_role_arn: pulumi.Output[str]
    migrate_role_arn: pulumi.Output[str] | None
    pipeline_role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: IdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kit:aws:Identity", name, None, opts)
        self.app_role_arn = self._app_role(name, args)
        self.migrate_role_arn = None
        if args.migrate_secret_arns:
            self.migrate_role_arn = self._irsa_role(
                f"{name}-migrate",
                args,
                args.migrate_service_account,
                _secret_statements(args.migrate_secret_arns, args.migrate_secret_key_arns),
            )
        self.pipeline_role_arn = self._pipeline_role(name, args)
        self.register_outputs(
            {
                "appRoleArn": self.app_role_arn,
                "migrateRoleArn": self.migrate_role_arn,
                "pipelineRoleArn": self.pipeline_role_arn,
            }
        )

    def _irsa_role(
        self,
        name: str,
        args: IdentityArgs,
        service_account: str,
        statements: list[dict[str, object]],
    ) -> pulumi.Output[str]:
        """Return a role only SERVICE_ACCOUNT (IRSA) can assume, allowed STATEMENTS."""
        role = aws.iam.Role(
            name,
            description=f"{args.namespace}/{service_account} service account (IRSA)",
            assume_role_policy=irsa_trust_policy(
                args.cluster.provider_arn,
                args.cluster.issuer_url,
                args.namespace,
                service_account,
            ),
            max_session_duration=3600,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            name,
            role=role.id,
            policy=policy_document(statements),
            opts=pulumi.ResourceOptions(parent=role),
        )
        return role.arn

    def _app_role(self, name: str, args: IdentityArgs) -> pulumi.Output[str]:
        objects = pulumi.Output.concat(args.bucket_arn, "/*")
        return self._irsa_role(
            f"{name}-app",
            args,
            args.service_account,
            [
                {
                    "Sid": "BucketObjects",
                    "Effect": "Allow",
                    "Action": [
                        "s3:GetObject",
                        "s3:PutObject",
                        "s3:DeleteObject",
                        "s3:AbortMultipartUpload",
                    ],
                    "Resource": objects,
                },
                {
                    "Sid": "BucketList",
                    "Effect": "Allow",
                    "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                    "Resource": args.bucket_arn,
                },
                {
                    "Sid": "BucketKey",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Resource": args.bucket_key_arn,
                    "Condition": {"StringEquals": {"kms:ViaService": "s3.amazonaws.com"}},
                },
                *_secret_statements(args.secret_arns, args.secret_key_arns),
            ],
        )

    def _pipeline_role(self, name: str, args: IdentityArgs) -> pulumi.Output[str]:
        provider_arn: pulumi.Input[str]
        if args.github_oidc_provider_arn:
            # An account holds one provider per issuer URL: reuse it when it already exists.
            provider_arn = args.github_oidc_provider_arn
        else:
            provider_arn = aws.iam.OpenIdConnectProvider(
                f"{name}-github",
                url=f"https://{GITHUB_ISSUER}",
                client_id_lists=["sts.amazonaws.com"],
                tags=args.tags,
                opts=pulumi.ResourceOptions(parent=self),
            ).arn
        repo = args.github_repository
        subjects = [
            f"repo:{repo}:ref:refs/heads/main",
            f"repo:{repo}:environment:{args.github_environment}",
            *args.extra_pipeline_subjects,
        ]
        role = aws.iam.Role(
            f"{name}-pipeline",
            description=f"GitHub Actions in {repo} ({args.github_environment})",
            assume_role_policy=policy_document(
                [
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": provider_arn},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {
                            "StringEquals": {
                                f"{GITHUB_ISSUER}:aud": "sts.amazonaws.com",
                                f"{GITHUB_ISSUER}:sub": subjects,
                            }
                        },
                    }
                ]
            ),
            max_session_duration=3600,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{name}-pipeline",
            role=role.id,
            policy=policy_document(
                [
                    {
                        "Sid": "EcrLogin",
                        "Effect": "Allow",
                        "Action": "ecr:GetAuthorizationToken",
                        "Resource": "*",
                    },
                    {
                        "Sid": "EcrPushPull",
                        "Effect": "Allow",
                        "Action": [
                            "ecr:BatchCheckLayerAvailability",
                            "ecr:BatchGetImage",
                            "ecr:CompleteLayerUpload",
                            "ecr:DescribeImages",
                            "ecr:DescribeImageScanFindings",
                            "ecr:GetDownloadUrlForLayer",
                            "ecr:InitiateLayerUpload",
                            "ecr:PutImage",
                            "ecr:UploadLayerPart",
                        ],
                        "Resource": args.repository_arn,
                    },
                    {
                        "Sid": "Cluster",
                        "Effect": "Allow",
                        "Action": "eks:DescribeCluster",
                        "Resource": args.cluster.arn,
                    },
                ]
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        return role.arn
