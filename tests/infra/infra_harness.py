"""Run Pulumi code under mocks, record every resource, and evaluate the policy pack on them.

Mocks see inputs as the engine would send them to a provider: camelCase keys, numbers as floats.
Each run happens in a fresh contextvars.Context so stacks never share config or root resources.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import runpy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime.mocks import MockMonitor
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

INFRA = Path(__file__).resolve().parents[2] / "infra"
PROJECT = "flask-kit"
ACCOUNT = "123456789012"
REGION = "eu-west-1"
ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"]
ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF"
EXISTING_VPC_CIDR = "10.60.0.0/16"  # what the getVpc lookup answers for an existing vpcId


@dataclass
class Resource:
    """One registered resource: inputs as sent by the SDK, state as returned by the mock."""

    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    state: dict[str, Any]


@dataclass
class Run:
    """Everything a program registered, and its resolved stack exports."""

    resources: list[Resource] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)
    secret_exports: set[str] = field(default_factory=set)
    invokes: list[str] = field(default_factory=list)
    protected: set[tuple[str, str]] = field(default_factory=set)

    def of_type(self, token: str) -> list[Resource]:
        """Return the resources of one type token, e.g. ``aws:rds/instance:Instance``."""
        return [r for r in self.resources if r.type == token]

    def one(self, token: str) -> Resource:
        """Return the only resource of a type; fail when there are none or several."""
        found = self.of_type(token)
        assert len(found) == 1, f"expected one {token}, got {[r.name for r in found]}"
        return found[0]

    def types(self) -> set[str]:
        """Return every type token registered."""
        return {r.type for r in self.resources}

    def generated_secrets(self) -> list[str]:
        """Return the values the mocks generated for RandomPassword resources."""
        return [
            r.state["result"] for r in self.of_type("random:index/randomPassword:RandomPassword")
        ]


def _short(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:8]


def _computed(token: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Return the outputs a provider would compute for a resource (just enough for the kit)."""
    module = token.split(":")[1].split("/")[0]
    out: dict[str, Any] = {"arn": f"arn:aws:{module}:{REGION}:{ACCOUNT}:{name}"}
    physical = inputs.get("name") or f"{name}-{_short(name)}"
    if token == "aws:s3/bucket:Bucket":
        bucket = inputs.get("bucket") or f"{name}-{_short(name)}"
        out.update(id=bucket, bucket=bucket, arn=f"arn:aws:s3:::{bucket}")
    elif token == "aws:rds/instance:Instance":
        out.update(address=f"{name}.abc123.{REGION}.rds.amazonaws.com", port=5432)
    elif token == "aws:elasticache/replicationGroup:ReplicationGroup":
        out.update(primaryEndpointAddress=f"master.{name}.abc123.euw1.cache.amazonaws.com")
    elif token == "random:index/randomPassword:RandomPassword":
        length = int(inputs["length"])
        out = {"result": ("mock" + hashlib.sha256(name.encode()).hexdigest() * 2)[:length]}
    elif token == "aws:acm/certificate:Certificate":
        domains = [inputs["domainName"], *inputs.get("subjectAlternativeNames", [])]
        out["domainValidationOptions"] = [
            {
                "domainName": d,
                "resourceRecordName": f"_{_short(d)}.{d}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_short(d)}.acm-validations.aws.",
            }
            for d in domains
        ]
    elif token == "aws:route53/record:Record":
        out["fqdn"] = inputs["name"].rstrip(".")
    elif token == "aws:acm/certificateValidation:CertificateValidation":
        out["certificateArn"] = inputs["certificateArn"]
    elif token == "aws:ecr/repository:Repository":
        out.update(
            name=physical, repositoryUrl=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{physical}"
        )
    elif token == "aws:eks/cluster:Cluster":
        out.update(
            name=physical,
            identities=[{"oidcs": [{"issuer": ISSUER}]}],
            vpcConfig={**inputs.get("vpcConfig", {}), "clusterSecurityGroupId": "sg-eks-cluster"},
        )
    elif token == "aws:kms/key:Key":
        out["keyId"] = _short(name)
    elif token in ("aws:iam/role:Role", "aws:rds/parameterGroup:ParameterGroup") or token.endswith(
        "/subnetGroup:SubnetGroup"
    ):
        out["name"] = physical
    elif token == "aws:secretsmanager/secret:Secret":
        out["arn"] = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbCdEf"
    return out


class RecordingMocks(pulumi.runtime.Mocks):
    """Mocks that record every resource and answer the few lookups the program makes."""

    def __init__(self, run: Run) -> None:
        self.run = run

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = {**args.inputs, **_computed(args.typ, args.name, args.inputs)}
        resource_id = str(state.get("id") or f"{args.name}-id")
        urn = f"urn:pulumi:test::{PROJECT}::{args.typ}::{args.name}"
        self.run.resources.append(Resource(args.typ, args.name, urn, dict(args.inputs), state))
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        self.run.invokes.append(args.token)
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            return {"names": ZONES, "zoneIds": [f"euw1-az{i}" for i in range(1, 5)], "id": REGION}
        if args.token == "aws:route53/getZone:getZone":
            return {"zoneId": "Z0MOCKZONE", "name": args.args["name"], "id": "Z0MOCKZONE"}
        if args.token == "aws:eks/getCluster:getCluster":
            name = args.args["name"]
            return {
                "name": name,
                "id": name,
                "arn": f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{name}",
                "identities": [{"oidcs": [{"issuer": ISSUER}]}],
            }
        if args.token == "aws:ec2/getVpc:getVpc":
            return {"id": args.args["id"], "cidrBlock": EXISTING_VPC_CIDR}
        if args.token == "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider":
            host = args.args["url"].removeprefix("https://")
            return {"arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}", "url": args.args["url"]}
        raise NotImplementedError(f"no mock for invoke {args.token}")


