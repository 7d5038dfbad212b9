"""Noise-model helpers: frozen models, trimming to active qubits, one-Kraus collapse, superoperators.

Device noise itself is built per job, for the qubits and gates it uses, by
:mod:`qhost.devices.channels`; the helpers here serve user-supplied models (``options.simulator.noise_model``,
trimmed and collapsed the same way) and tests (``build_noise_model`` = ``NoiseModel.from_backend``).

Aer serialises the whole noise model on every run (``NoiseModel.to_dict`` plus a JSON round trip, then
the C++ parse). For a 127-qubit device that is ~1 s per run for a 5-qubit circuit. Two cures here:

- :func:`trim_noise_model` keeps only errors acting inside the active physical qubits (optionally
  renumbering them, for circuits compacted onto fewer qubits). All-qubit (default) errors are kept.
- The trimmed model is a :class:`FrozenNoiseModel` whose ``to_dict`` result is computed once, so a
  cached model costs the JSON work only on its first run.
- :func:`kraus_noise_model` collapses every error (a mixture of up to 144 small circuits) into one
  Kraus channel. Aer's density_matrix method converts each error to a superoperator on every run; a
  single Kraus term makes that ~3x cheaper for small noisy circuits, with identical results (the
  density matrix is the same, so sampled counts for a fixed seed are the same).

Counts are unchanged by trimming: errors on idle qubits never fire (pinned by a test).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from qiskit_aer.noise import NoiseModel, QuantumError

if TYPE_CHECKING:
    from qiskit.providers import BackendV2

__all__ = [
    "FrozenNoiseModel",
    "build_noise_model",
    "error_superop",
    "freeze",
    "kraus_noise_model",
    "trim_noise_model",
]


class FrozenNoiseModel(NoiseModel):
    """A noise model that must not be changed after creation; ``to_dict`` is memoised.

    Aer calls ``to_dict(serializable=True)`` on every run; caching it saves the per-run conversion.
    Mutating a frozen model (``add_quantum_error`` …) drops the cache, so it stays correct.
    """

    _dict_cache: dict[bool, dict[str, Any]]

    def to_dict(self, serializable: bool = False) -> dict[str, Any]:
        cache = self.__dict__.setdefault("_dict_cache", {})
        if serializable not in cache:
            cache[serializable] = super().to_dict(serializable=serializable)
        return cache[serializable]

    def add_quantum_error(self, *args: Any, **kwargs: Any) -> None:
        self.__dict__.pop("_dict_cache", None)
        super().add_quantum_error(*args, **kwargs)

    def add_all_qubit_quantum_error(self, *args: Any, **kwargs: Any) -> None:
        self.__dict__.pop("_dict_cache", None)
        super().add_all_qubit_quantum_error(*args, **kwargs)

    def add_readout_error(self, *args: Any, **kwargs: Any) -> None:
        self.__dict__.pop("_dict_cache", None)
        super().add_readout_error(*args, **kwargs)

    def add_all_qubit_readout_error(self, *args: Any, **kwargs: Any) -> None:
        self.__dict__.pop("_dict_cache", None)
        super().add_all_qubit_readout_error(*args, **kwargs)


def freeze(model: NoiseModel) -> FrozenNoiseModel:
    """A :class:`FrozenNoiseModel` sharing ``model``'s (shallow-copied) error tables."""
    if isinstance(model, FrozenNoiseModel):
        return model
    frozen = FrozenNoiseModel.__new__(FrozenNoiseModel)
    frozen.__dict__.update({k: _shallow(v) for k, v in model.__dict__.items() if k != "_dict_cache"})
    return frozen


def _shallow(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: dict(v) if isinstance(v, dict) else v for k, v in value.items()}
    if isinstance(value, set | list):
        return type(value)(value)
    return value


def build_noise_model(backend: BackendV2) -> FrozenNoiseModel:
    """``NoiseModel.from_backend(backend)`` (0.13 s for Manila, 1.3 s for Sherbrooke), frozen."""
    return freeze(NoiseModel.from_backend(backend))


