"""Every balr module imports on its own, and balr's modules form no import cycle.

Cycles are read statically with ast, counting every import: module level, inside functions
and under TYPE_CHECKING alike, so a cycle cannot hide behind a deferred import (DESIGN.md:
the shared piece moves down).
"""

from __future__ import annotations

import ast
import functools
import importlib
from pathlib import Path

import pytest

import balr

ROOT = Path(balr.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, modules: set[str]) -> set[str]:
    """The balr modules `path` imports (a package import counts as its __init__)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # `from pkg import submodule` needs the submodule; a name needs pkg/__init__.
                child = f"{base}.{alias.name}"
                found.add(child if child in modules else base)
    return {name for name in found if name in modules} - {module_name(path)}


@functools.cache
def _parsed_graph() -> dict[str, frozenset[str]]:
    paths = sorted(ROOT.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): frozenset(imported(p, modules)) for p in paths}


def import_graph() -> dict[str, set[str]]:
    """module -> the balr modules it imports (parsed once per session; a fresh copy)."""
    return {name: set(targets) for name, targets in _parsed_graph().items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph` (as a path a -> b -> ... -> a), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


# balr.__main__ runs the CLI when imported.
@pytest.mark.parametrize("name", sorted(set(import_graph()) - {"balr.__main__"}))
def test_every_module_imports_on_its_own(name: str) -> None:
    importlib.import_module(name)


def test_the_finder_sees_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_function_local_and_type_checking_imports_are_edges() -> None:
    graph = import_graph()
    assert "balr.scoring.saving" in graph["balr.scoring.base"]  # inside Scorer.save
    assert "balr.data.packed" in graph["balr.data.protocol"]  # under TYPE_CHECKING


def test_no_import_cycle_among_balr_modules() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle or [])
