"""Structure of the rendered overlays: colours, selectors, hardening, graceful shutdown."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from k8s_harness import COLORS, OVERLAYS, Doc, get, of_kind, selects, workloads

from kitcore.contract import Contract
from rollout.kube.render import NAME_LABEL, migrate_args

Rendered = dict[str, list[Doc]]


def config_data(docs: list[Doc], service: Contract) -> dict[str, str]:
    """Return the data of the ConfigMap <prefix>-config-<hash>."""
    prefix = service.k8s_name("config-")
    (config,) = [c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].startswith(prefix)]
    return dict(config["data"])


def web_pods(docs: list[Doc], service: Contract) -> dict[str, Doc]:
    """Return the pod template of each colour."""
    return {c: get(docs, "Deployment", service.k8s_name(c))["spec"]["template"] for c in COLORS}


@pytest.fixture(params=OVERLAYS)
def docs(request: pytest.FixtureRequest, rendered: Rendered) -> list[Doc]:
    """Return one overlay's objects."""
    return rendered[request.param]


def test_services_leave_the_colour_to_the_switch(docs: list[Doc], service: Contract) -> None:
    """No apply of the manifests can move traffic: `color` is set by the rollout's switch only;
    until then a Service selects the web pods of both colours, and nothing else."""
    pods = web_pods(docs, service)
    colours = {service.k8s_name(c) for c in COLORS}
    for role in ("active", "preview"):
        name = service.k8s_name(role)
        selector = get(docs, "Service", name)["spec"]["selector"]
        assert selector == {NAME_LABEL: service.name, "app.kubernetes.io/component": "web"}
        matching = [c for c, pod in pods.items() if selects(selector, pod["metadata"]["labels"])]
        assert sorted(matching) == sorted(pods), f"{name} selects {matching}"
        # Only the web pods: never the worker or the migration Job.
        others = [t for d, t in workloads(docs) if d["metadata"]["name"] not in colours]
        assert not [t for t in others if selects(selector, t["metadata"]["labels"])]


def test_deployment_pdb_hpa_belong_to_their_colour(docs: list[Doc], service: Contract) -> None:
    for color in COLORS:
        deploy = get(docs, "Deployment", service.k8s_name(color))
        labels = deploy["spec"]["template"]["metadata"]["labels"]
        assert labels["color"] == color
        assert deploy["spec"]["selector"]["matchLabels"]["color"] == color
        assert selects(deploy["spec"]["selector"]["matchLabels"], labels)
        assert deploy["spec"]["selector"]["matchLabels"] == {
            NAME_LABEL: service.name,
            "app.kubernetes.io/component": "web",
            "color": color,
        }
        pdb = get(docs, "PodDisruptionBudget", service.k8s_name(color))["spec"]
        assert pdb["selector"]["matchLabels"] == deploy["spec"]["selector"]["matchLabels"]
        other = web_pods(docs, service)["green" if color == "blue" else "blue"]
        assert not selects(pdb["selector"]["matchLabels"], other["metadata"]["labels"])
        hpa = get(docs, "HorizontalPodAutoscaler", service.k8s_name(color))["spec"]
        assert hpa["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": service.k8s_name(color),
        }
        assert 1 <= hpa["minReplicas"] <= hpa["maxReplicas"]
        assert "replicas" not in deploy["spec"], "the HPA owns the web replica count"
        for spread in deploy["spec"]["template"]["spec"]["topologySpreadConstraints"]:
            assert spread["labelSelector"]["matchLabels"]["color"] == color
            assert spread["labelSelector"]["matchLabels"][NAME_LABEL] == service.name


def test_both_colours_share_one_pod_spec(docs: list[Doc], service: Contract) -> None:
    pods = copy.deepcopy(web_pods(docs, service))
    for color, pod in pods.items():
        assert pod["metadata"]["labels"].pop("color") == color
        for spread in pod["spec"]["topologySpreadConstraints"]:
            spread["labelSelector"]["matchLabels"].pop("color")
    assert pods["blue"] == pods["green"]


def test_colour_reaches_the_app_from_the_pod_label(docs: list[Doc], service: Contract) -> None:
    env = {e["name"]: e for e in web_pods(docs, service)["blue"]["spec"]["containers"][0]["env"]}
    colour = env[service.serve.colour_env]["valueFrom"]["fieldRef"]["fieldPath"]
    assert colour == "metadata.labels['color']"