def trim_noise_model(
    model: NoiseModel,
    qubits: Iterable[int],
    remap: Mapping[int, int] | None = None,
) -> FrozenNoiseModel:
    """Keep only the errors whose qubits all lie in ``qubits``; optionally renumber them.

    Args:
        model: the full noise model (not modified).
        qubits: the active physical qubits of the circuit.
        remap: physical → new qubit index, for circuits compacted onto fewer qubits. Must cover
            ``qubits`` and number them ``0..len(remap)-1``.

    Returns:
        A frozen model with the same basis gates and all-qubit errors, and the local quantum and
        readout errors restricted (and renumbered) to ``qubits``; with ``remap``, the delay relaxation
        (Aer's ``RelaxationNoisePass``, one T1/T2 per qubit index) renumbered the same way.
    """
    keep = frozenset(qubits)

    def key(qs: tuple[int, ...]) -> tuple[int, ...] | None:
        if not keep.issuperset(qs):
            return None
        return tuple(remap[q] for q in qs) if remap is not None else qs

    trimmed = FrozenNoiseModel.__new__(FrozenNoiseModel)
    trimmed.__dict__.update({k: v for k, v in model.__dict__.items() if k != "_dict_cache"})
    local: dict[str, dict[tuple[int, ...], Any]] = {}
    for name, per_qubits in model._local_quantum_errors.items():
        kept = {new: err for qs, err in per_qubits.items() if (new := key(qs)) is not None}
        if kept:
            local[name] = kept
    readout = {new: err for qs, err in model._local_readout_errors.items() if (new := key(qs)) is not None}
    noise_qubits = {q for table in local.values() for qs in table for q in qs} | {
        q for qs in readout for q in qs
    }
    trimmed._local_quantum_errors = local
    trimmed._local_readout_errors = readout
    trimmed._noise_qubits = noise_qubits
    trimmed._noise_instructions = set(model._noise_instructions)
    passes = model._custom_noise_passes
    trimmed._custom_noise_passes = list(passes) if remap is None else [_renumbered(p, remap) for p in passes]
    return trimmed


def _renumbered(noise_pass: Any, remap: Mapping[int, int]) -> Any:
    """A ``RelaxationNoisePass`` whose qubit ``remap[q]`` relaxes like ``q`` did; other passes unchanged.

    Aer's pass looks up T1, T2 and the excited population by the index of the qubit an instruction acts
    on, so on a compacted circuit the old pass would give qubit ``i`` the relaxation of physical qubit
    ``i``. (A pass built with a ``target`` also reads that target's gate durations by qubit; qhost's and
    ``NoiseModel.from_backend``'s delay passes cover ``delay`` only, whose duration is its own.)
    """
    from qiskit_aer.noise.passes import RelaxationNoisePass

    if not isinstance(noise_pass, RelaxationNoisePass):
        return noise_pass
    order = sorted(remap, key=remap.__getitem__)  # physical qubits, by new index
    if [remap[q] for q in order] != list(range(len(order))):
        raise ValueError(f"remap must number the kept qubits 0..{len(order) - 1}, got {dict(remap)}")

    def pick(values: Any) -> list[float]:
        return [float(values[q]) for q in order]

    return RelaxationNoisePass(
        t1s=pick(noise_pass._t1s),
        t2s=pick(noise_pass._t2s),
        dt=noise_pass._dt,
        op_types=noise_pass._ops or None,
        excited_state_populations=pick(noise_pass._p1s),
        target=noise_pass._target,
    )


_RESET = (np.array([[1, 0], [0, 0]], dtype=complex), np.array([[0, 1], [0, 0]], dtype=complex))
_collapsed: dict[int, tuple[Any, QuantumError]] = {}
COLLAPSE_CACHE_SIZE = 20_000


