"""Server-side apply in the fake cluster: field managers own the leaf fields they set.

The model is the API server's, simplified: a field is a path of map keys (lists are atomic).
An apply sets the fields of its manifest and takes them over; a field another manager owns
with a different value is a conflict unless --force-conflicts; fields the manager applied
before and no longer applies are removed unless someone else owns them. An update (patch,
scale) takes over the fields it changes. Ownership lives in the world, beside the object.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.support.fakecluster.world import ApiError, Obj, World

Path = tuple[str, ...]
IGNORED = {("metadata", "resourceVersion"), ("metadata", "managedFields"), ("status",)}


def leaves(obj: Any, prefix: Path = ()) -> dict[Path, Any]:
    """Flatten an object into its leaf fields (maps recurse; lists and scalars are leaves)."""
    if isinstance(obj, dict) and obj:
        out: dict[Path, Any] = {}
        for key, value in obj.items():
            out.update(leaves(value, (*prefix, str(key))))
        return out
    return {prefix: obj}


def _set(obj: Obj, path: Path, value: Any) -> None:
    for key in path[:-1]:
        obj = obj.setdefault(key, {})
    obj[path[-1]] = copy.deepcopy(value)


def _drop(obj: Obj, path: Path) -> None:
    chain = [obj]
    for key in path[:-1]:
        if not isinstance(chain[-1].get(key), dict):
            return
        chain.append(chain[-1][key])
    chain[-1].pop(path[-1], None)
    for parent, key in zip(reversed(chain[:-1]), reversed(path[:-1]), strict=True):
        if parent.get(key) == {}:
            parent.pop(key)


def owners(world: World, key: str) -> dict[str, list[Path]]:
    """Who owns which fields of an object (kind/name)."""
    raw = world.data.setdefault("managed", {}).get(key, {})
    return {manager: [tuple(p) for p in paths] for manager, paths in raw.items()}


def _save(world: World, key: str, table: dict[str, list[Path]]) -> None:
    world.data.setdefault("managed", {})[key] = {
        m: [list(p) for p in ps] for m, ps in table.items()
    }


def apply(world: World, manifest: Obj, manager: str, force: bool) -> Obj:
    """Apply a manifest as manager; return the live object."""
    kind, name = manifest["kind"], manifest["metadata"]["name"]
    key = f"{kind}/{name}"
    stored = world.data["objects"].get(key)
    live = copy.deepcopy(stored) if stored else {"kind": kind, "metadata": {"name": name}}
    table = owners(world, key)
    wanted = {
        p: v for p, v in leaves(manifest).items() if p[:2] not in IGNORED and p[:1] not in IGNORED
    }
    current = leaves(live)
    conflicts = [
        (other, p) for other, paths in table.items() if other != manager
        for p in paths if p in wanted and current.get(p) != wanted[p]
    ]  # fmt: skip
    if conflicts and not force:
        listed = "; ".join(f'conflict with "{m}": .{".".join(p)}' for m, p in conflicts)
        raise ApiError(f"error: Apply failed with {len(conflicts)} conflict(s): {listed}")
    others = {p for m, ps in table.items() if m != manager for p in ps}
    for path in table.get(manager, []):
        if path not in wanted and path not in others:
            _drop(live, path)  # applied before, not any more: removed
    for path, value in wanted.items():
        _set(live, path, value)
    for other in list(table):
        if other != manager:
            table[other] = [p for p in table[other] if p not in wanted]
    table[manager] = sorted(wanted)
    if stored is None and kind == "Deployment":
        live["spec"].setdefault("replicas", 1)  # the API server's default
    world.data["objects"][key] = live
    world.touch(live, f"apply {key} by {manager}")
    _save(world, key, table)
    return live


def took_over(world: World, key: str, before: Obj, after: Obj, manager: str) -> None:
    """Record that an update by manager changed fields (theirs now)."""
    old, new = leaves(before), leaves(after)
    changed = [p for p, v in new.items() if old.get(p) != v and p[:1] != ("metadata",)]
    table = owners(world, key)
    for other in list(table):
        table[other] = [p for p in table[other] if p not in changed]
    table[manager] = sorted({*table.get(manager, []), *changed})
    _save(world, key, table)


def owner_of(world: World, key: str, path: Path) -> str:
    """Return the manager that owns a field ('' when nobody does)."""
    return next((m for m, paths in owners(world, key).items() if path in paths), "")


def manifests(stdin: str) -> list[Obj]:
    """Read what `apply -f -` got: one object or a List (JSON)."""
    raw = json.loads(stdin)
    return list(raw["items"]) if raw.get("kind") == "List" else [raw]
