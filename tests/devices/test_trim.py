"""Trimming a noise model onto a compacted circuit's qubits keeps each qubit's own channels, delays too."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel

from qhost.devices import fake_device_classes
from qhost.devices.calibration import Calibration
from qhost.devices.channels import NoiseBuilder
from qhost.devices.noise import trim_noise_model

QUBIT = 3
"""A fake_manila qubit whose T1 differs from qubit 0's (its index on a one-qubit compacted circuit)."""


@functools.cache
def _backend():  # type: ignore[no-untyped-def]
    return fake_device_classes()["fake_manila"]()


def _ours() -> NoiseModel:
    backend = _backend()
    cal = Calibration.from_target("fake_manila", backend.target, backend.operation_names, backend.dt)
    return NoiseBuilder(cal).model([0, QUBIT])


def _excited_after_delay(circuit_qubits: int, qubit: int, model: NoiseModel) -> float:
    """P(|1⟩) of ``qubit`` after X and a 40 µs delay (exact: density matrix, no readout)."""
    qc = QuantumCircuit(circuit_qubits)
    qc.x(qubit)
    qc.delay(40, qubit, unit="us")
    qc.save_probabilities([qubit])
    result = AerSimulator(method="density_matrix").run(qc, noise_model=model).result()
    return float(result.data()["probabilities"][1])


def test_the_fixture_qubit_relaxes_unlike_qubit_zero() -> None:
    props = _backend().target.qubit_properties
    assert abs(props[QUBIT].t1 - props[0].t1) > 0.2 * props[0].t1


@pytest.mark.parametrize("source", ["qhost", "from_backend"])
def test_a_compacted_qubit_relaxes_like_its_physical_qubit(source: str) -> None:
    model = _ours() if source == "qhost" else NoiseModel.from_backend(_backend())
    full = _excited_after_delay(5, QUBIT, trim_noise_model(model, [0, QUBIT]))
    compact = _excited_after_delay(1, 0, trim_noise_model(model, [QUBIT], remap={QUBIT: 0}))
    assert full < 0.9  # the delay did relax it
    np.testing.assert_allclose(compact, full, atol=1e-12)


def test_remapped_relaxation_lists_the_kept_qubits_in_their_new_order() -> None:
    model = _ours()
    (original,) = model._custom_noise_passes
    (renumbered,) = trim_noise_model(model, [0, QUBIT], remap={QUBIT: 0, 0: 1})._custom_noise_passes
    np.testing.assert_array_equal(renumbered._t1s, [original._t1s[QUBIT], original._t1s[0]])
    np.testing.assert_array_equal(renumbered._t2s, [original._t2s[QUBIT], original._t2s[0]])


def test_trimming_without_remap_keeps_the_relaxation_pass() -> None:
    model = _ours()
    assert trim_noise_model(model, [QUBIT])._custom_noise_passes == model._custom_noise_passes


def test_a_remap_with_gaps_is_refused_with_its_numbers() -> None:
    with pytest.raises(ValueError, match=r"0\.\.1.*\{3: 0, 0: 2\}"):
        trim_noise_model(_ours(), [0, QUBIT], remap={QUBIT: 0, 0: 2})
