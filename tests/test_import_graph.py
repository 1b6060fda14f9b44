"""Guard rails of the layout: the import graph of the package has no cycles (imports inside
functions count; ``if TYPE_CHECKING:`` blocks do not), core folders never import the report or
the command line, folders import each other only through their faces, and no module is long."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "surveykit"
CORE = ("_util", "io", "instrument", "design", "estimate", "tables", "weighting", "models", "segments")
ALIASES = {"surveykit.synth", "surveykit.reproduce", "surveykit.demo"}  # sys.modules aliases of studies/


def _module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PKG.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path) -> set[str]:
    """Modules of the package that *path* imports at run time (anywhere in the file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("surveykit"))
        elif (
            isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("surveykit") and not node.level
        ):
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                out.add(sub if sub in MODULES else node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {m for m in out if m in MODULES}


GRAPH = {name: _imports(path) - {name} for name, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(GRAPH)))
    try:
        for v in sorted(GRAPH):
            if v not in index:
                strong(v)
    finally:
        sys.setrecursionlimit(limit)
    return found


def _folder(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (PKG / parts[1]).is_dir() else None


def test_the_graph_is_read() -> None:
    assert len(MODULES) > 60
    assert "surveykit.estimate.core" in GRAPH["surveykit.estimate"]
    assert "surveykit.design.resolve" in GRAPH["surveykit.design.core"]


def test_no_import_cycles() -> None:
    assert _cycles() == []


@pytest.mark.parametrize("folder", CORE)
def test_core_folders_never_import_report_or_cli(folder: str) -> None:
    bad = {
        (m, t)
        for m, targets in GRAPH.items()
        if _folder(m) == folder
        for t in targets
        if _folder(t) in ("report", "cli", "studies") or t in ALIASES
    }
    assert bad == set()


def test_folders_import_each_other_through_their_faces() -> None:
    """``surveykit.design.variance`` from estimate is fine (a documented kernel); importing a
    private module (``_name``) of another folder is not."""
    bad = set()
    for m, targets in GRAPH.items():
        for t in targets:
            if _folder(t) not in (None, _folder(m)) and t.rsplit(".", 1)[-1].startswith("_") and _folder(t) != "_util":
                bad.add((m, t))
    assert bad == set()


def test_few_private_modules_at_the_top_and_none_long() -> None:
    top_private = sorted(p.name for p in PKG.glob("_*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert len(top_private) <= 3, top_private
    long = {str(p.relative_to(PKG)): n for p in PKG.rglob("*.py") if (n := len(p.read_text().splitlines())) > 500}
    assert long == {}
