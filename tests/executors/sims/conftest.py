"""Fixtures for the extra simulators: the ideal device and Aer reference counts."""

from __future__ import annotations

import pytest
from qiskit import QuantumCircuit

from qhost.catalog import Device


@pytest.fixture
def ideal() -> Device:
    return Device("ideal", 30)


@pytest.fixture
def aer_counts():
    return _aer_counts


@pytest.fixture
def distance():
    return _distance


def _aer_counts(circuit: QuantumCircuit, shots: int, seed: int = 7) -> dict[str, int]:
    """Reference counts from qiskit-aer's statevector method."""
    from qiskit import transpile
    from qiskit_aer import AerSimulator

    sim = AerSimulator(method="statevector", seed_simulator=seed)
    return sim.run(transpile(circuit, sim), shots=shots).result().get_counts()


def _distance(a: dict[str, int], b: dict[str, int]) -> float:
    """Total variation distance between two count dictionaries (keys without spaces)."""
    a = {k.replace(" ", ""): v for k, v in a.items()}
    b = {k.replace(" ", ""): v for k, v in b.items()}
    na, nb = sum(a.values()), sum(b.values())
    return 0.5 * sum(abs(a.get(k, 0) / na - b.get(k, 0) / nb) for k in set(a) | set(b))
