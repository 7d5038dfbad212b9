"""AerExecutor counts path: ideal and noisy devices, QASM dialects, limits, options."""

from __future__ import annotations

import pickle

import pytest
from qhost_testkit import assert_split, bell_split, ghz_split
from qiskit import QuantumCircuit
from qiskit.circuit.library import quantum_volume
from qiskit_aer import AerSimulator

from qhost.errors import CircuitTooLarge, InvalidCircuit, InvalidOption
from qhost.executors.aer.executor import AerExecutor
from qhost.executors.circuits import parse_qasm
from qhost.executors.limits import DEFAULT_SHOTS, check_shots
from qhost.programs.runner import ExecutorRunFunc, run_qasm


def test_bell_on_ideal_gives_00_and_11(aer, ideal, bell_qasm):
    counts = aer.counts(parse_qasm(bell_qasm), 1000, ideal, seed=7)
    assert sum(counts.values()) == 1000
    assert_split(counts, bell_split())


def test_noisy_ghz_on_fake_manila_shows_noise(bell_qasm, ghz5_qasm):
    result = run_qasm("fake_manila@aer", ghz5_qasm, 2000, seed=3)
    assert result.noise and sum(result.counts.values()) == 2000
    assert set(result.counts) - {"00000", "11111"}


def test_same_seed_gives_same_noisy_counts(ghz5_qasm):
    first = run_qasm("fake_manila@aer", ghz5_qasm, 500, seed=11).counts
    assert run_qasm("fake_manila@aer", ghz5_qasm, 500, seed=11).counts == first


def test_trimmed_noise_model_gives_same_counts_as_full(aer, manila):
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.measure(range(3), range(3))
    prepared = aer.prepare(qc, manila)
    assert len(prepared.active) < manila.num_qubits
    trimmed = aer.run_counts(prepared, 800, manila, seed=5)
    full = (
        AerSimulator(method=trimmed.method)
        .run(prepared.circuit, shots=800, seed_simulator=5, noise_model=manila.noise_model())
        .result()
        .get_counts()
    )
    assert trimmed.counts == full


def test_qrisp_style_qasm_with_composite_gates_runs_on_ideal(qrisp_qasm):
    counts = run_qasm("ideal@aer", qrisp_qasm, 400, seed=1).counts
    assert sum(counts.values()) == 400
    assert_split(counts, bell_split())


def test_qrisp_style_qasm_runs_on_fake_device(qrisp_qasm):
    counts = run_qasm("fake_manila@aer", qrisp_qasm, 400, seed=1).counts
    assert sum(counts.values()) == 400 and counts["00"] + counts["11"] > 300


def test_openqasm3_is_accepted():
    qasm3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\nx q[1];\nc = measure q;\n'
    assert run_qasm("ideal@aer", qasm3, 10).counts == {"10": 10}


def test_malformed_qasm_is_invalid_circuit_with_position():
    with pytest.raises(InvalidCircuit, match=r"Invalid OpenQASM 2: <input>:3,0: 'foo' is not defined"):
        parse_qasm("OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n")


def test_non_string_qasm_is_invalid_circuit():
    with pytest.raises(InvalidCircuit, match="non-empty OpenQASM"):
        run_qasm("ideal@aer", None, 10)  # type: ignore[arg-type]


def test_opaque_gate_is_refused_clearly_on_ideal():
    qasm = "OPENQASM 2.0;\nopaque magic q;\nqreg q[1];\ncreg c[1];\nmagic q[0];\nmeasure q -> c;\n"
    with pytest.raises(InvalidCircuit, match="Unsupported gate 'magic'"):
        run_qasm("ideal@aer", qasm, 10)


def test_opaque_gate_is_refused_clearly_on_fake_device():
    qasm = "OPENQASM 2.0;\nopaque magic q;\nqreg q[1];\ncreg c[1];\nmagic q[0];\nmeasure q -> c;\n"
    with pytest.raises(InvalidCircuit, match="cannot be translated for this backend"):
        run_qasm("fake_manila@aer", qasm, 10)


