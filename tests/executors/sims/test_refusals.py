"""The extra simulators refuse what they cannot run, with messages that name the alternative."""

from __future__ import annotations

import pytest
from qhost_testkit import assert_split, ghz_split
from qiskit import QuantumCircuit

from qhost.catalog import Device
from qhost.errors import InvalidCircuit, InvalidOption
from qhost.executors.sims.ddsim import DdsimExecutor
from qhost.executors.sims.qulacs import QulacsExecutor
from qhost.executors.sims.stim import StimExecutor

ALL = [DdsimExecutor, QulacsExecutor, StimExecutor]


def executor_param(cls: type) -> object:
    """A pytest param for an executor class, skipped with the reason when its package is absent."""
    availability = cls.availability()
    marks = [] if availability.ok else [pytest.mark.skip(reason=availability.reason)]
    return pytest.param(cls, id=cls.name, marks=marks)


def test_stim_refuses_t_gate(ideal):
    qc = QuantumCircuit(1, 1)
    qc.t(0)
    qc.measure(0, 0)
    with pytest.raises(InvalidCircuit, match=r"gate 't' is not supported.*use 'aer'"):
        executor_param(StimExecutor).values[0]().counts(qc, 10, ideal)


@pytest.mark.parametrize("cls", [executor_param(QulacsExecutor)])
def test_qulacs_refuses_gate_after_measurement(cls, ideal):
    qc = QuantumCircuit(1, 2)
    qc.measure(0, 0)
    qc.x(0)
    qc.measure(0, 1)
    with pytest.raises(InvalidCircuit, match="terminal measurements"):
        cls().counts(qc, 10, ideal)


@pytest.mark.parametrize("cls", [executor_param(c) for c in ALL])
def test_noisy_device_refused(cls):
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    noisy = Device("fake_manila", 5, backend_class=object)  # type: ignore[arg-type]
    with pytest.raises(InvalidOption, match=f"noise-free circuits only; use 'ideal@{cls.name}'"):
        cls().counts(qc, 10, noisy)


@pytest.mark.parametrize("cls", [executor_param(c) for c in ALL])
def test_bad_shots_refused(cls, ideal):
    qc = QuantumCircuit(1, 1)
    with pytest.raises(InvalidOption, match="shots must be between 1 and"):
        cls().counts(qc, 0, ideal)


@pytest.mark.parametrize("cls", [executor_param(c) for c in ALL])
def test_estimator_refused(cls, ideal):
    with pytest.raises(InvalidOption, match="supports counts and SamplerV2 only"):
        cls().estimate([], ideal)


@pytest.mark.parametrize("cls", [executor_param(c) for c in ALL])
def test_unknown_option_refused(cls):
    with pytest.raises(InvalidOption, match="Unknown option 'method'"):
        cls(method="x")


def test_stim_handles_a_thousand_qubits(ideal):
    cls = executor_param(StimExecutor).values[0]
    if not cls.availability().ok:
        pytest.skip(cls.availability().reason)
    qc = QuantumCircuit(1000, 1000)
    qc.h(0)
    for i in range(999):
        qc.cx(i, i + 1)
    qc.measure(range(1000), range(1000))
    assert_split(cls().counts(qc, 50, ideal, seed=1), ghz_split(1000))


def test_ddsim_refuses_measuring_a_qubit_twice(ideal):
    cls = executor_param(DdsimExecutor).values[0]
    if not cls.availability().ok:
        pytest.skip(cls.availability().reason)
    qc = QuantumCircuit(1, 2)
    qc.measure(0, 0)
    qc.measure(0, 1)
    with pytest.raises(InvalidCircuit, match="cannot measure qubit 0 twice"):
        cls().counts(qc, 10, ideal)


def test_foreign_simulator_error_is_mapped_with_the_simulator_name():
    from qhost.errors import ExecutorError
    from qhost.executors.sims.base import map_simulator_errors

    with pytest.raises(ExecutorError, match=r"^ddsim failed: ValueError: boom$"):
        with map_simulator_errors("ddsim"):
            raise ValueError("boom")


def test_foreign_transpiler_error_is_an_invalid_circuit():
    from qiskit.transpiler.exceptions import TranspilerError

    from qhost.executors.sims.base import map_simulator_errors

    with pytest.raises(InvalidCircuit):
        with map_simulator_errors("qulacs"):
            raise TranspilerError("no basis")
