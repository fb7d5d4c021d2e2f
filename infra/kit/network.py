"""Network: a VPC across zones (or an existing one) and the security groups around the data."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from kit.settings import NetworkSettings

POSTGRES_PORT = 5432
REDIS_PORT = 6379
HTTPS_PORT = 443
SMTP_SUBMISSION_PORT = 587
# The AWS APIs the workloads call, as interface endpoints (PrivateLink) in the private subnets,
# with private DNS: their regional names resolve to addresses inside the VPC, so the pods'
# NetworkPolicy allows the VPC range (the `vpcCidr` output) instead of the internet
# (k8s/base/networkpolicy.yaml). Service -> who calls it.
INTERFACE_ENDPOINTS = {
    "sts": "IRSA: the pods' SDKs exchange their token for the app role (regional STS)",
    "s3": "the uploads bucket (an interface endpoint, not a gateway: a gateway routes to S3's "
    "public ranges, which a NetworkPolicy could only allow by listing AWS's prefix list)",
    "secretsmanager": "the External Secrets Operator reads the app's secrets",
    "email-smtp": "the worker's mail: SMTP submission to Amazon SES on 587",
}


@dataclass
class NetworkArgs:
    """Inputs of :class:`Network`."""

    settings: NetworkSettings
    tags: dict[str, str]
    region: str


def _subnet_cidrs(cidr: str, az_count: int) -> tuple[list[str], list[str]]:
    """Split the VPC range into /20s (for a /16): public ones first, then private ones."""
    network = ipaddress.ip_network(cidr)
    blocks = [str(b) for b in network.subnets(new_prefix=min(network.prefixlen + 4, 28))]
    if len(blocks) < 2 * az_count:
        raise pulumi.RunError(f"vpcCidr {cidr} is too small for {az_count} zones")
    return blocks[:az_count], blocks[az_count : 2 * az_count]


class Network(pulumi.ComponentResource):
    """A VPC with public and private subnets, and security groups for the app, Postgres and Redis.

    Postgres (5432) and Redis (6379) accept connections only from the app security group
    and from client groups added with :meth:`allow_clients`; nothing else reaches them. The AWS
    APIs the app calls are interface endpoints inside the VPC (:data:`INTERFACE_ENDPOINTS`), so
    the pods need no route to the internet for them.
    """

    vpc_id: pulumi.Output[str]
    vpc_cidr: pulumi.Output[str]
    private_subnet_ids: pulumi.Output[list[str]]
    public_subnet_ids: pulumi.Output[list[str]]
    app_security_group_id: pulumi.Output[str]
    postgres_security_group_id: pulumi.Output[str]
    redis_security_group_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kit:aws:Network", name, None, opts)
        self._name = name
        self._tags = args.tags
        if args.settings.existing is not None:
            existing = args.settings.existing
            self.vpc_id = pulumi.Output.from_input(existing.vpc_id)
            self.vpc_cidr = aws.ec2.get_vpc_output(
                id=existing.vpc_id, opts=pulumi.InvokeOutputOptions(parent=self)
            ).cidr_block
            self.private_subnet_ids = pulumi.Output.from_input(existing.private_subnet_ids)
            self.public_subnet_ids = pulumi.Output.from_input(existing.public_subnet_ids)
        else:
            self.vpc_cidr = pulumi.Output.from_input(args.settings.cidr)
            self._create_vpc(name, args.settings)

        self.app_security_group_id = self._security_group("app", "The Flask app's pods or nodes")
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-app-egress",
            security_group_id=self.app_security_group_id,
            ip_protocol="-1",
            cidr_ipv4="0.0.0.0/0",
            description="App calls AWS APIs and the internet through NAT",
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # No egress rules on the data groups: they only answer connections.
        self.postgres_security_group_id = self._security_group("postgres", "RDS PostgreSQL")
        self.redis_security_group_id = self._security_group("redis", "ElastiCache Redis")
        self.allow_clients("app", self.app_security_group_id)
        for index, group_id in enumerate(args.settings.client_security_group_ids):
            self.allow_clients(f"client{index}", group_id)
        if args.settings.endpoints:
            self._interface_endpoints(name, args.region)

        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "vpcCidr": self.vpc_cidr,
                "privateSubnetIds": self.private_subnet_ids,
                "publicSubnetIds": self.public_subnet_ids,
                "appSecurityGroupId": self.app_security_group_id,
            }
        )

    def allow_clients(self, client: str, security_group_id: pulumi.Input[str]) -> None:
        """Let one security group reach Postgres and Redis, on their ports only."""
        for service, group, port in (
            ("postgres", self.postgres_security_group_id, POSTGRES_PORT),
            ("redis", self.redis_security_group_id, REDIS_PORT),
        ):
            self._tcp_ingress(
                f"{self._name}-{service}-from-{client}",
                group,
                port,
                f"{service} from {client}",
                referenced_security_group_id=security_group_id,
            )

    def _tcp_ingress(
        self,
        name: str,
        group_id: pulumi.Input[str],
        port: int,
        description: str,
        **source: pulumi.Input[str],
    ) -> None:
        """Let SOURCE (a security group or a CIDR) reach one TCP port of a group."""
        aws.vpc.SecurityGroupIngressRule(
            name,
            security_group_id=group_id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=description,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
            **source,
        )

    def _interface_endpoints(self, name: str, region: str) -> None:
        """Create :data:`INTERFACE_ENDPOINTS` in the private subnets, reachable from the VPC."""
        group = self._security_group("endpoints", "AWS interface endpoints (HTTPS, SMTP)")
        for port in (HTTPS_PORT, SMTP_SUBMISSION_PORT):
            self._tcp_ingress(
                f"{name}-endpoints-{port}",
                group,
                port,
                f"AWS APIs on {port} from inside the VPC",
                cidr_ipv4=self.vpc_cidr,
            )
        for service in INTERFACE_ENDPOINTS:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=self.vpc_id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Interface",
                subnet_ids=self.private_subnet_ids,
                security_group_ids=[group],
                private_dns_enabled=True,
                # S3 only: resolve its names to this endpoint for the VPC's own resolver too.
                dns_options=aws.ec2.VpcEndpointDnsOptionsArgs(
                    dns_record_ip_type="ipv4",
                    private_dns_only_for_inbound_resolver_endpoint=False,
                )
                if service == "s3"
                else None,
                tags={**self._tags, "Name": f"{name}-{service}"},
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _security_group(self, role: str, description: str) -> pulumi.Output[str]:
        group = aws.ec2.SecurityGroup(
            f"{self._name}-{role}",
            vpc_id=self.vpc_id,
            description=description,
            tags={**self._tags, "Name": f"{self._name}-{role}"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        return group.id

    def _create_vpc(self, name: str, settings: NetworkSettings) -> None:
        child = pulumi.ResourceOptions(parent=self)
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=settings.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={**self._tags, "Name": name},
            opts=child,
        )
        self.vpc_id = vpc.id
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags={**self._tags, "Name": name}, opts=child
        )
        zones = aws.get_availability_zones_output(
            state="available", opts=pulumi.InvokeOutputOptions(parent=self)
        )
        public_cidrs, private_cidrs = _subnet_cidrs(settings.cidr, settings.az_count)

        public_table = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            tags={**self._tags, "Name": f"{name}-public"},
            opts=child,
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_table.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )
        public: list[aws.ec2.Subnet] = []
        private: list[aws.ec2.Subnet] = []
        nats: list[aws.ec2.NatGateway] = []
        for i in range(settings.az_count):
            zone = zones.names[i]
            subnet = aws.ec2.Subnet(
                f"{name}-public-{i}",
                vpc_id=vpc.id,
                cidr_block=public_cidrs[i],
                availability_zone=zone,
                # Nothing launched here gets a public IP by accident; load balancers get their own.
                map_public_ip_on_launch=False,
                tags={**self._tags, "Name": f"{name}-public-{i}", "kubernetes.io/role/elb": "1"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{i}",
                subnet_id=subnet.id,
                route_table_id=public_table.id,
                opts=child,
            )
            public.append(subnet)
            if i == 0 or settings.nat_per_az:
                eip = aws.ec2.Eip(
                    f"{name}-nat-{i}",
                    domain="vpc",
                    tags={**self._tags, "Name": f"{name}-nat-{i}"},
                    opts=child,
                )
                nats.append(
                    aws.ec2.NatGateway(
                        f"{name}-nat-{i}",
                        allocation_id=eip.id,
                        subnet_id=subnet.id,
                        tags={**self._tags, "Name": f"{name}-nat-{i}"},
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                    )
                )
        for i in range(settings.az_count):
            zone = zones.names[i]
            subnet = aws.ec2.Subnet(
                f"{name}-private-{i}",
                vpc_id=vpc.id,
                cidr_block=private_cidrs[i],
                availability_zone=zone,
                tags={
                    **self._tags,
                    "Name": f"{name}-private-{i}",
                    "kubernetes.io/role/internal-elb": "1",
                },
                opts=child,
            )
            table = aws.ec2.RouteTable(
                f"{name}-private-{i}",
                vpc_id=vpc.id,
                tags={**self._tags, "Name": f"{name}-private-{i}"},
                opts=child,
            )
            # One NAT per zone in prod keeps a zone outage from cutting the others off.
            aws.ec2.Route(
                f"{name}-private-{i}-default",
                route_table_id=table.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nats[i if settings.nat_per_az else 0].id,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{i}", subnet_id=subnet.id, route_table_id=table.id, opts=child
            )
            private.append(subnet)
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private])
