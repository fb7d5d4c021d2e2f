#!/usr/bin/env python3
"""Turn AWS's RDS CA bundle into the ConfigMap ``rds-ca`` the database clients mount.

Usage (the deploy workflow does this before each rollout; k8s/README.md for a first install)::

    curl -fsS https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem -o bundle.pem
    python infra/scripts/rds_ca.py bundle.pem | kubectl -n NAMESPACE apply -f -

The bundle is the one AWS publishes for every region (Amazon RDS User Guide, "Using SSL/TLS to
encrypt a connection to a DB instance or cluster"). The pods name it in DATABASE_SSLROOTCERT
and connect with ``sslmode=verify-full`` (k8s/components/rds-tls), so it is a trust anchor:
the script refuses anything but a non-empty series of CA certificates issued to Amazon (no
private key, no leaf certificate, nothing else in the file), and prints the ConfigMap as JSON
(which kubectl reads as YAML), labelled with the service's name from its contract
($KIT_CONTRACT, else the repository's kit.toml). Exit status 2 with one line on stderr otherwise.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from kitcore.contract import ContractError, load_contract

NAME = "rds-ca"
KEY = "global-bundle.pem"  # the file name under the mount (DATABASE_SSLROOTCERT)
ORGANIZATION = "Amazon Web Services, Inc."
PEM_BLOCK = re.compile(
    r"-----BEGIN (?P<label>[A-Z0-9 ]+)-----\r?\n.*?-----END (?P=label)-----", re.DOTALL
)


class BundleError(ValueError):
    """The file is not an RDS CA bundle."""


def check_bundle(text: str) -> list[x509.Certificate]:
    """Return the bundle's certificates; raise BundleError unless all are Amazon CAs."""
    labels = [m["label"] for m in PEM_BLOCK.finditer(text)]
    if not labels:
        raise BundleError("no PEM certificate in the bundle")
    if set(labels) != {"CERTIFICATE"}:
        raise BundleError(f"the bundle holds {sorted(set(labels) - {'CERTIFICATE'})[0]} blocks")
    if PEM_BLOCK.sub("", text).strip():
        raise BundleError("the bundle holds text outside its certificates")
    try:
        certificates = x509.load_pem_x509_certificates(text.encode())
    except ValueError as error:
        raise BundleError(f"unreadable certificate: {error}") from None
    for certificate in certificates:
        subject = certificate.subject.rfc4514_string()
        try:
            is_ca = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if not is_ca:
            raise BundleError(f"not a CA certificate: {subject}")
        organizations = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        if [o.value for o in organizations] != [ORGANIZATION]:
            raise BundleError(f"not an Amazon RDS CA: {subject}")
    return certificates


def configmap(text: str, service: str) -> dict[str, object]:
    """Return the ConfigMap holding the checked bundle, labelled as the service's."""
    count = len(check_bundle(text))
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": NAME,
            "labels": {
                "app.kubernetes.io/name": service,
                "app.kubernetes.io/component": "rds-ca",
            },
            "annotations": {
                "flask-kit/source": "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem",
                "flask-kit/certificates": str(count),
            },
        },
        "data": {KEY: text if text.endswith("\n") else text + "\n"},
    }


def main(argv: list[str] | None = None) -> int:
    """Print the ConfigMap for the bundle file (or ``-`` for stdin)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: rds_ca.py BUNDLE.pem|-", file=sys.stderr)
        return 2
    try:
        text = sys.stdin.read() if args[0] == "-" else Path(args[0]).read_text()
        document = configmap(text, load_contract().name)
    except (OSError, UnicodeDecodeError, BundleError, ContractError) as error:
        print(f"rds_ca: {error}", file=sys.stderr)
        return 2
    json.dump(document, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
