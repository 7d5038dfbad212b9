"""The rooms of ``src/qhost``, the imports between them, and the rules those imports keep.

A *room* is a package (its ``__init__`` and the modules directly in it) or a module directly under ``qhost``
(``qhost.errors``, ``qhost.config``, ``qhost.catalog`` …); ``qhost`` itself is the root room (the public API).
Every import counts (module level, function-local and ``TYPE_CHECKING`` alike), found by walking each
module's AST; generated code (``thrift_gen``) is left out.

The rules, each a function over a graph so a test can feed it an invented violation:

- ``circles``: no import circle between modules;
- ``unlayered``: every room has a place in ``LAYERS``;
- ``upward``: a room imports only rooms in lower layers (a package and its own subpackages excepted: their
  seam is held by the docstring rule);
- ``siblings``: rooms of one layer never import each other (the doors: ``server``, ``thrift``, ``client``);
- ``docstring_breaches``: each room imports only what its docstring's ``May import:`` line names, and
  ``rules_against_layers``: no such line names a room the layers forbid.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
ROOT = "qhost"
GENERATED = frozenset({"thrift_gen"})
"""Folders of generated code, left out of the walk."""

LAYERS: tuple[tuple[str, ...], ...] = (
    # top to bottom; a room may import the rooms of lower layers only
    ("qhost", "qhost.__main__"),
    ("qhost.cli",),
    ("qhost.backend_server",),
    ("qhost.server", "qhost.server.console", "qhost.thrift", "qhost.client"),  # the doors: siblings
    ("qhost.doorway",),
    ("qhost.engine.distributed",),
    ("qhost.engine",),
    ("qhost.engine.local", "qhost.engine.chores"),
    ("qhost.store",),
    ("qhost.programs",),
    ("qhost.catalog",),
    ("qhost.protocols",),
    ("qhost.executors.custatevec",),
    ("qhost.executors.aer", "qhost.executors.statevector", "qhost.executors.sims"),
    ("qhost.executors",),
    ("qhost.devices",),
    ("qhost.jobs",),
    ("qhost.config",),
    ("qhost.errors",),
)
DOORS = frozenset({"qhost.server", "qhost.thrift", "qhost.client"})

Graph = dict[str, set[str]]
_RULE = re.compile(r"^May import:\s+(?P<names>.+?)\.(?=\s|$)", re.MULTILINE | re.DOTALL)
_NAME = re.compile(r"^qhost(\.[a-z_]+)*(\.\*)?$")


def modules(src: Path = SRC) -> dict[str, Path]:
    """Every module of ``qhost`` under ``src`` (a package by its own name) → its file."""
    found = {}
    for path in (src / ROOT).rglob("*.py"):
        if GENERATED & set(path.relative_to(src).parts):
            continue
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
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
            out.update(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names)
    return {m for m in out if m in known and m != name}


def import_graph(src: Path = SRC) -> Graph:
    """Each module of ``qhost`` → the ``qhost`` modules it imports anywhere in its body."""
    known = modules(src)
    return {name: _imports(name, path, known) for name, path in known.items()}


def packages(src: Path = SRC) -> set[str]:
    return {name for name, path in modules(src).items() if path.name == "__init__.py"}


def room_of(module: str, pkgs: set[str]) -> str:
    """The room of ``module``: itself when a package or directly under ``qhost``, else its package."""
    if module in pkgs:
        return module
    parent = module.rpartition(".")[0]
    return module if parent == ROOT else parent


def rooms(src: Path = SRC) -> set[str]:
    pkgs = packages(src)
    return {room_of(m, pkgs) for m in modules(src)}


def room_edges(graph: Graph, pkgs: set[str]) -> dict[tuple[str, str], list[str]]:
    """(importing room, imported room) → the module imports behind it, for rooms that differ."""
    edges: dict[tuple[str, str], list[str]] = {}
    for name, deps in graph.items():
        for dep in deps:
            pair = (room_of(name, pkgs), room_of(dep, pkgs))
            if pair[0] != pair[1]:
                edges.setdefault(pair, []).append(f"{name} -> {dep}")
    return edges


def circles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
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


def layer_index(layers: Iterable[tuple[str, ...]] = LAYERS) -> dict[str, int]:
    return {room: depth for depth, group in enumerate(layers) for room in group}


def unlayered(all_rooms: Iterable[str], layers: Iterable[tuple[str, ...]] = LAYERS) -> list[str]:
    """Rooms with no layer, and layers naming a room that does not exist."""
    known = set(all_rooms)
    placed = layer_index(layers)
    return sorted((known - placed.keys()) | {f"{r} (no such room)" for r in placed.keys() - known})


def _related(a: str, b: str) -> bool:
    """A package and one of its own subpackages (the root ``qhost`` is nobody's parent here)."""
    return ROOT not in (a, b) and (a.startswith(b + ".") or b.startswith(a + "."))


def upward(edges: dict[tuple[str, str], list[str]], layers: Iterable[tuple[str, ...]] = LAYERS) -> list[str]:
    """Imports of a room in a higher layer than the importer's."""
    depth = layer_index(layers)
    return sorted(
        example
        for (a, b), examples in edges.items()
        if a in depth and b in depth and depth[b] < depth[a] and not _related(a, b)
        for example in examples
    )


def siblings(
    edges: dict[tuple[str, str], list[str]], layers: Iterable[tuple[str, ...]] = LAYERS
) -> list[str]:
    """Imports between two rooms of one layer (one door importing another)."""
    depth = layer_index(layers)
    return sorted(
        example
        for (a, b), examples in edges.items()
        if a in depth and b in depth and depth[b] == depth[a] and not _related(a, b)
        for example in examples
    )


def docstring_of(room: str, src: Path = SRC) -> str:
    path = modules(src)[room]
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def may_import(docstring: str) -> list[str] | None:
    """The names in the docstring's one ``May import: a, b, c.`` sentence ([] for ``nothing``); None if none.

    The sentence starts a line and ends at the first period followed by a space or a line end; it may wrap.

    Raises:
        ValueError: more than one such line, or a name that is not ``qhost[.room][.*]`` or ``nothing``.
    """
    found = [m.group("names") for m in _RULE.finditer(docstring)]
    if not found:
        return None
    if len(found) > 1:
        raise ValueError(f"{len(found)} 'May import:' lines; write one")
    names = [" ".join(n.split()) for n in found[0].split(",")]
    if names == ["nothing"]:
        return []
    bad = [n for n in names if not _NAME.match(n)]
    if bad:
        raise ValueError(f"not a room of qhost: {bad} (write qhost.room, qhost.room.* or nothing)")
    return names


def allows(names: list[str], room: str) -> bool:
    """Whether a ``May import`` list names ``room`` (``qhost.x.*``: ``qhost.x`` and every room inside it)."""
    for name in names:
        if name == room or (name.endswith(".*") and (room == name[:-2] or room.startswith(name[:-1]))):
            return True
    return False


def docstring_breaches(
    edges: dict[tuple[str, str], list[str]], rules: dict[str, list[str] | None]
) -> list[str]:
    """Imports of a room that its ``May import`` line does not name (and rooms with no such line)."""
    out = [
        f"{room}: no 'May import:' line in its docstring" for room, names in rules.items() if names is None
    ]
    for (a, b), examples in edges.items():
        names = rules.get(a)
        if names is not None and not allows(names, b):
            out.extend(
                f"{example} (May import of {a}: {', '.join(names) or 'nothing'})" for example in examples
            )
    return sorted(out)


def docstring_rules(src: Path = SRC) -> dict[str, list[str] | None]:
    return {room: may_import(docstring_of(room, src)) for room in sorted(rooms(src))}


def unknown_names(rules: dict[str, list[str] | None], all_rooms: set[str]) -> list[str]:
    """Names in ``May import`` lines that are no room of the tree (a typo or a room since moved)."""
    return sorted(
        f"{room}: {name}"
        for room, names in rules.items()
        for name in names or ()
        if (name[:-2] if name.endswith(".*") else name) not in all_rooms
    )


def rules_against_layers(
    rules: dict[str, list[str] | None], layers: Iterable[tuple[str, ...]] = LAYERS
) -> list[str]:
    """``May import`` names that are not below their room in ``layers`` (a docstring allowing what the layers
    forbid); a package and its own subpackages excepted, and ``qhost.*`` (anything below) for the top."""
    depth = layer_index(layers)
    out = []
    for room, names in rules.items():
        for name in names or ():
            target = name.removesuffix(".*")
            if ROOT in (room, target) or target == room or _related(room, target):
                continue
            if room in depth and target in depth and depth[target] <= depth[room]:
                out.append(f"{room}: May import names {name}, which is not below it")
    return sorted(out)
