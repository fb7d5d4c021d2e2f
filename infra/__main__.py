"""The kit's AWS stack: read the stack's settings, wire one component per concern, export.

Run with ``pulumi up --stack dev|staging|prod`` from this directory (see README.md).
"""

import pulumi
import pulumi_aws as aws
from kit.bucket import Bucket, BucketArgs
from kit.cluster import Cluster, ClusterArgs, ClusterOidc, existing_cluster
from kit.identity import Identity, IdentityArgs
from kit.network import Network, NetworkArgs
from kit.postgres import Postgres, PostgresArgs
from kit.redis import Redis, RedisArgs
from kit.registry import Registry, RegistryArgs
from kit.settings import load_settings
from kit.tls import Tls, TlsArgs

settings = load_settings()
name = settings.name
tags = settings.tags

# Network first: everything else lives in its private subnets.
network = Network(name, NetworkArgs(settings=settings.network, tags=tags, region=settings.region))

# The cluster: an existing one by name, or one created here when createCluster is true.
cluster: ClusterOidc
if settings.cluster.create:
    created = Cluster(
        name,
        ClusterArgs(settings=settings.cluster, subnet_ids=network.private_subnet_ids, tags=tags),
    )
    network.allow_clients("cluster", created.security_group_id)
    cluster = created.oidc
else:
    assert settings.cluster.existing_name is not None
    cluster = existing_cluster(settings.cluster.existing_name)

# Data services.
postgres = Postgres(
    f"{name}-postgres",
    PostgresArgs(
        settings=settings.postgres,
        subnet_ids=network.private_subnet_ids,
        security_group_id=network.postgres_security_group_id,
        deletion_protection=settings.deletion_protection,
        final_snapshot=not settings.disposable_data,
        secret_recovery_days=settings.secret_recovery_days,
        tags=tags,
    ),
)
redis = Redis(
    f"{name}-redis",
    RedisArgs(
        settings=settings.redis,
        subnet_ids=network.private_subnet_ids,
        security_group_id=network.redis_security_group_id,
        secret_recovery_days=settings.secret_recovery_days,
        tags=tags,
    ),
)
bucket = Bucket(
    f"{name}-uploads",
    BucketArgs(
        app_origin=settings.app_origin,
        noncurrent_version_days=settings.noncurrent_version_days,
        force_destroy=settings.disposable_data,
        protect=settings.deletion_protection,
        tags=tags,
    ),
)

# TLS for the public hostname and the preview hostname of the idle colour.
zone = aws.route53.get_zone_output(name=settings.dns_zone, private_zone=False)
tls = Tls(
    f"{name}-tls",
    TlsArgs(
        domain=settings.domain,
        alternative_names=[f"preview.{settings.domain}"],
        zone_id=zone.zone_id,
        cert_manager_oidc=cluster if settings.cert_manager else None,
        tags=tags,
    ),
)

# Image registry and the two roles: the app's (IRSA) and the pipeline's (GitHub OIDC).
registry = Registry(
    f"{name}-registry",
    RegistryArgs(
        keep_images=settings.image_retention_count,
        force_delete=settings.disposable_data,
        tags=tags,
    ),
)
identity = Identity(
    f"{name}-identity",
    IdentityArgs(
        cluster=cluster,
        namespace=settings.k8s_namespace,
        service_account=settings.service_account,
        migrate_service_account=settings.migrate_service_account,
        bucket_arn=bucket.arn,
        bucket_key_arn=bucket.key_arn,
        # The pods' secrets: the application role's database credentials and Redis's.
        secret_arns=[postgres.app_secret_arn, redis.secret_arn],
        secret_key_arns=[postgres.key_arn, redis.key_arn],
        # The migration Job's: the owner's credentials and the app role's (it creates the role).
        migrate_secret_arns=[postgres.secret_arn, postgres.app_secret_arn],
        migrate_secret_key_arns=[postgres.key_arn],
        repository_arn=registry.repository_arn,
        github_repository=settings.github_repository,
        github_environment=settings.environment,
        github_oidc_provider_arn=settings.github_oidc_provider_arn,
        tags=tags,
    ),
)

# Exports for the pipeline and the Kubernetes overlays (scripts/overlay_config.py).
# Secret ARNs only: the values stay in Secrets Manager.
pulumi.export("environment", settings.environment)
pulumi.export("region", settings.region)
pulumi.export("domain", settings.domain)
pulumi.export("appOrigin", settings.app_origin)
pulumi.export("vpcId", network.vpc_id)
# The range the pods' NetworkPolicy allows for the database, Redis and the AWS endpoints.
pulumi.export("vpcCidr", network.vpc_cidr)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("appSecurityGroupId", network.app_security_group_id)
pulumi.export("databaseHost", postgres.address)
pulumi.export("databasePort", postgres.port)
pulumi.export("databaseName", postgres.database)
pulumi.export("databaseSecretArn", postgres.secret_arn)  # the owner's: the migration Job only
pulumi.export("databaseAppSecretArn", postgres.app_secret_arn)  # the app role's: web, worker
pulumi.export("redisHost", redis.primary_host)
pulumi.export("redisPort", redis.port)
pulumi.export("redisSecretArn", redis.secret_arn)
pulumi.export("bucketName", bucket.name)
pulumi.export("bucketArn", bucket.arn)
pulumi.export("certificateArn", tls.certificate_arn)
pulumi.export("certManagerRoleArn", tls.cert_manager_role_arn)
pulumi.export("ecrRepositoryUrl", registry.repository_url)
pulumi.export("clusterName", cluster.name)
pulumi.export("k8sNamespace", settings.k8s_namespace)
pulumi.export("serviceAccount", settings.service_account)
pulumi.export("migrateServiceAccount", settings.migrate_service_account)
pulumi.export("appRoleArn", identity.app_role_arn)
pulumi.export("migrateRoleArn", identity.migrate_role_arn)
pulumi.export("pipelineRoleArn", identity.pipeline_role_arn)
