"""Lower a Qiskit circuit to the flat operation list a state-vector kernel executes.

Pure numpy + qiskit: no GPU code here, so the whole lowering is tested on CPU by applying the same
list with a small numpy reference (``tests/executors/statevector``).

The ops and their kinds are defined in :mod:`~qhost.executors.statevector.ops`.

Circuits with parameters are lowered once: parametrised gates stay :class:`ParamOp` templates whose
matrices are evaluated for all parameter sets at once (:meth:`LoweredCircuit.bind_all`). Fusion
(:mod:`~qhost.executors.statevector.fusion`) is planned once from the op structure and re-applied per
parameter set, so many-parameter-set PUBs do not re-walk the circuit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qhost.errors import InvalidCircuit
from qhost.executors.instructions import NO_OPS
from qhost.executors.statevector.fusion import apply_fusion, plan_fusion
from qhost.executors.statevector.gate_matrices import FAST
from qhost.executors.statevector.ops import (
    ATOL,
    DENSE,
    KRAUS,
    MEASURE,
    RESET,
    Op,
    classify,
    make_op,
)

__all__ = [
    "LoweredCircuit",
    "ParamOp",
    "Step",
    "lower_circuit",
    "lower_instruction",
]


@dataclass(frozen=True, eq=False)
class ParamOp:
    """A parametrised unitary whose matrix depends on circuit parameters (bound per parameter set)."""

    kind: str
    targets: tuple[int, ...]
    controls: tuple[int, ...]
    control_values: tuple[int, ...]
    gate: Any
    exprs: tuple[Any, ...]
    perm: np.ndarray | None = None

    @property
    def qubits(self) -> tuple[int, ...]:
        return self.targets + self.controls

    def values(self, parameters: Sequence[Any], table: np.ndarray) -> np.ndarray:
        """Gate parameter values for every set: ``(S, len(exprs))`` from the ``(S, P)`` table."""
        index = {p: i for i, p in enumerate(parameters)}
        cols = [_eval_expr(e, index, table) for e in self.exprs]
        return np.stack(cols, axis=-1) if cols else np.zeros((table.shape[0], 0))

    def matrices(self, parameters: Sequence[Any], table: np.ndarray) -> np.ndarray:
        """Target matrices ``(S, 2^t, 2^t)`` for all parameter sets."""
        vals = self.values(parameters, table)
        fast = FAST.get(self.gate.name)
        if fast is not None:
            return fast(*vals.T)
        return np.stack([self.matrix_for(row) for row in vals])

    def matrix_for(self, values: Sequence[float]) -> np.ndarray:
        """The target matrix for one set of gate parameter values."""
        return _target_block(_gate_matrix(self.gate, values), len(self.controls), self.control_values)

    def bound(self, matrix: np.ndarray) -> Op:
        """The concrete :class:`Op` for one parameter set's matrix."""
        return make_op(self.kind, matrix, self.targets, self.controls, self.control_values, self.perm)


@dataclass(frozen=True)
class Step:
    """One circuit instruction: its name and qubits (noise attaches here) and what it lowers to."""

    name: str
    qubits: tuple[int, ...]
    ops: tuple[Op | ParamOp, ...]
    duration: tuple[float, str] | None = None
    """A ``delay``'s length and unit (its qubits relax meanwhile under a device's noise); else None."""


@dataclass
class LoweredCircuit:
    """A circuit lowered once. ``final_measure`` holds the terminal ``(qubit, clbit)`` pairs."""

    num_qubits: int
    num_clbits: int
    steps: list[Step]
    final_measure: list[tuple[int, int]]
    parameters: tuple[Any, ...] = ()
    global_phase: Any = 0.0
    physical: tuple[int, ...] = ()

    @property
    def ops(self) -> list[Op | ParamOp]:
        return [op for step in self.steps for op in step.ops]

    @property
    def is_parametric(self) -> bool:
        return any(isinstance(op, ParamOp) for op in self.ops)

    def bind_all(self, table: np.ndarray | None = None, *, max_fused: int = 0) -> Iterator[list[Op]]:
        """Yield the concrete (optionally fused) op list of each parameter set ``table[s]``."""
        ops = self.ops
        table = np.zeros((1, 0)) if table is None else np.atleast_2d(np.asarray(table, dtype=float))
        mats = {i: op.matrices(self.parameters, table) for i, op in enumerate(ops) if isinstance(op, ParamOp)}
        plan = plan_fusion(ops, max_fused) if max_fused > 1 else None
        for s in range(table.shape[0]):
            bound = [op.bound(mats[i][s]) if isinstance(op, ParamOp) else op for i, op in enumerate(ops)]
            yield apply_fusion(plan, bound) if plan is not None else bound

    def bind(self, values: Sequence[float] | None = None, *, max_fused: int = 0) -> list[Op]:
        """The concrete op list for one parameter set."""
        table = None if values is None else np.asarray([values], dtype=float)
        return next(self.bind_all(table, max_fused=max_fused))


