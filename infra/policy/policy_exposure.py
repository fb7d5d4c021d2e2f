"""The exposure rules: no public bucket or database, no database port open to the world."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policy_support import (
    BUCKET,
    BUCKET_ACL,
    BUCKET_ENCRYPTION,
    BUCKET_POLICY,
    DATA_PORTS,
    DB_INSTANCE,
    INGRESS_RULE,
    OPEN_CIDRS,
    PUBLIC_ACCESS_BLOCK,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    Props,
    by_type,
    statements,
)
from pulumi_policy import (
    ReportViolation,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

# --- no public data ---------------------------------------------------------------------------


def _is_anyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        aws = principal.get("AWS")
        return aws == "*" or (isinstance(aws, list) and "*" in aws)
    return False


def _public_access_block(props: Props) -> Iterator[str]:
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        if props.get(flag) is not True:
            yield f"S3 public access block must set {flag}: true."


def _public_acl(props: Props) -> Iterator[str]:
    acl = str(props.get("acl") or "")
    if acl.startswith(("public-", "authenticated-")):
        yield f"S3 ACL {acl!r} makes the bucket public."


def _public_bucket_policy(props: Props) -> Iterator[str]:
    for statement in statements(props.get("policy")):
        if statement.get("Effect") == "Allow" and _is_anyone(statement.get("Principal")):
            yield "S3 bucket policies must not allow everyone (Principal '*')."


def _public_database(props: Props) -> Iterator[str]:
    if props.get("publiclyAccessible") is True:
        yield "RDS instances must not be publicly accessible."


def _denies_insecure_transport(props: Props) -> bool:
    for statement in statements(props.get("policy")):
        condition = (statement.get("Condition") or {}).get("Bool") or {}
        insecure = str(condition.get("aws:SecureTransport")).lower() == "false"
        if statement.get("Effect") == "Deny" and insecure:
            return True
    return False


def _bucket_companions(args: StackValidationArgs, report: ReportViolation) -> None:
    """Report buckets without a public access block, default encryption or a TLS-only policy."""
    blocked = {
        r.props.get("bucket") for r in args.resources if r.resource_type == PUBLIC_ACCESS_BLOCK
    }
    encrypted = {
        r.props.get("bucket") for r in args.resources if r.resource_type == BUCKET_ENCRYPTION
    }
    tls_only = {
        r.props.get("bucket")
        for r in args.resources
        if r.resource_type == BUCKET_POLICY and _denies_insecure_transport(r.props)
    }
    for bucket in (r for r in args.resources if r.resource_type == BUCKET):
        name = bucket.props.get("bucket")
        if name not in blocked:
            report(f"{bucket.name}: no BucketPublicAccessBlock.", bucket.urn)
        if name not in encrypted:
            report(f"{bucket.name}: no default encryption configuration.", bucket.urn)
        if name not in tls_only:
            report(f"{bucket.name}: no bucket policy denying non-TLS requests.", bucket.urn)


# --- no 0.0.0.0/0 on database ports -----------------------------------------------------------


def _open_data_ports(rule: Props, cidrs: list[str]) -> Iterator[str]:
    open_to = sorted(OPEN_CIDRS.intersection(cidrs))
    if not open_to:
        return
    protocol = str(rule.get("ipProtocol", rule.get("protocol")))
    if protocol in ("-1", "all"):
        ports = list(DATA_PORTS)
    elif protocol in ("tcp", "6"):
        low = int(rule.get("fromPort") or 0)
        high = int(rule["toPort"]) if rule.get("toPort") is not None else 65535
        ports = [port for port in DATA_PORTS if low <= port <= high]
    else:
        ports = []
    for port in ports:
        yield f"{DATA_PORTS[port]} port {port} is open to {open_to[0]}."


def _group_inline_ingress(props: Props) -> Iterator[str]:
    for rule in props.get("ingress") or []:
        cidrs = [*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or [])]
        yield from _open_data_ports(rule, cidrs)


def _group_rule(props: Props) -> Iterator[str]:
    if props.get("type") == "ingress":
        cidrs = [*(props.get("cidrBlocks") or []), *(props.get("ipv6CidrBlocks") or [])]
        yield from _open_data_ports(props, cidrs)


def _ingress_rule(props: Props) -> Iterator[str]:
    cidrs = [c for c in (props.get("cidrIpv4"), props.get("cidrIpv6")) if c]
    yield from _open_data_ports(props, cidrs)


EXPOSURE: list[ResourceValidationPolicy | StackValidationPolicy] = [
    ResourceValidationPolicy(
        name="no-public-data",
        description="No public bucket ACLs or policies, public access blocked, no public RDS.",
        validate=by_type(
            {
                PUBLIC_ACCESS_BLOCK: _public_access_block,
                BUCKET: _public_acl,
                BUCKET_ACL: _public_acl,
                BUCKET_POLICY: _public_bucket_policy,
                DB_INSTANCE: _public_database,
            }
        ),
    ),
    StackValidationPolicy(
        name="bucket-baseline",
        description="Every bucket has a public access block, default encryption, TLS-only policy.",
        validate=_bucket_companions,
    ),
    ResourceValidationPolicy(
        name="no-open-database-ports",
        description="Security groups never open 5432 or 6379 to 0.0.0.0/0 or ::/0.",
        validate=by_type(
            {
                SECURITY_GROUP: _group_inline_ingress,
                SECURITY_GROUP_RULE: _group_rule,
                INGRESS_RULE: _ingress_rule,
            }
        ),
    ),
]
