"""Network component under mocks: zones, NAT shape, data ports closed to all but the app."""

import ipaddress

import pytest
from infra_harness import EXISTING_VPC_CIDR, REGION, run_components
from kit.network import INTERFACE_ENDPOINTS, Network, NetworkArgs
from kit.settings import ExistingVpc, NetworkSettings

TAGS = {"app": "flask-kit", "environment": "dev", "managed-by": "pulumi"}


def _network(settings: NetworkSettings):
    return run_components(
        lambda: Network("net", NetworkArgs(settings=settings, tags=TAGS, region=REGION))
    )


def test_new_vpc_spans_zones_with_public_and_private_subnets() -> None:
    run = _network(NetworkSettings(cidr="10.40.0.0/16", az_count=2))
    vpc = run.one("aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == "10.40.0.0/16"
    assert vpc.inputs["enableDnsHostnames"] is True
    subnets = run.of_type("aws:ec2/subnet:Subnet")
    public = [s for s in subnets if "kubernetes.io/role/elb" in s.inputs["tags"]]
    private = [s for s in subnets if "kubernetes.io/role/internal-elb" in s.inputs["tags"]]
    assert len(public) == len(private) == 2
    assert {s.inputs["availabilityZone"] for s in private} == {"eu-west-1a", "eu-west-1b"}
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in public)
    assert not any(s.inputs.get("mapPublicIpOnLaunch") for s in private)
    blocks = [ipaddress.ip_network(s.inputs["cidrBlock"]) for s in subnets]
    assert all(b.subnet_of(ipaddress.ip_network("10.40.0.0/16")) for b in blocks)
    assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])


def test_private_subnets_route_through_nat_single_or_per_zone() -> None:
    single = _network(NetworkSettings(az_count=3, nat_per_az=False))
    assert len(single.of_type("aws:ec2/natGateway:NatGateway")) == 1
    per_zone = _network(NetworkSettings(az_count=3, nat_per_az=True))
    nats = per_zone.of_type("aws:ec2/natGateway:NatGateway")
    assert len(nats) == 3
    routes = [
        r
        for r in per_zone.of_type("aws:ec2/route:Route")
        if r.inputs["destinationCidrBlock"] == "0.0.0.0/0" and "natGatewayId" in r.inputs
    ]
    assert sorted(r.inputs["natGatewayId"] for r in routes) == sorted(f"{n.name}-id" for n in nats)


def test_data_ports_accept_only_referenced_security_groups() -> None:
    run = _network(NetworkSettings(client_security_group_ids=["sg-nodes"]))
    groups = {g.name: g for g in run.of_type("aws:ec2/securityGroup:SecurityGroup")}
    assert set(groups) == {"net-app", "net-postgres", "net-redis", "net-endpoints"}
    assert all("ingress" not in g.inputs and "egress" not in g.inputs for g in groups.values())
    rules = [
        r
        for r in run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] != "net-endpoints-id"
    ]
    by_port = {(r.inputs["securityGroupId"], r.inputs["referencedSecurityGroupId"]) for r in rules}
    assert by_port == {
        ("net-postgres-id", "net-app-id"),
        ("net-redis-id", "net-app-id"),
        ("net-postgres-id", "sg-nodes"),
        ("net-redis-id", "sg-nodes"),
    }
    for rule in rules:
        assert "cidrIpv4" not in rule.inputs
        assert "cidrIpv6" not in rule.inputs
        assert rule.inputs["ipProtocol"] == "tcp"
        port = 5432.0 if rule.inputs["securityGroupId"] == "net-postgres-id" else 6379.0
        assert rule.inputs["fromPort"] == rule.inputs["toPort"] == port


def test_existing_vpc_creates_only_security_groups() -> None:
    existing = ExistingVpc("vpc-123", ["subnet-a", "subnet-b"], ["subnet-c", "subnet-d"])
    run = _network(NetworkSettings(existing=existing))
    assert not run.of_type("aws:ec2/vpc:Vpc")
    assert not run.of_type("aws:ec2/subnet:Subnet")
    assert not run.of_type("aws:ec2/natGateway:NatGateway")
    groups = run.of_type("aws:ec2/securityGroup:SecurityGroup")
    assert {g.inputs["vpcId"] for g in groups} == {"vpc-123"}
    assert "aws:index/getAvailabilityZones:getAvailabilityZones" not in run.invokes


@pytest.mark.parametrize("existing", [False, True], ids=["new-vpc", "existing-vpc"])
def test_the_aws_apis_the_app_calls_are_endpoints_inside_the_vpc(existing: bool) -> None:
    """Issue 13, item 16: with these, the pods' egress never needs the internet."""
    vpc = ExistingVpc("vpc-123", ["subnet-a", "subnet-b"], ["subnet-c"]) if existing else None
    run = _network(NetworkSettings(cidr="10.40.0.0/16", existing=vpc))
    cidr = EXISTING_VPC_CIDR if existing else "10.40.0.0/16"
    endpoints = run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    services = {e.inputs["serviceName"] for e in endpoints}
    assert services == {f"com.amazonaws.{REGION}.{s}" for s in INTERFACE_ENDPOINTS}
    # What the pods call: IRSA's STS, the bucket, and the worker's SES SMTP relay.
    assert {"sts", "s3", "email-smtp"} <= set(INTERFACE_ENDPOINTS)
    (group,) = [
        g for g in run.of_type("aws:ec2/securityGroup:SecurityGroup") if "endpoints" in g.name
    ]
    private = ["subnet-a", "subnet-b"] if existing else [f"net-private-{i}-id" for i in range(2)]
    for endpoint in endpoints:
        assert endpoint.inputs["vpcEndpointType"] == "Interface"
        assert endpoint.inputs["privateDnsEnabled"] is True  # the usual names resolve inside
        assert endpoint.inputs["subnetIds"] == private
        assert endpoint.inputs["securityGroupIds"] == [f"{group.name}-id"]
    (s3,) = [e for e in endpoints if e.inputs["serviceName"].endswith(".s3")]
    assert s3.inputs["dnsOptions"]["privateDnsOnlyForInboundResolverEndpoint"] is False
    rules = [
        r.inputs
        for r in run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == f"{group.name}-id"
    ]
    assert {(r["fromPort"], r["toPort"], r["cidrIpv4"]) for r in rules} == {
        (443.0, 443.0, cidr),
        (587.0, 587.0, cidr),
    }


def test_endpoints_can_be_left_to_an_existing_vpc() -> None:
    existing = ExistingVpc("vpc-123", ["subnet-a", "subnet-b"], ["subnet-c"])
    run = _network(NetworkSettings(existing=existing, endpoints=False))
    assert not run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