def lower_circuit(circuit: Any, keep: Sequence[int] | None = None) -> LoweredCircuit:
    """Lower ``circuit`` (a ``QuantumCircuit``) to steps of ops; terminal measurements split off.

    Args:
        circuit: the circuit.
        keep: circuit qubit indices to simulate, in order (compact index ``i`` is ``keep[i]``);
            default all. Instructions on other qubits must be barriers or delays.

    Raises:
        InvalidCircuit: for control flow or instructions without a matrix or definition.
    """
    keep = tuple(range(circuit.num_qubits)) if keep is None else tuple(keep)
    compact = {q: i for i, q in enumerate(keep)}
    qindex = {q: compact.get(i, -1) for i, q in enumerate(circuit.qubits)}
    cindex = {c: i for i, c in enumerate(circuit.clbits)}
    steps = []
    for inst in circuit.data:
        qubits = tuple(qindex[q] for q in inst.qubits)
        if -1 in qubits:
            if inst.operation.name in NO_OPS:
                continue
            raise InvalidCircuit(f"Instruction {inst.operation.name!r} acts on a qubit outside {list(keep)}")
        clbits = tuple(cindex[c] for c in inst.clbits)
        ops = tuple(lower_instruction(inst.operation, qubits, clbits))
        steps.append(Step(inst.operation.name, qubits, ops, _delay_duration(inst.operation)))
    steps, final = _split_terminal(steps)
    params = tuple(circuit.parameters)
    return LoweredCircuit(len(keep), circuit.num_clbits, steps, final, params, circuit.global_phase, keep)


def _delay_duration(operation: Any) -> tuple[float, str] | None:
    """``(duration, unit)`` of a ``delay`` with a numeric duration; None otherwise."""
    if operation.name != "delay":
        return None
    try:
        return float(operation.duration), str(operation.unit)
    except (TypeError, ValueError):  # a parametrised duration: no relaxation can be computed for it
        return None


def lower_instruction(
    operation: Any, qubits: tuple[int, ...], clbits: tuple[int, ...] = ()
) -> list[Op | ParamOp]:
    """Lower one instruction acting on ``qubits`` (circuit indices) to ops."""
    name = operation.name
    if name in NO_OPS:
        return []
    if name == "measure":
        return [Op(MEASURE, qubits, clbits=clbits)]
    if name == "reset":
        return [Op(RESET, qubits)]
    if name == "kraus":
        return [Op(KRAUS, qubits, kraus=tuple(np.asarray(k, dtype=complex) for k in operation.params))]
    if getattr(operation, "blocks", None) or not _is_gate(operation):
        raise InvalidCircuit(
            f"Instruction {name!r} is not supported by the cuStateVec executor; supported: gates with a "
            "matrix or definition, measure, reset, barrier, delay, kraus (no control flow)"
        )
    return _lower_gate(operation, qubits)


def _is_gate(operation: Any) -> bool:
    from qiskit.circuit import Gate

    return isinstance(operation, Gate)


def _lower_gate(gate: Any, qubits: tuple[int, ...]) -> list[Op | ParamOp]:
    controls: tuple[int, ...] = ()
    values: tuple[int, ...] = ()
    nc = getattr(gate, "num_ctrl_qubits", 0) if getattr(gate, "base_gate", None) is not None else 0
    if nc:
        controls, qubits = qubits[:nc], qubits[nc:]
        values = tuple((gate.ctrl_state >> i) & 1 for i in range(nc))
    if _is_parametric(gate):
        return [_param_op(gate, qubits, controls, values)]
    try:
        matrix = _target_block(np.asarray(gate.to_matrix(), dtype=complex), nc, values)
    except Exception:  # noqa: BLE001 - no matrix: fall back to the definition
        return _lower_definition(gate, controls + qubits)
    if _is_identity(matrix):
        return []
    kind, perm = classify(matrix)
    return [make_op(kind, matrix, qubits, controls, values, perm)]


