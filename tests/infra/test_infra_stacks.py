"""The program under mocks for each stack config: exports, real argument names, dev vs prod."""

import json
from functools import cache
from pathlib import Path

import pytest
import yaml
from infra_harness import EXISTING_VPC_CIDR, INFRA, Run, run_program
from kit_policies import args_class

from tests.support.contract import OTHER, OTHER_FILE

STACKS = ("dev", "staging", "prod")
EXPORTS = {
    "environment", "region", "domain", "appOrigin", "vpcId", "vpcCidr", "privateSubnetIds",
    "appSecurityGroupId", "databaseHost", "databasePort", "databaseName", "databaseSecretArn",
    "databaseAppSecretArn", "migrateRoleArn",
    "redisHost", "redisPort", "redisSecretArn", "bucketName", "bucketArn", "certificateArn",
    "certManagerRoleArn", "ecrRepositoryUrl", "clusterName", "k8sNamespace", "serviceAccount",
    "migrateServiceAccount", "appRoleArn", "pipelineRoleArn",
}  # fmt: skip
COMPONENTS = {
    "kit:aws:Network", "kit:aws:Postgres", "kit:aws:Redis", "kit:aws:Bucket", "kit:aws:Tls",
    "kit:aws:Registry", "kit:aws:Identity",
}  # fmt: skip
# What a stack file may set beyond the stack's identity: sizes, HA, protection, retention.
TUNABLE = {
    "azCount", "natGatewayPerAz", "deletionProtection", "disposableData", "secretRecoveryDays",
    "dbInstanceClass", "dbAllocatedStorage", "dbMaxAllocatedStorage", "dbMultiAz",
    "dbBackupRetentionDays", "dbPerformanceInsightsRetentionDays", "redisNodeType", "redisNodes",
    "redisSnapshotRetentionDays", "noncurrentVersionDays", "imageRetentionCount", "certManager",
}  # fmt: skip
IDENTITY = {"aws:region", "domain", "dnsZone", "githubRepository", "eksClusterName"}


@cache
def stack(name: str) -> Run:
    """Run the program once per stack for the whole module."""
    return run_program(name)


def _stack_file(name: str) -> dict[str, str]:
    return yaml.safe_load((INFRA / f"Pulumi.{name}.yaml").read_text())["config"]


@cache
def _argument_names(token: str) -> set[str] | None:
    """Return the engine (camelCase) names the installed pulumi-aws accepts for a resource."""
    found = args_class(token)
    assert found is not None, token
    return {
        prop.fget._pulumi_name
        for base in found.__mro__
        for prop in vars(base).values()
        if isinstance(prop, property) and hasattr(prop.fget, "_pulumi_name")
    }


@pytest.mark.parametrize("name", STACKS)
def test_stack_builds_every_component_and_exports_the_contract(name: str) -> None:
    run = stack(name)
    assert run.types() >= COMPONENTS
    assert "kit:aws:Cluster" not in run.types()  # off by default
    assert set(run.exports) == EXPORTS
    assert run.exports["environment"] == name
    assert run.exports["databaseSecretArn"].startswith("arn:aws:secretsmanager:")
    assert run.exports["redisSecretArn"].startswith("arn:aws:secretsmanager:")
    names = [(r.type, r.name) for r in run.resources]
    assert len(names) == len(set(names)), "duplicate resource names would collide in the engine"


@pytest.mark.parametrize("name", STACKS)
def test_no_secret_is_exported(name: str) -> None:
    run = stack(name)
    assert run.secret_exports == set()
    exported = json.dumps(run.exports)
    assert len(run.generated_secrets()) == 3  # database owner, database app role, Redis
    for value in run.generated_secrets():
        assert value not in exported


@pytest.mark.parametrize("name", STACKS)
def test_every_argument_is_a_real_pulumi_aws_argument(name: str) -> None:
    """A misspelt argument only fails at `pulumi preview`; catch it here against the package."""
    for resource in stack(name).resources:
        if not resource.type.startswith("aws:"):
            continue
        unknown = set(resource.inputs) - _argument_names(resource.type)
        assert not unknown, f"{resource.type} {resource.name}: {unknown}"


def _db(run: Run) -> dict:
    return run.one("aws:rds/instance:Instance").inputs


def _redis(run: Run) -> dict:
    return run.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs


