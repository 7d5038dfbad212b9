"""Noise by quantum trajectories, and the shot-branching driver shared by every state backend.

The statistical method is written down in ``interface_docs/noise-trajectories.md``. In short:

1. Each noisy instruction of the circuit is an *error location* with a mixture of error circuits
   (Aer ``QuantumError`` terms) and their probabilities (:func:`error_locations`).
2. For every shot one term is drawn at every location (:func:`draw_patterns`); shots that drew
   the same terms everywhere share one *error pattern* and are simulated together.
3. Within a pattern, state-dependent steps (mid-circuit measurement, reset, non-unitary Kraus) split
   the pattern's shots multinomially with the Born probabilities of their branches
   (``||K_i psi||^2``) and continue each branch once (:func:`run_branches`).
4. Terminal measurements are sampled from each leaf state; readout errors are applied to the
   sampled bits classically with each measured qubit's confusion matrix (:func:`apply_readout`).

The driver talks to a :class:`StateBackend` (the cuStateVec executor's device state, or the numpy
reference used by the CPU tests); it never touches amplitudes itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from qhost.executors.statevector.fusion import fuse
from qhost.executors.statevector.lowering import LoweredCircuit, ParamOp, lower_instruction
from qhost.executors.statevector.ops import DENSE, KRAUS, MEASURE, PERMUTATION, RESET, UNITARY_KINDS, Op

__all__ = [
    "ErrorLocation",
    "NoisyProgram",
    "StateBackend",
    "apply_branch",
    "apply_readout",
    "branch_probabilities",
    "clbit_confusions",
    "draw_patterns",
    "error_locations",
    "noisy_shots",
    "path_clbits",
    "pattern_ops",
    "run_branches",
    "sample_shots",
]

_X = Op(PERMUTATION, (0,), data=np.ones(2, dtype=complex), perm=np.array([1, 0], dtype=np.int64))


class StateBackend(Protocol):
    """What the driver needs from a state vector living somewhere (GPU, or numpy in tests)."""

    def reset_state(self) -> None: ...
    def apply(self, op: Op) -> None: ...
    def probabilities(self, qubits: Sequence[int]) -> np.ndarray: ...
    def collapse(self, qubits: Sequence[int], outcome: int, probability: float) -> None: ...
    def expectation_matrix(self, qubits: Sequence[int], matrix: np.ndarray) -> float: ...
    def save(self) -> Any | None: ...
    def restore(self, saved: Any, *, consume: bool) -> None: ...
    def sample(self, qubits: Sequence[int], shots: int, rng: np.random.Generator) -> np.ndarray: ...


# ----------------------------------------------------------------------------- error locations


@dataclass(frozen=True)
class ErrorLocation:
    """One noisy instruction: after (or, for ``measure``, before) step ``step``; one term is drawn."""

    step: int
    probabilities: np.ndarray
    terms: tuple[tuple[Op, ...], ...]
    before: bool = False


def _error_for(noise_model: Any, name: str, qubits: tuple[int, ...]) -> Any | None:
    local = getattr(noise_model, "_local_quantum_errors", {}).get(name, {})
    if qubits in local:
        return local[qubits]
    return getattr(noise_model, "_default_quantum_errors", {}).get(name)


def _delay_error(noise_model: Any, qubits: tuple[int, ...], duration: tuple[float, str]) -> Any | None:
    """What the model's noise passes append to a ``delay`` of ``duration`` on ``qubits`` (or None).

    Aer applies delay relaxation through a ``LocalNoisePass`` (``RelaxationNoisePass`` in
    ``NoiseModel.from_backend`` and in qhost's device noise) rather than a per-qubit error table; its
    function gives the same ``QuantumError`` Aer would insert after the delay.
    """
    from qiskit.circuit import Delay
    from qiskit_aer.noise.passes.local_noise_pass import LocalNoisePass

    delay = Delay(duration[0], duration[1])
    for noise_pass in getattr(noise_model, "_custom_noise_passes", ()):
        if not isinstance(noise_pass, LocalNoisePass) or noise_pass._method != "append":
            continue
        if noise_pass._ops and not isinstance(delay, noise_pass._ops):
            continue
        error = noise_pass._func(delay, list(qubits))  # a list, as Aer passes it (the pass indexes arrays)
        if error is not None:
            return error
    return None


def _lower_term(circuit: Any, qubits: tuple[int, ...]) -> tuple[Op, ...]:
    out: list[Op] = []
    for inst in circuit.data:
        mapped = tuple(qubits[circuit.find_bit(q).index] for q in inst.qubits)
        for op in lower_instruction(inst.operation, mapped):
            assert not isinstance(op, ParamOp)
            out.append(op)
    return tuple(out)


def error_locations(lowered: LoweredCircuit, noise_model: Any | None) -> list[ErrorLocation]:
    """The error locations of ``lowered`` under an Aer ``NoiseModel`` keyed by circuit qubits.

    Errors are looked up by instruction name and the circuit (physical) qubits
    ``lowered.physical``; the lowered ops use compact indices. A ``delay``'s error (relaxation for its
    duration) comes from the model's noise passes, as in Aer.

    Terms made of I/X/Y/Z/Pauli/gates/unitary are lowered to unitary ops (exact); ``reset`` and
    ``kraus`` terms become ``reset`` / ``kraus`` ops resolved per trajectory by the driver.
    """
    if noise_model is None:
        return []
    out: list[ErrorLocation] = []
    cache: dict[Any, tuple[np.ndarray, tuple[tuple[Op, ...], ...]] | None] = {}
    physical = lowered.physical or tuple(range(lowered.num_qubits))
    for k, step in enumerate(lowered.steps):
        key = (step.name, step.qubits, step.duration)
        if key not in cache:
            qubits = tuple(physical[q] for q in step.qubits)
            if step.duration is not None:
                error = _delay_error(noise_model, qubits, step.duration)
            else:
                error = _error_for(noise_model, step.name, qubits)
            if error is None or error.num_qubits != len(step.qubits):
                cache[key] = None
            else:
                probs = np.asarray(error.probabilities, dtype=float)
                terms = tuple(_lower_term(c, step.qubits) for c in error.circuits)
                cache[key] = (probs / probs.sum(), terms)
        entry = cache[key]
        if entry is not None:
            out.append(ErrorLocation(k, entry[0], entry[1], before=step.name == "measure"))
    return out


def draw_patterns(
    locations: Sequence[ErrorLocation], shots: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw one term per location per shot; return ``(unique patterns (U, L), shots per pattern (U,))``.

    The counts sum to ``shots``. With no locations there is one empty pattern holding every shot.
    """
    if not locations:
        return np.zeros((1, 0), dtype=np.int64), np.array([shots], dtype=np.int64)
    draws = np.empty((shots, len(locations)), dtype=np.int64)
    for j, loc in enumerate(locations):
        draws[:, j] = rng.choice(len(loc.probabilities), size=shots, p=loc.probabilities)
    patterns, counts = np.unique(draws, axis=0, return_counts=True)
    return patterns, counts.astype(np.int64)


