"""Named instruction variants (``measure_2``, ``reset_2``, ``measure_reset``, ``xslow``) on Aer, with their
own calibrated errors (:mod:`qhost.executors.variants`)."""

from __future__ import annotations

from typing import Any

import pytest
from qhost_testkit import assert_split
from qiskit import QuantumCircuit
from qiskit.primitives.containers.sampler_pub import SamplerPub
from qiskit_ibm_runtime.circuit import MidCircuitMeasure, MidCircuitReset
from qiskit_ibm_runtime.circuit.library import MeasureReset, XSlowGate

from qhost.catalog import Catalog
from qhost.devices.calibration import Calibration, InstructionCal
from qhost.devices.channels import NoiseBuilder
from qhost.errors import InvalidCircuit
from qhost.executors.aer.executor import AerExecutor
from qhost.executors.variants import lower_variants

SHOTS = 20_000


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog(("aer",))


def _zeros(counts: dict[str, int], bit: int) -> float:
    """The fraction of shots whose clbit ``bit`` (0 = rightmost) read 0."""
    return sum(n for key, n in counts.items() if key[-1 - bit] == "0") / sum(counts.values())


def _sample(device: Any, qc: QuantumCircuit, shots: int = SHOTS) -> dict[str, int]:
    result = AerExecutor().sample([SamplerPub.coerce(qc, shots)], device, seed=7)
    return result[0].data.c.get_counts()


def test_measure_2_has_its_own_readout_error(catalog: Catalog) -> None:
    device = catalog.device("fake_kingston")
    builder = device.noise_builder()
    assert builder is not None
    own, plain = builder.variant_readout("measure_2", 0), builder.calibration.readout[0]
    assert own is not None and own[1] > 1.5 * plain[1]  # 0.0188 vs 0.0095 on qubit 0
    qc = QuantumCircuit(1, 1)
    qc.x(0)
    qc.append(MidCircuitMeasure(), [0], [0])
    assert abs(_zeros(_sample(device, qc), 0) - own[1]) < 0.006


def test_a_qubit_measured_with_two_kinds_keeps_both_readout_errors(catalog: Catalog) -> None:
    device = catalog.device("fake_kingston")
    builder = device.noise_builder()
    assert builder is not None
    mid = builder.variant_readout("measure_2", 0)
    assert mid is not None
    qc = QuantumCircuit(1, 2)
    qc.x(0)
    qc.append(MidCircuitMeasure(), [0], [0])  # mid-circuit: measure_2's readout error
    qc.measure(0, 1)  # terminal: measure's readout error; the qubit stayed |1>
    counts = _sample(device, qc)
    assert abs(_zeros(counts, 0) - mid[1]) < 0.006
    assert abs(_zeros(counts, 1) - builder.calibration.readout[0][1]) < 0.005


def test_reset_2_resets_and_measure_reset_measures_then_resets(catalog: Catalog) -> None:
    qc = QuantumCircuit(1, 2)
    qc.x(0)
    qc.append(MidCircuitReset(), [0])
    qc.measure(0, 0)
    qc.x(0)
    qc.measure(0, 1)
    assert_split(_sample(catalog.device("fake_boston"), qc, 4000), {"10": 1.0}, stray=0.04)
    ideal = QuantumCircuit(1, 2)
    ideal.x(0)
    ideal.append(MeasureReset(), [0], [0])
    ideal.measure(0, 1)
    assert _sample(catalog.device("ideal"), ideal, 500) == {"01": 500}


def test_a_variant_without_calibration_is_refused_naming_it(catalog: Catalog) -> None:
    qc = QuantumCircuit(1, 1)
    qc.append(MeasureReset(), [0], [0])
    with pytest.raises(InvalidCircuit, match=r"fake_boston@aer: measure_reset on qubit 0 has no calibrated"):
        _sample(catalog.device("fake_boston"), qc, 10)
    slow = QuantumCircuit(1, 1)
    slow.x(0)
    slow.append(XSlowGate(), [0])
    slow.measure(0, 0)
    builder = catalog.device("fake_kingston").noise_builder()
    with pytest.raises(InvalidCircuit, match=r"fake_kingston@aer: xslow on qubit 0 has no calibration"):
        lower_variants(slow, builder, "fake_kingston@aer")


def _xslow_calibration() -> Calibration:
    """One qubit whose ``xslow`` is 60x longer and 400x worse than its ``x`` (no shipped device has one)."""
    return Calibration(
        "test_xslow",
        1,
        None,
        ("measure", "x", "xslow"),
        ((50e-6, 40e-6, 5e9),),
        {0: (0.0, 0.0)},
        (
            InstructionCal("x", True, {(0,): (32e-9, 1e-4)}),
            InstructionCal("xslow", True, {(0,): (2e-6, 0.04)}),
        ),
    )


def test_xslow_and_x_on_one_qubit_each_carry_their_own_error() -> None:
    builder = NoiseBuilder(_xslow_calibration())
    qc = QuantumCircuit(1, 1)
    qc.x(0)
    qc.append(XSlowGate(), [0])
    qc.measure(0, 0)
    lowered = lower_variants(qc, builder, "test_xslow@aer")
    names = [inst.operation.name for inst in lowered.circuit.data]
    assert names == ["x", "quantum_channel", "x", "quantum_channel", "measure"]
    channels = [inst.operation for inst in lowered.circuit.data if inst.operation.name == "quantum_channel"]
    x_error, slow_error = builder.gate_error("x", (0,)), builder.gate_error("xslow", (0,))
    assert x_error is not None and slow_error is not None and x_error != slow_error
    assert channels[0]._quantum_error == x_error and channels[1]._quantum_error == slow_error
    # the model leaves the x error on qubit 0 to the circuit (else it would apply twice)
    model = builder.model([0], variants=lowered.noise_key)
    assert "x" not in model._local_quantum_errors
    assert "x" in builder.model([0])._local_quantum_errors


def test_without_noise_the_variants_are_their_base_operations() -> None:
    qc = QuantumCircuit(1, 2)
    qc.append(XSlowGate(), [0])
    qc.append(MidCircuitMeasure(), [0], [0])
    qc.append(MidCircuitReset(), [0])
    qc.append(MeasureReset(), [0], [1])
    lowered = lower_variants(qc, None, "ideal@aer")
    assert [i.operation.name for i in lowered.circuit.data] == ["x", "measure", "reset", "measure", "reset"]
    assert lowered.noise_key is None
