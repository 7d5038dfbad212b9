"""Circuit helpers: OpenQASM 2/3 parsing, active qubits, Clifford detection, counts from shots or Aer.

``parse_qasm`` reads OpenQASM 2 with qiskit's legacy qelib1 definitions (so ``rxx``, ``c3x`` … and
Qrisp's per-object composite gates such as ``gate pt2cx_140236381578448 …`` load), reads Qiskit's other
standard gates written as ``gate`` definitions (``ecr``, ``rzx``, ``iswap`` …) back as those gates once
their definitions are checked (``qhost.executors.qasm_gates``), and falls back to
OpenQASM 3 (``qiskit.qasm3.loads``, needs ``qiskit-qasm3-import``) when the text is not OpenQASM 2.
Parse errors become :class:`~qhost.errors.InvalidCircuit` carrying the parser's ``line,col`` message.
Before either parser runs, :func:`qhost.executors.qasm_limits.check_qasm` refuses includes other than
``qelib1.inc``/``stdgates.inc`` and declared registers over ``MAX_DECLARED_QUBITS`` (the doors check the
target backend's own width at submit); the parsers get no include path, so no file is ever read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from qhost.errors import InvalidCircuit, QhostError
from qhost.executors.errors import map_executor_errors
from qhost.executors.instructions import DIRECTIVES
from qhost.executors.qasm_limits import check_qasm

if TYPE_CHECKING:
    import numpy as np
    from qiskit import QuantumCircuit

__all__ = [
    "CLIFFORD_GATES",
    "active_qubits",
    "counts_from_clbit_rows",
    "format_counts",
    "gate_names",
    "is_clifford",
    "parse_qasm",
]

_VERSION = re.compile(r"^\s*(?://[^\n]*\n\s*)*OPENQASM\s+(\d+)", re.ASCII)

CLIFFORD_GATES = frozenset(
    {
        "id",
        "x",
        "y",
        "z",
        "h",
        "s",
        "sdg",
        "sx",
        "sxdg",
        "cx",
        "cy",
        "cz",
        "swap",
        "ecr",
        "pauli",
        "measure",
        "reset",
        "barrier",
        "delay",
        "save_expval",
        "save_probabilities",
        "save_statevector",
    }
)
_ROTATIONS = frozenset({"rz", "rx", "ry", "p", "u1"})


def parse_qasm(text: object) -> QuantumCircuit:
    """Parse OpenQASM 2 (legacy qelib1 gates) or, failing that, OpenQASM 3.

    Raises:
        InvalidCircuit: not a string, empty, an include other than the standard libraries, or the
            parser's error (with line and column).
        CircuitTooLarge: registers declaring more than ``MAX_DECLARED_QUBITS`` (checked before parsing).
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidCircuit("qasm must be a non-empty OpenQASM 2 or 3 string")
    check_qasm(text)
    match = _VERSION.match(text)
    version = match.group(1) if match else None
    if version == "3":
        return _load3(text)
    try:
        return _load2(text)
    except InvalidCircuit as err2:
        if version == "2":
            raise
        try:
            return _load3(text)
        except QhostError as err3:
            raise InvalidCircuit(f"{err2.message} (as OpenQASM 3: {err3.message})") from None


def _load2(text: str) -> QuantumCircuit:
    from qiskit import qasm2

    from qhost.executors.qasm_gates import custom_instructions

    try:
        with map_executor_errors():
            return qasm2.loads(text, include_path=(), custom_instructions=custom_instructions(text))
    except QhostError as exc:  # any parser failure is the user's input
        raise InvalidCircuit(f"Invalid OpenQASM 2: {exc.message.strip(chr(34))}") from None


def _load3(text: str) -> QuantumCircuit:
    from qiskit import qasm3

    try:
        with map_executor_errors():
            return qasm3.loads(text)
    except QhostError as exc:  # any parser failure is the user's input
        raise InvalidCircuit(f"Invalid OpenQASM 3: {exc.message.strip(chr(34))}") from None


def active_qubits(circuit: QuantumCircuit) -> list[int]:
    """Indices of the qubits touched by any instruction other than barrier/delay, sorted."""
    index = {bit: i for i, bit in enumerate(circuit.qubits)}
    used: set[int] = set()
    for inst in circuit.data:
        if inst.operation.name not in DIRECTIVES:
            used.update(index[q] for q in inst.qubits)
    return sorted(used)


def gate_names(circuits: Iterable[QuantumCircuit]) -> frozenset[str]:
    """The instruction names used at the top level of ``circuits`` (what device noise must cover)."""
    return frozenset(inst.operation.name for circuit in circuits for inst in circuit.data)


def is_clifford(circuit: QuantumCircuit) -> bool:
    """True when every instruction is a named Clifford gate (rotations by multiples of π/2 count)."""
    for inst in circuit.data:
        op = inst.operation
        name = op.name
        if name in CLIFFORD_GATES:
            continue
        if name in _ROTATIONS and _quarter_turn(op.params[0]):
            continue
        return False
    return True


def _quarter_turn(value: object) -> bool:
    try:
        ratio = float(value) / (math.pi / 2)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return abs(ratio - round(ratio)) < 1e-9


def format_counts(counts: dict[str, int]) -> dict[str, int]:
    """Aer counts → keys without spaces (clbit 0 rightmost; several cregs concatenated)."""
    return {key.replace(" ", ""): int(value) for key, value in counts.items()}


def counts_from_clbit_rows(rows: np.ndarray) -> dict[str, int]:
    """Counts from a ``(shots, num_clbits)`` 0/1 array; keys have clbit 0 rightmost."""
    if rows.shape[1] == 0:
        return {"": int(rows.shape[0])}
    import numpy as np

    unique, counts = np.unique(rows.astype(np.uint8), axis=0, return_counts=True)
    return {
        "".join("1" if bit else "0" for bit in row[::-1]): int(n)
        for row, n in zip(unique, counts, strict=True)
    }