def pattern_ops(
    step_ops: Sequence[Sequence[Op]], locations: Sequence[ErrorLocation], pattern: Sequence[int]
) -> list[Op]:
    """The concrete op list of one error pattern: each location's drawn term spliced in."""
    before: dict[int, list[Op]] = {}
    after: dict[int, list[Op]] = {}
    for loc, term in zip(locations, pattern, strict=True):
        (before if loc.before else after).setdefault(loc.step, []).extend(loc.terms[int(term)])
    out: list[Op] = []
    for k, ops in enumerate(step_ops):
        out.extend(before.get(k, ()))
        out.extend(ops)
        out.extend(after.get(k, ()))
    return out


@dataclass
class NoisyProgram:
    """A lowered circuit plus its error locations and per-clbit readout confusion matrices."""

    lowered: LoweredCircuit
    locations: list[ErrorLocation]
    confusions: dict[int, np.ndarray]

    @classmethod
    def build(cls, lowered: LoweredCircuit, noise_model: Any | None) -> NoisyProgram:
        return cls(lowered, error_locations(lowered, noise_model), clbit_confusions(lowered, noise_model))

    @property
    def is_noisy(self) -> bool:
        return bool(self.locations) or bool(self.confusions)

    def step_ops_all(self, table: np.ndarray | None) -> Iterator[list[tuple[Op, ...]]]:
        """Per parameter set: the bound ops of every step (matrices evaluated once for all sets)."""
        lowered = self.lowered
        table = np.zeros((1, 0)) if table is None else np.atleast_2d(np.asarray(table, dtype=float))
        mats = {}
        for k, step in enumerate(lowered.steps):
            for j, op in enumerate(step.ops):
                if isinstance(op, ParamOp):
                    mats[(k, j)] = op.matrices(lowered.parameters, table)
        for s in range(table.shape[0]):
            yield [
                tuple(
                    op.bound(mats[(k, j)][s]) if isinstance(op, ParamOp) else op
                    for j, op in enumerate(step.ops)
                )
                for k, step in enumerate(lowered.steps)
            ]