class RecordingMonitor(MockMonitor):
    """The mock monitor, also noting which resources ask for Pulumi's ``protect``."""

    def __init__(self, mocks: RecordingMocks, run: Run) -> None:
        super().__init__(mocks)
        self._run = run

    def RegisterResource(self, request: Any) -> Any:
        """Record ``protect`` (which MockResourceArgs leaves out), then register as usual."""
        if request.protect:
            self._run.protected.add((request.type, request.name))
        return super().RegisterResource(request)


def stack_config(stack: str, overrides: dict[str, Any] | None = None) -> dict[str, str]:
    """Return Pulumi.<stack>.yaml's config (plus overrides) as the CLI hands it to the program."""
    data = yaml.safe_load((INFRA / f"Pulumi.{stack}.yaml").read_text())
    config = {**data["config"], **(overrides or {})}
    return {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in config.items()
        if value is not None
    }


def _run(stack: str, config: dict[str, str], body: Callable[[], None]) -> Run:
    run = Run()
    mocks = RecordingMocks(run)
    pulumi.runtime.set_mocks(
        mocks, project=PROJECT, stack=stack, preview=False, monitor=RecordingMonitor(mocks, run)
    )
    pulumi.runtime.set_all_config(config)

    async def collect(outputs: dict[str, Any]) -> None:
        for key, value in outputs.items():
            output = pulumi.Output.from_input(value)
            run.exports[key] = await output.future()
            if await output.is_secret():
                run.secret_exports.add(key)

    @pulumi.runtime.test
    def program() -> Any:
        body()
        root = pulumi.runtime.get_root_resource()
        return asyncio.ensure_future(collect(dict(getattr(root, "outputs", {}) or {})))

    program()
    return run


def run_program(stack: str, overrides: dict[str, Any] | None = None) -> Run:
    """Run infra/__main__.py for one stack's config file under mocks."""
    config = stack_config(stack, overrides)
    main = str(INFRA / "__main__.py")
    return contextvars.Context().run(
        _run, stack, config, lambda: runpy.run_path(main, run_name="__main__")
    )


def run_components(body: Callable[[], None], stack: str = "dev") -> Run:
    """Run ``body`` (which creates components) under mocks and return what it registered."""
    return contextvars.Context().run(_run, stack, {"aws:region": REGION}, body)


@dataclass(frozen=True)
class Violation:
    """One policy violation: which policy, on which resource, and why."""

    policy: str
    resource: str
    message: str


def engine_view(props: dict[str, Any]) -> dict[str, Any]:
    """Return props as the policy analyzer hands them to rules: secrets unwrapped, proxied."""
    return unknown_checking_proxy(deserialize_properties(props))


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def validate_resource(
    policy: ResourceValidationPolicy, token: str, props: dict[str, Any], name: str = "r"
) -> list[str]:
    """Call one resource policy's validate on props; return the messages it reported."""
    messages: list[str] = []
    urn = f"urn:pulumi:test::{PROJECT}::{token}::{name}"
    args = ResourceValidationArgs(token, engine_view(props), urn, name, _options(), None)
    policy.validate(args, lambda message, urn=None: messages.append(message))
    return messages


def validate_stack(policy: StackValidationPolicy, resources: list[Resource]) -> list[str]:
    """Call one stack policy's validate on resources' outputs; return the messages reported."""
    messages: list[str] = []
    policy_resources = [
        PolicyResource(r.type, engine_view(r.state), r.urn, r.name, _options(), None, None, [], {})
        for r in resources
    ]
    policy.validate(
        StackValidationArgs(policy_resources), lambda message, urn=None: messages.append(message)
    )
    return messages


def evaluate_pack(
    policies: list[ResourceValidationPolicy | StackValidationPolicy], run: Run
) -> list[Violation]:
    """Run every policy of the pack over a run's resources, the way the CLI would."""
    violations: list[Violation] = []
    for policy in policies:
        if isinstance(policy, StackValidationPolicy):
            violations += [
                Violation(policy.name, "<stack>", m) for m in validate_stack(policy, run.resources)
            ]
            continue
        for r in run.resources:
            violations += [
                Violation(policy.name, r.name, m)
                for m in validate_resource(policy, r.type, r.inputs, r.name)
            ]
    return violations


SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"


def secret_value(value: Any) -> Any:
    """Return the plain value of an input the SDK sent as a secret; fail if it was not secret."""
    if not isinstance(value, dict) or value.get(SIG_KEY) != SECRET_SIG:
        raise AssertionError(f"not sent as a secret: {value!r}")
    return value["value"]


def document(value: Any) -> Any:
    """Parse a JSON policy/secret document input (unwrapping a secret if needed)."""
    if isinstance(value, dict) and SIG_KEY in value:
        value = value["value"]
    return json.loads(value)
