"""Mid-circuit measurement, reset and Kraus branching (the shot-branching driver) against Aer."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.quantum_info import Kraus
from qiskit_aer import AerSimulator
from scipy.stats import chi2_contingency

from qhost.executors.sims.base import counts_from_clbit_rows
from qhost.executors.statevector.lowering import lower_circuit
from qhost.executors.statevector.trajectories import run_branches, sample_shots

SHOTS = 8_000


def _pvalue(a: dict[str, int], b: dict[str, int]) -> float:
    keys = sorted(set(a) | set(b))
    table = np.array([[a.get(k, 0) for k in keys], [b.get(k, 0) for k in keys]])
    return 1.0 if len(keys) == 1 else float(chi2_contingency(table).pvalue)


def _aer_counts(qc: QuantumCircuit, seed: int, method: str = "statevector") -> dict[str, int]:
    sim = AerSimulator(method=method, seed_simulator=seed)
    return sim.run(transpile(qc, sim), shots=SHOTS).result().get_counts()


def _ours(ref, qc: QuantumCircuit, seed: int, *, allow_save: bool = True) -> dict[str, int]:
    lowered = lower_circuit(qc)
    state = ref.NumpyState(lowered.num_qubits)
    state.allow_save = allow_save
    bits = sample_shots(
        state,
        lowered.bind(max_fused=4),
        lowered.final_measure,
        lowered.num_clbits,
        SHOTS,
        np.random.default_rng(seed),
    )
    return counts_from_clbit_rows(bits)


def _mid_circuit(circuits, seed: int) -> QuantumCircuit:
    qc = circuits.random_circuit(5, 40, seed, mid_measure=True)
    qc.measure(range(5), range(5))
    return qc


@pytest.mark.parametrize("seed", [1, 7, 11])
def test_mid_circuit_measure_and_reset_match_aer(ref, circuits, seed):
    qc = _mid_circuit(circuits, seed)
    assert _pvalue(_ours(ref, qc, seed), _aer_counts(qc, seed)) > 1e-3


def test_replaying_paths_without_memory_gives_the_same_distribution(ref, circuits):
    qc = _mid_circuit(circuits, 7)
    assert _pvalue(_ours(ref, qc, 3, allow_save=False), _aer_counts(qc, 4)) > 1e-3


def test_branch_counts_sum_to_the_shots(ref):
    qc = QuantumCircuit(3, 3)
    qc.h([0, 1, 2])
    qc.measure([0, 1], [0, 1])
    qc.x([0, 1])  # makes both measurements mid-circuit
    qc.reset(2)
    qc.h(2)
    lowered = lower_circuit(qc)
    seen: list[int] = []
    run_branches(
        ref.NumpyState(3), lowered.bind(), 1000, np.random.default_rng(0), lambda n, path: seen.append(n)
    )
    assert sum(seen) == 1000 and len(seen) == 8


def test_kraus_branches_are_norm_weighted(ref):
    gamma = 0.3
    k0 = np.array([[1, 0], [0, np.sqrt(1 - gamma)]])
    k1 = np.array([[0, np.sqrt(gamma)], [0, 0]])
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.append(Kraus([k0, k1]), [0])
    qc.append(Kraus([k0, k1]), [1])
    qc.h(1)
    qc.measure([0, 1], [0, 1])
    assert _pvalue(_ours(ref, qc, 5), _aer_counts(qc, 6, "density_matrix")) > 1e-3
