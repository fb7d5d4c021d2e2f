"""The whole policy pack over every resource the program creates, per stack, under mocks."""

import runpy
from functools import cache

import pulumi_aws as aws
import pulumi_policy
import pytest
import yaml
from infra_harness import INFRA, PROJECT, Run, Violation, evaluate_pack, run_components, run_program
from kit_policies import POLICIES

STACKS = ("dev", "staging", "prod")


@cache
def stack(name: str, **overrides: str) -> Run:
    """Run the program once per stack (and override set) for this module."""
    return run_program(name, overrides)


@pytest.mark.parametrize("name", STACKS)
def test_every_stack_passes_the_pack(name: str) -> None:
    run = stack(name)
    assert len(run.resources) > 60
    assert evaluate_pack(POLICIES, run) == []


def test_prod_without_deletion_protection_is_refused() -> None:
    run = stack(
        "prod", **{"flask-kit:deletionProtection": "false", "flask-kit:disposableData": "true"}
    )
    violations = {(v.policy, v.message) for v in evaluate_pack(POLICIES, run)}
    assert violations == {
        ("deletion-protection-in-prod", "Production databases need deletionProtection: true."),
        (
            "deletion-protection-in-prod",
            "Production databases must take a final snapshot (skipFinalSnapshot: false).",
        ),
        ("deletion-protection-in-prod", "Production buckets must not be force-destroyable."),
        ("deletion-protection-in-prod", "Production registries must not be force-deletable."),
    }


def test_prod_with_a_single_redis_node_is_refused() -> None:
    run = stack("prod", **{"flask-kit:redisNodes": "1"})
    assert {v.message for v in evaluate_pack(POLICIES, run)} == {
        "Production Redis needs automatic failover (two or more nodes)."
    }


def test_the_pack_catches_a_resource_added_carelessly() -> None:
    """An untagged security group opening Postgres to the world, as a future change might add."""

    def body() -> None:
        group = aws.ec2.SecurityGroup("careless", vpc_id="vpc-1")
        aws.vpc.SecurityGroupIngressRule(
            "careless-postgres",
            security_group_id=group.id,
            ip_protocol="tcp",
            from_port=5432,
            to_port=5432,
            cidr_ipv4="0.0.0.0/0",
        )
        aws.s3.Bucket(
            "careless-bucket", tags={"app": "x", "environment": "prod", "managed-by": "y"}
        )

    violations = evaluate_pack(POLICIES, run_components(body))
    assert (
        Violation(
            "no-open-database-ports",
            "careless-postgres",
            "PostgreSQL port 5432 is open to 0.0.0.0/0.",
        )
        in violations
    )
    assert (
        Violation("required-tags", "careless", "Missing tags: app, environment, managed-by.")
        in violations
    )
    assert {v.message for v in violations if v.policy == "bucket-baseline"} == {
        "careless-bucket: no BucketPublicAccessBlock.",
        "careless-bucket: no default encryption configuration.",
        "careless-bucket: no bucket policy denying non-TLS requests.",
    }


def test_pack_entry_point_builds_a_mandatory_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    built: dict = {}
    # The real PolicyPack starts the analyzer's gRPC server and blocks; record its arguments.
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: built.update(kwargs))
    runpy.run_path(str(INFRA / "policy" / "__main__.py"), run_name="__main__")
    assert built["policies"] is POLICIES
    assert built["enforcement_level"] == pulumi_policy.EnforcementLevel.MANDATORY
    manifest = yaml.safe_load((INFRA / "policy" / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    assert (INFRA / "policy" / manifest["runtime"]["options"]["virtualenv"] / "bin").is_dir()


def test_program_manifest_uses_the_repositorys_uv_environment() -> None:
    manifest = yaml.safe_load((INFRA / "Pulumi.yaml").read_text())
    assert manifest["name"] == PROJECT
    assert manifest["runtime"] == {"name": "python", "options": {"toolchain": "uv"}}
    assert (INFRA.parent / "uv.lock").is_file()
