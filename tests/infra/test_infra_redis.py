"""Redis component under mocks: encryption both ways, a secret token, failover with two nodes."""

from infra_harness import document, run_components, secret_value
from kit.redis import Redis, RedisArgs
from kit.settings import RedisSettings

TAGS = {"app": "flask-kit", "environment": "dev", "managed-by": "pulumi"}


def _redis(nodes: int):
    args = RedisArgs(
        settings=RedisSettings(nodes=nodes),
        subnet_ids=["subnet-a", "subnet-b"],
        security_group_id="sg-redis",
        secret_recovery_days=7,
        tags=TAGS,
    )
    return run_components(lambda: Redis("cache", args))


def test_encrypted_at_rest_and_in_transit_with_a_secret_token() -> None:
    run = _redis(1)
    group = run.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    key = run.one("aws:kms/key:Key")
    assert group["atRestEncryptionEnabled"] is True
    assert group["kmsKeyId"] == key.state["arn"]
    assert group["transitEncryptionEnabled"] is True
    assert group["transitEncryptionMode"] == "required"
    assert group["securityGroupIds"] == ["sg-redis"]
    assert group["description"]
    token = run.one("random:index/randomPassword:RandomPassword")
    assert token.inputs["length"] == 64.0
    assert secret_value(group["authToken"]) == token.state["result"]
    version = run.one("aws:secretsmanager/secretVersion:SecretVersion").inputs
    stored = document(secret_value(version["secretString"]))
    assert stored["url"].startswith(f"rediss://:{token.state['result']}@master.")
    assert stored["url"].endswith(":6379/0")


def test_one_node_has_no_failover() -> None:
    group = _redis(1).one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    assert group["numCacheClusters"] == 1.0
    assert group["automaticFailoverEnabled"] is False
    assert group["multiAzEnabled"] is False


def test_two_nodes_fail_over_across_zones() -> None:
    group = _redis(2).one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    assert group["numCacheClusters"] == 2.0
    assert group["automaticFailoverEnabled"] is True
    assert group["multiAzEnabled"] is True
