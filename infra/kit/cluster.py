"""Cluster: the EKS cluster the app runs in, found by name or (when asked) created here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from kit.iam import service_trust_policy
from kit.keys import encryption_key
from kit.settings import ClusterSettings

NODE_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
)


def _issuer(identities: Sequence[aws.eks.outputs.ClusterIdentity]) -> str:
    """Return the OIDC issuer URL EKS reports for a cluster it has created."""
    oidcs = identities[0].oidcs if identities else None
    if not oidcs or not oidcs[0].issuer:
        raise pulumi.RunError("EKS reported no OIDC issuer for the cluster")
    return oidcs[0].issuer


@dataclass
class ClusterOidc:
    """What IRSA roles need from a cluster: its OIDC provider and issuer, plus name and ARN."""

    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    provider_arn: pulumi.Output[str]
    issuer_url: pulumi.Output[str]


def existing_cluster(name: str) -> ClusterOidc:
    """Look up an existing EKS cluster and the IAM OIDC provider registered for its issuer."""
    cluster = aws.eks.get_cluster_output(name=name)
    issuer = cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer)
    provider = aws.iam.get_open_id_connect_provider_output(url=issuer)
    return ClusterOidc(
        name=pulumi.Output.from_input(name),
        arn=cluster.arn,
        provider_arn=provider.arn,
        issuer_url=issuer,
    )


@dataclass
class ClusterArgs:
    """Inputs of :class:`Cluster`."""

    settings: ClusterSettings
    subnet_ids: pulumi.Input[list[str]]
    tags: dict[str, str]


class Cluster(pulumi.ComponentResource):
    """An EKS cluster built from plain pulumi_aws resources (no pulumi-eks plugin needed).

    Private subnets only, Kubernetes secrets envelope-encrypted with a KMS key, control-plane
    audit logs on, API access entries instead of the aws-auth ConfigMap, a managed node group,
    and the IAM OIDC provider that IRSA roles trust.
    """

    oidc: ClusterOidc
    security_group_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kit:aws:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        key = encryption_key(name, f"{name}: Kubernetes secrets", args.tags, self)
        cluster_role = aws.iam.Role(
            f"{name}-cluster-role",
            assume_role_policy=service_trust_policy("eks.amazonaws.com"),
            tags=args.tags,
            opts=child,
        )
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy",
            role=cluster_role.name,
            policy_arn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
            opts=child,
        )
        public = bool(settings.public_access_cidrs)
        cluster = aws.eks.Cluster(
            f"{name}-eks",
            role_arn=cluster_role.arn,
            version=settings.version,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=args.subnet_ids,
                endpoint_private_access=True,
                # The API is public only for the CIDRs given (e.g. CI runners), never for all.
                endpoint_public_access=public,
                public_access_cidrs=settings.public_access_cidrs if public else None,
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=True
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"],
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn),
            ),
            enabled_cluster_log_types=["api", "audit", "authenticator"],
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster_policy]),
        )
        node_role = aws.iam.Role(
            f"{name}-node-role",
            assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
            tags=args.tags,
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-policy-{i}", role=node_role.name, policy_arn=arn, opts=child
            )
            for i, arn in enumerate(NODE_POLICIES)
        ]
        aws.eks.NodeGroup(
            f"{name}-nodes",
            cluster_name=cluster.name,
            node_role_arn=node_role.arn,
            subnet_ids=args.subnet_ids,
            instance_types=settings.node_instance_types,
            ami_type="AL2023_x86_64_STANDARD",
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=settings.node_min,
                desired_size=settings.node_desired,
                max_size=settings.node_max,
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=attachments),
        )
        issuer = cluster.identities.apply(_issuer)
        provider = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=issuer,
            client_id_lists=["sts.amazonaws.com"],
            tags=args.tags,
            opts=child,
        )
        self.oidc = ClusterOidc(
            name=cluster.name, arn=cluster.arn, provider_arn=provider.arn, issuer_url=issuer
        )
        # EKS puts managed nodes in this group; the data services accept it as a client.
        self.security_group_id = cluster.vpc_config.apply(
            lambda vpc: vpc.cluster_security_group_id or ""
        )
        self.register_outputs({"name": cluster.name, "oidcProviderArn": provider.arn})
