"""TLS: an ACM certificate validated through Route53, and cert-manager's DNS-01 role if wanted."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from kit.cluster import ClusterOidc
from kit.iam import irsa_trust_policy, policy_document

ValidationOption = aws.acm.outputs.CertificateDomainValidationOption


def _option_for(
    domain: str,
) -> Callable[[Sequence[ValidationOption]], ValidationOption]:
    """Return a picker for the DNS validation record ACM asks for ``domain``."""

    def pick(options: Sequence[ValidationOption]) -> ValidationOption:
        return next(o for o in options if o.domain_name == domain)

    return pick


@dataclass
class TlsArgs:
    """Inputs of :class:`Tls`."""

    domain: str
    zone_id: pulumi.Input[str]
    tags: dict[str, str]
    alternative_names: list[str]
    cert_manager_oidc: ClusterOidc | None = None
    cert_manager_namespace: str = "cert-manager"
    cert_manager_service_account: str = "cert-manager"


class Tls(pulumi.ComponentResource):
    """An ACM certificate for the app's hostnames, with one DNS validation record per name.

    ``certificate_arn`` resolves only after ACM has validated the certificate, so anything that
    uses it (a load balancer) never sees a pending certificate. With ``cert_manager_oidc`` set,
    also a role cert-manager can assume (IRSA) to answer DNS-01 challenges: TXT records under
    ``_acme-challenge`` in this zone only.
    """

    certificate_arn: pulumi.Output[str]
    cert_manager_role_arn: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: TlsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kit:aws:Tls", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        certificate = aws.acm.Certificate(
            f"{name}-cert",
            domain_name=args.domain,
            subject_alternative_names=args.alternative_names,
            validation_method="DNS",
            key_algorithm="EC_prime256v1",
            tags=args.tags,
            opts=child,
        )
        records = []
        for index, domain in enumerate([args.domain, *args.alternative_names]):
            option = certificate.domain_validation_options.apply(_option_for(domain))
            records.append(
                aws.route53.Record(
                    f"{name}-validation-{index}",
                    zone_id=args.zone_id,
                    name=option.resource_record_name,
                    type=option.resource_record_type,
                    records=[option.resource_record_value],
                    ttl=300,
                    allow_overwrite=True,
                    opts=child,
                )
            )
        validation = aws.acm.CertificateValidation(
            f"{name}-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[r.fqdn for r in records],
            opts=child,
        )
        self.certificate_arn = validation.certificate_arn
        self.cert_manager_role_arn = None
        if args.cert_manager_oidc is not None:
            self.cert_manager_role_arn = self._cert_manager_role(name, args)
        self.register_outputs({"certificateArn": self.certificate_arn})

    def _cert_manager_role(self, name: str, args: TlsArgs) -> pulumi.Output[str]:
        assert args.cert_manager_oidc is not None
        zone_arn = pulumi.Output.concat("arn:aws:route53:::hostedzone/", args.zone_id)
        role = aws.iam.Role(
            f"{name}-cert-manager",
            description="cert-manager DNS-01 challenges (IRSA)",
            assume_role_policy=irsa_trust_policy(
                args.cert_manager_oidc.provider_arn,
                args.cert_manager_oidc.issuer_url,
                args.cert_manager_namespace,
                args.cert_manager_service_account,
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{name}-cert-manager",
            role=role.id,
            policy=policy_document(
                [
                    {
                        "Effect": "Allow",
                        "Action": "route53:GetChange",
                        "Resource": "arn:aws:route53:::change/*",
                    },
                    {
                        "Effect": "Allow",
                        "Action": "route53:ListResourceRecordSets",
                        "Resource": zone_arn,
                    },
                    {
                        "Effect": "Allow",
                        "Action": "route53:ChangeResourceRecordSets",
                        "Resource": zone_arn,
                        "Condition": {
                            "ForAllValues:StringEquals": {
                                "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"]
                            },
                            "ForAllValues:StringLike": {
                                "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
                                    "_acme-challenge.*"
                                ]
                            },
                        },
                    },
                    {
                        "Effect": "Allow",
                        "Action": "route53:ListHostedZonesByName",
                        "Resource": "*",
                    },
                ]
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        return role.arn
