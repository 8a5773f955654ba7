"""Every balr module imports on its own, and the command layers form no import circle."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import balr

ROOT = Path(balr.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """The balr modules `path` imports, at the top or inside functions."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = [f"{node.module}.{a.name}" for a in node.names]
            # `from pkg import module` needs that module, not the rest of pkg.
            out |= {s for s in subs if s in MODULES} or {node.module}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return out & MODULES.keys()


def _graph() -> dict[str, set[str]]:
    return {name: _imports(path) - {name} for name, path in MODULES.items()}


def _circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected groups (> 1 module) of an import graph (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while (w := stack.pop()) != v:
                group.add(w)
            if group:
                circles.append(group | {v})

    for name in graph:
        if name not in index:
            visit(name)
    return circles


@pytest.mark.parametrize("name", [n for n in MODULES if not n.startswith("balr.__main__")])
def test_every_module_imports_on_its_own(name: str) -> None:
    importlib.import_module(name)


def test_no_import_circle_through_the_cli_or_the_scoring_commands() -> None:
    touched = [
        sorted(group)
        for group in _circles(_graph())
        if any(n.startswith(("balr.cli", "balr.scoring.commands")) for n in group)
    ]
    assert touched == []


def test_the_circle_finder_sees_a_circle_and_nothing_else() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _circles(graph) == [{"a", "b", "c"}]


def test_a_lazy_import_inside_a_function_counts(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from balr.scoring import io\n", encoding="utf-8")
    assert _imports(source) == {"balr.scoring.io"}
