"""Trajectory draws, shot grouping, readout errors and noisy GHZ against Aer."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel, ReadoutError, depolarizing_error, thermal_relaxation_error
from scipy.stats import chisquare

from qhost.executors.sims.base import counts_from_clbit_rows
from qhost.executors.statevector.lowering import lower_circuit
from qhost.executors.statevector.ops import Op
from qhost.executors.statevector.trajectories import (
    ErrorLocation,
    NoisyProgram,
    apply_readout,
    draw_patterns,
    error_locations,
    noisy_shots,
    pattern_ops,
)


def _location(step: int, probs: list[float], before: bool = False) -> ErrorLocation:
    terms = tuple(
        (Op("diagonal", (0,), data=np.array([1, -(1**k)], dtype=complex)),) for k in range(len(probs))
    )
    return ErrorLocation(step, np.array(probs), terms, before)


@pytest.fixture(scope="module")
def manila():
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    backend = FakeManilaV2()
    return backend, NoiseModel.from_backend(backend)


def test_drawn_branches_follow_the_channel_probabilities(rng):
    locations = [_location(0, [0.7, 0.2, 0.1]), _location(1, [0.97, 0.01, 0.01, 0.01])]
    shots = 50_000
    patterns, counts = draw_patterns(locations, shots, rng)
    for j, loc in enumerate(locations):
        observed = np.bincount(np.repeat(patterns[:, j], counts), minlength=len(loc.probabilities))
        assert chisquare(observed, loc.probabilities * shots).pvalue > 1e-3


def test_grouped_shots_sum_to_the_total(rng):
    patterns, counts = draw_patterns([_location(0, [0.5, 0.5]), _location(1, [0.9, 0.1])], 12_345, rng)
    assert counts.sum() == 12_345 and len(np.unique(patterns, axis=0)) == len(patterns)


def test_no_error_locations_is_one_pattern_with_every_shot(rng):
    patterns, counts = draw_patterns([], 77, rng)
    assert patterns.shape == (1, 0) and counts.tolist() == [77]


def test_terms_are_spliced_after_gates_and_before_measurements():
    base = [[Op("matrix", (0,), data=np.eye(2))], [], [Op("measure", (0,), clbits=(0,))]]
    after, before = _location(0, [0.5, 0.5]), _location(2, [0.5, 0.5], before=True)
    ops = pattern_ops(base, [after, before], [1, 1])
    assert [op.kind for op in ops] == ["matrix", "diagonal", "diagonal", "measure"]


def test_readout_errors_follow_the_confusion_matrix(rng):
    conf = np.array([[0.95, 0.05], [0.12, 0.88]])
    shots = 40_000
    bits = np.zeros((shots, 2), dtype=np.uint8)
    bits[:, 1] = 1
    out = apply_readout(bits, {0: conf, 1: conf}, rng)
    for clbit, true in ((0, 0), (1, 1)):
        p = conf[true, 1]
        assert abs(out[:, clbit].mean() - p) < 4 * np.sqrt(p * (1 - p) / shots)


def test_manila_noise_becomes_error_locations(manila):
    backend, model = manila
    qc = transpile(QuantumCircuit(5), backend)
    qc.sx(0)
    qc.cx(0, 1)
    qc.x(2)
    qc.rz(0.1, 3)
    locations = error_locations(lower_circuit(qc), model)
    assert [len(loc.terms) for loc in locations][:1] == [
        len(model._local_quantum_errors["sx"][(0,)].circuits)
    ]
    assert len(locations) == 3 and all(abs(loc.probabilities.sum() - 1) < 1e-12 for loc in locations)


def _within_3_sigma(ours: dict[str, int], n: int, aer: dict[str, int], m: int, keys: list[str]) -> None:
    for key in keys:
        p, q = ours.get(key, 0) / n, aer.get(key, 0) / m
        sigma = np.sqrt(max(p * (1 - p), 1e-12) / n + max(q * (1 - q), 1e-12) / m)
        assert abs(p - q) <= 3 * sigma, (key, p, q, sigma)


def _run_noisy(ref, qc: QuantumCircuit, model: NoiseModel, shots: int, seed: int) -> dict[str, int]:
    program = NoisyProgram.build(lower_circuit(qc), model)
    step_ops = next(program.step_ops_all(None))
    bits, _ = noisy_shots(
        ref.NumpyState(qc.num_qubits), program, step_ops, shots, np.random.default_rng(seed), max_fused=4
    )
    return counts_from_clbit_rows(bits)


def test_noisy_ghz_on_fake_manila_matches_aer(ref, circuits, manila):
    backend, model = manila
    qc = transpile(circuits.ghz(5), backend, optimization_level=1, seed_transpiler=1)
    n, m = 20_000, 200_000
    ours = _run_noisy(ref, qc, model, n, seed=11)
    aer = AerSimulator(noise_model=model, method="density_matrix", seed_simulator=5).run(qc, shots=m).result()
    aer_counts = aer.get_counts()
    _within_3_sigma(ours, n, aer_counts, m, ["00000", "11111"])
    ghz = (ours.get("00000", 0) + ours.get("11111", 0)) / n
    ref_ghz = (aer_counts.get("00000", 0) + aer_counts.get("11111", 0)) / m
    assert abs(ghz - ref_ghz) <= 3 * np.sqrt(ghz * (1 - ghz) / n + ref_ghz * (1 - ref_ghz) / m)


def test_kraus_and_reset_error_terms_match_aer(ref, circuits):
    model = NoiseModel()
    model.add_all_qubit_quantum_error(thermal_relaxation_error(30e3, 50e3, 4e3), ["h"])  # T2 > T1: kraus
    model.add_all_qubit_quantum_error(
        depolarizing_error(0.05, 2).compose(
            thermal_relaxation_error(40e3, 30e3, 5e3).tensor(thermal_relaxation_error(40e3, 30e3, 5e3))
        ),
        ["cx"],
    )  # paulis, I/Z/reset mixtures
    model.add_all_qubit_readout_error(ReadoutError([[0.9, 0.1], [0.2, 0.8]]))
    qc = circuits.ghz(3)
    n, m = 20_000, 200_000
    ours = _run_noisy(ref, qc, model, n, seed=2)
    aer = AerSimulator(noise_model=model, method="density_matrix", seed_simulator=3).run(qc, shots=m).result()
    _within_3_sigma(ours, n, aer.get_counts(), m, ["000", "111", "001", "110"])


def test_delay_relaxation_matches_aer(ref, manila):
    """A 40 µs delay relaxes qubit 3 by its own T1/T2 (Aer's relaxation pass), not by readout error alone."""
    _, model = manila
    qc = QuantumCircuit(5, 1)
    qc.x(3)
    qc.delay(40, 3, unit="us")
    qc.measure(3, 0)
    n, m = 20_000, 200_000
    ours = _run_noisy(ref, qc, model, n, seed=7)
    aer = AerSimulator(noise_model=model, method="density_matrix", seed_simulator=9).run(qc, shots=m).result()
    _within_3_sigma(ours, n, aer.get_counts(), m, ["0", "1"])
    assert ours.get("0", 0) / n > 0.1


def test_delays_of_other_lengths_are_other_error_locations(manila):
    _, model = manila
    qc = QuantumCircuit(5)
    qc.delay(100, 3, unit="ns")
    qc.delay(40, 3, unit="us")
    qc.delay(40, 3, unit="us")
    locations = error_locations(lower_circuit(qc), model)
    assert [loc.step for loc in locations] == [0, 1, 2]
    assert locations[1].probabilities.tolist() == locations[2].probabilities.tolist()
    assert locations[0].probabilities.tolist() != locations[1].probabilities.tolist()
