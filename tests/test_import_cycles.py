"""Dependencies in ``src/qhost`` run one way: no import circle, every room in a layer, no upward import, no
door importing another door, and every room importing only what its docstring's ``May import:`` line names.

The walk and the rules live in ``tests/support/import_layers.py`` (``LAYERS`` is the order, top to bottom).
Each rule is run on the tree, then shown to fail on one invented violation of its own. A failure names the
modules of each offending import.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import import_layers as layers
import pytest

PKGS = layers.packages()


def _edges(graph: dict[str, set[str]]) -> dict[tuple[str, str], list[str]]:
    return layers.room_edges(graph, PKGS)


# ------------------------------------------------------------------ the tree


def test_no_import_circle_in_qhost() -> None:
    assert layers.circles(layers.import_graph()) == []


def test_every_room_has_a_layer() -> None:
    assert layers.unlayered(layers.rooms()) == []


def test_no_room_imports_a_higher_layer() -> None:
    assert layers.upward(_edges(layers.import_graph())) == []


def test_no_door_imports_another_door() -> None:
    assert layers.siblings(_edges(layers.import_graph())) == []


def test_every_room_imports_only_what_its_docstring_names() -> None:
    rules = layers.docstring_rules()
    assert layers.unknown_names(rules, layers.rooms()) == []
    assert layers.docstring_breaches(_edges(layers.import_graph()), rules) == []
    assert layers.rules_against_layers(rules) == []  # no docstring allows what the layers forbid


def test_the_walk_sees_function_local_and_type_checking_imports() -> None:
    graph = layers.import_graph()
    assert "qhost.devices.index" in graph["qhost.catalog"]  # imported inside Catalog.device_names
    assert "qhost.devices" in graph["qhost.executors.base"]  # imported under TYPE_CHECKING


def test_the_doors_are_siblings_and_every_subpackage_has_its_own_layer() -> None:
    depth = layers.layer_index()
    assert depth["qhost.server"] == depth["qhost.thrift"] == depth["qhost.client"]
    for room in ("qhost.engine.local", "qhost.engine.distributed", "qhost.executors.aer", "qhost.doorway"):
        assert room in depth
    assert depth["qhost.doorway"] > depth["qhost.server"]  # below the doors it serves


def test_the_door_neutral_room_uses_no_web_framework() -> None:
    """``qhost.doorway`` (keys, auth, throttle, holds, access-log line) serves Thrift and Flask alike."""
    found = []
    for name, path in layers.modules().items():
        if name.startswith("qhost.doorway"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    heads = (
                        [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                    )
                    found += [
                        f"{name}: {h}" for h in heads if h.split(".")[0] in {"flask", "werkzeug", "waitress"}
                    ]
    assert found == []


# ------------------------------------------------------------------ each rule fails on one violation


def test_circle_rule_fails_on_a_circle() -> None:
    assert layers.circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_layer_rule_fails_on_a_room_with_no_layer() -> None:
    assert layers.unlayered({*layers.rooms(), "qhost.newroom"}) == ["qhost.newroom"]
    assert layers.unlayered(layers.rooms() - {"qhost.jobs"}) == ["qhost.jobs (no such room)"]


def test_upward_rule_fails_on_protocols_importing_a_door() -> None:
    graph = {"qhost.protocols.qrisp": {"qhost.server.app"}, "qhost.server.app": {"qhost.protocols.qrisp"}}
    assert layers.upward(_edges(graph)) == ["qhost.protocols.qrisp -> qhost.server.app"]


def test_upward_rule_lets_a_package_and_its_subpackage_meet_but_not_cousins() -> None:
    graph = {
        "qhost.engine.local.workers": {"qhost.engine.pool", "qhost.engine.distributed.common"},
        "qhost.engine.engine": {"qhost.engine.local.workers"},
    }
    assert layers.upward(_edges(graph)) == ["qhost.engine.local.workers -> qhost.engine.distributed.common"]


def test_sibling_rule_fails_on_one_door_importing_another() -> None:
    graph = {"qhost.thrift.handler": {"qhost.server.context"}, "qhost.client.thrift_client": {"qhost.thrift"}}
    assert layers.siblings(_edges(graph)) == [
        "qhost.client.thrift_client -> qhost.thrift",
        "qhost.thrift.handler -> qhost.server.context",
    ]
    assert layers.upward(_edges(graph)) == []  # not an upward import: the doors share a layer


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "qhost" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def test_docstring_rule_fails_on_an_import_the_docstring_does_not_name(tmp_path: Path) -> None:
    src = _package(
        tmp_path,
        {
            "__init__.py": '"""Root.\n\nMay import: qhost.*.\n"""\n',
            "errors.py": '"""Errors.\n\nMay import: nothing.\n"""\n',
            "config.py": '"""Settings.\n\nMay import: qhost.errors.\n"""\nfrom qhost import errors\n',
            "jobs/__init__.py": '"""Jobs.\n\nMay import:\nqhost.errors.\n"""\n',
            "jobs/spec.py": "from qhost.errors import E\n\ndef f():\n    from qhost.config import x\n",
        },
    )
    rules = layers.docstring_rules(src)
    assert rules == {
        "qhost": ["qhost.*"],
        "qhost.config": ["qhost.errors"],
        "qhost.errors": [],
        "qhost.jobs": ["qhost.errors"],
    }
    edges = layers.room_edges(layers.import_graph(src), layers.packages(src))
    assert layers.docstring_breaches(edges, rules) == [
        "qhost.jobs.spec -> qhost.config (May import of qhost.jobs: qhost.errors)"
    ]


def test_docstring_rule_fails_on_a_room_with_no_line_and_on_a_name_that_is_no_room(tmp_path: Path) -> None:
    src = _package(
        tmp_path,
        {
            "__init__.py": '"""Root; may import anything (prose does not count)."""\n',
            "jobs/__init__.py": '"""Jobs.\n\nMay import: qhost.erors.\n"""\n',
        },
    )
    rules = layers.docstring_rules(src)
    assert layers.docstring_breaches({}, rules) == ["qhost: no 'May import:' line in its docstring"]
    assert layers.unknown_names(rules, layers.rooms(src)) == ["qhost.jobs: qhost.erors"]


def test_docstring_rule_fails_on_a_line_that_allows_a_higher_room_or_a_door() -> None:
    rules: dict[str, list[str] | None] = {
        "qhost.protocols": ["qhost.jobs", "qhost.server"],
        "qhost.thrift": ["qhost.doorway", "qhost.client"],
        "qhost.engine.local": ["qhost.engine"],
        "qhost.cli": ["qhost.*"],
    }
    assert layers.rules_against_layers(rules) == [
        "qhost.protocols: May import names qhost.server, which is not below it",
        "qhost.thrift: May import names qhost.client, which is not below it",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("May import: qhost.errors.\nMay import: qhost.jobs.", "2 'May import:' lines"),
        ("May import: qhost.errors and flask.", "not a room of qhost"),
    ],
)
def test_docstring_rule_refuses_a_line_it_cannot_read(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        layers.may_import(text)


def test_a_starred_name_allows_the_room_and_the_rooms_inside_it_only() -> None:
    assert layers.allows(["qhost.engine.*"], "qhost.engine")
    assert layers.allows(["qhost.engine.*"], "qhost.engine.local")
    assert not layers.allows(["qhost.engine.*"], "qhost.engines")
    assert not layers.allows(["qhost.engine"], "qhost.engine.local")