def test_40_qubit_statevector_is_refused_with_numbers(ideal):
    qc = QuantumCircuit(40)
    qc.h(range(40))
    qc.t(range(40))
    qc.measure_all()
    executor = AerExecutor(method="statevector", max_memory_mb=1024)
    message = r"40 qubits with method statevector \(double precision\) need 17,592,186,044,416 bytes"
    with pytest.raises(CircuitTooLarge, match=message + r".*memory limit of 1,073,741,824 bytes"):
        executor.counts(qc, 10, ideal)


def test_non_clifford_circuit_too_big_for_automatic_is_refused(ideal):
    qc = QuantumCircuit(40)
    qc.h(range(40))
    qc.t(0)
    qc.measure_all()
    with pytest.raises(CircuitTooLarge, match="40 qubits with method statevector"):
        AerExecutor(max_memory_mb=1024).counts(qc, 10, ideal)


def test_large_clifford_circuit_runs_on_stabilizer(ideal):
    qc = QuantumCircuit(60)
    qc.h(0)
    for q in range(59):
        qc.cx(q, q + 1)
    qc.measure_all()
    result = AerExecutor(max_memory_mb=1024).run_counts(qc, 100, ideal, seed=1)
    assert result.method == "stabilizer"
    assert_split(result.counts, ghz_split(60))


def test_circuit_wider_than_device_is_refused(aer, manila):
    with pytest.raises(CircuitTooLarge, match="6 qubits but device 'fake_manila' has 5"):
        aer.counts(QuantumCircuit(6, 1), 10, manila)


@pytest.mark.parametrize("shots", [0, -5, 1_000_001, 2.5, "10", True])
def test_shots_out_of_range_are_refused_naming_the_limit(shots):
    with pytest.raises(InvalidOption, match="shots must be .*1000000"):
        check_shots(shots)


def test_shots_none_means_default():
    assert check_shots(None) == DEFAULT_SHOTS == 1000


def test_multiple_cregs_are_concatenated_without_spaces(ideal, aer):
    qasm = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg a[1];\ncreg b[2];\nx q[0];\nx q[2];\n'
    qasm += "measure q[0] -> a[0];\nmeasure q[1] -> b[0];\nmeasure q[2] -> b[1];\n"
    assert aer.counts(parse_qasm(qasm), 20, ideal) == {"101": 20}


def test_unknown_option_lists_valid_ones():
    with pytest.raises(InvalidOption, match=r"Unknown option 'shots_per_day'.*valid: \['fusion_enable'"):
        AerExecutor(shots_per_day=3)


def test_invalid_method_lists_valid_ones():
    with pytest.raises(InvalidOption, match=r"Invalid method 'quantum'.*'statevector'"):
        AerExecutor(method="quantum")


def test_run_func_is_picklable_and_runs(bell_qasm):
    func = ExecutorRunFunc("aer", "ideal")
    clone = pickle.loads(pickle.dumps(func))
    assert clone == ExecutorRunFunc(executor="aer", device="ideal") and clone.backend == "ideal@aer"
    assert sum(clone(bell_qasm, 50, "token").values()) == 50


def test_quantum_volume_runs_with_pinned_statevector(ideal):
    qc = quantum_volume(6, seed=3)
    qc.measure_all()
    result = AerExecutor(method="statevector").run_counts(qc, 100, ideal, seed=1)
    assert result.method == "statevector" and sum(result.counts.values()) == 100


def test_error_superop_matches_qiskit_for_kraus_reset_and_pauli_terms():
    import numpy as np
    from qiskit.quantum_info import SuperOp
    from qiskit_aer.noise import amplitude_damping_error, depolarizing_error, thermal_relaxation_error

    from qhost.devices.noise import error_superop

    error = (
        amplitude_damping_error(0.1)
        .tensor(depolarizing_error(0.05, 1))
        .compose(thermal_relaxation_error(50e3, 40e3, 300).tensor(thermal_relaxation_error(60e3, 90e3, 300)))
    )
    assert np.allclose(error_superop(error), SuperOp(error.to_quantumchannel()).data, atol=1e-12)