# ----------------------------------------------------------------------------- readout errors


def clbit_confusions(lowered: LoweredCircuit, noise_model: Any | None) -> dict[int, np.ndarray]:
    """For each clbit, the 2x2 confusion matrix ``P(recorded | true)`` of the qubit that last wrote it."""
    if noise_model is None:
        return {}
    writer: dict[int, int] = {}
    for step in lowered.steps:
        for op in step.ops:
            if isinstance(op, Op) and op.kind == MEASURE:
                writer.update(zip(op.clbits, op.targets, strict=True))
    writer.update({c: q for q, c in lowered.final_measure})
    local = getattr(noise_model, "_local_readout_errors", {})
    default = getattr(noise_model, "_default_readout_error", None)
    physical = lowered.physical or tuple(range(lowered.num_qubits))
    out = {}
    for clbit, qubit in writer.items():
        error = local.get((physical[qubit],), default)
        if error is not None:
            out[clbit] = np.asarray(error.probabilities, dtype=float)
    return out


def apply_readout(
    bits: np.ndarray, confusions: dict[int, np.ndarray], rng: np.random.Generator
) -> np.ndarray:
    """Flip recorded bits: a true ``b`` on clbit ``c`` is recorded as 1 with ``confusions[c][b, 1]``."""
    out = bits.copy()
    for clbit, conf in confusions.items():
        p_one = conf[bits[:, clbit].astype(np.int64), 1]
        out[:, clbit] = (rng.random(len(bits)) < p_one).astype(bits.dtype)
    return out


# ----------------------------------------------------------------------------- branching driver


@dataclass
class _Task:
    index: int
    branch: int
    count: int
    path: tuple[tuple[int, int, float], ...]
    saved: Any | None
    probability: float = 1.0


def branch_probabilities(backend: StateBackend, op: Op) -> np.ndarray:
    """Born probabilities of the branches of a measure / reset / kraus op in the current state."""
    if op.kind in (MEASURE, RESET):
        probs = np.asarray(backend.probabilities(op.targets), dtype=float)
    else:
        probs = np.array([backend.expectation_matrix(op.targets, k.conj().T @ k).real for k in op.kraus])
    probs = np.clip(probs, 0.0, None)
    return probs / probs.sum()


def apply_branch(backend: StateBackend, op: Op, branch: int, probability: float) -> None:
    """Apply branch ``branch`` (of probability ``probability``) of a stochastic op, renormalised."""
    if op.kind == KRAUS:
        backend.apply(Op(DENSE, op.targets, data=op.kraus[branch] / np.sqrt(probability)))
        return
    backend.collapse(op.targets, branch, probability)
    if op.kind == RESET and branch:
        backend.apply(Op(PERMUTATION, op.targets, data=_X.data, perm=_X.perm))


def run_branches(
    backend: StateBackend,
    ops: Sequence[Op],
    count: int,
    rng: np.random.Generator,
    leaf: Callable[[int, tuple[tuple[int, int, float], ...]], None],
) -> None:
    """Run ``ops`` for ``count`` shots from the zero state, branching at stochastic ops.

    At each measure/reset/kraus op the shots are split multinomially over its branches. The last
    branch continues in place; the others wait on a stack with a saved copy of the state, or, when
    the backend has no memory for a copy (``save() -> None``), are rebuilt later by replaying the
    recorded path from the zero state. ``leaf(count, path)`` is called in each final state;
    ``path`` lists ``(op index, branch, probability)``.
    """
    backend.reset_state()
    stack = [_Task(0, -1, count, (), None)]
    refs: dict[int, int] = {}
    while stack:
        task = stack.pop()
        if task.branch >= 0:
            _resume(backend, ops, task, refs)
        _advance(backend, ops, task, rng, leaf, stack, refs)


