"""interface_docs/configuration.md against the Settings declaration: every setting, its variables, flag,
default and meaning, and nothing that is not declared."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qhost.config import Settings
from qhost.config.declared import env_names
from qhost.config.reference import HEADER, settings_table

PAGE = Path(__file__).resolve().parents[2] / "interface_docs" / "configuration.md"


def table_rows(text: str) -> list[str]:
    """The rows of the page's settings table (the lines after its header up to the first non-row)."""
    lines = text.splitlines()
    start = lines.index(HEADER.splitlines()[0]) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def row_problems(text: str) -> list[str]:
    """Rows the page lacks (declared, not documented) and rows it has that the declaration does not."""
    documented, declared = table_rows(text), table_rows(settings_table())
    missing = [f"missing: {row}" for row in declared if row not in documented]
    extra = [f"not declared: {row}" for row in documented if row not in declared]
    return missing + extra


def test_the_settings_table_is_the_declaration() -> None:
    problems = row_problems(PAGE.read_text(encoding="utf-8"))
    assert problems == [], "run `python -m qhost.config.reference` and paste its table:\n" + "\n".join(
        problems
    )


def test_every_setting_has_a_row_in_declaration_order() -> None:
    variables = [
        row.split("|")[1].split()[0].strip("`") for row in table_rows(PAGE.read_text(encoding="utf-8"))
    ]
    assert variables == [env_names(name, info)[0] for name, info in Settings.model_fields.items()]


def test_every_variable_the_page_names_is_declared() -> None:
    declared = {name for key, info in Settings.model_fields.items() for name in env_names(key, info)}
    named = set(re.findall(r"\b(?:QHOST|QRS)_[A-Z_]*[A-Z]\b", PAGE.read_text(encoding="utf-8")))
    assert sorted(named - declared) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda text: text.replace("| `QHOST_MAX_WAIT` |", "| `QHOST_MAX_WAITING` |"), "not declared"),
        (lambda text: text.replace("| `8` | threads running", "| `9` | threads running"), "missing"),
        (lambda text: re.sub(r"\n\| `QHOST_PROGRAMS` .*", "", text), "missing"),
    ],
    ids=["renamed-variable", "wrong-default", "dropped-row"],
)
def test_the_check_sees_a_stale_page(change: object, expected: str) -> None:
    text = change(PAGE.read_text(encoding="utf-8"))  # type: ignore[operator]
    assert any(problem.startswith(expected) for problem in row_problems(text))


def test_shown_defaults_are_the_declared_values() -> None:
    settings = Settings()
    assert "| `QHOST_MAX_SHOTS` | | `1000000` |" in settings_table()
    assert settings.max_shots == 1_000_000
    assert f"| `QHOST_PORT` (`QRS_PORT`) | `--port` | `{settings.port}` |" in settings_table()
