"""TLS component under mocks: ACM via Route53 DNS validation, cert-manager's narrow DNS-01 role."""

import pulumi
from infra_harness import ISSUER, document, run_components
from kit.cluster import ClusterOidc
from kit.tls import Tls, TlsArgs

TAGS = {"app": "flask-kit", "environment": "dev", "managed-by": "pulumi"}
PROVIDER = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X"


def _tls(cert_manager: bool):
    def body() -> None:
        oidc = ClusterOidc(
            name=pulumi.Output.from_input("c"),
            arn=pulumi.Output.from_input("arn:aws:eks:eu-west-1:123456789012:cluster/c"),
            provider_arn=pulumi.Output.from_input(PROVIDER),
            issuer_url=pulumi.Output.from_input(ISSUER),
        )
        Tls(
            "tls",
            TlsArgs(
                domain="app.example.com",
                alternative_names=["preview.app.example.com"],
                zone_id="Z0ZONE",
                tags=TAGS,
                cert_manager_oidc=oidc if cert_manager else None,
            ),
        )

    return run_components(body)


def test_certificate_is_dns_validated_through_route53() -> None:
    run = _tls(cert_manager=False)
    cert = run.one("aws:acm/certificate:Certificate")
    assert cert.inputs["domainName"] == "app.example.com"
    assert cert.inputs["subjectAlternativeNames"] == ["preview.app.example.com"]
    assert cert.inputs["validationMethod"] == "DNS"
    records = run.of_type("aws:route53/record:Record")
    options = {o["domainName"]: o for o in cert.state["domainValidationOptions"]}
    assert len(records) == 2
    for record in records:
        option = next(
            o for o in options.values() if o["resourceRecordName"] == record.inputs["name"]
        )
        assert record.inputs["zoneId"] == "Z0ZONE"
        assert record.inputs["type"] == option["resourceRecordType"]
        assert record.inputs["records"] == [option["resourceRecordValue"]]
    validation = run.one("aws:acm/certificateValidation:CertificateValidation").inputs
    assert validation["certificateArn"] == cert.state["arn"]
    assert sorted(validation["validationRecordFqdns"]) == sorted(r.state["fqdn"] for r in records)
    assert not run.of_type("aws:iam/role:Role")


def test_cert_manager_role_is_limited_to_acme_txt_records_in_the_zone() -> None:
    run = _tls(cert_manager=True)
    role = run.one("aws:iam/role:Role")
    (trust,) = document(role.inputs["assumeRolePolicy"])["Statement"]
    host = ISSUER.removeprefix("https://")
    assert trust["Principal"] == {"Federated": PROVIDER}
    assert trust["Condition"]["StringEquals"] == {
        f"{host}:sub": "system:serviceaccount:cert-manager:cert-manager",
        f"{host}:aud": "sts.amazonaws.com",
    }
    statements = document(run.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])["Statement"]
    change = next(s for s in statements if s["Action"] == "route53:ChangeResourceRecordSets")
    assert change["Resource"] == "arn:aws:route53:::hostedzone/Z0ZONE"
    assert change["Condition"]["ForAllValues:StringEquals"] == {
        "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"]
    }
    assert change["Condition"]["ForAllValues:StringLike"] == {
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["_acme-challenge.*"]
    }
    wildcard = [s for s in statements if s["Resource"] == "*"]
    assert [s["Action"] for s in wildcard] == ["route53:ListHostedZonesByName"]
