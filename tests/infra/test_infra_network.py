"""Network component under mocks: zones, NAT shape, data ports closed to all but the app."""

import ipaddress

from infra_harness import run_components
from kit.network import Network, NetworkArgs
from kit.settings import ExistingVpc, NetworkSettings

TAGS = {"app": "flask-kit", "environment": "dev", "managed-by": "pulumi"}


def _network(settings: NetworkSettings):
    return run_components(lambda: Network("net", NetworkArgs(settings=settings, tags=TAGS)))


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
    assert set(groups) == {"net-app", "net-postgres", "net-redis"}
    assert all("ingress" not in g.inputs and "egress" not in g.inputs for g in groups.values())
    rules = run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
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
