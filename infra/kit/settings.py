"""Typed stack settings read once from Pulumi config: the only place that knows config keys.

The service's names on the cluster (the subjects its IAM roles trust) come from its contract,
kit.toml ($KIT_CONTRACT, else the repository's), as `rollout render` names them; the stack
config keys k8sNamespace, serviceAccount and migrateServiceAccount may still override them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from kitcore.contract import Contract, ContractError, load_contract

# Keys every resource carries; the CrossGuard pack refuses untagged resources and keys
# "deletion protection in prod" off the environment tag.
REQUIRED_TAGS = ("app", "environment", "managed-by")


@dataclass(frozen=True)
class ExistingVpc:
    """A VPC the stack does not own: its id and subnet ids."""

    vpc_id: str
    private_subnet_ids: list[str]
    public_subnet_ids: list[str]


@dataclass(frozen=True)
class NetworkSettings:
    """Where the data services live."""

    cidr: str = "10.40.0.0/16"
    az_count: int = 2
    nat_per_az: bool = False
    existing: ExistingVpc | None = None
    client_security_group_ids: list[str] = field(default_factory=list)
    # Interface endpoints for the AWS APIs the app calls (kit.network.INTERFACE_ENDPOINTS).
    # Off only for an existing VPC that already has them (private DNS allows one per service).
    endpoints: bool = True


@dataclass(frozen=True)
class PostgresSettings:
    """RDS PostgreSQL sizing and durability."""

    instance_class: str = "db.t4g.micro"
    engine_version: str = "17"
    allocated_storage: int = 20
    max_allocated_storage: int = 100
    multi_az: bool = False
    backup_retention_days: int = 7
    performance_insights_retention_days: int = 7


@dataclass(frozen=True)
class RedisSettings:
    """ElastiCache sizing; more than one node turns on failover and multi-AZ."""

    node_type: str = "cache.t4g.micro"
    engine_version: str = "7.1"
    nodes: int = 1
    snapshot_retention_days: int = 1


@dataclass(frozen=True)
class ClusterSettings:
    """Which EKS cluster the app's service account lives in."""

    existing_name: str | None = None
    create: bool = False
    version: str = "1.33"
    node_instance_types: list[str] = field(default_factory=lambda: ["t3.medium"])
    node_min: int = 1
    node_desired: int = 2
    node_max: int = 4
    public_access_cidrs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StackSettings:
    """Everything the program needs; data protection defaults on unless a stack opts out."""

    project: str
    environment: str
    region: str
    domain: str
    dns_zone: str
    github_repository: str
    # The IRSA subjects: system:serviceaccount:<k8s_namespace>:<service_account> (web and
    # worker pods) and ...:<migrate_service_account> (reads the migration Job's secrets).
    k8s_namespace: str
    service_account: str
    migrate_service_account: str
    github_oidc_provider_arn: str | None = None
    deletion_protection: bool = True
    disposable_data: bool = False
    secret_recovery_days: int = 30
    noncurrent_version_days: int = 30
    image_retention_count: int = 30
    cert_manager: bool = False
    network: NetworkSettings = field(default_factory=NetworkSettings)
    postgres: PostgresSettings = field(default_factory=PostgresSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)

    @property
    def name(self) -> str:
        """Return the prefix for physical names, e.g. ``flask-kit-prod``."""
        return f"{self.project}-{self.environment}"

    @property
    def app_origin(self) -> str:
        """Return the browser origin allowed by the bucket's CORS rule."""
        return f"https://{self.domain}"

    @property
    def tags(self) -> dict[str, str]:
        """Return the tags every taggable resource gets."""
        return {
            "app": self.project,
            "environment": self.environment,
            "managed-by": "pulumi",
            "repository": self.github_repository,
        }


def _int(config: pulumi.Config, key: str, default: int) -> int:
    value = config.get_int(key)
    return default if value is None else value


def _bool(config: pulumi.Config, key: str, default: bool) -> bool:
    value = config.get_bool(key)
    return default if value is None else value


