"""Registry and identity components under mocks: ECR hardening, IRSA and GitHub OIDC roles."""

import json

import pulumi
import pytest
from infra_harness import ISSUER, document, run_components
from kit.cluster import ClusterOidc
from kit.identity import Identity, IdentityArgs
from kit.registry import Registry, RegistryArgs

TAGS = {"app": "flask-kit", "environment": "staging", "managed-by": "pulumi"}
PROVIDER = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X"
CLUSTER_ARN = "arn:aws:eks:eu-west-1:123456789012:cluster/c"
BUCKET_ARN = "arn:aws:s3:::uploads"
SECRETS = [
    "arn:aws:secretsmanager:eu-west-1:1:secret:db",
    "arn:aws:secretsmanager:eu-west-1:1:secret:r",
]
KEYS = ["arn:aws:kms:eu-west-1:1:key/db", "arn:aws:kms:eu-west-1:1:key/r"]
GITHUB = "token.actions.githubusercontent.com"


def _identity(github_provider: str | None = None):
    def body() -> None:
        oidc = ClusterOidc(
            name=pulumi.Output.from_input("c"),
            arn=pulumi.Output.from_input(CLUSTER_ARN),
            provider_arn=pulumi.Output.from_input(PROVIDER),
            issuer_url=pulumi.Output.from_input(ISSUER),
        )
        Identity(
            "id",
            IdentityArgs(
                cluster=oidc,
                namespace="flask-kit",
                service_account="web",
                bucket_arn=BUCKET_ARN,
                bucket_key_arn="arn:aws:kms:eu-west-1:1:key/bucket",
                secret_arns=list(SECRETS),
                secret_key_arns=list(KEYS),
                repository_arn="arn:aws:ecr:eu-west-1:1:repository/app",
                github_repository="acme/shop",
                github_environment="staging",
                github_oidc_provider_arn=github_provider,
                tags=TAGS,
            ),
        )

    return run_components(body)


@pytest.fixture(scope="module")
def identity():
    return _identity()


def _role(run, suffix: str):
    return next(r for r in run.of_type("aws:iam/role:Role") if r.name.endswith(suffix))


def _policy(run, suffix: str) -> list[dict]:
    policy = next(
        r for r in run.of_type("aws:iam/rolePolicy:RolePolicy") if r.name.endswith(suffix)
    )
    return document(policy.inputs["policy"])["Statement"]


def test_registry_is_immutable_scanned_and_bounded() -> None:
    run = run_components(lambda: Registry("reg", RegistryArgs(keep_images=15, tags=TAGS)))
    repo = run.one("aws:ecr/repository:Repository").inputs
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo["encryptionConfigurations"] == [{"encryptionType": "KMS"}]
    assert repo["forceDelete"] is False
    lifecycle = run.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs
    rules = json.loads(lifecycle["policy"])["rules"]
    assert [r["selection"]["tagStatus"] for r in rules] == ["untagged", "any"]
    assert rules[1]["selection"]["countNumber"] == 15


def test_app_role_trusts_only_the_apps_service_account(identity) -> None:
    (trust,) = document(_role(identity, "-app").inputs["assumeRolePolicy"])["Statement"]
    host = ISSUER.removeprefix("https://")
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Principal"] == {"Federated": PROVIDER}
    assert trust["Condition"] == {
        "StringEquals": {
            f"{host}:sub": "system:serviceaccount:flask-kit:web",
            f"{host}:aud": "sts.amazonaws.com",
        }
    }


def test_app_role_reaches_only_this_bucket_and_these_secrets(identity) -> None:
    statements = {s["Sid"]: s for s in _policy(identity, "-app")}
    assert statements["BucketObjects"]["Resource"] == f"{BUCKET_ARN}/*"
    assert statements["BucketList"]["Resource"] == BUCKET_ARN
    assert statements["OwnSecrets"]["Resource"] == SECRETS
    assert statements["OwnSecrets"]["Action"] == [
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
    ]
    assert statements["SecretKeys"]["Resource"] == KEYS
    assert statements["SecretKeys"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.amazonaws.com"}
    }
    for statement in statements.values():
        assert statement["Effect"] == "Allow"
        assert statement["Resource"] != "*"
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert not any(a.endswith("*") for a in actions)


def test_pipeline_role_trusts_main_and_the_stacks_environment_only(identity) -> None:
    provider = identity.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == f"https://{GITHUB}"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    (trust,) = document(_role(identity, "-pipeline").inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Federated": provider.state["arn"]}
    assert trust["Condition"] == {
        "StringEquals": {
            f"{GITHUB}:aud": "sts.amazonaws.com",
            f"{GITHUB}:sub": [
                "repo:acme/shop:ref:refs/heads/main",
                "repo:acme/shop:environment:staging",
            ],
        }
    }


def test_pipeline_role_pushes_to_this_repository_and_describes_this_cluster(identity) -> None:
    statements = {s["Sid"]: s for s in _policy(identity, "-pipeline")}
    assert statements["EcrPushPull"]["Resource"] == "arn:aws:ecr:eu-west-1:1:repository/app"
    assert "ecr:PutImage" in statements["EcrPushPull"]["Action"]
    assert statements["Cluster"] == {
        "Sid": "Cluster",
        "Effect": "Allow",
        "Action": "eks:DescribeCluster",
        "Resource": CLUSTER_ARN,
    }
    # GetAuthorizationToken cannot be scoped to a repository; it is the only "*".
    assert [s["Action"] for s in statements.values() if s["Resource"] == "*"] == [
        "ecr:GetAuthorizationToken"
    ]


def test_existing_github_provider_is_reused() -> None:
    existing = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    run = _identity(github_provider=existing)
    assert not run.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    (trust,) = document(_role(run, "-pipeline").inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Federated": existing}