def _kraus_of(op: Any) -> Sequence[np.ndarray] | None:
    """Kraus matrices of one instruction of an error circuit (``None`` for barriers)."""
    if op.name == "barrier":
        return None
    if op.name == "reset":
        return _RESET
    if op.name == "kraus":
        return [np.asarray(k, dtype=complex) for k in op.params]
    return [np.asarray(op.to_matrix(), dtype=complex)]


def _embed(mat: np.ndarray, qargs: Sequence[int], num_qubits: int) -> np.ndarray:
    if list(qargs) == list(range(num_qubits)):
        return mat
    from qiskit.quantum_info import Operator

    return Operator(np.eye(1 << num_qubits)).compose(Operator(mat), qargs=list(qargs)).data


def _op_superop(
    op: Any, qargs: Sequence[int], n: int, cache: dict[Any, np.ndarray | None]
) -> np.ndarray | None:
    """Superoperator of one instruction embedded in ``n`` qubits (memoised for parameterless ops)."""
    params = op.params
    key: tuple[Any, ...] | None
    if op.name == "kraus":
        key = None
    elif not params:
        key = (op.name, tuple(qargs))
    elif op.name == "pauli":
        key = (op.name, tuple(qargs), str(params[0]))
    else:
        key = None
    if key is not None and key in cache:
        return cache[key]
    kraus = _kraus_of(op)
    sup = (
        None
        if kraus is None
        else functools.reduce(
            operator.add, (np.kron(k.conj(), k) for k in (_embed(m, qargs, n) for m in kraus))
        )
    )
    if key is not None:
        cache[key] = sup
    return sup


def error_superop(error: QuantumError) -> np.ndarray:
    """The superoperator (qiskit's column-stacking convention) of an Aer ``QuantumError``.

    A fast numeric path for errors made of gates, resets and Kraus instructions; anything else
    falls back to ``error.to_quantumchannel()``.
    """
    n = error.num_qubits
    total = np.zeros((1 << (2 * n), 1 << (2 * n)), dtype=complex)
    cache: dict[Any, np.ndarray | None] = {}
    try:
        for circuit, prob in zip(error.circuits, error.probabilities, strict=True):
            index = {bit: i for i, bit in enumerate(circuit.qubits)}
            term = np.eye(1 << (2 * n), dtype=complex)
            for inst in circuit.data:
                sup = _op_superop(inst.operation, [index[q] for q in inst.qubits], n, cache)
                if sup is not None:
                    term = sup @ term
            total += prob * term
    except Exception:  # unusual instruction: let qiskit do it the slow way
        from qiskit.quantum_info import SuperOp

        return SuperOp(error.to_quantumchannel()).data
    return total


def _collapse(error: QuantumError) -> QuantumError:
    cached = _collapsed.get(id(error))
    if cached is not None and cached[0] is error:
        return cached[1]
    from qiskit.quantum_info import Kraus, SuperOp

    collapsed = QuantumError(Kraus(SuperOp(error_superop(error))))
    if len(_collapsed) >= COLLAPSE_CACHE_SIZE:
        _collapsed.clear()
    _collapsed[id(error)] = (error, collapsed)
    return collapsed


def kraus_noise_model(model: NoiseModel) -> FrozenNoiseModel:
    """``model`` with every quantum error collapsed into one Kraus channel (for density_matrix).

    Collapsed errors are cached per error object, so trimming the same device to other qubits
    reuses them.
    """
    collapsed = FrozenNoiseModel.__new__(FrozenNoiseModel)
    collapsed.__dict__.update({k: v for k, v in model.__dict__.items() if k != "_dict_cache"})
    collapsed._local_quantum_errors = {
        name: {qs: _collapse(err) for qs, err in table.items()}
        for name, table in model._local_quantum_errors.items()
    }
    collapsed._default_quantum_errors = {
        name: _collapse(err) for name, err in model._default_quantum_errors.items()
    }
    return collapsed
