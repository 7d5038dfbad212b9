"""The executor contract, run against every executor available on this machine."""

from __future__ import annotations

import pickle

import pytest
from qhost_testkit import assert_split, bell_split
from qiskit import QuantumCircuit
from qiskit.primitives import PrimitiveResult
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.primitives.containers.sampler_pub import SamplerPub
from qiskit.quantum_info import SparsePauliOp

from qhost.errors import InvalidOption
from qhost.executors import EXECUTOR_NAMES, executor_class, get_executor
from qhost.programs.runner import ExecutorRunFunc

AVAILABLE = [name for name in EXECUTOR_NAMES if executor_class(name).availability().ok]


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def test_aer_is_always_available():
    assert "aer" in AVAILABLE


@pytest.mark.parametrize("name", AVAILABLE)
def test_counts_bell_on_ideal(name, ideal):
    counts = get_executor(name).counts(bell(), 500, ideal, seed=1)
    assert sum(counts.values()) == 500
    assert_split(counts, bell_split())


@pytest.mark.parametrize("name", AVAILABLE)
def test_sample_returns_primitive_result_with_bitarrays(name, ideal):
    result = get_executor(name).sample([SamplerPub.coerce(bell(), 100)], ideal, seed=1)
    assert isinstance(result, PrimitiveResult) and result[0].data.c.num_shots == 100


@pytest.mark.parametrize("name", AVAILABLE)
def test_estimate_returns_evs_and_stds_or_refuses_clearly(name, ideal):
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    pubs = [EstimatorPub.coerce((qc, SparsePauliOp("ZZ")), 0.0)]
    try:
        result = get_executor(name).estimate(pubs, ideal)
    except InvalidOption as exc:  # counts-only executors must say so, naming EstimatorV2
        assert "EstimatorV2" in exc.message
        return
    assert abs(float(result[0].data.evs) - 1.0) < 1e-6 and float(result[0].data.stds) == 0.0


@pytest.mark.parametrize("name", AVAILABLE)
def test_unknown_option_is_refused(name):
    with pytest.raises(InvalidOption, match="Unknown option 'bogus'"):
        executor_class(name)(bogus=1)


@pytest.mark.parametrize("name", AVAILABLE)
def test_run_func_round_trips_through_pickle(name):
    func = ExecutorRunFunc(name, "ideal")
    assert pickle.loads(pickle.dumps(func)) == func and func.executor == name
