"""The executor contract, run against every registered executor.

Every executor is a parameter; one that cannot run here (custatevec without a GPU, a simulator whose package
is missing) is SKIPPED with its availability reason, never silently left out. The custatevec cases carry the
``gpu`` marker (on CI's skip allow-list); any other skip fails a CI run.
"""

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

COUNTS_ONLY = frozenset({"ddsim", "qulacs", "stim"})
"""Executors that refuse EstimatorV2 (naming it); every other executor must answer it."""
GPU_EXECUTORS = frozenset({"custatevec"})


def _param(name: str) -> object:
    """``name`` as a parameter: the ``gpu`` marker on GPU executors, skipped with the reason if unusable."""
    availability = executor_class(name).availability()
    marks = [pytest.mark.gpu] if name in GPU_EXECUTORS else []
    if not availability.ok:
        marks.append(pytest.mark.skip(reason=f"executor {name} unavailable here: {availability.reason}"))
    return pytest.param(name, marks=marks, id=name)


EXECUTORS = [_param(name) for name in EXECUTOR_NAMES]


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def test_aer_is_always_available():
    assert executor_class("aer").availability().ok


def test_every_executor_is_classified_for_estimator():
    """A new executor must be put in COUNTS_ONLY or not: refusing EstimatorV2 is never a silent pass."""
    assert COUNTS_ONLY <= set(EXECUTOR_NAMES)


@pytest.mark.parametrize("name", EXECUTORS)
def test_counts_bell_on_ideal(name, ideal):
    counts = get_executor(name).counts(bell(), 500, ideal, seed=1)
    assert sum(counts.values()) == 500
    assert_split(counts, bell_split())


@pytest.mark.parametrize("name", EXECUTORS)
def test_sample_returns_primitive_result_with_bitarrays(name, ideal):
    result = get_executor(name).sample([SamplerPub.coerce(bell(), 100)], ideal, seed=1)
    assert isinstance(result, PrimitiveResult) and result[0].data.c.num_shots == 100


@pytest.mark.parametrize("name", EXECUTORS)
def test_estimate_returns_evs_and_stds_or_refuses_clearly(name, ideal):
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    pubs = [EstimatorPub.coerce((qc, SparsePauliOp("ZZ")), 0.0)]
    if name in COUNTS_ONLY:  # counts-only executors must refuse, naming EstimatorV2
        with pytest.raises(InvalidOption, match="EstimatorV2"):
            get_executor(name).estimate(pubs, ideal)
        return
    result = get_executor(name).estimate(pubs, ideal)  # Aer & co. answer; a refusal fails here
    assert abs(float(result[0].data.evs) - 1.0) < 1e-6 and float(result[0].data.stds) == 0.0


@pytest.mark.parametrize("name", EXECUTORS)
def test_unknown_option_is_refused(name):
    with pytest.raises(InvalidOption, match="Unknown option 'bogus'"):
        executor_class(name)(bogus=1)


@pytest.mark.parametrize("name", EXECUTORS)
def test_run_func_round_trips_through_pickle(name):
    func = ExecutorRunFunc(name, "ideal")
    assert pickle.loads(pickle.dumps(func)) == func and func.executor == name