def test_every_pod_is_hardened(docs: list[Doc]) -> None:
    for obj, template in workloads(docs):
        pod = template["spec"]
        name = obj["metadata"]["name"]
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 10001
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert not pod.get("hostNetwork")
        assert not pod.get("hostPID")
        assert not pod.get("hostIPC")
        tmp = {v["name"]: v for v in pod["volumes"]}["tmp"]
        assert tmp["emptyDir"]["medium"] == "Memory"
        assert tmp["emptyDir"]["sizeLimit"]
        for container in pod["containers"] + pod.get("initContainers", []):
            ctx = container["securityContext"]
            assert ctx["readOnlyRootFilesystem"] is True, name
            assert ctx["allowPrivilegeEscalation"] is False, name
            assert ctx["runAsNonRoot"] is True, name
            assert ctx["runAsUser"] == 10001, name
            assert ctx["capabilities"] == {"drop": ["ALL"]}, name
            assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}, name
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
            limits, requests = container["resources"]["limits"], container["resources"]["requests"]
            assert set(limits) >= {"cpu", "memory"}, name
            assert set(requests) >= {"cpu", "memory"}, name


def test_image_entrypoint_and_version_are_kept(docs: list[Doc], service: Contract) -> None:
    # `args`, never `command`: tini (the image's ENTRYPOINT) stays PID 1 and forwards SIGTERM.
    # The version variable comes from the image, so a `kubectl set image` alone moves it too.
    for obj, template in workloads(docs):
        for container in template["spec"]["containers"]:
            assert "command" not in container, obj["metadata"]["name"]
            assert container["args"]
            assert service.serve.version_env not in {e["name"] for e in container.get("env", [])}


def test_long_running_containers_have_all_probes(docs: list[Doc], service: Contract) -> None:
    deployments = of_kind(docs, "Deployment")
    expected = {"blue", "green", *(["worker"] if service.serve.worker else [])}
    assert {d["metadata"]["name"] for d in deployments} == {service.k8s_name(n) for n in expected}
    for deploy in deployments:
        for container in deploy["spec"]["template"]["spec"]["containers"]:
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert probe in container, f"{deploy['metadata']['name']} lacks {probe}"


def test_web_pods_run_the_contracts_service(docs: list[Doc], service: Contract) -> None:
    serve, health = service.serve, service.health
    for colour, pod in web_pods(docs, service).items():
        assert pod["metadata"]["labels"] == {
            NAME_LABEL: service.name,
            "app.kubernetes.io/component": "web",
            "app.kubernetes.io/managed-by": "kustomize",
            "color": colour,
        }
        (container,) = pod["spec"]["containers"]
        assert container["name"] == service.kubernetes.container
        assert container["ports"] == [
            {"name": "http", "containerPort": serve.port, "protocol": "TCP"}
        ]
        assert container["readinessProbe"]["httpGet"] == {"path": health.readiness, "port": "http"}
        assert container["livenessProbe"]["httpGet"] == {"path": health.liveness, "port": "http"}
        assert container["startupProbe"]["httpGet"]["path"] == health.liveness
        assert container["args"] == [
            "gunicorn", "-c", f"python:{serve.gunicorn_config}", serve.wsgi,
        ]  # fmt: skip
        assert pod["spec"]["serviceAccountName"] == service.k8s_name("web")
    data = config_data(docs, service)
    assert data["GUNICORN_BIND"] == f"0.0.0.0:{serve.port}"
    assert serve.production_env.items() <= data.items()


def test_grace_period_outlasts_prestop_and_gunicorn_drain(
    docs: list[Doc], service: Contract
) -> None:
    graceful = int(config_data(docs, service)["GUNICORN_GRACEFUL_TIMEOUT"])
    for pod in web_pods(docs, service).values():
        spec = pod["spec"]
        pre_stop = spec["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert pre_stop >= 5, "endpoint removal needs time to reach every proxy"
        assert spec["terminationGracePeriodSeconds"] > pre_stop + graceful


def test_spread_across_zones_and_nodes(docs: list[Doc]) -> None:
    for deploy in of_kind(docs, "Deployment"):
        keys = {
            s["topologyKey"]
            for s in deploy["spec"]["template"]["spec"]["topologySpreadConstraints"]
        }
        assert keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}


