"""SamplerV2 PUBs on the extra simulators: registers stay shot-aligned, parameters are bound."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter
from qiskit.primitives.containers.sampler_pub import SamplerPub

from qhost.executors.sims.ddsim import DdsimExecutor
from qhost.executors.sims.qulacs import QulacsExecutor
from qhost.executors.sims.stim import StimExecutor

ALL = [DdsimExecutor, QulacsExecutor, StimExecutor]


def executor_param(cls: type) -> object:
    """A pytest param for an executor class, skipped with the reason when its package is absent."""
    availability = cls.availability()
    marks = [] if availability.ok else [pytest.mark.skip(reason=availability.reason)]
    return pytest.param(cls, id=cls.name, marks=marks)


@pytest.mark.parametrize("cls", [executor_param(c) for c in ALL])
def test_two_registers_stay_correlated(cls, ideal):
    qc = QuantumCircuit(QuantumRegister(2), ClassicalRegister(1, "a"), ClassicalRegister(1, "b"))
    qc.h(0)
    qc.cx(0, 1)
    qc.measure(0, 0)
    qc.measure(1, 1)
    result = cls().sample([SamplerPub.coerce((qc,), shots=200)], ideal, seed=4)
    data = result[0].data
    assert data.a.num_shots == 200
    assert np.array_equal(data.a.array, data.b.array)


@pytest.mark.parametrize("cls", [executor_param(c) for c in (DdsimExecutor, QulacsExecutor)])
def test_parameter_sweep_binds_each_value(cls, ideal):
    theta = Parameter("t")
    qc = QuantumCircuit(1, 1)
    qc.rx(theta, 0)
    qc.measure(0, 0)
    pub = SamplerPub.coerce((qc, [[0.0], [np.pi]]), shots=50)
    counts = cls().sample([pub], ideal, seed=1)[0].data.c.get_counts()
    assert counts == {"0": 50, "1": 50}
    assert cls().sample([pub], ideal, seed=1)[0].data.c.shape == (2,)
