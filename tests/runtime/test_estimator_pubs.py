"""Idle-qubit reduction of Estimator observables and IBM's per-PUB shots (pure functions)."""

from __future__ import annotations

import pytest
from qiskit import QuantumCircuit
from qiskit.primitives.containers.estimator_pub import EstimatorPub

from qhost.programs.estimator_pubs import estimator_shots, reduce_idle_qubits, twirling_split


def pub(observable: object, n: int = 4) -> EstimatorPub:
    circuit = QuantumCircuit(n)
    circuit.h(0)
    circuit.cx(0, 1)  # qubits 2 and 3 idle
    return EstimatorPub.coerce((circuit, observable))


def terms(p: EstimatorPub) -> dict[str, float]:
    return {k: round(v, 12) for k, v in p.observables.tolist().items()}


def test_x_or_y_on_an_idle_qubit_zeroes_the_term_and_z_drops_out() -> None:
    reduced = reduce_idle_qubits(pub({"XIZZ": 2.0, "IZXX": 3.0, "YIII": 5.0}))
    assert terms(reduced) == {"IIXX": 3.0}


def test_projectors_on_idle_qubits_weigh_their_zero_state_expectation() -> None:
    reduced = reduce_idle_qubits(pub({"0+ZZ": 1.0, "1IZZ": 7.0}))
    assert terms(reduced) == {"IIZZ": 0.5}


def test_an_observable_that_vanishes_keeps_one_exactly_zero_term() -> None:
    reduced = reduce_idle_qubits(pub({"XXXX": 1.0}))
    assert terms(reduced) == {"IXII": 1.0}  # X on idle qubit 2: expectation exactly 0, one extra qubit


def test_circuits_without_idle_qubits_are_untouched() -> None:
    original = pub({"ZZ": 1.0}, n=2)
    assert reduce_idle_qubits(original) is original


@pytest.mark.parametrize(
    ("options", "level", "shots"),
    [
        ({}, 0, 4096),
        ({}, 1, 4096),  # 32 x 128
        (
            {"twirling": {"enable_gates": True, "num_randomizations": 10, "shots_per_randomization": 100}},
            0,
            1000,
        ),
        ({"twirling": {"enable_measure": False}}, 1, 4096),
        ({"twirling": {"enable_gates": True, "num_randomizations": 3}}, 0, 4098),  # 3 x ceil(4096/3)
    ],
)
def test_estimator_shots_follow_ibm(options: dict, level: int, shots: int) -> None:
    assert estimator_shots(0.015625, options, level) == shots


def test_twirling_off_means_no_split() -> None:
    assert twirling_split({"twirling": {"enable_measure": False}}, 100, 0) is None
