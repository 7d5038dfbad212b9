"""OpenQASM sizes and includes checked before any parser sees the text.

Qiskit's OpenQASM 2 and 3 parsers build one ``Qubit`` object per declared qubit: an 87-byte job declaring
``qreg q[10000000];`` took 24 s and +2.9 GB before anything could refuse it. ``check_qasm`` reads only the
register declarations (``qreg``/``creg``; OpenQASM 3 ``qubit[n]``/``bit[n]``, bare ``qubit``/``bit``, and
physical qubits ``$n``) with regular expressions (comments first replaced by a space, as the parsers read
them), sums them, and refuses a total
over the target's limit before anything is allocated. It also refuses every ``include`` but the two
standard libraries (``qelib1.inc``, ``stdgates.inc``, which the parsers carry built in): an ``include`` of
a server file would otherwise be read, and its first token echoed in the parser's error.

A register size must be a decimal integer literal (OpenQASM 2 requires it; an OpenQASM 3 constant
expression such as ``qubit[n]`` is refused, since its value is known only to the parser).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qhost.errors import CircuitTooLarge, InvalidCircuit
from qhost.executors.limits import MAX_QUBITS

__all__ = ["ALLOWED_INCLUDES", "MAX_DECLARED_QUBITS", "QasmSizes", "check_qasm", "qasm_row", "qasm_summary"]

MAX_DECLARED_QUBITS = max(MAX_QUBITS.values())
"""Most qubits (and clbits) any job may declare: the widest ideal method (stabilizer, 10,000 qubits).
Ideal backends and plain ``run_func`` servers use it; a device backend uses its own width for qubits."""

ALLOWED_INCLUDES = ("qelib1.inc", "stdgates.inc")
"""The only files an OpenQASM program may include (built into the parsers: nothing is read from disk)."""

_MAX_DIGITS = 12
_COMMENTS = re.compile(r"//[^\n]*|/\*.*?(?:\*/|\Z)", re.DOTALL)
_TOKENS = re.compile(  # the look-ahead lets the engine skip to candidate characters (2-3x faster)
    r"""
    (?=[qcbi$])
    (?: \b(?P<reg2>qreg|creg)\b\s*[^\s;\[]*\s*(?:\[\s*(?P<size2>[^\]]*?)\s*\])?
    | \b(?P<reg3>qubit|bit)\b\s*(?:\[\s*(?P<size3>[^\]]*?)\s*\])?
    | \$(?P<physical>\d+)
    | \b(?P<include>include)\b\s*(?:"(?P<file>[^"\n]*)")? )
    """,
    re.VERBOSE | re.DOTALL | re.ASCII,
)
_VERSION = re.compile(r"^\s*(?://[^\n]*\n\s*)*OPENQASM\s+(\d+)", re.ASCII)


@dataclass(frozen=True)
class QasmSizes:
    """What a program declares: ``qubits`` and ``clbits`` summed over its registers; ``statements`` counts its
    ``;`` outside comments (an upper bound on its gates, loops not unrolled: what run-time estimates use)."""

    qubits: int
    clbits: int
    statements: int = 0


def check_qasm(text: str, max_qubits: int = MAX_DECLARED_QUBITS, *, target: str = "") -> QasmSizes:
    """Refuse includes other than the standard libraries and declared sizes over ``max_qubits``.

    ``max_qubits`` caps the qubits; clbits are capped by ``MAX_DECLARED_QUBITS`` (or ``max_qubits`` when
    larger). ``target`` names the backend in the message. A linear scan: the text is not parsed.

    Raises:
        InvalidCircuit: an include of another file, or a register size that is not an integer literal.
        CircuitTooLarge: more declared qubits (or clbits) than the limit; the message names it.
    """
    match = _VERSION.match(text)
    qasm2 = match is not None and match.group(1) == "2"
    qubits = clbits = 0
    code = _COMMENTS.sub(" ", text)
    for token in _TOKENS.finditer(code):  # a comment separates tokens, like a space
        group = token.group
        if group("include"):
            _check_include(group("file"))
        elif group("reg2"):
            size = 1 if group("size2") is None else _size(group("size2"), group("reg2"))
            if group("reg2") == "qreg":
                qubits += size
            else:
                clbits += size
        elif group("reg3") and not qasm2:
            size = 1 if group("size3") is None else _size(group("size3"), group("reg3"))
            if group("reg3") == "qubit":
                qubits += size
            else:
                clbits += size
        elif group("physical") and not qasm2:
            qubits = max(qubits, _size(group("physical"), "$") + 1)
    _check_total(qubits, max_qubits, "qubits", target)
    _check_total(clbits, max(max_qubits, MAX_DECLARED_QUBITS), "clbits", target)
    return QasmSizes(qubits, clbits, code.count(";"))


def qasm_summary(sizes: QasmSizes, shots: int | None) -> dict[str, object]:
    """What the console's job page shows of a QASM job, kept in its ``meta["summary"]`` at submit."""
    return {"circuits": [qasm_row(sizes, shots)]}


def qasm_row(sizes: QasmSizes, shots: int | None) -> dict[str, object]:
    """One circuit's summary row: ``qubits``, ``clbits``, ``statements`` (the estimate's bound on its gates;
    the console shows no gate count for OpenQASM jobs, which it never parses), ``shots``."""
    return {"qubits": sizes.qubits, "clbits": sizes.clbits, "statements": sizes.statements, "shots": shots}


def _check_include(name: str | None) -> None:
    if name not in ALLOWED_INCLUDES:
        shown = "an include without a file name" if name is None else f"include {name[:64]!r}"
        raise InvalidCircuit(
            f"{shown} is not allowed: only {' and '.join(map(repr, ALLOWED_INCLUDES))} may be included "
            "(they are built in; no file is read)"
        )


def _size(raw: str, kind: str) -> int:
    if not raw.isdigit() or not raw.isascii():
        raise InvalidCircuit(
            f"{kind} size {raw[:32]!r} is not an integer literal: register sizes must be plain numbers "
            "(they are checked before parsing)"
        )
    if len(raw.lstrip("0")) > _MAX_DIGITS:
        return 10**_MAX_DIGITS
    return int(raw)


def _check_total(count: int, limit: int, what: str, target: str) -> None:
    if count > limit:
        where = f"backend {target}" if target else "this server"
        raise CircuitTooLarge(
            f"The circuit declares {count:,} {what}; {where} accepts at most {limit:,} {what} "
            "(checked before parsing)"
        )
