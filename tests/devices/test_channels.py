"""The per-qubit-set noise builder gives the channels of Aer's ``NoiseModel.from_backend`` trimmed to
the same qubits: every error (as a superoperator), readout error, basis gate and delay relaxation, on
devices of 5, 27, 127, 133 and 156 qubits and several qubit sets; the Kraus form is the same channel."""

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
from qhost.devices.noise import error_superop, trim_noise_model

ATOL = 1e-12


@functools.cache
def _backend(name: str):  # type: ignore[no-untyped-def]
    return fake_device_classes()[name]()


@functools.cache
def _reference(name: str) -> NoiseModel:
    return NoiseModel.from_backend(_backend(name))


def _builder(name: str) -> NoiseBuilder:
    backend = _backend(name)
    return NoiseBuilder(Calibration.from_target(name, backend.target, backend.operation_names, backend.dt))


def _chain(name: str, start: int, length: int) -> list[int]:
    """``length`` connected qubits starting at ``start`` (a walk on the coupling map)."""
    graph = _backend(name).coupling_map.graph.to_undirected()
    chain = [start]
    while len(chain) < length:
        nxt = [q for q in graph.neighbors(chain[-1]) if q not in chain]
        if not nxt:
            break
        chain.append(min(nxt))
    return chain


def _keys(model: NoiseModel) -> set[tuple[str, tuple[int, ...]]]:
    return {(name, qs) for name, table in model._local_quantum_errors.items() for qs in table}


def _assert_same_channels(ours: NoiseModel, theirs: NoiseModel, *, same_terms: bool) -> None:
    assert _keys(ours) == _keys(theirs)
    for name, qs in _keys(theirs):
        mine, ref = ours._local_quantum_errors[name][qs], theirs._local_quantum_errors[name][qs]
        np.testing.assert_allclose(error_superop(mine), error_superop(ref), atol=ATOL, err_msg=f"{name}{qs}")
        if same_terms:  # Aer's own mixture: term for term
            assert len(mine.circuits) == len(ref.circuits)
            np.testing.assert_allclose(mine.probabilities, ref.probabilities, atol=ATOL)
    assert ours._local_readout_errors.keys() == theirs._local_readout_errors.keys()
    for qs, ref in theirs._local_readout_errors.items():
        np.testing.assert_array_equal(ours._local_readout_errors[qs].probabilities, ref.probabilities)
    assert sorted(ours.basis_gates) == sorted(theirs.basis_gates)
    # a trimmed model still lists every instruction of the full one; ours only those with errors here
    noisy = {name for name, _ in _keys(theirs)} | ({"measure"} if theirs._local_readout_errors else set())
    assert ours._noise_instructions == noisy and noisy <= theirs._noise_instructions
    assert ours._noise_qubits == theirs._noise_qubits


def _assert_same_delay_noise(ours: NoiseModel, theirs: NoiseModel) -> None:
    (mine,), (ref,) = ours._custom_noise_passes, theirs._custom_noise_passes
    for attr in ("_t1s", "_t2s", "_p1s"):
        np.testing.assert_array_equal(getattr(mine, attr), getattr(ref, attr))
    assert mine._dt == ref._dt


CASES = [
    ("fake_manila", 5),
    ("fake_kolkata", 27),
    ("fake_sherbrooke", 127),
    ("fake_torino", 133),
    ("fake_fez", 156),
]


@pytest.mark.slow
@pytest.mark.parametrize(("device", "num_qubits"), CASES)
def test_channels_match_from_backend_on_qubit_sets(device: str, num_qubits: int) -> None:
    assert _backend(device).num_qubits == num_qubits
    reference = _reference(device)
    builder = _builder(device)
    qubit_sets = [
        _chain(device, 0, 5),
        _chain(device, num_qubits // 2, 4),
        sorted({1, num_qubits - 1, num_qubits // 3}),  # scattered: single-qubit errors only
    ]
    if num_qubits <= 27:
        qubit_sets.append(list(range(num_qubits)))  # every qubit: the whole model
    for qubits in qubit_sets:
        theirs = trim_noise_model(reference, qubits)
        _assert_same_channels(builder.model(qubits), theirs, same_terms=True)
        _assert_same_channels(builder.model(qubits, kraus=True), theirs, same_terms=False)
    _assert_same_delay_noise(builder.model([0]), reference)


def test_kraus_errors_are_single_kraus_instructions() -> None:
    model = _builder("fake_manila").model([0, 1], kraus=True)
    for table in model._local_quantum_errors.values():
        for error in table.values():
            assert len(error.circuits) == 1 and error.circuits[0].data[0].operation.name == "kraus"


def test_gate_filter_keeps_only_the_named_gates() -> None:
    builder = _builder("fake_manila")
    model = builder.model([0, 1, 2], ["cx", "sx", "measure"])
    assert {name for name, _ in _keys(model)} == {"cx", "sx"}
    assert set(model._local_readout_errors) == {(0,), (1,), (2,)}
    full = builder.model([0, 1, 2])
    for name, qs in _keys(model):  # memoised: the same error objects in both models
        assert model._local_quantum_errors[name][qs] is full._local_quantum_errors[name][qs]


def test_built_model_gives_from_backends_counts_for_a_fixed_seed() -> None:
    """Same channels in the same terms: Aer samples identical counts (statevector trajectories)."""
    qc = QuantumCircuit(3, 3)
    qc.sx(0)
    qc.cx(0, 1)
    qc.x(2)
    qc.cx(1, 2)
    qc.delay(400, 1, unit="dt")
    qc.measure(range(3), range(3))
    sim = AerSimulator(method="statevector")
    theirs = trim_noise_model(_reference("fake_manila"), [0, 1, 2])
    ours = _builder("fake_manila").model([0, 1, 2], ["sx", "cx", "x", "measure", "delay"])
    counts = [
        sim.run(qc, shots=500, seed_simulator=11, noise_model=m).result().get_counts() for m in (theirs, ours)
    ]
    assert counts[0] == counts[1]