def test_prod_keeps_data_that_dev_may_drop() -> None:
    dev, prod = stack("dev"), stack("prod")
    assert (_db(dev)["deletionProtection"], _db(prod)["deletionProtection"]) == (False, True)
    assert (_db(dev)["skipFinalSnapshot"], _db(prod)["skipFinalSnapshot"]) == (True, False)
    assert (_db(dev)["backupRetentionPeriod"], _db(prod)["backupRetentionPeriod"]) == (1.0, 30.0)
    bucket = {r: stack(r).one("aws:s3/bucket:Bucket").inputs["forceDestroy"] for r in STACKS}
    assert bucket == {"dev": True, "staging": False, "prod": False}
    repo = {r: stack(r).one("aws:ecr/repository:Repository").inputs["forceDelete"] for r in STACKS}
    assert repo == {"dev": True, "staging": False, "prod": False}
    recovery = {
        s.inputs["recoveryWindowInDays"] for s in dev.of_type("aws:secretsmanager/secret:Secret")
    }
    assert recovery == {7.0}
    assert {
        s.inputs["recoveryWindowInDays"] for s in prod.of_type("aws:secretsmanager/secret:Secret")
    } == {30.0}


def test_data_is_protected_from_pulumi_destroy_outside_dev() -> None:
    expected = {
        ("aws:rds/instance:Instance", "flask-kit-{}-postgres-db"),
        ("aws:s3/bucket:Bucket", "flask-kit-{}-uploads-bucket"),
    }
    assert stack("dev").protected == set()
    for name in ("staging", "prod"):
        assert stack(name).protected == {(t, n.format(name)) for t, n in expected}


def test_prod_is_highly_available_and_dev_is_small() -> None:
    dev, prod = stack("dev"), stack("prod")
    assert (_db(dev)["multiAz"], _db(prod)["multiAz"]) == (False, True)
    assert (_db(dev)["instanceClass"], _db(prod)["instanceClass"]) == (
        "db.t4g.micro",
        "db.m7g.large",
    )
    assert _db(prod)["performanceInsightsRetentionPeriod"] == 31.0
    assert (_redis(dev)["numCacheClusters"], _redis(prod)["numCacheClusters"]) == (1.0, 2.0)
    assert (_redis(dev)["automaticFailoverEnabled"], _redis(prod)["automaticFailoverEnabled"]) == (
        False,
        True,
    )
    assert _redis(prod)["multiAzEnabled"] is True
    nats = {r: len(stack(r).of_type("aws:ec2/natGateway:NatGateway")) for r in STACKS}
    assert nats == {"dev": 1, "staging": 1, "prod": 3}
    subnets = {r: len(stack(r).of_type("aws:ec2/subnet:Subnet")) for r in STACKS}
    assert subnets == {"dev": 4, "staging": 4, "prod": 6}


def test_staging_rehearses_prod_topology_on_smaller_nodes() -> None:
    staging = stack("staging")
    assert _redis(staging)["automaticFailoverEnabled"] is True
    assert _redis(staging)["nodeType"] == "cache.t4g.small"
    assert _db(staging)["deletionProtection"] is True


def test_cert_manager_role_only_where_the_cluster_issues_certificates() -> None:
    assert stack("dev").exports["certManagerRoleArn"] is None
    assert stack("prod").exports["certManagerRoleArn"].startswith("arn:aws:iam")


def test_stack_files_differ_only_in_tunables_and_identity() -> None:
    files = {name: _stack_file(name) for name in STACKS}
    for name, config in files.items():
        keys = {key.split(":", 1)[1] if key.startswith("flask-kit:") else key for key in config}
        assert keys <= TUNABLE | IDENTITY, f"{name}: {keys - TUNABLE - IDENTITY}"
        assert keys >= IDENTITY, name
    for shared in ("aws:region", "flask-kit:dnsZone", "flask-kit:githubRepository"):
        assert len({files[name][shared] for name in STACKS}) == 1, shared
    assert len({files[name]["flask-kit:domain"] for name in STACKS}) == 3


def test_created_cluster_replaces_the_lookup_and_reaches_the_data() -> None:
    run = run_program("dev", {"flask-kit:eksClusterName": None, "flask-kit:createCluster": "true"})
    assert "kit:aws:Cluster" in run.types()
    assert "aws:eks/getCluster:getCluster" not in run.invokes
    assert run.exports["clusterName"] == run.one("aws:eks/cluster:Cluster").state["name"]
    sources = {
        r.inputs.get("referencedSecurityGroupId")
        for r in run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    }
    assert "sg-eks-cluster" in sources


