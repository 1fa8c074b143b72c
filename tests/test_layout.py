"""The code's layout (issue 21): stage packages, no import cycle, no module over 600 lines,
and stories that reach the builder only through its plugin API.

Imports are read from the source with `ast`, so an import inside a function counts as much as one
at the top: a cycle hidden in a function is still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BUILDER = Path(__file__).resolve().parent.parent / "builder"
MAX_LINES = 600
STAGES = ("common", "package", "check", "views", "outputs", "history", "site", "tools", "stories")


def module_name(path: Path) -> str:
    parts = path.relative_to(BUILDER.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(BUILDER.rglob("*.py"))}


def imports_of(name: str, path: Path) -> list[tuple[str, bool]]:
    """(module imported, whether inside a function) for every builder module `name` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for function in [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))]:
        inside = function is not tree
        body = ast.walk(function) if inside else iter(tree.body)
        for node in body:
            if isinstance(node, ast.Import):
                found += [(alias.name, inside) for alias in node.names if alias.name.startswith("builder")]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
                if base.startswith("builder"):
                    # `from builder.site import render` imports the module builder.site.render
                    found += [(f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base, inside) for a in node.names]
    return [(target, inside) for target, inside in found if target in MODULES and target != name]


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_counting_imports_inside_functions():
    graph = {name: {target for target, _ in targets} for name, targets in GRAPH.items()}
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_function():
    """The check above can fail: a two-module cycle, one side inside a function, is found."""
    graph = {"a": {"b"}, "b": {"a"}, "c": set()}
    assert cycles(graph) == [["a", "b"]]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_600_lines(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{MODULES[name].relative_to(BUILDER.parent)} has {lines} lines; split it by job"


def test_every_module_lives_in_a_stage_package():
    """Only the entry points sit at the top of builder/; everything else in a package named for its stage."""
    top = sorted(name for name, path in MODULES.items() if path.parent == BUILDER and path.name != "__init__.py")
    assert top == ["builder.__main__", "builder.build", "builder.cli", "builder.command", "builder.pipeline"]
    assert {name.split(".")[1] for name in MODULES if name.count(".") >= 2} == set(STAGES)


def test_each_stage_package_says_what_it_holds():
    for stage in STAGES:
        doc = ast.get_docstring(ast.parse((BUILDER / stage / "__init__.py").read_text(encoding="utf-8")))
        assert doc and len(doc) > 40, f"builder/{stage}/__init__.py needs a docstring naming what the stage holds"


def test_stories_reach_the_builder_only_through_the_plugin_api():
    allowed = ("builder.views.plugin", "builder.stories", "builder.common")
    for name, targets in GRAPH.items():
        if name.startswith("builder.stories"):
            wrong = sorted(t for t, _ in targets if not t.startswith(allowed))
            assert wrong == [], f"{name} imports stage modules {wrong}; take them from builder.views.plugin"


def test_common_modules_are_leaves():
    """What every stage shares imports no stage (only other common modules)."""
    for name, targets in GRAPH.items():
        if name.startswith("builder.common"):
            assert [t for t, _ in targets if not t.startswith("builder.common")] == [], name


# The pipeline's order, bottom to top: a module may import its own stage or one below it.
RANK = {"common": 0, "package": 1, "views": 2, "check": 3, "stories": 4, "outputs": 5, "history": 6, "site": 7, "tools": 8}


def rank(name: str) -> int:
    parts = name.split(".")
    return RANK.get(parts[1], 9) if len(parts) > 2 or parts[1] in RANK else 9  # cli, pipeline, build: the top


def test_imports_inside_functions_only_go_down():
    """An import inside a function is there to keep `builder validate` fast, never to reach up a stage."""
    upward = [(n, t) for n, targets in GRAPH.items() for t, inside in targets if inside and rank(t) > rank(n)]
    assert upward == []
