"""Run-time estimates (``qhost.executors.estimate``): from the memory model, per method, per job."""

from __future__ import annotations

from qhost.executors.estimate import CIRCUIT_OVERHEAD_S, circuit_seconds, estimated_seconds
from qhost.executors.limits import required_bytes


def test_a_noise_free_circuit_costs_one_sweep_of_its_state_per_gate() -> None:
    small, large = circuit_seconds(10, 100, 1000, noisy=False), circuit_seconds(24, 100, 1000, noisy=False)
    assert CIRCUIT_OVERHEAD_S < small < large
    # the growth is the memory model's: 2^14 times the state, the same fixed costs
    assert (large - small) / (required_bytes("statevector", 24) - required_bytes("statevector", 10)) > 0


def test_noisy_trajectories_cost_a_pass_per_shot_and_small_circuits_one_density_matrix_pass() -> None:
    trajectories = circuit_seconds(20, 50, 1000, noisy=True)
    assert trajectories > 100 * circuit_seconds(20, 50, 1000, noisy=False)
    # 3 qubits, 1000 shots > 2^3: one density-matrix pass, as Aer's automatic method picks
    assert circuit_seconds(3, 50, 1000, noisy=True) < 2 * circuit_seconds(3, 50, 1000, noisy=False)


def test_pinned_methods_are_sized_by_their_own_memory() -> None:
    assert circuit_seconds(100, 200, 1000, noisy=False) >= 1e9  # no statevector holds 100 qubits
    assert circuit_seconds(100, 200, 1000, noisy=False, method="stabilizer") < 1.0


def test_a_job_sums_its_circuits_and_scales_the_undescribed_ones() -> None:
    row = {"qubits": 127, "active": 5, "gates": 40, "shots": 100, "shape": [3]}
    one = estimated_seconds([row], noisy=True)
    assert one == round(3 * circuit_seconds(5, 40, 100, noisy=True), 3)
    assert estimated_seconds([row], 10, noisy=True) > 9 * one
    assert estimated_seconds([row], noisy=True, executor="aer_stabilizer") > 0
