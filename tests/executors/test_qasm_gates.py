"""Standard gates written by ``qasm2.dumps`` as ``gate`` definitions parse back as the standard gates."""

from __future__ import annotations

from typing import Any

import pytest
from qiskit import QuantumCircuit, qasm2
from qiskit.circuit import Gate
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.quantum_info import Operator

from qhost.executors.circuits import parse_qasm
from qhost.executors.qasm_gates import custom_instructions


def standard_gates(max_qubits: int = 2) -> list[tuple[str, Any]]:
    """Every standard gate on 1..``max_qubits`` qubits, with generic parameter values."""
    out = []
    for name, gate in sorted(get_standard_gate_name_mapping().items()):
        if isinstance(gate, Gate) and 0 < gate.num_qubits <= max_qubits:
            values = [0.41 + 0.37 * i for i in range(len(gate.params))]
            out.append((name, type(gate)(*values)))
    return out


@pytest.mark.parametrize(("name", "gate"), standard_gates(), ids=[n for n, _ in standard_gates()])
def test_every_standard_gate_comes_back_as_itself(name: str, gate: Any) -> None:
    qc = QuantumCircuit(2)
    qc.append(gate, list(range(gate.num_qubits))[::-1])  # the reversed direction too, where it has one
    back = parse_qasm(qasm2.dumps(qc))
    (inst,) = back.data
    assert inst.operation.base_class is gate.base_class
    assert inst.operation.name == name
    assert Operator(back).equiv(Operator(qc))


def test_ecr_in_both_directions_is_the_standard_ecr() -> None:
    qc = QuantumCircuit(2)
    qc.ecr(0, 1)
    qc.ecr(1, 0)
    text = qasm2.dumps(qc)
    assert "gate ecr" in text  # qelib1 has no ecr: dumps writes a definition
    back = parse_qasm(text)
    assert [inst.operation.base_class.__name__ for inst in back.data] == ["ECRGate", "ECRGate"]


def test_a_definition_that_differs_keeps_its_own_meaning() -> None:
    text = (
        'OPENQASM 2.0;\ninclude "qelib1.inc";\ngate ecr a,b { cx a,b; }\n'
        "qreg q[2];\nx q[0];\necr q[0],q[1];\n"
    )
    back = parse_qasm(text)
    assert back.data[1].operation.base_class.__name__ != "ECRGate"
    probe = QuantumCircuit(2)
    probe.x(0)
    probe.cx(0, 1)
    assert Operator(back).equiv(Operator(probe))  # the file's ecr, a cx, not IBM's ecr


def test_a_definition_with_another_signature_is_not_taken_for_the_standard_gate() -> None:
    text = 'OPENQASM 2.0;\ninclude "qelib1.inc";\ngate rzx a { h a; }\nqreg q[1];\nrzx q[0];\n'
    assert parse_qasm(text).data[0].operation.base_class.__name__ != "RZXGate"


def test_programs_without_such_definitions_use_the_legacy_set() -> None:
    assert custom_instructions('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nh q[0];\n') == tuple(
        qasm2.LEGACY_CUSTOM_INSTRUCTIONS
    )


def test_a_definition_inside_a_comment_is_not_read() -> None:
    text = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n// gate ecr a,b { s a; sx b; cx a,b; x a; }\nqreg q[1];\n'
    assert custom_instructions(text) == tuple(qasm2.LEGACY_CUSTOM_INSTRUCTIONS)


def test_standard_gates_inside_a_composite_gate_are_standard_too() -> None:
    qc = QuantumCircuit(2)
    inner = QuantumCircuit(2, name="block")
    inner.ecr(1, 0)
    inner.iswap(0, 1)
    qc.append(inner.to_gate(), [0, 1])
    back = parse_qasm(qasm2.dumps(qc))
    names = [inst.operation.base_class.__name__ for inst in back.data[0].operation.definition.data]
    assert names == ["ECRGate", "iSwapGate"]
