"""The instruction sets executors pass over are defined once and imported, not copied."""

from __future__ import annotations

import ast
from pathlib import Path

from qhost.executors.instructions import COUNTS_NEUTRAL, DIRECTIVES, NO_OPS

SRC = Path(__file__).resolve().parents[2] / "src" / "qhost"


def test_each_set_extends_the_one_before_by_what_its_docstring_names() -> None:
    assert DIRECTIVES == {"barrier", "delay"}
    assert COUNTS_NEUTRAL - DIRECTIVES == {"global_phase"}
    assert NO_OPS - COUNTS_NEUTRAL == {"id", "i"}


def test_no_module_defines_an_instruction_set_of_its_own() -> None:
    """A set literal of two or more names, all of them passed-over ones, outside ``instructions.py``."""
    copies = []
    for path in SRC.rglob("*.py"):
        if path.name == "instructions.py" or "gen" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = {e.value for e in getattr(node, "elts", []) if isinstance(e, ast.Constant)}
            if isinstance(node, ast.Set) and len(names) >= 2 and names <= NO_OPS:
                copies.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert copies == []