def _strings(config: pulumi.Config, key: str) -> list[str]:
    value = config.get_object(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise pulumi.RunError(f"config {key} must be a list of strings")
    return list(value)


def _network(config: pulumi.Config) -> NetworkSettings:
    vpc_id = config.get("vpcId")
    existing = None
    if vpc_id:
        existing = ExistingVpc(
            vpc_id=vpc_id,
            private_subnet_ids=_strings(config, "privateSubnetIds"),
            public_subnet_ids=_strings(config, "publicSubnetIds"),
        )
        if len(existing.private_subnet_ids) < 2:
            raise pulumi.RunError("vpcId needs privateSubnetIds in at least two zones")
    az_count = _int(config, "azCount", 2)
    if not 2 <= az_count <= 6:
        raise pulumi.RunError("azCount must be between 2 and 6")
    return NetworkSettings(
        cidr=config.get("vpcCidr") or "10.40.0.0/16",
        az_count=az_count,
        nat_per_az=_bool(config, "natGatewayPerAz", False),
        existing=existing,
        client_security_group_ids=_strings(config, "clientSecurityGroupIds"),
        endpoints=_bool(config, "vpcEndpoints", True),
    )


def _postgres(config: pulumi.Config) -> PostgresSettings:
    d = PostgresSettings()
    return PostgresSettings(
        instance_class=config.get("dbInstanceClass") or d.instance_class,
        engine_version=config.get("dbEngineVersion") or d.engine_version,
        allocated_storage=_int(config, "dbAllocatedStorage", d.allocated_storage),
        max_allocated_storage=_int(config, "dbMaxAllocatedStorage", d.max_allocated_storage),
        multi_az=_bool(config, "dbMultiAz", d.multi_az),
        backup_retention_days=_int(config, "dbBackupRetentionDays", d.backup_retention_days),
        performance_insights_retention_days=_int(
            config, "dbPerformanceInsightsRetentionDays", d.performance_insights_retention_days
        ),
    )


def _redis(config: pulumi.Config) -> RedisSettings:
    d = RedisSettings()
    nodes = _int(config, "redisNodes", d.nodes)
    if not 1 <= nodes <= 6:
        raise pulumi.RunError("redisNodes must be between 1 and 6")
    return RedisSettings(
        node_type=config.get("redisNodeType") or d.node_type,
        engine_version=config.get("redisEngineVersion") or d.engine_version,
        nodes=nodes,
        snapshot_retention_days=_int(
            config, "redisSnapshotRetentionDays", d.snapshot_retention_days
        ),
    )


def _cluster(config: pulumi.Config) -> ClusterSettings:
    d = ClusterSettings()
    existing = config.get("eksClusterName")
    create = _bool(config, "createCluster", False)
    if bool(existing) == create:
        raise pulumi.RunError("set exactly one of eksClusterName (existing) or createCluster=true")
    return ClusterSettings(
        existing_name=existing,
        create=create,
        version=config.get("clusterVersion") or d.version,
        node_instance_types=_strings(config, "nodeInstanceTypes") or d.node_instance_types,
        node_min=_int(config, "nodeMinSize", d.node_min),
        node_desired=_int(config, "nodeDesiredSize", d.node_desired),
        node_max=_int(config, "nodeMaxSize", d.node_max),
        public_access_cidrs=_strings(config, "clusterPublicAccessCidrs"),
    )


def _contract() -> Contract:
    """Return the service's contract: $KIT_CONTRACT, else the repository's kit.toml."""
    try:
        return load_contract()
    except ContractError as exc:
        raise pulumi.RunError(str(exc)) from None


def load_settings() -> StackSettings:
    """Read this stack's config; fail with one clear message when a required key is missing."""
    config = pulumi.Config()
    service = _contract()
    repository = config.require("githubRepository")
    if repository.count("/") != 1:
        raise pulumi.RunError("githubRepository must look like owner/name")
    return StackSettings(
        project=pulumi.get_project(),
        environment=pulumi.get_stack(),
        region=pulumi.Config("aws").require("region"),
        domain=config.require("domain"),
        dns_zone=config.require("dnsZone"),
        github_repository=repository,
        github_oidc_provider_arn=config.get("githubOidcProviderArn"),
        k8s_namespace=config.get("k8sNamespace") or service.kubernetes.namespace,
        service_account=config.get("serviceAccount") or service.k8s_service_account,
        migrate_service_account=(config.get("migrateServiceAccount") or service.k8s_migrate_reader),
        deletion_protection=_bool(config, "deletionProtection", True),
        disposable_data=_bool(config, "disposableData", False),
        secret_recovery_days=_int(config, "secretRecoveryDays", 30),
        noncurrent_version_days=_int(config, "noncurrentVersionDays", 30),
        image_retention_count=_int(config, "imageRetentionCount", 30),
        cert_manager=_bool(config, "certManager", False),
        network=_network(config),
        postgres=_postgres(config),
        redis=_redis(config),
        cluster=_cluster(config),
    )
