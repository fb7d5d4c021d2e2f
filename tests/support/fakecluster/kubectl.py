"""`kubectl` for the fake cluster: the verbs the rollout uses, answered from the world file.

Installed first on PATH by FakeCluster.install(); FAKE_CLUSTER names the world file. Offline
calls (`kustomize`, `--local`) go to the real client (REAL_KUBECTL). A verb listed in the
world's `hang` (e.g. "rollout status") blocks once, until its caller dies: where a test kills
the rollout mid-phase.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import time
from pathlib import Path

from tests.support.fakecluster import jobs, ssa
from tests.support.fakecluster.world import ApiError, Obj, World, kind_of, parse_selector

WORLD = Path(os.environ.get("FAKE_CLUSTER", "/nonexistent"))
GLOBAL_FLAGS = ("--context", "--namespace", "-n", "--kubeconfig")


def strip_globals(argv: list[str]) -> list[str]:
    """Drop --context/--namespace/--kubeconfig (and exec's -c comes after `exec`)."""
    rest, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if arg in GLOBAL_FLAGS or (arg == "-c" and "exec" not in rest):
            i += 2
            continue
        if arg.startswith(tuple(f"{f}=" for f in GLOBAL_FLAGS)):
            i += 1
            continue
        if arg == "--":
            return rest + argv[i:]
        rest.append(arg)
        i += 1
    return rest


def option(args: list[str], name: str) -> str | None:
    """Return the value of --name VALUE or --name=VALUE."""
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(f"{name}="):
            return arg.partition("=")[2]
    return None


def hang_if_asked(args: list[str]) -> None:
    """Block once on a verb the test listed, until the caller (the rollout) is gone."""
    line = " ".join(args)
    with World.open(WORLD, write=True) as world:
        hit = next((h for h in world.data["hang"] if line.startswith(h)), None)
        if hit is None:
            return
        world.data["hang"].remove(hit)
        world.event(f"hang {hit}")
    parent, deadline = os.getppid(), time.monotonic() + 120
    while os.getppid() == parent and time.monotonic() < deadline:
        time.sleep(0.05)
    sys.exit(1)


def get(args: list[str]) -> int:
    """get KIND [NAME...] [-l SELECTOR] -o json [--ignore-not-found]."""
    kind = kind_of(args[0])
    selector = option(args, "-l") or option(args, "--selector")
    names = [a for a in args[1:] if not a.startswith("-") and a not in (selector, "json")]
    with World.open(WORLD) as world:
        if names:
            items = [o for o in (world.get(kind, n) for n in names) if o is not None]
        else:
            items = world.list(kind, parse_selector(selector or ""))
    if len(names) == 1:
        if items:
            print(json.dumps(items[0]))
            return 0
        if "--ignore-not-found" in args:
            return 0
        raise ApiError(f'Error from server (NotFound): {args[0]} "{names[0]}" not found')
    print(json.dumps({"kind": "List", "apiVersion": "v1", "items": items}))
    return 0


def write(verb: str, args: list[str], stdin: str) -> int:
    """create|replace -f - [-o json]: the resourceVersion rules of an API server."""
    obj = json.loads(stdin)
    with World.open(WORLD, write=True) as world:
        if obj["kind"] == "Job" and verb == "create":
            obj["status"] = jobs.on_create(world, obj)
        stored = world.put(obj, create=verb == "create")
    if option(args, "-o") == "json":
        print(json.dumps(stored))
    else:
        print(f"{obj['kind'].lower()}/{obj['metadata']['name']} {verb}d")
    return 0


def apply(args: list[str], stdin: str) -> int:
    """apply --server-side --field-manager=M [--force-conflicts] -f -: server-side apply."""
    if "--server-side" not in args:
        print("fake cluster: only server-side apply is modelled", file=sys.stderr)
        return 2
    manager = option(args, "--field-manager") or "kubectl"
    with World.open(WORLD, write=True) as world:
        for manifest in ssa.manifests(stdin):
            ssa.apply(world, manifest, manager, force="--force-conflicts" in args)
            print(f"{manifest['kind'].lower()}/{manifest['metadata']['name']} serverside-applied")
    return 0


def mutate(verb: str, args: list[str]) -> int:
    """set image, scale, patch, annotate, delete."""
    with World.open(WORLD, write=True) as world:
        if verb == "set":  # set image deployment/NAME container=IMAGE
            name = args[2].partition("/")[2]
            dep = world.update("Deployment", name)
            container, _, image = args[3].partition("=")
            for c in dep["spec"]["template"]["spec"]["containers"]:
                if c["name"] == container:
                    c["image"] = image
            world.touch(dep, f"set image {name} {image}")
        elif verb == "scale":
            name = args[1].partition("/")[2]
            dep = world.update("Deployment", name)
            dep["spec"]["replicas"] = int(str(option(args, "--replicas")))
            world.touch(dep, f"scale {name} {dep['spec']['replicas']}")
        elif verb == "patch":
            patch_object(world, kind_of(args[1]), args[2], args)
        elif verb == "annotate":
            obj = world.update(kind_of(args[1]), args[2])
            key, _, value = args[3].partition("=")
            obj["metadata"].setdefault("annotations", {})[key] = value
            world.touch(obj, f"annotate {args[2]} {key}")
        elif verb == "delete":
            missing_ok = "--ignore-not-found" in args
            if not world.delete(kind_of(args[1]), args[2]) and not missing_ok:
                raise ApiError(f'Error from server (NotFound): {args[1]} "{args[2]}" not found')
    return 0


def patch_object(world: World, kind: str, name: str, args: list[str]) -> None:
    """A merge patch (--patch-file F or -p JSON); a frozen endpoints controller keeps up."""
    path = option(args, "--patch-file")
    if path:
        import yaml  # lazily: most calls never need it

        patch = yaml.safe_load(Path(path).read_text())
    else:
        patch = json.loads(option(args, "-p") or option(args, "--patch") or "{}")
    obj = world.update(kind, name)
    before = copy.deepcopy(obj)
    if kind == "Service" and world.data["fail"].get("endpoints"):
        world.data["stale_selector"].setdefault(name, dict(obj["spec"].get("selector") or {}))
    merge(obj, patch)
    world.touch(obj, f"patch {kind} {name} {json.dumps(patch, sort_keys=True)}")
    manager = option(args, "--field-manager") or "kubectl-patch"
    ssa.took_over(world, f"{kind}/{name}", before, obj, manager)


def merge(target: Obj, patch: Obj) -> None:
    """JSON merge patch (RFC 7386) in place."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = value


def rollout_status(args: list[str]) -> int:
    """rollout status deployment/NAME: done when every pod of the new image is Ready."""
    name = args[2].partition("/")[2]
    with World.open(WORLD) as world:
        dep = world.get("Deployment", name)
        if dep is None:
            raise ApiError(f'Error from server (NotFound): deployments.apps "{name}" not found')
        ready = dep["status"]["readyReplicas"] == dep["spec"]["replicas"]
    if not ready:
        print("error: timed out waiting for the condition", file=sys.stderr)
        return 1
    print(f'deployment "{name}" successfully rolled out')
    return 0


def exec_(args: list[str]) -> int:
    """exec POD -c C -- CMD: migration heads from the world; anything else in exec_pid's pod."""
    command = args[args.index("--") + 1 :]
    with World.open(WORLD) as world:
        pod = world.get("Pod", args[1])
        if pod is None:
            raise ApiError(f'Error from server (NotFound): pods "{args[1]}" not found')
        if command[-1:] in (["current"], ["heads"]):
            image = pod["spec"]["containers"][0]["image"]
            heads = world.data["image_heads"].get(image, world.data["heads"])
            found = world.data["db_heads"] if command[-1] == "current" else heads
            print('{"level": "INFO", "message": "a JSON log line"}')
            print("".join(f"{rev} (head)\n" for rev in found), end="")
            return 0
        pid = world.data["exec_pid"]
    if not pid:
        print("fake cluster: no process to exec into", file=sys.stderr)
        return 1
    import subprocess

    enter = ["nsenter", "--target", str(pid), "--pid", "--mount", "--"]
    return subprocess.run([*enter, *command], check=False).returncode


def main(argv: list[str]) -> int:
    """Answer one kubectl call."""
    if "--local" in argv or argv[:1] == ["kustomize"]:
        os.execv(os.environ["REAL_KUBECTL"], ["kubectl", *argv])  # noqa: S606 - argv list
    with open(WORLD.with_suffix(".log"), "a") as log:
        log.write(json.dumps(argv) + "\n")
    args = strip_globals(argv)
    hang_if_asked(args)
    verb = args[0]
    stdin = sys.stdin.read() if verb in ("create", "replace", "apply") else ""
    try:
        if verb == "get":
            return get(args[1:])
        if verb in ("create", "replace"):
            return write(verb, args, stdin)
        if verb == "apply":
            return apply(args, stdin)
        if verb in ("set", "scale", "patch", "annotate", "delete"):
            return mutate(verb, args)
        if verb == "rollout":
            return rollout_status(args)
        if verb == "exec":
            return exec_(args)
        if verb == "logs":
            with World.open(WORLD) as world:
                print(jobs.logs(world, args[1].partition("/")[2]))
            return 0
        if verb == "port-forward":
            from tests.support.fakecluster.pod import port_forward

            return port_forward(WORLD, args)
    except ApiError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"fake cluster: unsupported {argv}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