def test_worker_and_migration_commands(docs: list[Doc], service: Contract) -> None:
    if service.serve.worker:
        worker = get(docs, "Deployment", service.k8s_name("worker"))["spec"]["template"]["spec"]
        assert worker["containers"][0]["args"] == service.serve.worker
        assert worker["serviceAccountName"] == service.k8s_name("web")
    assert service.migrate is not None
    job = get(docs, "Job", service.k8s_name("migrate"))["spec"]
    (container,) = job["template"]["spec"]["containers"]  # one container: `rollout` sets its image
    assert container["args"] == migrate_args(service.migrate)
    assert container["args"][-1] == "head" or container["args"][-1].endswith(" upgrade head")
    assert job["template"]["spec"]["restartPolicy"] == "Never"
    assert job["backoffLimit"] <= 1
    assert job["activeDeadlineSeconds"] > 0
    # The migration needs the database only: no AWS role on its ServiceAccount.
    account = get(docs, "ServiceAccount", job["template"]["spec"]["serviceAccountName"])
    assert "annotations" not in account["metadata"]


def test_config_holds_no_secrets(docs: list[Doc], service: Contract) -> None:
    data = config_data(docs, service)
    assert not {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "AWS_SECRET_ACCESS_KEY"} & set(data)
    for obj, template in workloads(docs):
        for container in template["spec"]["containers"]:
            sources = [s["secretRef"]["name"] for s in container["envFrom"] if "secretRef" in s]
            secrets = service.k8s_name("secrets")
            assert any(n.startswith(secrets) for n in sources), obj["metadata"]["name"]
            assert all(
                "value" not in e or "SECRET" not in e["name"] for e in container.get("env", [])
            )