def _target_block(full: np.ndarray, nc: int, values: tuple[int, ...]) -> np.ndarray:
    """The block of a controlled gate's matrix (controls = qargs[:nc]) where the controls fire."""
    if not nc:
        return full
    cbits = sum(v << i for i, v in enumerate(values))
    idx = cbits | (np.arange(len(full) >> nc) << nc)
    return full[np.ix_(idx, idx)]


def _lower_definition(gate: Any, qubits: tuple[int, ...]) -> list[Op | ParamOp]:
    definition = gate.definition
    if definition is None:
        raise InvalidCircuit(f"Gate {gate.name!r} has neither a matrix nor a definition")
    index = {q: qubits[i] for i, q in enumerate(definition.qubits)}
    out: list[Op | ParamOp] = []  # the definition's global phase is a global phase: dropped
    for inst in definition.data:
        out.extend(lower_instruction(inst.operation, tuple(index[q] for q in inst.qubits)))
    return out


def _is_parametric(gate: Any) -> bool:
    return any(_is_parametric_value(p) for p in gate.params)


def _is_parametric_value(value: Any) -> bool:
    from qiskit.circuit import ParameterExpression

    return isinstance(value, ParameterExpression) and bool(value.parameters)


def _param_op(
    gate: Any, targets: tuple[int, ...], controls: tuple[int, ...], values: tuple[int, ...]
) -> ParamOp:
    exprs = tuple(gate.params)
    rng = np.random.default_rng(1234)
    probes = [
        _target_block(_gate_matrix(gate, rng.uniform(-3, 3, len(exprs))), len(controls), values)
        for _ in range(2)
    ]
    kinds = [classify(m) for m in probes]
    kind, perm = kinds[0]
    other = kinds[1][1]
    if kinds[1][0] != kind or (perm is not None and (other is None or not np.array_equal(perm, other))):
        kind, perm = DENSE, None
    return ParamOp(kind, targets, controls, values, gate, exprs, perm)


def _gate_matrix(gate: Any, values: Sequence[float] | np.ndarray) -> np.ndarray:
    bound = gate.copy()
    bound.params = [float(v) for v in values]
    return np.asarray(bound.to_matrix(), dtype=complex)


def _eval_expr(expr: Any, index: dict[Any, int], table: np.ndarray) -> np.ndarray:
    from qiskit.circuit import Parameter

    if isinstance(expr, Parameter):
        return table[:, index[expr]]
    if not _is_parametric_value(expr):
        return np.full(table.shape[0], float(expr))
    params = list(expr.parameters)
    out = np.empty(table.shape[0])
    for s in range(table.shape[0]):
        out[s] = float(expr.bind({p: table[s, index[p]] for p in params}))
    return out


def _is_identity(matrix: np.ndarray) -> bool:
    return bool(np.allclose(matrix, np.eye(len(matrix)), atol=ATOL))


def _split_terminal(steps: list[Step]) -> tuple[list[Step], list[tuple[int, int]]]:
    """Move measurements after which a qubit is never touched again into ``final_measure``."""
    touched: set[int] = set()
    written: set[int] = set()
    final: list[tuple[int, int]] = []
    kept: list[Step] = []
    for step in reversed(steps):
        ops = step.ops
        first = ops[0] if len(ops) == 1 else None
        if (
            isinstance(first, Op)
            and first.kind == MEASURE
            and not (set(first.targets) & touched)
            and not (set(first.clbits) & written)
        ):
            final.extend(zip(first.targets, first.clbits, strict=True))
            written.update(first.clbits)
            kept.append(Step(step.name, step.qubits, ()))
            continue
        for op in ops:
            touched.update(op.qubits)
            if isinstance(op, Op) and op.kind == MEASURE:
                written.update(op.clbits)
        kept.append(step)
    final.reverse()
    kept.reverse()
    return kept, final
