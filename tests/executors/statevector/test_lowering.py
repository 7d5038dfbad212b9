"""The lowering (circuit → op list) checked by applying the ops with the numpy reference."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.quantum_info import Statevector

from qhost.errors import InvalidCircuit
from qhost.executors.statevector.fusion import plan_fusion
from qhost.executors.statevector.lowering import ParamOp, lower_circuit
from qhost.executors.statevector.ops import DENSE, DIAGONAL, PERMUTATION


def _infidelity(a: np.ndarray, b: np.ndarray) -> float:
    return 1.0 - abs(np.vdot(a, b)) ** 2


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("max_fused", [0, 2, 4, 5])
def test_random_circuit_matches_statevector(ref, circuits, seed, max_fused):
    qc = circuits.random_circuit(7, 90, seed)
    psi = ref.run_ops(lower_circuit(qc).bind(max_fused=max_fused), 7)
    assert _infidelity(Statevector(qc).data, psi) < 1e-10


@pytest.mark.parametrize("max_fused", [0, 4])
def test_parameter_sets_bound_from_one_lowering(ref, circuits, rng, max_fused):
    qc = circuits.param_circuit(5)
    lowered = lower_circuit(qc)
    table = rng.uniform(-np.pi, np.pi, (25, qc.num_parameters))
    worst = 0.0
    for row, ops in zip(table, lowered.bind_all(table, max_fused=max_fused), strict=True):
        expected = Statevector(qc.assign_parameters(dict(zip(qc.parameters, row, strict=True)))).data
        worst = max(worst, _infidelity(expected, ref.run_ops(ops, 5)))
    assert worst < 1e-10


def test_vectorised_and_generic_parameter_matrices_agree(rng):
    theta, phi = Parameter("a"), Parameter("b")
    qc = QuantumCircuit(2)
    qc.u(theta, phi, 2 * theta, 0)
    qc.crx(theta - phi, 0, 1)
    lowered = lower_circuit(qc)
    table = rng.uniform(-3, 3, (6, 2))
    for op in lowered.ops:
        assert isinstance(op, ParamOp)
        fast = op.matrices(lowered.parameters, table)
        generic = np.stack([op.matrix_for(v) for v in op.values(lowered.parameters, table)])
        np.testing.assert_allclose(fast, generic, atol=1e-12)


@pytest.mark.parametrize(
    ("gate", "kind", "ncontrols"),
    [
        ("z", DIAGONAL, 0),
        ("t", DIAGONAL, 0),
        ("rz", DIAGONAL, 0),
        ("cz", DIAGONAL, 1),
        ("cp", DIAGONAL, 1),
        ("rzz", DIAGONAL, 0),
        ("ccz", DIAGONAL, 2),
        ("x", PERMUTATION, 0),
        ("y", PERMUTATION, 0),
        ("cx", PERMUTATION, 1),
        ("swap", PERMUTATION, 0),
        ("iswap", PERMUTATION, 0),
        ("ccx", PERMUTATION, 2),
        ("cswap", PERMUTATION, 1),
        ("h", DENSE, 0),
        ("sx", DENSE, 0),
        ("crx", DENSE, 1),
        ("rxx", DENSE, 0),
    ],
)
def test_fast_path_classification(gate, kind, ncontrols):
    qc = QuantumCircuit(3)
    args = {"rz": (0.3,), "cp": (0.3,), "rzz": (0.3,), "crx": (0.3,), "rxx": (0.3,)}.get(gate, ())
    nq = {
        "cz": 2,
        "cp": 2,
        "rzz": 2,
        "ccz": 3,
        "cx": 2,
        "swap": 2,
        "iswap": 2,
        "ccx": 3,
        "cswap": 3,
        "crx": 2,
        "rxx": 2,
    }.get(gate, 1)
    getattr(qc, gate)(*args, *range(nq))
    (op,) = lower_circuit(qc).bind()
    assert (op.kind, len(op.controls)) == (kind, ncontrols)


def test_symbolic_rotation_keeps_its_fast_path():
    qc = QuantumCircuit(2)
    qc.rz(Parameter("a"), 0)
    qc.cp(Parameter("b"), 0, 1)
    kinds = [(op.kind, op.controls) for op in lower_circuit(qc).ops]
    assert kinds == [(DIAGONAL, ()), (DIAGONAL, (0,))]


def test_open_control_values_are_kept(ref):
    from qiskit.circuit.library import XGate

    qc = QuantumCircuit(3)
    qc.h(0)
    qc.append(XGate().control(2, ctrl_state="01"), [0, 1, 2])
    ops = lower_circuit(qc).bind()
    assert ops[-1].control_values == (1, 0)
    assert _infidelity(Statevector(qc).data, ref.run_ops(ops, 3)) < 1e-12


def test_fused_ops_respect_the_width(circuits):
    ops = lower_circuit(circuits.random_circuit(8, 120, 3)).bind(max_fused=3)
    original = max(len(op.qubits) for op in lower_circuit(circuits.random_circuit(8, 120, 3)).bind())
    assert max(len(op.qubits) for op in ops) <= max(3, original)


def test_diagonal_layers_fuse_into_one_diagonal():
    qc = QuantumCircuit(3)
    qc.rz(0.1, 0)
    qc.cz(0, 1)
    qc.t(2)
    qc.cp(0.4, 1, 2)
    (op,) = lower_circuit(qc).bind(max_fused=3)
    assert op.kind == DIAGONAL and op.targets == (0, 1, 2)


def test_permutations_fuse_into_a_permutation(ref):
    qc = QuantumCircuit(3)
    qc.x(1)
    qc.cx(0, 1)
    qc.cx(2, 1)  # b1 ^= 1 ^ b0 ^ b2: self-inverse
    qc.s(2)
    ops = lower_circuit(qc).bind(max_fused=3)
    assert [op.kind for op in ops] == [PERMUTATION]
    assert _infidelity(Statevector(qc).data, ref.run_ops(ops, 3)) < 1e-12


def test_a_fused_cycle_goes_the_dense_way(ref):
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.ry(0.3, 1)
    qc.barrier()
    qc.cx(0, 1)
    qc.cx(1, 0)  # together a 3-cycle of basis states: not self-inverse
    lowered = lower_circuit(qc)
    ops = lowered.bind(max_fused=2)
    assert [op.kind for op in lowered.bind(max_fused=0)][-2:] == [PERMUTATION, PERMUTATION]
    assert ops[-1].kind == DENSE
    assert _infidelity(Statevector(qc).data, ref.run_ops(ops, 2)) < 1e-12


@pytest.mark.parametrize("seed", range(4))
def test_every_permutation_op_is_self_inverse(circuits, seed):
    ops = lower_circuit(circuits.random_circuit(6, 120, seed)).bind(max_fused=4)
    perms = [op.perm for op in ops if op.kind == PERMUTATION]
    assert perms, "the random circuits should exercise the permutation path"
    for perm in perms:
        assert np.array_equal(perm[perm], np.arange(len(perm)))


def test_fusion_plan_depends_on_structure_only(circuits):
    lowered = lower_circuit(circuits.param_circuit(4))
    plan = plan_fusion(lowered.ops, 4)
    assert plan.num_ops == len(lowered.ops)
    assert sorted(i for members, _ in plan.groups for i in members) == list(range(len(lowered.ops)))


def test_terminal_and_mid_circuit_measurements_are_split():
    qc = QuantumCircuit(2, 3)
    qc.h(0)
    qc.measure(0, 0)
    qc.x(0)
    qc.measure(0, 1)
    qc.measure(1, 2)
    lowered = lower_circuit(qc)
    assert [op.kind for op in lowered.ops] == [DENSE, "measure", PERMUTATION]
    assert lowered.final_measure == [(0, 1), (1, 2)]


def test_control_flow_is_refused_with_the_supported_list():
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(0)
    with pytest.raises(InvalidCircuit, match="not supported by the cuStateVec executor; supported"):
        lower_circuit(qc)


def test_keep_compacts_idle_qubits(ref):
    qc = QuantumCircuit(10)
    qc.h(3)
    qc.cx(3, 7)
    qc.rz(0.2, 9)
    lowered = lower_circuit(qc, keep=[3, 7, 9])
    expected = QuantumCircuit(3)
    expected.h(0)
    expected.cx(0, 1)
    expected.rz(0.2, 2)
    assert lowered.num_qubits == 3 and lowered.physical == (3, 7, 9)
    assert _infidelity(Statevector(expected).data, ref.run_ops(lowered.bind(), 3)) < 1e-12
