"""infra/scripts/rds_ca.py: an RDS CA bundle in, the ConfigMap rds-ca out, nothing else accepted.

The real bundle cannot be fetched here; bundles shaped like it (Amazon-named CA certificates)
are made for the test, and so are the things the script must refuse.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from infra_harness import INFRA

from tests.support.certs import certificate, key_pem, pem
from tests.support.contract import REFERENCE

SCRIPT = INFRA / "scripts" / "rds_ca.py"
AMAZON = "Amazon Web Services, Inc."


def _cert(common_name: str, organization: str = AMAZON, ca: bool = True) -> tuple[str, str]:
    """Return (certificate PEM, private key PEM) of a self-signed certificate."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Amazon RDS"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    cert, key = certificate(name, ca=ca, days=30)
    return pem(cert), key_pem(key)


def _run(tmp_path: Path, bundle: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "bundle.pem"
    path.write_text(bundle)
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_a_bundle_of_amazon_cas_becomes_the_configmap(tmp_path: Path) -> None:
    bundle = "".join(
        _cert(f"Amazon RDS eu-west-1 Root CA {n} G1")[0] for n in ("RSA2048", "ECC384")
    )
    done = _run(tmp_path, bundle)
    assert done.returncode == 0, done.stderr
    configmap = json.loads(done.stdout)
    assert configmap["kind"] == "ConfigMap"
    assert configmap["metadata"]["name"] == "rds-ca"
    assert configmap["data"] == {"global-bundle.pem": bundle}
    assert configmap["metadata"]["annotations"]["flask-kit/certificates"] == "2"
    # The service's, as every object `rollout render` prints for it.
    assert configmap["metadata"]["labels"]["app.kubernetes.io/name"] == REFERENCE.name
    # What the pods mount: the key is the file DATABASE_SSLROOTCERT names (k8s/components/rds-tls).
    patch = (INFRA.parent / "k8s/components/rds-tls/rds-ca.patch.yaml").read_text()
    assert "name: rds-ca" in patch
    assert "key: global-bundle.pem" in patch
    (tmp_path / "configmap.json").write_text(done.stdout)
    valid = subprocess.run(
        [Path(sys.executable).parent / "kubernetes-validate", "--strict", "-k", "1.33.0",
         tmp_path / "configmap.json"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert valid.returncode == 0, valid.stdout + valid.stderr


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: "", "no PEM certificate"),
        (lambda: "<html>Access Denied</html>", "no PEM certificate"),
        (lambda: "".join(_cert("Amazon RDS Root CA")), "PRIVATE KEY blocks"),
        (lambda: _cert("someone's CA", organization="Evil Corp")[0], "not an Amazon RDS CA"),
        (lambda: _cert("db.example.com", ca=False)[0], "not a CA certificate"),
        (lambda: _cert("Amazon RDS Root CA")[0] + "echo pwned\n", "text outside"),
    ],
)
def test_anything_else_is_refused_in_one_line(
    tmp_path: Path, make: Callable[[], str], message: str
) -> None:
    done = _run(tmp_path, make())
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stdout == ""
