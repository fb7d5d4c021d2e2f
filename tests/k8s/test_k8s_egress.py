"""Pod egress stays inside the VPC (issue 13, item 16): no rule reaches the internet.

The AWS APIs the pods call are interface endpoints inside the VPC (infra/kit/network.py), so
every ipBlock is the stack's VPC range, which the overlay takes from its infra.env (VPC_CIDR,
the `vpcCidr` stack output) rather than from a literal in the manifests.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from k8s_harness import CLOUD_OVERLAYS, OVERLAYS, Doc, build, copy_k8s, of_kind

from kitcore.contract import Contract


def _env(path: Path) -> dict[str, str]:
    lines = [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]
    return dict(ln.split("=", 1) for ln in lines)


def _egress_rules(docs: list[Doc]) -> list[tuple[str, dict]]:
    return [
        (policy["metadata"]["name"], rule)
        for policy in of_kind(docs, "NetworkPolicy")
        for rule in policy["spec"].get("egress", [])
    ]


def _blocks(docs: list[Doc]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(peer["ipBlock"]["cidr"])
        for _, rule in _egress_rules(docs)
        for peer in rule["to"]
        if "ipBlock" in peer
    ]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_egress_rule_reaches_everywhere(rendered: dict[str, list[Doc]], overlay: str) -> None:
    rules = _egress_rules(rendered[overlay])
    assert rules
    for name, rule in rules:
        # An egress rule without `to` allows every destination.
        assert rule.get("to"), f"{name}: egress to any destination"
    for block in _blocks(rendered[overlay]):
        assert block.prefixlen > 0, f"egress to {block} (the internet)"
        assert block.is_private, f"egress to public addresses {block}"
        assert not block.overlaps(ipaddress.ip_network("169.254.169.254/32"))  # metadata


@pytest.mark.parametrize("overlay", CLOUD_OVERLAYS)
def test_cloud_egress_is_the_stacks_vpc(
    rendered: dict[str, list[Doc]], k8s_root: Path, overlay: str
) -> None:
    vpc = ipaddress.ip_network(_env(k8s_root / "overlays" / overlay / "infra.env")["VPC_CIDR"])
    assert set(_blocks(rendered[overlay])) == {vpc}


def test_the_vpc_range_comes_from_the_stack_outputs(tmp_path: Path, service: Contract) -> None:
    root = copy_k8s(tmp_path)
    env = root / "overlays" / "prod" / "infra.env"
    env.write_text(env.read_text().replace("VPC_CIDR=10.40.0.0/16", "VPC_CIDR=10.77.0.0/16"))
    docs = build(root, "prod", service)
    assert set(_blocks(docs)) == {ipaddress.ip_network("10.77.0.0/16")}


def test_irsa_uses_the_regional_sts_endpoint(
    rendered: dict[str, list[Doc]], service: Contract
) -> None:
    for overlay in CLOUD_OVERLAYS:
        (config,) = [
            c
            for c in of_kind(rendered[overlay], "ConfigMap")
            if c["metadata"]["name"].startswith(service.k8s_name("config-"))
        ]
        # The global STS name is not served by the VPC's interface endpoint.
        assert config["data"]["AWS_STS_REGIONAL_ENDPOINTS"] == "regional"