def test_existing_vpc_by_id() -> None:
    run = run_program(
        "dev",
        {
            "flask-kit:vpcId": "vpc-0abc",
            "flask-kit:privateSubnetIds": ["subnet-1", "subnet-2"],
            "flask-kit:publicSubnetIds": ["subnet-3", "subnet-4"],
        },
    )
    assert not run.of_type("aws:ec2/vpc:Vpc")
    assert run.exports["vpcId"] == "vpc-0abc"
    # The NetworkPolicy range is the real VPC's, looked up, never the vpcCidr default.
    assert run.exports["vpcCidr"] == EXISTING_VPC_CIDR
    groups = run.of_type("aws:rds/subnetGroup:SubnetGroup")
    assert groups[0].inputs["subnetIds"] == ["subnet-1", "subnet-2"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"flask-kit:createCluster": "true"}, "exactly one of eksClusterName"),
        ({"flask-kit:eksClusterName": None}, "exactly one of eksClusterName"),
        ({"flask-kit:githubRepository": "no-slash"}, "owner/name"),
        ({"flask-kit:azCount": "1"}, "azCount"),
        ({"flask-kit:redisNodes": "0"}, "redisNodes"),
        ({"flask-kit:vpcId": "vpc-1", "flask-kit:privateSubnetIds": ["s-1"]}, "two zones"),
        ({"flask-kit:domain": None}, "domain"),
    ],
)
def test_bad_config_fails_with_a_clear_message(overrides: dict, message: str) -> None:
    with pytest.raises(Exception, match=message):
        run_program("dev", overrides)


@pytest.mark.parametrize("name", STACKS)
def test_only_the_migration_job_reads_the_database_owners_secret(name: str) -> None:
    """Issue 13, item 15: the app's pods (IRSA role `-app`) read the app role's database secret,
    never the owner's; the migration Job's own role reads those two and nothing else."""
    run = stack(name)
    owner, app = run.exports["databaseSecretArn"], run.exports["databaseAppSecretArn"]
    assert owner != app

    def readable(role_suffix: str) -> set[str]:
        (policy,) = [
            r
            for r in run.of_type("aws:iam/rolePolicy:RolePolicy")
            if r.name.endswith(f"-identity{role_suffix}")
        ]
        statements = json.loads(policy.inputs["policy"])["Statement"]
        return {
            arn
            for s in statements
            if any(a.startswith("secretsmanager:") for a in s["Action"])
            for arn in s["Resource"]
        }

    assert owner not in readable("-app")
    assert app in readable("-app")
    assert readable("-migrate") == {owner, app}
    (migrate,) = [r for r in run.of_type("aws:iam/role:Role") if r.name.endswith("-migrate")]
    (trust,) = json.loads(migrate.inputs["assumeRolePolicy"])["Statement"]
    subjects = [v for k, v in trust["Condition"]["StringEquals"].items() if k.endswith(":sub")]
    assert subjects == ["system:serviceaccount:flask-kit:app-migrate-secrets-reader"]
    assert run.exports["migrateRoleArn"] == migrate.state["arn"]


def _trusted(run: Run) -> dict[str, str]:
    """Return the IRSA subject each service role trusts, by role (-app, -migrate)."""
    found = {}
    for role in run.of_type("aws:iam/role:Role"):
        suffix = role.name.rpartition("-identity")[2]
        if suffix in ("-app", "-migrate"):
            (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
            (subject,) = [v for k, v in trust["Condition"]["StringEquals"].items() if "sub" in k]
            found[suffix] = subject
    return found


def test_the_roles_trust_the_service_accounts_the_contract_renders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _trusted(stack("dev")) == {
        "-app": "system:serviceaccount:flask-kit:app-web",
        "-migrate": "system:serviceaccount:flask-kit:app-migrate-secrets-reader",
    }
    monkeypatch.setenv("KIT_CONTRACT", str(OTHER_FILE))
    run = run_program("dev")
    assert _trusted(run) == {
        "-app": f"system:serviceaccount:todo:{OTHER.k8s_service_account}",
        "-migrate": f"system:serviceaccount:todo:{OTHER.k8s_migrate_reader}",
    }
    assert (run.exports["k8sNamespace"], run.exports["serviceAccount"]) == ("todo", "todo-web")
    assert run.exports["migrateServiceAccount"] == "todo-migrate-secrets-reader"


def test_stack_config_still_overrides_the_contracts_names() -> None:
    run = run_program(
        "dev",
        {
            "flask-kit:k8sNamespace": "shop",
            "flask-kit:serviceAccount": "shop-web",
            "flask-kit:migrateServiceAccount": "shop-reader",
        },
    )
    assert _trusted(run) == {
        "-app": "system:serviceaccount:shop:shop-web",
        "-migrate": "system:serviceaccount:shop:shop-reader",
    }


def test_a_broken_contract_stops_the_program(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "kit.toml"
    broken.write_text('name = "Not A DNS Label"\n')
    monkeypatch.setenv("KIT_CONTRACT", str(broken))
    with pytest.raises(Exception, match=r"kit\.toml: name"):
        run_program("dev")
