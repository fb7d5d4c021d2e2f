"""A recording stand-in for kubectl: logs every argv, answers from a small simulated cluster.

Installed as `kubectl` first on PATH by the fixtures (conftest.py). The cluster is a JSON
file (KUBECTL_FAKE_STATE) read and written under a lock, so Services really switch, Deployments
really change image and replicas, and Jobs really exist. Offline calls (`kustomize`, `--local`)
go to the real kubectl (REAL_KUBECTL). Failures are injected with the `fail` map:
  rollout:<deployment>   `rollout status` times out (pods in ImagePullBackOff)
  job                    the migration Job ends Failed ("running": never ends)
  endpoints              app-active's endpoints never follow a selector patch
  portforward            "refuse": cannot start; "die:N": exits after N requests
`port-forward` serves HTTP itself as the pod of the colour the Service selects.
`exec ... -- /bin/sh -c CMD` runs CMD in the namespaces of state["exec_pid"] (nsenter).
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any

STATE = Path(os.environ["KUBECTL_FAKE_STATE"])
LOG = Path(os.environ["KUBECTL_FAKE_LOG"])
WEB = {"app.kubernetes.io/name": "flask-kit", "app.kubernetes.io/component": "web"}


@contextmanager
def world(write: bool = False) -> Any:
    """Yield the cluster state; save it back when write."""
    with open(STATE.with_suffix(".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = json.loads(STATE.read_text())
        yield state
        if write:
            STATE.write_text(json.dumps(state, indent=1))


def strip_globals(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """Remove --context/--namespace/-n/-c/--kubeconfig (testinfra puts -c before exec)."""
    rest, flags, i = [], {}, 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("--context", "--namespace", "-n", "--kubeconfig") or (
            arg == "-c" and "exec" not in rest
        ):
            flags[arg] = argv[i + 1]
            i += 2
            continue
        if arg.startswith(("--context=", "--kubeconfig=")):
            i += 1
            continue
        if arg == "--":
            rest += argv[i:]
            break
        rest.append(arg)
        i += 1
    return rest, flags


def pods(state: dict[str, Any], deployment: str) -> list[dict[str, Any]]:
    """The pods a Deployment has now (all of its current image)."""
    dep = state["deployments"][deployment]
    colour = deployment.removeprefix("app-")
    bad = state["fail"].get(f"rollout:{deployment}")
    out = []
    for i in range(dep["replicas"]):
        status: dict[str, Any] = {
            "conditions": [{"type": "Ready", "status": "False" if bad else "True"}]
        }
        if bad:
            status["containerStatuses"] = [
                {
                    "name": "app",
                    "restartCount": 0,
                    "state": {"waiting": {"reason": "ImagePullBackOff"}},
                }
            ]
        out.append({
            "kind": "Pod",
            "metadata": {"name": f"{deployment}-5d8f7c-{i}", "labels": {**WEB, "color": colour}},
            "spec": {"containers": [{"name": "app", "image": dep["image"]}]},
            "status": status,
        })  # fmt: skip
    return out


def deployment_obj(name: str, dep: dict[str, Any]) -> dict[str, Any]:
    cname = "worker" if name == "app-worker" else "app"
    return {
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": dep["replicas"],
            "template": {
                "spec": {
                    "securityContext": {"runAsUser": 10001},
                    "containers": [{
                        "name": cname, "image": dep["image"],
                        "ports": [{"containerPort": 8000}],
                        "securityContext": {"runAsUser": 10001},
                    }],
                }
            },
        },
        "status": {"readyReplicas": dep["replicas"]},
    }  # fmt: skip


def service_obj(name: str, colour: str) -> dict[str, Any]:
    return {
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {**WEB, "color": colour}},
    }


def emit(items: list[dict[str, Any]], names: list[str], missing_ok: bool) -> int:
    if len(names) == 1:
        if not items:
            if missing_ok:
                return 0
            print(f'Error from server (NotFound): "{names[0]}" not found', file=sys.stderr)
            return 1
        print(json.dumps(items[0]))
        return 0
    print(json.dumps({"kind": "List", "items": items}))
    return 0


def get(args: list[str]) -> int:
    kind, rest = args[0].rstrip("s"), args[1:]
    names = [a for a in rest if not a.startswith("-") and a != "json"]
    selector = rest[rest.index("-l") + 1] if "-l" in rest else ""
    names = [n for n in names if n != selector]
    missing_ok = "--ignore-not-found" in rest
    with world() as state:
        if kind == "service":
            items = [service_obj(n, c) for n, c in state["services"].items()]
        elif kind == "deployment":
            items = [deployment_obj(n, d) for n, d in state["deployments"].items()]
            if "component=web" in selector:
                items = [d for d in items if d["metadata"]["name"] != "app-worker"]
        elif kind == "pod":
            colour = selector.rpartition("color=")[2] if "color=" in selector else ""
            items = [
                p for dep in ("app-blue", "app-green") for p in pods(state, dep)
                if not colour or dep == f"app-{colour}"
            ]  # fmt: skip
        elif kind == "job":
            items = [
                {"kind": "Job", "metadata": {"name": n}, "status": {"conditions": j["conditions"]}}
                for n, j in state["jobs"].items()
            ]
        elif kind == "endpointslice":
            service = selector.rpartition("=")[2]
            colour = state["endpoints"][service]
            eps = [
                {"targetRef": {"kind": "Pod", "name": p["metadata"]["name"]},
                 "conditions": {"ready": True}}
                for p in pods(state, f"app-{colour}")
            ]  # fmt: skip
            items = [{"kind": "EndpointSlice", "endpoints": eps}]
        elif kind == "hpa":
            items = [
                {"kind": "HorizontalPodAutoscaler", "metadata": {"name": n},
                 "status": {"currentReplicas": d["replicas"], "desiredReplicas": d["replicas"]}}
                for n, d in state["deployments"].items() if n != "app-worker"
            ]  # fmt: skip
        else:
            print(f"fake kubectl: cannot get {kind}", file=sys.stderr)
            return 2
    if names:
        items = [i for i in items if i["metadata"]["name"] in names]
    return emit(items, names, missing_ok)


def mutate(args: list[str], stdin: str) -> int:
    verb = args[0]
    with world(write=True) as state:
        if verb == "set":  # set image deployment/NAME container=IMAGE
            name = args[2].partition("/")[2]
            state["deployments"][name]["image"] = args[3].partition("=")[2]
        elif verb == "scale":
            name = args[1].partition("/")[2]
            state["deployments"][name]["replicas"] = int(args[2].partition("=")[2])
        elif verb == "patch":  # patch service NAME --type merge --patch-file FILE
            import yaml  # lazily: every call starts a process, keep it quick

            name = args[2]
            patch = yaml.safe_load(Path(args[args.index("--patch-file") + 1]).read_text())
            colour = patch["spec"]["selector"]["color"]
            state["services"][name] = colour
            if not state["fail"].get("endpoints"):
                state["endpoints"][name] = colour
        elif verb == "create":
            job = json.loads(stdin)
            outcome = state["fail"].get("job", "complete")
            conditions = {
                "complete": [{"type": "Complete", "status": "True"}],
                "failed": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                            "message": "Job has reached the specified backoff limit"}],
            }.get(outcome, [])  # fmt: skip
            image = job["spec"]["template"]["spec"]["containers"][0]["image"]
            state["jobs"][job["metadata"]["name"]] = {"conditions": conditions, "image": image}
            print(f"job.batch/{job['metadata']['name']} created")
    return 0


def rollout_status(args: list[str]) -> int:
    name = args[2].partition("/")[2]
    with world() as state:
        if state["fail"].get(f"rollout:{name}"):
            print("error: timed out waiting for the condition", file=sys.stderr)
            return 1
    print(f'deployment "{name}" successfully rolled out')
    return 0


def exec_(args: list[str], flags: dict[str, str]) -> int:
    command = args[args.index("--") + 1 :]
    with world() as state:
        if command[:2] == ["flask", "--app"] and command[-1] in ("current", "heads"):
            # What Alembic's `current` and `heads` print: one "REV (head)" line per head.
            found = state["db_heads"] if command[-1] == "current" else state["image_heads"]
            print('{"level": "INFO", "message": "a JSON log line"}')
            print("".join(f"{rev} (head)\n" for rev in found), end="")
            return 0
        pid = state.get("exec_pid")
    if not pid:
        print("fake kubectl: no pod to exec into", file=sys.stderr)
        return 1
    import subprocess

    enter = ["nsenter", "--target", str(pid), "--pid", "--mount", "--"]
    return subprocess.run([*enter, *command], check=False).returncode


def port_forward(args: list[str]) -> int:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    service = args[1].partition("/")[2]
    with world() as state:
        mode = str(state["fail"].get("portforward", ""))
        colour = state["services"][service]
        image = state["deployments"][f"app-{colour}"]["image"]
        version = state["versions"].get(image, "unknown")
    if mode == "refuse":
        print(f"error: unable to forward port because pod is not running: {service}")
        return 1
    budget = [int(mode.partition(":")[2])] if mode.startswith("die:") else [10**9]

    class Pod(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            budget[0] -= 1
            if budget[0] < 0:
                os._exit(1)  # already gone: the connection is reset
            body, ctype, status = b"{}", "application/json", 200
            if self.path == "/healthz":
                body = json.dumps({"status": "ok", "version": version, "color": colour}).encode()
            elif self.path == "/":
                body, ctype = b"<html>home</html>", "text/html; charset=utf-8"
            elif self.path == "/api/v1/items":
                body = b"[]"
            elif self.path == "/metrics":
                body, ctype = b"app_http_requests_total 1\n", "text/plain; version=0.0.4"
            self.send_response(status)
            for key, value in (("Content-Type", ctype), ("X-App-Color", colour),
                               ("X-App-Version", version), ("X-Request-ID", "fake")):  # fmt: skip
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            if budget[0] <= 0:  # the forwarded pod went away: kubectl exits
                threading.Timer(0.05, os._exit, args=(1,)).start()

        def log_message(self, *a: Any) -> None:
            print(f"Handling connection for {self.server.server_address[1]}", flush=True)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pod)
    print(f"Forwarding from 127.0.0.1:{server.server_address[1]} -> 8000", flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    threading.Event().wait()
    return 0


def main() -> int:
    argv = sys.argv[1:]
    with open(LOG, "a") as log:
        log.write(json.dumps(argv) + "\n")
    if "--local" in argv or argv[:1] == ["kustomize"]:
        os.execv(os.environ["REAL_KUBECTL"], ["kubectl", *argv])  # noqa: S606 - argv list
    args, flags = strip_globals(argv)
    verb = args[0]
    stdin = sys.stdin.read() if "-" in args and verb == "create" else ""
    if verb == "get":
        return get(args[1:])
    if verb in ("set", "scale", "patch", "create"):
        return mutate(args, stdin)
    if verb == "rollout":
        return rollout_status(args)
    if verb == "exec":
        return exec_(args, flags)
    if verb == "port-forward":
        return port_forward(args)
    if verb == "logs":
        with world() as state:
            print(state.get("job_log", ""))
        return 0
    print(f"fake kubectl: unsupported {argv}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
