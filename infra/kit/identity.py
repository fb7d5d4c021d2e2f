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


class Identity(pulumi.ComponentResource):
    """Two roles, each allowed exactly what its holder does.

    The app role is assumable only by the app's Kubernetes service account (IRSA) and may use
    objects in this bucket (through its KMS key) and read this stack's two secrets. The
    pipeline role is assumable only by GitHub Actions jobs of this repository running on main or
    in the GitHub environment named like the stack (where reviewers approve), and may push to this
    ECR repository and describe this cluster (kubectl access is granted in the cluster itself).
    """

    app_role_arn: pulumi.Output[str]
    pipeline_role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: IdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kit:aws:Identity", name, None, opts)
        self.app_role_arn = self._app_role(name, args)
        self.pipeline_role_arn = self._pipeline_role(name, args)
        self.register_outputs(
            {"appRoleArn": self.app_role_arn, "pipelineRoleArn": self.pipeline_role_arn}
        )

    def _app_role(self, name: str, args: IdentityArgs) -> pulumi.Output[str]:
        role = aws.iam.Role(
            f"{name}-app",
            description=f"{args.namespace}/{args.service_account} service account (IRSA)",
            assume_role_policy=irsa_trust_policy(
                args.cluster.provider_arn,
                args.cluster.issuer_url,
                args.namespace,
                args.service_account,
            ),
            max_session_duration=3600,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        objects = pulumi.Output.concat(args.bucket_arn, "/*")
        aws.iam.RolePolicy(
            f"{name}-app",
            role=role.id,
            policy=policy_document(
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
                    {
                        "Sid": "OwnSecrets",
                        "Effect": "Allow",
                        "Action": [
                            "secretsmanager:GetSecretValue",
                            "secretsmanager:DescribeSecret",
                        ],
                        "Resource": args.secret_arns,
                    },
                    {
                        "Sid": "SecretKeys",
                        "Effect": "Allow",
                        "Action": "kms:Decrypt",
                        "Resource": args.secret_key_arns,
                        "Condition": {
                            "StringEquals": {"kms:ViaService": "secretsmanager.amazonaws.com"}
                        },
                    },
                ]
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        return role.arn

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
