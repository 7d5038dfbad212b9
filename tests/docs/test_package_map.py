"""``interface_docs/architecture.md``'s package map matches the tree.

The map is the ``text`` block under "## Package map": a room per line (``qhost/<package>/`` or
``qhost/<module>.py``, ``qhost/__init__.py`` for the root), each package's modules on indented lines below
it (``  <module>  description``). Every module of ``src/qhost`` is named under its package, nothing is named
that does not exist, and the rooms come in the layer order of ``tests/support/import_layers.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import import_layers as layers
import pytest

ARCHITECTURE = Path(__file__).resolve().parents[2] / "interface_docs" / "architecture.md"
_ROOM = re.compile(r"^qhost/(?P<path>\S*)(\s|$)")
_MODULE = re.compile(r"^  (?P<name>[a-z_][a-z0-9_]*)(\s|$)")

Map = dict[str, list[str]]


def map_block(text: str) -> list[str]:
    """The lines of the first ``text`` block after the "## Package map" heading."""
    section = text.split("\n## Package map\n", 1)[1]
    block = section.split("```text\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def parse_map(lines: list[str]) -> Map:
    """Room → the modules named under it, in the map's order; ``ValueError`` for a line of neither shape."""
    rooms: Map = {}
    current = None
    for line in lines:
        room, module = _ROOM.match(line), _MODULE.match(line)
        if room:
            path = room.group("path")
            if path == "__init__.py":
                current = "qhost"
            elif path.endswith("/"):
                current = "qhost." + path.rstrip("/").replace("/", ".")
            elif path.endswith(".py"):
                current = "qhost." + path.removesuffix(".py").replace("/", ".")
            else:
                raise ValueError(f"not a room (qhost/pkg/ or qhost/module.py): {line!r}")
            if current in rooms:
                raise ValueError(f"room named twice: {current}")
            rooms[current] = []
        elif module and current is not None:
            rooms[current].append(module.group("name"))
        else:
            raise ValueError(f"neither a room nor an indented module: {line!r}")
    return rooms


def tree_map(src: Path = layers.SRC) -> Map:
    """Room → its modules (none for a module room), from the tree, in layer order."""
    pkgs = layers.packages(src)
    found = layers.modules(src)
    order = [room for group in layers.LAYERS for room in group]
    return {
        room: sorted(m.rpartition(".")[2] for m in found if m.rpartition(".")[0] == room and m not in pkgs)
        if room in pkgs and room != "qhost"
        else []
        for room in order
        if room in found
    }


def differences(doc: Map, tree: Map) -> list[str]:
    out = [f"room missing from the map: {room}" for room in tree if room not in doc]
    out += [f"room in the map but not in the tree: {room}" for room in doc if room not in tree]
    for room in [room for room in tree if room in doc]:
        listed, present = doc[room], set(tree[room])
        out += [f"{room}: module {m} missing from the map" for m in sorted(present - set(listed))]
        out += [f"{room}: module {m} named but not in the tree" for m in listed if m not in present]
        out += [f"{room}: module {m} named twice" for m in sorted({m for m in listed if listed.count(m) > 1})]
    shared = [room for room in doc if room in tree]
    if shared != [room for room in tree if room in doc]:
        out.append(f"rooms not in layer order: {shared}")
    return out


def test_the_package_map_names_every_module_and_nothing_else() -> None:
    doc = parse_map(map_block(ARCHITECTURE.read_text(encoding="utf-8")))
    assert differences(doc, tree_map()) == []


def test_the_map_check_fails_on_a_missing_an_invented_and_a_misplaced_module() -> None:
    tree = {"qhost.server": ["app", "auth"], "qhost.doorway": ["keys"], "qhost.errors": []}
    doc = {"qhost.server": ["app", "keys", "holds"], "qhost.errors": [], "qhost.doorway": ["auth"]}
    assert differences(doc, tree) == [
        "qhost.server: module auth missing from the map",
        "qhost.server: module keys named but not in the tree",
        "qhost.server: module holds named but not in the tree",
        "qhost.doorway: module keys missing from the map",
        "qhost.doorway: module auth named but not in the tree",
        "rooms not in layer order: ['qhost.server', 'qhost.errors', 'qhost.doorway']",
    ]


def test_the_map_check_fails_on_a_room_missing_or_invented() -> None:
    assert differences({"qhost.jobs": []}, {"qhost.errors": []}) == [
        "room missing from the map: qhost.errors",
        "room in the map but not in the tree: qhost.jobs",
    ]


def test_the_map_reader_refuses_a_line_it_cannot_place() -> None:
    with pytest.raises(ValueError, match="neither a room"):
        parse_map(["qhost/jobs/    the job model", "spec   not indented"])
    assert parse_map(
        ["qhost/__init__.py  api", "qhost/jobs/  model", "  spec  JobSpec", "qhost/errors.py  tree"]
    ) == {
        "qhost": [],
        "qhost.jobs": ["spec"],
        "qhost.errors": [],
    }
