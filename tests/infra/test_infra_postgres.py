"""Postgres component under mocks: KMS, forced TLS, backups, protection, password kept secret."""

import pytest
from infra_harness import document, run_components, secret_value
from kit.postgres import Postgres, PostgresArgs
from kit.settings import PostgresSettings

TAGS = {"app": "flask-kit", "environment": "prod", "managed-by": "pulumi"}


def _postgres(protected: bool, settings: PostgresSettings | None = None, disposable: bool = False):
    args = PostgresArgs(
        settings=settings or PostgresSettings(),
        subnet_ids=["subnet-a", "subnet-b"],
        security_group_id="sg-postgres",
        deletion_protection=protected,
        final_snapshot=not disposable,
        secret_recovery_days=30,
        tags=TAGS,
    )
    return run_components(lambda: Postgres("pg", args))


@pytest.fixture(scope="module")
def protected():
    return _postgres(True, PostgresSettings(multi_az=True, backup_retention_days=30))


def test_storage_and_insights_use_the_components_kms_key(protected) -> None:
    db = protected.one("aws:rds/instance:Instance").inputs
    key = protected.one("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert db["storageEncrypted"] is True
    assert db["kmsKeyId"] == key.state["arn"]
    assert db["performanceInsightsEnabled"] is True
    assert db["performanceInsightsKmsKeyId"] == key.state["arn"]
    assert db["engine"] == "postgres"
    assert db["storageType"] == "gp3"
    assert db["publiclyAccessible"] is False
    assert db["vpcSecurityGroupIds"] == ["sg-postgres"]


def test_parameter_group_forces_tls(protected) -> None:
    group = protected.one("aws:rds/parameterGroup:ParameterGroup")
    params = {p["name"]: p["value"] for p in group.inputs["parameters"]}
    assert group.inputs["family"] == "postgres17"
    assert params["rds.force_ssl"] == "1"
    assert params["ssl_min_protocol_version"] == "TLSv1.2"
    db = protected.one("aws:rds/instance:Instance").inputs
    assert db["parameterGroupName"] == group.state["name"]


def test_protected_database_keeps_backups_and_a_final_snapshot(protected) -> None:
    db = protected.one("aws:rds/instance:Instance").inputs
    assert db["deletionProtection"] is True
    assert db["skipFinalSnapshot"] is False
    assert db["finalSnapshotIdentifier"] == "pg-final"
    assert db["deleteAutomatedBackups"] is False
    assert db["multiAz"] is True
    assert db["backupRetentionPeriod"] == 30.0


def test_unprotected_database_still_leaves_a_final_snapshot() -> None:
    """Turning protection off (to destroy a stack on purpose) keeps the last snapshot."""
    db = _postgres(False).one("aws:rds/instance:Instance").inputs
    assert db["deletionProtection"] is False
    assert db["skipFinalSnapshot"] is False
    assert db["finalSnapshotIdentifier"] == "pg-final"
    assert db["multiAz"] is False


def test_disposable_database_is_destroyed_without_a_snapshot() -> None:
    db = _postgres(False, disposable=True).one("aws:rds/instance:Instance").inputs
    assert db["skipFinalSnapshot"] is True
    assert "finalSnapshotIdentifier" not in db
    assert db["deleteAutomatedBackups"] is True


def _stored(run, secret_name: str) -> dict:
    secret = next(
        r for r in run.of_type("aws:secretsmanager/secret:Secret") if r.name == secret_name
    )
    assert secret.inputs["kmsKeyId"] == run.one("aws:kms/key:Key").state["arn"]
    assert secret.inputs["recoveryWindowInDays"] == 30.0
    (version,) = [
        r.inputs
        for r in run.of_type("aws:secretsmanager/secretVersion:SecretVersion")
        if r.inputs["secretId"] == f"{secret.name}-id"
    ]
    return document(secret_value(version["secretString"]))


def _password(run, name: str) -> str:
    passwords = run.of_type("random:index/randomPassword:RandomPassword")
    (password,) = [p for p in passwords if p.name == name]
    assert password.inputs["length"] == 32.0
    assert password.inputs["special"] is False
    return password.state["result"]


def test_password_is_generated_secret_and_stored_in_secrets_manager(protected) -> None:
    master = _password(protected, "pg-password")
    db = protected.one("aws:rds/instance:Instance").inputs
    assert secret_value(db["password"]) == master
    stored = _stored(protected, "pg-secret")
    assert stored["password"] == master
    assert stored["url"] == (
        f"postgresql+psycopg://app:{master}@{stored['host']}:5432/app?sslmode=verify-full"
    )


def test_the_app_role_has_its_own_generated_password_and_secret(protected) -> None:
    """Issue 13, item 15: the pods get a least-privilege role's URL, verifying the server."""
    master = _password(protected, "pg-password")
    app = _password(protected, "pg-app-password")
    assert app != master
    stored = _stored(protected, "pg-app-secret")
    assert stored["username"] == "app_rw" != _stored(protected, "pg-secret")["username"]
    assert stored["password"] == app
    assert master not in str(stored)
    assert stored["url"] == (
        f"postgresql+psycopg://app_rw:{app}@{stored['host']}:5432/app?sslmode=verify-full"
    )
    # The instance knows only the master password: the migration Job creates the app role.
    db = protected.one("aws:rds/instance:Instance").inputs
    assert secret_value(db["password"]) == master


def test_no_url_accepts_an_unverified_server(protected) -> None:
    for name in ("pg-secret", "pg-app-secret"):
        url = _stored(protected, name)["url"]
        assert url.endswith("?sslmode=verify-full")
        assert "sslmode=require" not in url
