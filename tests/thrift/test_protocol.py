"""``qhost.protocols.thrift``: circuit struct → QASM, validation, counts. Pure functions, no sockets."""

from __future__ import annotations

import pytest
from qiskit import QuantumCircuit, qasm2

from qhost.errors import CircuitTooLarge, InvalidCircuit, InvalidOption
from qhost.protocols import thrift as proto
from qhost.protocols.thrift_gen import ttypes as tt


def op(name: str, qubits: list[str], clbits: list[str] = (), params: list[float] = (), definition=None):  # type: ignore[assignment]
    return tt.Instruction(
        op=tt.Operation(
            name=name,
            num_qubits=len(qubits),
            num_clbits=len(clbits),
            params=list(params),
            definition=definition,
        ),
        qubits=[tt.Qubit(q) for q in qubits],
        clbits=[tt.Clbit(c) for c in clbits],
    )


def circuit(data: list, qubits: tuple[str, ...] = ("a", "b"), clbits: tuple[str, ...] = ("c0", "c1")):  # type: ignore[type-arg]
    return tt.QuantumCircuit(
        qubits=[tt.Qubit(q) for q in qubits], clbits=[tt.Clbit(c) for c in clbits], data=data
    )


def test_bell_struct_becomes_qasm_that_qiskit_parses():
    data = [op("h", ["a"]), op("cx", ["a", "b"]), op("measure", ["b"], ["c1"])]
    qasm = proto.qasm_from_struct(circuit(data))
    parsed = qasm2.loads(qasm)
    assert [i.operation.name for i in parsed.data] == ["h", "cx", "measure"]
    assert parsed.find_bit(parsed.data[2].clbits[0]).index == 1


def test_qrisp_spellings_and_bookkeeping_ops_are_translated():
    data = [
        op("qb_alloc", ["a"]),
        op("s_dg", ["a"]),
        op("t_dg", ["b"]),
        op("gphase", ["a"], params=[0.3]),
        op("u3", ["a"], params=[0.1, 0.2, 0.3]),
        op("qb_dealloc", ["b"]),
    ]
    qasm = proto.qasm_from_struct(circuit(data))
    assert [i.operation.name for i in qasm2.loads(qasm).data] == ["sdg", "tdg", "u3"]


def test_definition_becomes_a_gate():
    inner = circuit([op("h", ["x"]), op("cx", ["x", "y"])], qubits=("x", "y"), clbits=())
    qasm = proto.qasm_from_struct(circuit([op("bellprep", ["b", "a"], definition=inner)]))
    parsed = qasm2.loads(qasm)
    assert parsed.data[0].operation.definition.count_ops() == {"h": 1, "cx": 1}
    assert [parsed.find_bit(q).index for q in parsed.data[0].qubits] == [1, 0]


def test_unknown_qubit_reference_names_the_instruction():
    with pytest.raises(InvalidCircuit, match=r"instruction 1 \(cx\): qubit 'z' is not one of the circuit's"):
        proto.qasm_from_struct(circuit([op("h", ["a"]), op("cx", ["a", "z"])]))


def test_unknown_clbit_reference_is_refused():
    with pytest.raises(InvalidCircuit, match=r"clbit 'c9' is not one of the circuit's 2 clbits"):
        proto.qasm_from_struct(circuit([op("measure", ["a"], ["c9"])]))


def test_unknown_operation_lists_the_supported_ones():
    with pytest.raises(InvalidCircuit, match=r"unsupported operation 'frobnicate'; supported: \[.*'cx'"):
        proto.qasm_from_struct(circuit([op("frobnicate", ["a"])]))


def test_wrong_arity_and_parameters_are_refused():
    with pytest.raises(InvalidCircuit, match=r"needs 2 qubit\(s\) and 0 clbit\(s\), got 1 and 0"):
        proto.qasm_from_struct(circuit([op("cx", ["a"])]))
    with pytest.raises(InvalidCircuit, match=r"takes 1 parameter\(s\), got 0"):
        proto.qasm_from_struct(circuit([op("rz", ["a"])]))


def test_non_finite_parameter_is_refused():
    with pytest.raises(InvalidCircuit, match="parameter nan is not a finite number"):
        proto.qasm_from_struct(circuit([op("rz", ["a"], params=[float("nan")])]))


def test_repeated_qubit_and_duplicate_identifiers_are_refused():
    with pytest.raises(InvalidCircuit, match="the same qubit appears twice"):
        proto.qasm_from_struct(circuit([op("cx", ["a", "a"])]))
    with pytest.raises(InvalidCircuit, match="duplicate qubit identifiers"):
        proto.qasm_from_struct(circuit([], qubits=("a", "a")))


def test_missing_circuit_and_empty_circuit_are_refused():
    with pytest.raises(InvalidCircuit, match="the 'qc' argument is missing"):
        proto.qasm_from_struct(None)
    with pytest.raises(InvalidCircuit, match="Circuit has no qubits"):
        proto.qasm_from_struct(tt.QuantumCircuit(qubits=[], clbits=[], data=[]))


def test_instruction_limit_is_enforced():
    data = [op("x", ["a"])] * 11
    with pytest.raises(CircuitTooLarge, match=r"more than 10 instructions \(max_instructions\)"):
        proto.qasm_from_struct(circuit(data), proto.Limits(max_instructions=10))


def test_definition_nesting_limit_is_enforced():
    inner = circuit([op("x", ["x"])], qubits=("x",), clbits=())
    for _ in range(3):
        inner = circuit([op("wrap", ["x"], definition=inner)], qubits=("x",), clbits=())
    with pytest.raises(InvalidCircuit, match="nested deeper than 2"):
        proto.qasm_from_struct(inner, proto.Limits(max_depth=2))


def test_struct_from_circuit_round_trips_through_qasm():
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.rz(0.25, 1)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    back = qasm2.loads(proto.qasm_from_struct(proto.struct_from_circuit(qc, tt)))
    assert [(i.operation.name, list(i.operation.params)) for i in back.data] == [
        (i.operation.name, list(i.operation.params)) for i in qc.data
    ]


def test_counts_i32_refuses_overflow_and_probabilities():
    assert proto.counts_i32({"0": 5, "1": 7.0}) == {"0": 5, "1": 7}
    with pytest.raises(InvalidOption, match=r"Count 2147483648 for '0' does not fit i32 .*use run_qasm"):
        proto.counts_i32({"0": 2**31})
    with pytest.raises(InvalidOption, match=r"Result value 0.5 for '0' is not an integer count"):
        proto.counts_i32({"0": 0.5})


def test_counts_from_result_reads_both_program_shapes():
    assert proto.counts_from_result("run_func", '{"0 1": 3}') == {"01": 3}
    assert proto.counts_from_result("counts", '{"counts": {"11": 4}, "metadata": {}}') == {"11": 4}
