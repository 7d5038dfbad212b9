"""SamplerV2 / EstimatorV2 / counts on any state-vector backend (the cuStateVec executor's plumbing).

Backend-agnostic: each function takes ``make_state(num_qubits) -> StateBackend``. The cuStateVec
executor passes its GPU :class:`~qhost.executors.custatevec.state.DeviceState`; the CPU tests pass a
numpy reference (test code only), which is how PUB shapes, broadcasting, registers and noise handling
are checked in CI without a GPU.

- Circuits are lowered once (:func:`~qhost.executors.statevector.lowering.lower_circuit`, idle qubits
  dropped); parameter sets bind matrices only (vectorised), and fusion is planned once per circuit when
  there is no noise.
- Noise: trajectories (:mod:`~qhost.executors.statevector.trajectories`).
- Estimator: exact ``<psi|P|psi>`` per parameter set for noise-free circuits without mid-circuit
  measurement; otherwise the mean over ``trajectories`` trajectories with its standard error in
  ``stds``. ``precision > 0`` adds Gaussian noise of that size (like qiskit's reference estimator).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from qhost.errors import InvalidOption

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit.primitives.containers.estimator_pub import EstimatorPub
    from qiskit.primitives.containers.sampler_pub import SamplerPub

__all__ = [
    "StateFactory",
    "estimate_pub",
    "estimator_qubits",
    "pack_bits",
    "run_counts",
    "sample_pub",
]

StateFactory = Callable[[int], Any]
"""``make_state(num_qubits) -> StateBackend``: the executor's device state (or a test's numpy one)."""


def _shots_for_sets(
    circuit: QuantumCircuit,
    keep: Sequence[int],
    table: np.ndarray | None,
    shots: int,
    noise: Any,
    make_state: StateFactory,
    rng: np.random.Generator,
    max_fused: int,
) -> list[np.ndarray]:
    """Recorded clbits ``(shots, num_clbits)`` per parameter set (lowered once, bound per set)."""
    from qhost.executors.statevector.lowering import lower_circuit
    from qhost.executors.statevector.trajectories import (
        NoisyProgram,
        apply_readout,
        noisy_shots,
        sample_shots,
    )

    lowered = lower_circuit(circuit, keep)
    program = NoisyProgram.build(lowered, noise)
    state = make_state(lowered.num_qubits)
    out = []
    if program.locations:
        for step_ops in program.step_ops_all(table):
            out.append(noisy_shots(state, program, step_ops, shots, rng, max_fused=max_fused)[0])
        return out
    for ops in lowered.bind_all(table, max_fused=max_fused):
        bits = sample_shots(state, ops, lowered.final_measure, lowered.num_clbits, shots, rng)
        bits = apply_readout(bits, program.confusions, rng)
        out.append(bits[rng.permutation(len(bits))])
    return out


def run_counts(
    circuit: QuantumCircuit,
    shots: int,
    noise: Any,
    make_state: StateFactory,
    rng: np.random.Generator,
    max_fused: int,
) -> dict[str, int]:
    """Counts of one circuit (clbit 0 rightmost, no spaces; ``{}`` without clbits, like Aer)."""
    from qhost.executors.circuits import active_qubits, counts_from_clbit_rows

    if not circuit.clbits:
        return {}
    bits = _shots_for_sets(circuit, active_qubits(circuit), None, shots, noise, make_state, rng, max_fused)[0]
    return counts_from_clbit_rows(bits)


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """``(shots, k)`` little-endian bits → ``(shots, ceil(k/8))`` big-endian bytes (BitArray layout)."""
    k = bits.shape[1]
    pad = (-k) % 8
    big = np.concatenate(
        [np.zeros((bits.shape[0], pad), dtype=np.uint8), bits[:, ::-1].astype(np.uint8)], axis=1
    )
    return np.packbits(big, axis=1)


def sample_pub(
    pub: SamplerPub, noise: Any, make_state: StateFactory, rng: np.random.Generator, max_fused: int
) -> Any:
    """One SamplerV2 PUB → ``SamplerPubResult`` (registers shot-aligned)."""
    from qiskit.primitives import SamplerPubResult
    from qiskit.primitives.containers import BitArray, DataBin

    from qhost.executors.circuits import active_qubits

    circuit, values = pub.circuit, pub.parameter_values
    table = (
        values.as_array(circuit.parameters).reshape(-1, circuit.num_parameters)
        if circuit.num_parameters
        else None
    )
    sets = _shots_for_sets(
        circuit, active_qubits(circuit), table, pub.shots, noise, make_state, rng, max_fused
    )
    shape = pub.shape
    if len(sets) < int(np.prod(shape)):  # a shaped PUB without parameters: one sample per element
        sets += [
            _shots_for_sets(
                circuit, active_qubits(circuit), None, pub.shots, noise, make_state, rng, max_fused
            )[0]
            for _ in range(int(np.prod(shape)) - len(sets))
        ]
    meas = {}
    for creg in circuit.cregs:
        positions = [circuit.find_bit(c).index for c in creg]
        packed = np.stack([pack_bits(bits[:, positions]) for bits in sets])
        meas[creg.name] = BitArray(packed.reshape(*shape, pub.shots, packed.shape[-1]), len(positions))
    return SamplerPubResult(
        DataBin(**meas, shape=shape), metadata={"shots": pub.shots, "circuit_metadata": circuit.metadata}
    )


def estimator_qubits(pub: EstimatorPub) -> list[int]:
    """Qubits an estimator PUB needs: active in the circuit or acted on by an observable."""
    from qhost.executors.circuits import active_qubits

    n = pub.circuit.num_qubits
    used = set(active_qubits(pub.circuit))
    for obs in np.ravel(np.asarray(pub.observables.tolist(), dtype=object)):
        used.update(q for label in obs for q in range(n) if label[n - 1 - q] != "I")
    return sorted(used)


def _terms(label: str, compact: dict[int, int]) -> tuple[str, tuple[int, ...]]:
    n = len(label)
    pairs = [(label[n - 1 - q], compact[q]) for q in range(n) if label[n - 1 - q] != "I"]
    bad = {c for c, _ in pairs} - set("XYZ")
    if bad:
        raise InvalidOption(
            f"Observable term {label!r} uses {sorted(bad)}; the cuStateVec executor supports "
            "Pauli terms I, X, Y, Z only"
        )
    return "".join(c for c, _ in pairs), tuple(q for _, q in pairs)


def estimate_pub(
    pub: EstimatorPub,
    noise: Any,
    make_state: StateFactory,
    rng: np.random.Generator,
    max_fused: int,
    trajectories: int,
) -> Any:
    """One EstimatorV2 PUB → ``PubResult`` with ``evs`` and ``stds`` broadcast over the PUB shape."""
    from qiskit.primitives.containers import DataBin, PubResult

    from qhost.executors.statevector.lowering import lower_circuit
    from qhost.executors.statevector.ops import UNITARY_KINDS
    from qhost.executors.statevector.trajectories import NoisyProgram

    circuit, values = pub.circuit, pub.parameter_values
    keep = estimator_qubits(pub)
    compact = {q: i for i, q in enumerate(keep)}
    lowered = lower_circuit(circuit.remove_final_measurements(inplace=False), keep)
    program = NoisyProgram.build(lowered, noise)
    table = (
        values.as_array(circuit.parameters).reshape(-1, circuit.num_parameters)
        if circuit.num_parameters
        else None
    )
    nsets = 1 if table is None else table.shape[0]
    pshape = values.shape if table is not None else ()
    shape = np.broadcast_shapes(pshape, pub.observables.shape)
    set_index = np.broadcast_to(np.arange(nsets).reshape(pshape), shape)
    observables = np.broadcast_to(_object_array(pub.observables), shape)
    labels = sorted({label for idx in np.ndindex(shape) for label in observables[idx]})
    terms = [_terms(label, compact) for label in labels]
    stochastic = bool(program.locations) or any(op.kind not in UNITARY_KINDS for op in lowered.ops)
    state = make_state(lowered.num_qubits)
    means, errs = _expectations(
        state, program, table, terms, rng, max_fused, trajectories if stochastic else 0
    )
    evs = np.zeros(shape)
    stds = np.zeros(shape)
    position = {label: i for i, label in enumerate(labels)}
    for idx in np.ndindex(shape):
        s = int(set_index[idx])
        observable = cast("dict[str, complex]", observables[idx])  # an object array's element
        items = [(position[label], coeff) for label, coeff in observable.items()]
        evs[idx] = sum(float(np.real(c)) * means[s][i] for i, c in items)
        stds[idx] = float(np.sqrt(sum((abs(c) * errs[s][i]) ** 2 for i, c in items)))
    precision = float(pub.precision or 0.0)
    if precision > 0:
        evs = rng.normal(evs, precision)
        stds = np.maximum(stds, precision)
    data = DataBin(evs=evs, stds=stds, shape=shape)
    return PubResult(
        data,
        metadata={
            "target_precision": precision,
            "circuit_metadata": circuit.metadata,
            "trajectories": trajectories if stochastic else 0,
        },
    )


def _object_array(observables: Any) -> np.ndarray:
    """An ``ObservablesArray`` as a numpy object array of ``{label: coeff}`` dicts."""
    out = np.empty(observables.shape, dtype=object)
    nested = observables.tolist()
    for idx in np.ndindex(observables.shape):
        item = nested
        for i in idx:
            item = item[i]
        out[idx] = item
    return out


def _expectations(
    state: Any,
    program: Any,
    table: np.ndarray | None,
    terms: list[tuple[str, tuple[int, ...]]],
    rng: np.random.Generator,
    max_fused: int,
    trajectories: int,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per parameter set: (mean, standard error) of every Pauli term; exact when ``trajectories == 0``."""
    from qhost.executors.statevector.trajectories import draw_patterns, fuse, pattern_ops, run_branches

    means, errs = [], []
    if not trajectories:  # exact: lowered once, fusion planned once, matrices bound per set
        for ops in program.lowered.bind_all(table, max_fused=max_fused):
            state.reset_state()
            for op in ops:
                state.apply(op)
            means.append(state.pauli_expectations(terms))
            errs.append(np.zeros(len(terms)))
        return means, errs
    for step_ops in program.step_ops_all(table):
        total = np.zeros(len(terms))
        square = np.zeros(len(terms))

        def leaf(count: int, path: Any, total: np.ndarray = total, square: np.ndarray = square) -> None:
            vals = state.pauli_expectations(terms)
            total += count * vals
            square += count * vals**2

        patterns, counts = draw_patterns(program.locations, trajectories, rng)
        for pattern, count in zip(patterns, counts, strict=True):
            ops = fuse(pattern_ops(step_ops, program.locations, pattern), max_fused)
            run_branches(state, ops, int(count), rng, leaf)
        mean = total / trajectories
        var = np.maximum(square / trajectories - mean**2, 0.0)
        means.append(mean)
        errs.append(np.sqrt(var / trajectories))
    return means, errs
