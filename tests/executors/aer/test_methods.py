"""Aer executors with a pinned method: registered by name, method fixed, results agree with Aer."""

from __future__ import annotations

import pytest
from qhost_testkit import assert_split, ghz_split
from qiskit import QuantumCircuit

from qhost.catalog import Catalog
from qhost.errors import InvalidCircuit, InvalidOption
from qhost.executors import EXECUTORS, executor_class
from qhost.executors.aer.methods import AerDensityMatrixExecutor, AerMpsExecutor, AerStabilizerExecutor

PINNED = {
    "aer_mps": (AerMpsExecutor, "matrix_product_state"),
    "aer_stabilizer": (AerStabilizerExecutor, "stabilizer"),
    "aer_density_matrix": (AerDensityMatrixExecutor, "density_matrix"),
}


def ghz(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure(range(n), range(n))
    return qc


@pytest.mark.parametrize("name", sorted(PINNED))
def test_registered_under_its_name(name):
    assert name in EXECUTORS
    assert executor_class(name) is PINNED[name][0]


@pytest.mark.parametrize("name", sorted(PINNED))
def test_method_is_pinned(name):
    cls, method = PINNED[name]
    result = cls().run_counts(ghz(3), 200, Catalog().device("ideal"), seed=1)
    assert result.method == method
    assert_split(result.counts, ghz_split(3))


@pytest.mark.parametrize("name", sorted(PINNED))
def test_method_option_refused(name):
    with pytest.raises(InvalidOption, match=f"Unknown option 'method' for executor '{name}'"):
        PINNED[name][0](method="statevector")


def test_stabilizer_refuses_non_clifford():
    qc = QuantumCircuit(1, 1)
    qc.t(0)
    qc.measure(0, 0)
    with pytest.raises(InvalidCircuit, match="stabilizer"):
        AerStabilizerExecutor().counts(qc, 10, Catalog().device("ideal"))


def test_mps_runs_a_wide_ghz():
    counts = AerMpsExecutor().counts(ghz(60), 20, Catalog().device("ideal"), seed=2)
    assert_split(counts, ghz_split(60))


def test_density_matrix_applies_device_noise(distance):
    catalog = Catalog()
    result = AerDensityMatrixExecutor().run_counts(ghz(2), 2000, catalog.device("fake_manila"), seed=3)
    assert result.noise is True
    assert set(result.counts) > {"00", "11"}
