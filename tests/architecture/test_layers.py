"""The kit's layering, read from the code's own imports: kitcore <- stack <- rollout, no cycle.

A module of a lower layer never imports a higher one, and inside rollout/ no folder or module
imports one that imports it back (folders count as one node: rollout/kube importing
rollout/targets while targets imports kube would be a cycle).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["kitcore", "stack", "rollout"]  # each may import only the ones before it
SOURCE_PACKAGES = [*LAYERS, "app"]


def imports_of(path: Path) -> set[str]:
    """Return the dotted modules a file imports (absolute imports only, anywhere in the file)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def modules(package: str) -> dict[str, Path]:
    """Map each module of a package to its file."""
    out = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def node_of(module: str) -> str:
    """The graph node of a rollout module: its top-level folder, or the module itself."""
    parts = module.split(".")
    return ".".join(parts[:2])


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_the_layers_below(layer: str) -> None:
    allowed = set(LAYERS[: LAYERS.index(layer) + 1])
    wrong = []
    for name, path in modules(layer).items():
        for imported in imports_of(path):
            top = imported.split(".")[0]
            if top in SOURCE_PACKAGES and top not in allowed:
                wrong.append(f"{name} imports {imported}")
    assert wrong == []


def test_the_kit_never_imports_the_service_it_deploys() -> None:
    wrong = [
        f"{name} imports {imported}"
        for layer in LAYERS
        for name, path in modules(layer).items()
        for imported in imports_of(path)
        if imported.split(".")[0] == "app"
    ]
    assert wrong == []


def test_rollout_has_no_cycle_between_its_folders_and_modules() -> None:
    known = modules("rollout")
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in known.items():
        for imported in imports_of(path):
            if imported in known and node_of(imported) != node_of(name):
                graph[node_of(name)].add(node_of(imported))
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Return one cycle of a directed graph as a path of nodes, or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None
