"""The package's layout rules (CONTRIBUTING.md, "Layout"): imports flow one way, there is no import circle,
and no module grows past about 400 lines without saying why.

Every ``import`` of an ``nnworkshop`` module counts, at the top of a file or inside a function: a lazy import
is still a dependency. Imports under ``if TYPE_CHECKING:`` (annotations only, never run) do not count.
``LAYERS`` below lists the layers, lowest first: a module may import from its own layer or a lower one, never a
higher one, and ``ONLY`` narrows that for three modules. Inside one layer, only circles are forbidden.
"""

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nnworkshop"
MAX_LINES = 400  # "about": a module up to a tenth over passes; past that, its docstring says why it is long
LONG_REASON = "Why this module is long:"

# The top-level name of each module or subpackage of nnworkshop, by layer. A new module must be placed here.
LAYERS = [
    # leaves: they import no other layer
    {"__init__", "config", "validate", "batches", "history", "device", "timing", "synthetic", "mnist_files", "choices", "table",
     "standin", "publish", "notebook_meaning", "torch_install", "speed", "splits"},
    # data and networks
    {"data", "convert", "scratch", "models"},
    # training
    {"training", "checkpoint"},
    # what learners and instructors see and run
    {"plots", "compare", "widgets", "bench", "distributed", "tensorboard_log", "board", "grading", "exercises"},
    # commands
    {"links", "doctor", "lab", "cli", "__main__"},
]
LEAVES = LAYERS[0]
# Narrower rules, each with its reason.
ONLY = {
    "plots": (LEAVES | {"convert"}, "plots take arrays and return a Figure; they never run a model"),
    "history": ({"history"}, "a data record does not draw itself or know who reads it"),
    "scratch": (LEAVES | {"scratch"}, "the NumPy network stands alone (and never imports torch)"),
}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _annotation_only(tree: ast.AST) -> set[int]:
    """ids of the nodes under ``if TYPE_CHECKING:``."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            for child in node.body:
                skip.update(id(n) for n in ast.walk(child))
    return skip


def import_graph(root: Path) -> dict[str, dict[str, int]]:
    """``{module: {imported module: line}}`` for every module of the package at ``root``, its own imports only."""
    files = {module_name(p, root): p for p in root.rglob("*.py") if "__pycache__" not in p.parts}
    top = root.name
    graph = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip, package = _annotation_only(tree), name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = {}
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                # "from pkg import sub" imports the submodule where one exists
                targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in files else module for a in node.names]
            for target in targets:
                if target != top and not target.startswith(top + "."):
                    continue
                while target not in files and "." in target:
                    target = target.rpartition(".")[0]
                if target != name:
                    edges.setdefault(target, node.lineno)
        graph[name] = edges
    return graph


def circles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Every strongly connected set of two or more modules (each one an import circle), sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def first_name(module: str) -> str:
    """``nnworkshop.grading.isolation.boot`` -> ``grading``; the package itself -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def layer_of(module: str, layers=LAYERS) -> int:
    name = first_name(module)
    for i, names in enumerate(layers):
        if name in names:
            return i
    raise KeyError(name)


def wrong_way(graph, layers=LAYERS, only=ONLY) -> list[str]:
    """Every import that goes up a layer, or outside what ``only`` allows a module, with its file and line."""
    problems = []
    for module, edges in sorted(graph.items()):
        for target, line in sorted(edges.items()):
            a, b = first_name(module), first_name(target)
            if a == b:
                continue  # inside one subpackage: only circles are forbidden there
            if layer_of(target, layers) > layer_of(module, layers):
                problems.append(f"{module} (line {line}) imports {target}, a higher layer")
            elif a in only and b not in only[a][0]:
                problems.append(f"{module} (line {line}) imports {target}: {only[a][1]}")
    return problems


def test_every_module_has_a_layer():
    unplaced = sorted({first_name(m) for m in import_graph(PACKAGE)} - set().union(*LAYERS))
    assert not unplaced, f"place these in LAYERS (and CONTRIBUTING.md's layout table): {unplaced}"