def _resume(backend: StateBackend, ops: Sequence[Op], task: _Task, refs: dict[int, int]) -> None:
    if task.saved is not None:
        refs[id(task.saved)] -= 1
        backend.restore(task.saved, consume=refs[id(task.saved)] == 0)
    else:
        backend.reset_state()
        forced = {i: (b, p) for i, b, p in task.path}
        for i in range(task.index):
            op = ops[i]
            if op.kind in UNITARY_KINDS:
                backend.apply(op)
            else:
                apply_branch(backend, op, *forced[i])


def _advance(
    backend: StateBackend,
    ops: Sequence[Op],
    task: _Task,
    rng: np.random.Generator,
    leaf: Callable[..., None],
    stack: list[_Task],
    refs: dict[int, int],
) -> None:
    count, path, i = task.count, task.path, task.index
    if task.branch >= 0:
        prob = task.probability
        apply_branch(backend, ops[i], task.branch, prob)
        path, i = path + ((i, task.branch, prob),), i + 1
    while i < len(ops):
        op = ops[i]
        if op.kind in UNITARY_KINDS:
            backend.apply(op)
            i += 1
            continue
        probs = branch_probabilities(backend, op)
        split = rng.multinomial(count, probs)
        live = [int(b) for b in np.flatnonzero(split)]
        if len(live) > 1:
            saved = backend.save()
            if saved is not None:
                refs[id(saved)] = len(live) - 1
            for b in live[:-1]:
                stack.append(_Task(i, b, int(split[b]), path, saved, float(probs[b])))
        b = live[-1]
        apply_branch(backend, op, b, float(probs[b]))
        path, count, i = path + ((i, b, float(probs[b])),), int(split[b]), i + 1
    leaf(count, path)


def path_clbits(ops: Sequence[Op], path: Sequence[tuple[int, int, float]], num_clbits: int) -> np.ndarray:
    """Clbit values recorded by the mid-circuit measurements along ``path`` (later writes win)."""
    bits = np.zeros(num_clbits, dtype=np.uint8)
    for i, b, _ in path:
        op = ops[i]
        if op.kind == MEASURE:
            for j, c in enumerate(op.clbits):
                bits[c] = (b >> j) & 1
    return bits


def sample_shots(
    backend: StateBackend,
    ops: Sequence[Op],
    final_measure: Sequence[tuple[int, int]],
    num_clbits: int,
    shots: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """True (pre-readout-error) clbit values ``(shots, num_clbits)`` of one op list."""
    rows: list[np.ndarray] = []
    qubits = [q for q, _ in final_measure]
    clbits = [c for _, c in final_measure]

    def leaf(count: int, path: tuple[tuple[int, int, float], ...]) -> None:
        block = np.tile(path_clbits(ops, path, num_clbits), (count, 1))
        if qubits:
            outcomes = np.asarray(backend.sample(qubits, count, rng), dtype=np.int64)
            for j, c in enumerate(clbits):
                block[:, c] = (outcomes >> j) & 1
        rows.append(block)

    run_branches(backend, ops, shots, rng, leaf)
    return np.concatenate(rows) if rows else np.zeros((0, num_clbits), dtype=np.uint8)


def noisy_shots(
    backend: StateBackend,
    program: NoisyProgram,
    step_ops: Sequence[Sequence[Op]],
    shots: int,
    rng: np.random.Generator,
    *,
    max_fused: int = 0,
) -> tuple[np.ndarray, int]:
    """Recorded clbits ``(shots, num_clbits)`` under noise, in random shot order; and the pattern count."""
    lowered = program.lowered
    patterns, counts = draw_patterns(program.locations, shots, rng)
    blocks = []
    for pattern, count in zip(patterns, counts, strict=True):
        ops = fuse(pattern_ops(step_ops, program.locations, pattern), max_fused)
        blocks.append(sample_shots(backend, ops, lowered.final_measure, lowered.num_clbits, int(count), rng))
    bits = np.concatenate(blocks)
    bits = apply_readout(bits, program.confusions, rng)
    return bits[rng.permutation(len(bits))], len(patterns)
