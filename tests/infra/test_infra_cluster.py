"""Cluster component under mocks: the optional EKS cluster built from plain pulumi_aws resources."""

import pulumi
import pytest
from infra_harness import ISSUER, document, run_components
from kit.cluster import NODE_POLICIES, Cluster, ClusterArgs, existing_cluster
from kit.settings import ClusterSettings

TAGS = {"app": "flask-kit", "environment": "dev", "managed-by": "pulumi"}


def _cluster(settings: ClusterSettings):
    return run_components(
        lambda: Cluster("k", ClusterArgs(settings=settings, subnet_ids=["s-a", "s-b"], tags=TAGS))
    )


@pytest.fixture(scope="module")
def private():
    return _cluster(ClusterSettings(create=True, node_min=2, node_desired=3, node_max=5))


def test_cluster_is_private_encrypted_and_audited(private) -> None:
    cluster = private.one("aws:eks/cluster:Cluster").inputs
    key = private.one("aws:kms/key:Key")
    assert cluster["vpcConfig"]["subnetIds"] == ["s-a", "s-b"]
    assert cluster["vpcConfig"]["endpointPrivateAccess"] is True
    assert cluster["vpcConfig"]["endpointPublicAccess"] is False
    assert cluster["encryptionConfig"] == {
        "resources": ["secrets"],
        "provider": {"keyArn": key.state["arn"]},
    }
    assert "audit" in cluster["enabledClusterLogTypes"]
    assert cluster["accessConfig"]["authenticationMode"] == "API"
    assert cluster["version"] == "1.33"


def test_nodes_get_exactly_the_managed_node_policies(private) -> None:
    group = private.one("aws:eks/nodeGroup:NodeGroup").inputs
    assert group["scalingConfig"] == {"minSize": 2.0, "desiredSize": 3.0, "maxSize": 5.0}
    assert group["subnetIds"] == ["s-a", "s-b"]
    attached = {
        a.inputs["policyArn"]
        for a in private.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert attached == {*NODE_POLICIES, "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"}
    roles = {
        r.name: document(r.inputs["assumeRolePolicy"]) for r in private.of_type("aws:iam/role:Role")
    }
    principals = {doc["Statement"][0]["Principal"]["Service"] for doc in roles.values()}
    assert principals == {"eks.amazonaws.com", "ec2.amazonaws.com"}


def test_oidc_provider_registers_the_clusters_issuer(private) -> None:
    provider = private.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider").inputs
    assert provider["url"] == ISSUER
    assert provider["clientIdLists"] == ["sts.amazonaws.com"]


def test_public_endpoint_only_for_listed_cidrs() -> None:
    run = _cluster(ClusterSettings(create=True, public_access_cidrs=["203.0.113.0/24"]))
    vpc = run.one("aws:eks/cluster:Cluster").inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_existing_cluster_is_looked_up_not_created() -> None:
    found: dict[str, str] = {}

    def body() -> None:
        oidc = existing_cluster("shared")
        pulumi.Output.all(oidc.provider_arn, oidc.issuer_url, oidc.arn).apply(
            lambda v: found.update(provider=v[0], issuer=v[1], arn=v[2])
        )

    run = run_components(body)
    assert not run.resources
    assert run.invokes == [
        "aws:eks/getCluster:getCluster",
        "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider",
    ]
    assert found["issuer"] == ISSUER
    assert found["provider"].endswith("oidc-provider/" + ISSUER.removeprefix("https://"))
    assert found["arn"].endswith(":cluster/shared")