def test_contributing_shows_the_same_layers():
    """CONTRIBUTING.md's layout tables, one per layer in order, list exactly the modules of ``LAYERS``."""
    text = (PACKAGE.parent / "CONTRIBUTING.md").read_text(encoding="utf-8")
    layout = text[text.index("## Layout"):text.index("Rules: errors name the fix")]
    shown = []
    for section in re.split(r"^\*\*[^*]+\*\*", layout, flags=re.M)[1:]:
        names = set()
        for row in re.findall(r"^\| (.+?) \|", section, flags=re.M):
            names |= {re.sub(r"^nnworkshop/|\.py$", "", n).split("/")[0] for n in re.findall(r"`([^`]+)`", row)}
        shown.append(names)
    assert shown == [layer - {"__init__", "__main__"} for layer in LAYERS]


def test_no_import_circle():
    assert circles(import_graph(PACKAGE)) == []


def test_imports_flow_one_way():
    assert wrong_way(import_graph(PACKAGE)) == []


def test_the_graph_sees_lazy_relative_and_submodule_imports():
    graph = import_graph(PACKAGE)
    # a lazy import inside a function, and "from . import sub" in a subpackage, are both edges
    assert "nnworkshop.training" in graph["nnworkshop.widgets.dashboard"]
    assert "nnworkshop.grading.isolation.landlock" in graph["nnworkshop.grading.isolation.boot"]
    assert "nnworkshop.publish" in graph["nnworkshop.exercises"]


@pytest.fixture
def tangled(tmp_path):
    """A small package with one circle (a <-> b, one of them lazily), a wrong-way import (low -> high),
    and an annotation-only import that must not count."""
    pkg = tmp_path / "nnworkshop"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .a import x\n")
    (pkg / "low.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import y\n"
                                "import nnworkshop.sub.high\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "high.py").write_text("from ..low import z\n")
    return pkg


def test_the_checks_catch_a_circle_and_a_wrong_way_import(tangled):
    graph = import_graph(tangled)
    assert circles(graph) == [["nnworkshop.a", "nnworkshop.b"], ["nnworkshop.low", "nnworkshop.sub.high"]]
    assert "nnworkshop.b" not in graph["nnworkshop.low"]  # under TYPE_CHECKING
    layers = [{"__init__", "low"}, {"a", "b", "sub"}]
    assert wrong_way(graph, layers, only={}) == ["nnworkshop.low (line 4) imports nnworkshop.sub.high, a higher layer"]
    only = {"a": ({"a"}, "a stands alone")}
    assert wrong_way(graph, layers, only) == ["nnworkshop.a (line 1) imports nnworkshop.b: a stands alone",
                                              "nnworkshop.low (line 4) imports nnworkshop.sub.high, a higher layer"]


def overgrown(root: Path, limit: int = MAX_LINES) -> list[str]:
    """Modules over ``limit`` lines (and a tenth) whose docstring does not say why (``LONG_REASON``)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > limit * 1.1 and LONG_REASON not in (ast.get_docstring(ast.parse(text)) or ""):
            found.append(f"{path.relative_to(root.parent)}: {lines} lines")
    return found


def test_no_module_grows_past_about_400_lines_without_a_reason():
    assert overgrown(PACKAGE) == [], f"split these by concept, or say in the docstring '{LONG_REASON} ...'"


def test_the_length_check_catches_a_long_module(tmp_path):
    pkg = tmp_path / "nnworkshop"
    pkg.mkdir()
    body = "x = 1\n" * 450
    (pkg / "long.py").write_text('"""Does many things."""\n' + body)
    (pkg / "explained.py").write_text(f'"""One table.\n\n{LONG_REASON} it is data."""\n' + body)
    (pkg / "short.py").write_text('"""Small."""\n' + "x = 1\n" * 430)
    assert overgrown(pkg) == ["nnworkshop/long.py: 451 lines"]