def test_kraus_collapsed_noise_gives_same_counts_as_mixture(aer, manila, ghz5_qasm):
    prepared = aer.prepare(parse_qasm(ghz5_qasm), manila)
    run = AerSimulator(method="density_matrix").run
    plain = run(
        prepared.circuit, shots=700, seed_simulator=9, noise_model=manila.noise_model(prepared.active)
    )
    kraus = run(
        prepared.circuit,
        shots=700,
        seed_simulator=9,
        noise_model=manila.noise_model(prepared.active, kraus=True),
    )
    assert plain.result().get_counts() == kraus.result().get_counts()


def test_text_that_is_neither_qasm2_nor_qasm3_is_invalid_circuit():
    with pytest.raises(InvalidCircuit, match=r"Invalid OpenQASM 2: <input>:1,0: 'garbage'.*as OpenQASM 3"):
        parse_qasm("garbage text")


def test_small_circuits_run_single_threaded_large_ones_use_the_option():
    from qhost.executors.aer.executor import SMALL_CIRCUIT_QUBITS, AerExecutor

    executor = AerExecutor(max_parallel_threads=4)
    assert executor.threads_for(5) == 1
    assert executor.threads_for(SMALL_CIRCUIT_QUBITS) == 4


def test_gates_aer_lacks_are_inlined_into_an_equivalent_circuit():
    from qiskit.circuit.random import random_circuit
    from qiskit.quantum_info import Operator

    from qhost.executors.aer.inline import aer_basis, decompose_for_aer

    for seed in range(12):
        circuit = random_circuit(4, 6, seed=seed)
        inlined = decompose_for_aer(circuit)
        assert {inst.operation.name for inst in inlined.data} <= aer_basis()
        assert Operator(inlined).equiv(Operator(circuit))


def test_cached_inlining_of_library_gates_keeps_the_exact_unitary():
    from qiskit.quantum_info import Operator

    from qhost.executors.aer.inline import decompose_for_aer

    qasm = (
        'OPENQASM 2.0; include "qelib1.inc"; qreg q[5];'
        "c3sqrtx q[0],q[4],q[3],q[2]; rccx q[1],q[2],q[0]; ch q[3],q[1]; c3sqrtx q[4],q[2],q[1],q[0];"
    )
    circuit = parse_qasm(qasm)
    for _ in range(2):  # the second call takes the cached expansions
        native = decompose_for_aer(circuit)
        assert not {inst.operation.name for inst in native.data} & {"c3sx", "rccx", "ch"}
        assert abs(Operator(native).data - Operator(circuit).data).max() < 1e-9


def test_estimator_compaction_keeps_each_qubits_own_delay_relaxation(catalog) -> None:  # type: ignore[no-untyped-def]
    """Qubit 3 alone is active: the compacted circuit's qubit 0 must relax with qubit 3's T1 and T2."""
    from qiskit.primitives.containers.estimator_pub import EstimatorPub
    from qiskit.quantum_info import SparsePauliOp

    from qhost.devices.noise import trim_noise_model

    device = catalog.device("fake_manila")
    qc = QuantumCircuit(5)
    qc.x(3)
    qc.delay(40, 3, unit="us")
    observable = SparsePauliOp("IZIII")  # Z on qubit 3
    (result,) = AerExecutor(method="density_matrix").estimate([EstimatorPub.coerce((qc, observable))], device)
    exact = qc.copy()
    exact.save_expectation_value(observable, range(5))
    model = trim_noise_model(device.noise_model(), [3])
    expected = AerSimulator(method="density_matrix").run(exact, noise_model=model).result().data()
    assert float(result.data.evs) == pytest.approx(float(expected["expectation_value"]), abs=1e-9)
    assert float(result.data.evs) > -0.9  # relaxed: Z of |1> is -1
