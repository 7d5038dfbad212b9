"""AerExecutor.sample / estimate: qiskit's own result types and statistics."""

from __future__ import annotations

import json

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter
from qiskit.primitives import PrimitiveResult, StatevectorSampler
from qiskit.primitives.containers import BitArray
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.primitives.containers.sampler_pub import SamplerPub
from qiskit.quantum_info import SparsePauliOp, Statevector
from qiskit_ibm_runtime import RuntimeEncoder


def two_register_circuit() -> QuantumCircuit:
    theta = Parameter("theta")
    qr = QuantumRegister(3)
    first, second = ClassicalRegister(1, "alpha"), ClassicalRegister(2, "beta")
    qc = QuantumCircuit(qr, first, second)
    qc.ry(theta, 0)
    qc.cx(0, 1)
    qc.h(2)
    qc.measure(0, first[0])
    qc.measure([1, 2], second)
    return qc


def test_sampler_pubs_with_parameters_and_two_cregs_match_statevector_sampler(aer, ideal):
    qc = two_register_circuit()
    values = [[0.4], [2.0]]
    ours = aer.sample([SamplerPub.coerce((qc, values), 4000)], ideal, seed=3)
    ref = StatevectorSampler(seed=3).run([(qc, values)], shots=4000).result()
    assert isinstance(ours, PrimitiveResult) and isinstance(ours[0].data.beta, BitArray)
    for creg in ("alpha", "beta"):
        for index in range(2):
            got = getattr(ours[0].data, creg)[index].get_counts()
            want = getattr(ref[0].data, creg)[index].get_counts()
            for key in set(got) | set(want):
                assert abs(got.get(key, 0) - want.get(key, 0)) / 4000 < 0.05


def test_sampler_result_has_requested_shots_and_shape(aer, ideal):
    qc = two_register_circuit()
    result = aer.sample([SamplerPub.coerce((qc, [[0.1], [0.2], [0.3]]), 64)], ideal, seed=1)
    assert result[0].data.alpha.shape == (3,) and result[0].data.alpha.num_shots == 64


def test_sampler_on_fake_device_applies_noise(aer, manila):
    qc = QuantumCircuit(5)
    qc.x(range(5))
    qc.measure_all()
    from qiskit import transpile

    isa = transpile(qc, manila.backend(), optimization_level=0)
    counts = aer.sample([SamplerPub.coerce(isa, 2000)], manila, seed=2)[0].data.meas.get_counts()
    assert counts["11111"] < 2000


def bound_ansatz() -> tuple[QuantumCircuit, SparsePauliOp]:
    qc = QuantumCircuit(3)
    qc.ry(0.7, 0)
    qc.cx(0, 1)
    qc.rx(1.1, 2)
    return qc, SparsePauliOp(["ZZI", "IXZ", "YII"], [0.5, -1.2, 0.3])


def test_estimator_on_ideal_matches_exact_expectation(aer, ideal):
    qc, obs = bound_ansatz()
    result = aer.estimate([EstimatorPub.coerce((qc, obs), 0.0)], ideal, seed=1)
    exact = Statevector(qc).expectation_value(obs).real
    assert abs(float(result[0].data.evs) - exact) < 1e-9 and float(result[0].data.stds) == 0.0


def test_estimator_precision_adds_gaussian_noise_of_that_size(aer, ideal):
    qc, obs = bound_ansatz()
    theta = Parameter("t")
    pqc = QuantumCircuit(3)
    pqc.ry(theta, 0)
    pqc.compose(qc, inplace=True)
    pub = EstimatorPub.coerce((pqc, obs, np.linspace(0, 1, 200).reshape(200, 1)), 0.05)
    result = aer.estimate([pub], ideal, seed=4)[0]
    exact = np.array(
        [Statevector(pqc.assign_parameters([t])).expectation_value(obs).real for t in np.linspace(0, 1, 200)]
    )
    spread = np.std(result.data.evs - exact)
    assert np.all(result.data.stds == 0.05) and 0.03 < spread < 0.07


def test_estimator_drops_idle_qubits_and_keeps_observed_ones(aer, ideal):
    qc = QuantumCircuit(6)
    qc.x(3)
    qc.h(5)
    obs = SparsePauliOp.from_sparse_list(
        [("Z", [3], 1.0), ("Z", [1], 0.5), ("X", [0], 2.0), ("X", [5], 0.25)], 6
    )
    result = aer.estimate([EstimatorPub.coerce((qc, obs), 0.0)], ideal, seed=1)
    assert abs(float(result[0].data.evs) - (-1.0 + 0.5 + 0.0 + 0.25)) < 1e-9


@pytest.mark.slow
def test_estimator_drops_idle_qubits_of_127_qubit_isa_circuits(aer, catalog):
    sherbrooke = catalog.device("fake_sherbrooke")
    qc = QuantumCircuit(127)
    qc.x(3)
    obs = SparsePauliOp.from_sparse_list([("Z", [3], 1.0), ("Z", [100], 0.5)], num_qubits=127)
    result = aer.estimate([EstimatorPub.coerce((qc, obs), 0.0)], sherbrooke, seed=1)
    assert -1.0 < float(result[0].data.evs) < 0.0  # -1 + 0.5 ideally, pulled up by noise


def test_primitive_results_encode_with_runtime_encoder(aer, ideal):
    qc, obs = bound_ansatz()
    est = aer.estimate([EstimatorPub.coerce((qc, obs), 0.0)], ideal)
    sam = aer.sample([SamplerPub.coerce(two_register_circuit().assign_parameters([0.3]), 10)], ideal)
    assert json.loads(json.dumps(est, cls=RuntimeEncoder)) and json.loads(json.dumps(sam, cls=RuntimeEncoder))


@pytest.mark.parametrize("method", ["statevector", "density_matrix"])
def test_estimator_pinned_methods_agree(method, ideal):
    from qhost.executors.aer.executor import AerExecutor

    qc, obs = bound_ansatz()
    result = AerExecutor(method=method).estimate([EstimatorPub.coerce((qc, obs), 0.0)], ideal)
    assert abs(float(result[0].data.evs) - Statevector(qc).expectation_value(obs).real) < 1e-9