def test_ingress_is_https_only_and_hides_metrics(docs: list[Doc], service: Contract) -> None:
    app = get(docs, "Ingress", service.k8s_name("web"))
    assert app["spec"]["ingressClassName"] == "nginx"
    assert (
        app["metadata"]["annotations"]["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"
    )
    (path,) = app["spec"]["rules"][0]["http"]["paths"]
    assert path["backend"]["service"]["name"] == service.k8s_name("active")
    deny = get(docs, "Ingress", service.k8s_name("metrics-deny"))
    assert deny["metadata"]["annotations"]["nginx.ingress.kubernetes.io/denylist-source-range"] == (
        "0.0.0.0/0,::/0"
    )
    (metrics,) = deny["spec"]["rules"][0]["http"]["paths"]
    assert (metrics["path"], metrics["pathType"]) == (service.health.metrics, "Prefix")
    assert deny["spec"]["rules"][0]["host"] == app["spec"]["rules"][0]["host"]
    for ingress in (app, deny):
        assert ingress["spec"]["tls"][0]["secretName"] == service.k8s_name("tls")
    snippets = [
        k for i in of_kind(docs, "Ingress") for k in i["metadata"]["annotations"] if "snippet" in k
    ]
    assert not snippets


def egress_ports(policy: Doc) -> set[int]:
    """Return every egress port a NetworkPolicy opens."""
    return {p["port"] for rule in policy["spec"].get("egress", []) for p in rule["ports"]}


def test_network_policies_default_deny_and_allow_little(docs: list[Doc], service: Contract) -> None:
    prefix = service.k8s_name("")
    policies = {
        p["metadata"]["name"].removeprefix(prefix): p for p in of_kind(docs, "NetworkPolicy")
    }
    deny = policies["default-deny"]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    public = policies["allow-ingress-controller"]["spec"]["ingress"]
    (source,) = public[0]["from"]
    assert source["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "ingress-nginx"
    }
    # The controller's own name label, untouched by the service layer's label.
    assert source["podSelector"] == {
        "matchExpressions": [{"key": NAME_LABEL, "operator": "In", "values": ["ingress-nginx"]}]
    }
    assert public[0]["ports"] == [{"port": "http", "protocol": "TCP"}]
    assert egress_ports(policies["allow-egress"]) == {53, 5432, 6379, 443}
    # Every pod of this service: the service layer filled the base's empty selector.
    assert policies["allow-egress"]["spec"]["podSelector"] == {
        "matchLabels": {NAME_LABEL: service.name}
    }
    everyone = [
        p for p in policies.values() if p["spec"]["podSelector"].get("matchLabels") in (None, {})
    ]
    assert everyone == [policies["default-deny"]]
    for name, policy in policies.items():
        if name != "default-deny":
            assert policy["spec"]["podSelector"]["matchLabels"][NAME_LABEL] == service.name
    # Only the worker sends mail; nothing else opens more egress.
    extra = {
        n: egress_ports(p) for n, p in policies.items() if n not in ("allow-egress", "default-deny")
    }
    mail = {"allow-worker-smtp": {587}} if service.serve.worker else {}
    assert {n: ports for n, ports in extra.items() if ports} == {
        **mail,
        "allow-gate-egress": {service.serve.port},
    }
    # The gate pods reach the web pods and nothing else.
    (gate_rule,) = policies["allow-gate-egress"]["spec"]["egress"]
    (gate_peer,) = gate_rule["to"]
    assert gate_peer == {
        "podSelector": {
            "matchLabels": {NAME_LABEL: service.name, "app.kubernetes.io/component": "web"}
        }
    }
    if service.serve.worker:
        smtp = policies["allow-worker-smtp"]["spec"]["podSelector"]["matchLabels"]
        assert smtp["app.kubernetes.io/component"] == "worker"
    for policy in policies.values():
        for rule in policy["spec"].get("egress", []):
            for peer in rule["to"]:
                if "ipBlock" in peer and peer["ipBlock"]["cidr"] == "0.0.0.0/0":
                    assert "169.254.169.254/32" in peer["ipBlock"]["except"]
    web = web_pods(docs, service)["blue"]["metadata"]["labels"]
    sources = [
        p
        for p in policies.values()
        if p["spec"].get("ingress") and selects(p["spec"]["podSelector"]["matchLabels"], web)
    ]
    others = [t["metadata"]["labels"] for d, t in workloads(docs) if d["kind"] != "Deployment"]
    if service.serve.worker:
        worker = get(docs, "Deployment", service.k8s_name("worker"))["spec"]["template"]
        others.append(worker["metadata"]["labels"])
    for labels in others:
        assert not [p for p in sources if selects(p["spec"]["podSelector"]["matchLabels"], labels)]


def test_service_account_for_irsa_without_token(docs: list[Doc], service: Contract) -> None:
    for pod in web_pods(docs, service).values():
        account = get(docs, "ServiceAccount", pod["spec"]["serviceAccountName"])
        assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith(
            "arn:aws:iam::"
        )
        assert account["automountServiceAccountToken"] is False


def test_namespace_enforces_restricted_pod_security(docs: list[Doc]) -> None:
    (namespace,) = of_kind(docs, "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_alerts_cover_the_slos(rendered: Rendered, service: Contract) -> None:
    rules: list[dict[str, Any]] = [
        r
        for g in get(rendered["prod"], "PrometheusRule", service.k8s_name("slo"))["spec"]["groups"]
        for r in g["rules"]
    ]
    alerts = {r["alert"]: r for r in rules if "alert" in r}
    exprs = " ".join(r["expr"] for r in rules)
    assert "app_http_requests_total" in exprs
    assert "app_http_request_duration_seconds_bucket" in exprs
    assert "app_dependency_up" in exprs
    # The active colour of whichever service, kept apart by namespace and job (the service).
    assert 'up{kit_role="active"}' in exprs
    assert all("by (namespace, job" in r["expr"] for r in rules if "record" in r)
    assert len(alerts) >= 4
    for alert in alerts.values():
        assert alert["labels"]["severity"] in ("critical", "warning")
        assert alert["annotations"]["summary"]
        assert alert["annotations"]["runbook_url"]
    monitor = get(rendered["prod"], "ServiceMonitor", service.k8s_name("web"))["spec"]
    services = [
        s
        for s in of_kind(rendered["prod"], "Service")
        if selects(monitor["selector"]["matchLabels"], s["metadata"]["labels"])
    ]
    assert sorted(s["metadata"]["name"] for s in services) == [
        service.k8s_name("active"),
        service.k8s_name("preview"),
    ]
    assert monitor["selector"]["matchLabels"][NAME_LABEL] == service.name
    assert monitor["jobLabel"] == NAME_LABEL  # job = the service's name
    (endpoint,) = monitor["endpoints"]
    assert endpoint["path"] == service.health.metrics
    (relabel,) = endpoint["relabelings"]
    assert relabel == {
        "sourceLabels": ["__meta_kubernetes_service_label_role"],
        "targetLabel": "kit_role",
    }
    roles = {s["metadata"]["labels"]["role"] for s in services}
    assert roles == {"active", "preview"}


def test_the_deployer_may_keep_the_rollouts_state_and_lock(
    docs: list[Doc], service: Contract
) -> None:
    """Every verb rollout/kube/store.py and lease.py send, granted in the namespace only."""
    name = service.k8s_name("rollout")
    role = get(docs, "Role", name)
    granted = {(g, r): set(rule["verbs"]) for rule in role["rules"]
               for g in rule["apiGroups"] for r in rule["resources"]}  # fmt: skip
    assert granted[("coordination.k8s.io", "leases")] >= {"get", "create", "update", "patch"}
    assert granted[("", "configmaps")] >= {"get", "create", "update"}
    assert not [v for verbs in granted.values() for v in verbs if v in ("*", "delete")]
    binding = get(docs, "RoleBinding", name)
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                  "name": name}  # fmt: skip
    assert not of_kind(docs, "ClusterRole")
