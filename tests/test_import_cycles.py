"""No import circle between modules of ``src/qhost``: dependencies run one way.

Every import counts (module level, function-local and ``TYPE_CHECKING`` alike), found by walking each
module's AST; the generated Thrift code is left out. A failure names the modules of one circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "qhost"
LAYERS = {
    # front doors and clients share the top; ``protocols`` (pure translation used by doors and programs) and
    # ``config`` are left out of the ordering
    "cli": 0,
    **dict.fromkeys(("server", "thrift", "client"), 1),
    "engine": 2,
    "store": 3,
    "programs": 4,
    "catalog": 5,
    "executors": 6,
    "devices": 7,
    "jobs": 8,
    "errors": 9,
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "gen" in path.relative_to(PACKAGE).parts:
            continue
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.update(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names)
    return {m for m in out if m in modules and m != name}


def import_graph() -> dict[str, set[str]]:
    """Each module of ``qhost`` → the ``qhost`` modules it imports anywhere in its body."""
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_in_qhost() -> None:
    assert circles(import_graph()) == []


def test_the_walk_sees_function_local_and_type_checking_imports() -> None:
    graph = import_graph()
    assert "qhost.devices.index" in graph["qhost.catalog"]  # imported inside Catalog.device_names
    assert "qhost.devices" in graph["qhost.executors.base"]  # imported under TYPE_CHECKING


def test_circle_finder_reports_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _layer(module: str) -> int | None:
    part = module.split(".")[1] if module.count(".") else ""
    return LAYERS.get(part)


def test_lower_layers_never_import_higher_ones() -> None:
    upward = [
        (name, dep)
        for name, deps in import_graph().items()
        for dep in deps
        if (a := _layer(name)) is not None and (b := _layer(dep)) is not None and b < a
    ]
    assert upward == []


def test_every_package_docstring_says_what_it_may_import() -> None:
    silent = [
        str(init.relative_to(SRC))
        for init in PACKAGE.rglob("__init__.py")
        if "gen" not in init.parts
        and "may import" not in (ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or "").lower()
    ]
    assert silent == []
