"""Throwaway X.509 certificates for tests: CAs, and leaf certificates they sign."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

Key = ec.EllipticCurvePrivateKey


def certificate(
    subject: x509.Name,
    issuer: tuple[x509.Name, Key] | None = None,
    *,
    ca: bool = True,
    sans: list[x509.GeneralName] | None = None,
    days: int = 1,
) -> tuple[x509.Certificate, Key]:
    """Return a certificate for SUBJECT and its new key: self-signed without ISSUER."""
    key = ec.generate_private_key(ec.SECP256R1())
    issuer_name, issuer_key = (subject, key) if issuer is None else issuer
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256()), key


def pem(cert: x509.Certificate) -> str:
    """Return a certificate in PEM."""
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key: Key) -> str:
    """Return a private key in unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
