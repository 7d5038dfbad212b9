"""The extra simulators agree with Aer on small circuits."""

from __future__ import annotations

import math

import pytest
from qhost_testkit import assert_split, ghz_split
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

from qhost.executors.sims.ddsim import DdsimExecutor
from qhost.executors.sims.qulacs import QulacsExecutor
from qhost.executors.sims.stim import StimExecutor

ALL = [DdsimExecutor, QulacsExecutor, StimExecutor]


def executor_param(cls: type) -> object:
    """A pytest param for an executor class, skipped with the reason when its package is absent."""
    availability = cls.availability()
    marks = [] if availability.ok else [pytest.mark.skip(reason=availability.reason)]
    return pytest.param(cls, id=cls.name, marks=marks)


SHOTS = 4000


def ghz(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure(range(n), range(n))
    return qc


def non_clifford() -> QuantumCircuit:
    qc = QuantumCircuit(3, 3)
    qc.rx(0.7, 0)
    qc.t(1)
    qc.h(1)
    qc.cp(1.1, 1, 2)
    qc.ry(2.2, 2)
    qc.cx(0, 2)
    qc.u(0.3, 1.2, -0.4, 0)
    qc.measure([0, 1, 2], [2, 0, 1])
    return qc


def mid_circuit() -> QuantumCircuit:
    qc = QuantumCircuit(QuantumRegister(3, "q"), ClassicalRegister(1, "a"), ClassicalRegister(2, "c"))
    qc.x(0)
    qc.h(1)
    qc.measure(0, 0)
    qc.reset(0)
    qc.cx(1, 0)
    qc.cx(0, 2)
    qc.measure([1, 2], [1, 2])
    return qc


@pytest.mark.parametrize("cls", [executor_param(c) for c in ALL])
def test_ghz_matches_aer(cls, ideal, aer_counts, distance):
    circuit = ghz(4)
    counts = cls().counts(circuit, SHOTS, ideal, seed=1)
    assert_split(counts, ghz_split(4))
    assert distance(counts, aer_counts(circuit, SHOTS)) < 0.05


@pytest.mark.parametrize("cls", [executor_param(c) for c in (DdsimExecutor, QulacsExecutor)])
def test_non_clifford_matches_aer(cls, ideal, aer_counts, distance):
    circuit = non_clifford()
    counts = cls().counts(circuit, SHOTS, ideal, seed=2)
    assert sum(counts.values()) == SHOTS
    assert distance(counts, aer_counts(circuit, SHOTS)) < 0.05


@pytest.mark.parametrize("cls", [executor_param(c) for c in ALL if c is not QulacsExecutor])
def test_mid_circuit_measure_and_reset_match_aer(cls, ideal, aer_counts, distance):
    circuit = mid_circuit()
    counts = cls().counts(circuit, SHOTS, ideal, seed=3)
    assert all(len(key) == 3 for key in counts)
    assert distance(counts, aer_counts(circuit, SHOTS)) < 0.05


@pytest.mark.parametrize("cls", [executor_param(c) for c in ALL])
def test_same_seed_same_counts(cls, ideal):
    circuit = ghz(3)
    assert cls().counts(circuit, 500, ideal, seed=11) == cls().counts(circuit, 500, ideal, seed=11)


@pytest.mark.parametrize("cls", [executor_param(c) for c in ALL])
def test_circuit_without_clbits_gives_empty_key(cls, ideal):
    qc = QuantumCircuit(2)
    qc.h(0)
    assert cls().counts(qc, 10, ideal) == {"": 10}


@pytest.mark.parametrize("cls", [executor_param(c) for c in (DdsimExecutor, QulacsExecutor)])
def test_probabilities_of_rotation(cls, ideal):
    qc = QuantumCircuit(1, 1)
    qc.ry(2 * math.asin(math.sqrt(0.2)), 0)
    qc.measure(0, 0)
    counts = cls().counts(qc, 20000, ideal, seed=5)
    assert abs(counts.get("1", 0) / 20000 - 0.2) < 0.015
