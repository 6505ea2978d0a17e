"""The project's modules import each other without a cycle, function-level imports included
(a cycle hidden inside a function is still a cycle)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("beatbrief", "expectations", "reports", "transforms", "dags")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_imports(path: Path, modules: set[str]) -> set[str]:
    """The project modules a file imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # `from reports import views` imports reports.views
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in modules}
    return found


def import_graph() -> dict[str, set[str]]:
    paths = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    modules = {module_name(p) for p in paths}
    graph = {}
    for path in paths:
        name = module_name(path)
        # a package's own __init__ is imported by its modules anyway; it is no edge back
        graph[name] = project_imports(path, modules) - {name, name.rsplit(".", 1)[0]}
    return graph


def test_the_check_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"a"}}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError:
        return
    raise AssertionError("a cycle went unnoticed")


def test_no_module_of_the_project_imports_itself_through_others():
    graph = import_graph()
    assert "reports.publish" in graph and "reports.site" in graph["reports.publish"]
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        raise AssertionError(f"import cycle: {' -> '.join(error.args[1])}") from None
