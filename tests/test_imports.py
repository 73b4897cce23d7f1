"""No import cycle between stockade's modules, nor between its packages.

The graph is read from the source with ``ast`` — every ``import`` at any level of a file,
function-level imports included, since a lazy import only hides a cycle — so a cycle fails
here before it fails at run time. Cycles broken so far: policy decision <-> explain,
cli <-> demo (the tables moved down to ``view/``), dataplane netns <-> nft (``usable``
moved up into ``nft``), api/actions registry <-> families (``registry.py``), and the
data plane <-> the analyzer (the flow-log field list moved down to ``domain/``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import stockade

ROOT = Path(stockade.__file__).parent
PACKAGE = "stockade"


def _modules() -> dict[str, tuple[Path, bool]]:
    """Module name -> (file, is a package's ``__init__``)."""
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the stockade modules it imports (``from p import m`` names module ``p.m``
    when ``m`` is a module, else ``p``)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        here = name if is_package else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name in modules)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[: len(here.split(".")) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                if source != PACKAGE and not source.startswith(PACKAGE + "."):
                    continue
                for alias in node.names:
                    child = f"{source}.{alias.name}"
                    targets.add(child if child in modules else source)
        targets.discard(name)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The same edges between stockade's top-level packages (``cli``, ``demo``, …)."""

    def top(module: str) -> str:
        return module.split(".")[1] if "." in module else module

    out: dict[str, set[str]] = {}
    for source, targets in graph.items():
        out.setdefault(top(source), set()).update(top(t) for t in targets if top(t) != top(source))
    return out


def test_no_import_cycle_between_modules():
    assert cycles(import_graph()) == []


def test_no_import_cycle_between_packages():
    assert cycles(package_graph(import_graph())) == []


def test_the_data_plane_and_the_analyzer_do_not_import_each_other():
    """Both may import ``policy/`` and ``domain/``; shared pieces go there."""
    packages = package_graph(import_graph())
    assert "analysis" not in packages["dataplane"]
    assert "dataplane" not in packages["analysis"]


def test_the_checker_sees_cycles_through_function_level_and_relative_imports():
    """The detector itself: a lazy import closing a loop, and a package's relative import."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    graph = import_graph()
    assert "stockade.dataplane.nft" in graph["stockade.cli.dataplane"]  # function-level
    assert "stockade.policy.effective" in graph["stockade.policy"]  # package __init__
