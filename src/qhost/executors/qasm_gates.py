"""Qiskit's standard gates, written by ``qasm2.dumps`` as ``gate`` definitions, read back as themselves.

OpenQASM 2's ``qelib1.inc`` lacks ``ecr``, ``rzx``, ``iswap``, ``dcx``, ``cs``, ``csdg``, ``ryy``, ``r``,
``xx_plus_yy`` and ``xx_minus_yy``, so ``qasm2.dumps`` (and Qrisp, which sends ``dumps`` of its circuit)
writes each as a ``gate`` definition. Read back with only the legacy instructions, such a gate is a custom
gate that merely shares the standard name: a device target that has ``ecr`` takes it by name, and the
transpiler cannot flip its direction ("ecr would be supported on [58, 71] if the direction was swapped").

:func:`custom_instructions` returns qiskit's ``LEGACY_CUSTOM_INSTRUCTIONS`` plus, for each such name the
program defines with the standard signature, the standard gate class, but only once the program's own
definition is checked to be that gate: a probe program holding the file's ``gate`` definitions applies
the gate at two sets of parameter values and each is compared with the standard gate's matrix, up to a
global phase (which OpenQASM 2 cannot write). A definition that differs keeps its own meaning.
"""

from __future__ import annotations

import functools
import re
from typing import Any

__all__ = ["STANDARD_EXTRA", "custom_instructions"]

_COMMENTS = re.compile(r"//[^\n]*|/\*.*?(?:\*/|\Z)", re.DOTALL)
_GATE = re.compile(
    r"\bgate\s+(?P<name>[A-Za-z_]\w*)\s*(?:\((?P<params>[^)]*)\))?\s*(?P<qubits>[^{;]*)\{(?P<body>[^}]*)\}",
    re.ASCII,
)
_QELIB = re.compile(r'\binclude\s+"qelib1\.inc"\s*;', re.ASCII)
_PROBES = ((0.3711, -1.2093, 0.8231, 2.1177), (-2.4381, 0.6619, -0.5147, 1.3303))
"""Two generic points at which a definition's matrix is compared with the standard gate's."""
_MAX_PROBE_QUBITS = 4


def _standard_extra() -> dict[str, tuple[type, int, int]]:
    from qiskit import qasm2
    from qiskit.circuit import Gate
    from qiskit.circuit.library import get_standard_gate_name_mapping

    legacy = {inst.name for inst in qasm2.LEGACY_CUSTOM_INSTRUCTIONS}
    return {
        name: (type(gate), len(gate.params), gate.num_qubits)
        for name, gate in get_standard_gate_name_mapping().items()
        if isinstance(gate, Gate) and name not in legacy and 0 < gate.num_qubits <= _MAX_PROBE_QUBITS
    }


STANDARD_EXTRA: dict[str, tuple[type, int, int]] = {}
"""Standard gate name → (class, parameter count, qubit count) for the standard gates outside the legacy
set (filled on first use: importing qiskit is deferred)."""


def custom_instructions(text: str) -> tuple[Any, ...]:
    """``custom_instructions`` for ``qasm2.loads(text)``: the legacy set plus the verified standard gates."""
    from qiskit import qasm2

    if not STANDARD_EXTRA:
        STANDARD_EXTRA.update(_standard_extra())
    source = _COMMENTS.sub(" ", text)
    blocks = list(_GATE.finditer(source))
    wanted = [m.group("name") for m in blocks if _standard_signature(m)]
    if not wanted:
        return tuple(qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    header = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n' if _QELIB.search(source) else "OPENQASM 2.0;\n"
    definitions = "\n".join(m.group(0) for m in blocks)
    verified = _verified(header + definitions, tuple(dict.fromkeys(wanted)))
    extra = []
    for name in verified:
        cls, num_params, num_qubits = STANDARD_EXTRA[name]
        extra.append(qasm2.CustomInstruction(name, num_params, num_qubits, cls))
    return (*qasm2.LEGACY_CUSTOM_INSTRUCTIONS, *extra)


def _standard_signature(match: re.Match[str]) -> bool:
    """The definition has a standard name with its parameter and qubit counts."""
    spec = STANDARD_EXTRA.get(match.group("name"))
    if spec is None:
        return False
    params = [p for p in (match.group("params") or "").split(",") if p.strip()]
    qubits = [q for q in match.group("qubits").split(",") if q.strip()]
    return len(params) == spec[1] and len(qubits) == spec[2]


@functools.lru_cache(maxsize=16)
def _verified(definitions: str, names: tuple[str, ...]) -> tuple[str, ...]:
    """The ``names`` whose definitions in ``definitions`` match the standard gate at both probe points."""
    from qiskit import qasm2
    from qiskit.quantum_info import Operator

    lines = []
    for index, name in enumerate(names):
        _, num_params, num_qubits = STANDARD_EXTRA[name]
        for probe, values in enumerate(_PROBES):
            args = f"({','.join(repr(v) for v in values[:num_params])})" if num_params else ""
            register = f"p{index}_{probe}"
            qubits = ",".join(f"{register}[{q}]" for q in range(num_qubits))
            lines.append(f"qreg {register}[{num_qubits}];\n{name}{args} {qubits};")
    try:
        circuit = qasm2.loads(
            definitions + "\n" + "\n".join(lines) + "\n",
            include_path=(),
            custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS,
        )
    except Exception:  # the real parse reports the program's errors; here nothing is verified
        return ()
    matched = []
    for index, name in enumerate(names):
        cls, num_params, _ = STANDARD_EXTRA[name]
        ops = circuit.data[index * len(_PROBES) : (index + 1) * len(_PROBES)]
        same = all(
            Operator(inst.operation).equiv(Operator(cls(*values[:num_params])))
            for inst, values in zip(ops, _PROBES, strict=True)
        )
        if same:
            matched.append(name)
    return tuple(matched)
