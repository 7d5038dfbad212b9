"""``qhost.store`` is the only room that talks SQL, and it names each table once.

Every module of ``src/qhost`` is read as an AST (module level, function-local and ``TYPE_CHECKING`` imports
alike, and ``importlib.import_module("…")`` with a literal name): outside ``qhost/store`` none may import
``sqlalchemy``, ``sqlite3`` or ``psycopg``. A table name appears as a string only in ``store/tables.py``
(JSON keys, ``__all__`` entries and docstrings that happen to spell one aside), and no string, in the store
either, reads as hand-written SQL on a table (``FROM jobs``, ``INSERT INTO console_logins`` …): the hot
SQL exists once, as ``store/schema.py``'s statements. Each rule is shown to fail on a
violation injected into a copy of the real tree.
"""

from __future__ import annotations

import ast
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from qhost.store import tables

SRC = Path(__file__).resolve().parents[2] / "src"
SQL_MODULES = ("sqlalchemy", "sqlite3", "psycopg", "psycopg2")
TABLE_NAMES = frozenset(getattr(tables, name) for name in tables.__all__)
_SQL_ON_TABLE = re.compile(
    r"\b(FROM|INTO|UPDATE|JOIN|TABLE)\s+(" + "|".join(sorted(TABLE_NAMES)) + r")\b", re.IGNORECASE
)


def _modules(package: Path) -> Iterator[tuple[str, Path]]:
    """``(path relative to the package's parent, file)`` of every module but the generated Thrift code."""
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent)
        if "gen" not in rel.parts:
            yield rel.as_posix(), path


def _in_store(rel: str) -> bool:
    return rel.startswith("qhost/store/")


def _imported(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """``(line, top-level module)`` of every import in ``tree``, wherever it stands."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.partition(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.partition(".")[0]
        elif isinstance(node, ast.Call) and _is_import_call(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield node.lineno, first.value.partition(".")[0]


def _is_import_call(func: ast.expr) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in ("import_module", "__import__")


def sql_imports(package: Path) -> list[str]:
    """``path:line module`` for each SQL import outside ``qhost/store``."""
    found = []
    for rel, path in _modules(package):
        if _in_store(rel):
            continue
        for line, module in _imported(ast.parse(path.read_text(encoding="utf-8"))):
            if module in SQL_MODULES:
                found.append(f"{rel}:{line} {module}")
    return found


def _exempt(tree: ast.AST) -> set[int]:
    """Ids of string nodes that are dict keys (JSON fields), ``__all__`` entries or docstrings."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            out.add(id(node.value))
        elif isinstance(node, ast.Dict):
            out.update(id(k) for k in node.keys if k is not None)
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            out.update(id(e) for e in ast.walk(node.value))
    return out


def table_literals(package: Path) -> list[str]:
    """``path:line text`` for each table name spelt outside ``store/tables.py``, and each string (not a
    docstring) that reads as SQL on a table: the store builds that SQL with SQLAlchemy from its ``Table``
    objects (the SQLite fast path runs the same statements compiled), so no module writes it by hand."""
    found = []
    for rel, path in _modules(package):
        if rel == "qhost/store/tables.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        exempt = _exempt(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str) or id(node) in exempt:
                continue
            if node.value in TABLE_NAMES or _SQL_ON_TABLE.search(node.value):
                found.append(f"{rel}:{node.lineno} {node.value[:60]!r}")
    return found


def test_only_the_store_imports_sql_modules() -> None:
    assert sql_imports(SRC / "qhost") == []


def test_the_store_does_import_them() -> None:
    """The walk sees the store's own imports (it would pass vacuously if it saw none)."""
    seen = {
        module
        for rel, path in _modules(SRC / "qhost")
        if _in_store(rel)
        for _line, module in _imported(ast.parse(path.read_text(encoding="utf-8")))
    }
    assert {"sqlalchemy", "sqlite3"} <= seen


def test_table_names_are_written_once() -> None:
    assert table_literals(SRC / "qhost") == []


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of ``src/qhost`` to inject violations into."""
    shutil.copytree(SRC / "qhost", tmp_path / "qhost", ignore=shutil.ignore_patterns("__pycache__", "gen"))
    return tmp_path / "qhost"


def _append(path: Path, code: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n" + code + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("module", "code", "expected"),
    [
        ("engine/engine.py", "import sqlite3", "sqlite3"),
        ("server/metrics.py", "def _f() -> None:\n    from sqlalchemy import text  # noqa", "sqlalchemy"),
        ("server/console/listing.py", "if TYPE_CHECKING:\n    import sqlalchemy.orm", "sqlalchemy"),
        ("engine/sessions.py", "import importlib\n_p = importlib.import_module('psycopg')", "psycopg"),
        ("jobs/spec.py", "from psycopg2.extras import Json", "psycopg2"),
    ],
    ids=["module-level", "function-local", "type-checking", "import_module", "psycopg2"],
)
def test_an_injected_sql_import_fails_the_check(tree: Path, module: str, code: str, expected: str) -> None:
    _append(tree / module, code)
    found = sql_imports(tree)
    assert len(found) == 1 and found[0].startswith(f"qhost/{module}:") and found[0].endswith(expected)


def test_sql_imports_inside_the_store_pass(tree: Path) -> None:
    _append(tree / "store" / "sessions.py", "import psycopg")
    assert sql_imports(tree) == []


@pytest.mark.parametrize(
    ("module", "code"),
    [
        ("engine/sessions.py", "_T = 'ibm_sessions'"),
        ("store/claims.py", "_T = 'job_runs'"),
        ("server/metrics.py", "_Q = 'SELECT count(*) FROM jobs WHERE status = ?'"),
        ("store/sqlite_fast.py", "_Q = f'UPDATE jobs SET status = {1}'"),
    ],
    ids=["name-outside-the-store", "name-inside-the-store", "sql-text", "sql-text-in-the-store"],
)
def test_an_injected_table_literal_fails_the_check(tree: Path, module: str, code: str) -> None:
    _append(tree / module, code)
    found = table_literals(tree)
    assert len(found) == 1 and found[0].startswith(f"qhost/{module}:")
