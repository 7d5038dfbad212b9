"""Gate fusion: neighbouring small unitaries merged into one op of at most ``max_qubits`` qubits.

The plan (:func:`plan_fusion`) depends only on the op structure, so a PUB with many parameter sets
plans once and re-applies the plan to each set's bound ops (:func:`apply_fusion`). A fused block of
diagonals stays a diagonal; a block of permutations and diagonals is re-classified (a self-inverse
generalized permutation keeps the permutation path); anything else is one dense matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qhost.executors.statevector.ops import (
    DENSE,
    DIAGONAL,
    UNITARY_KINDS,
    Op,
    OpLike,
    classify,
    full_matrix,
    make_op,
)

__all__ = [
    "FusionPlan",
    "apply_fusion",
    "fuse",
    "plan_fusion",
]


def _embed_apply(
    block: np.ndarray, qubits: Sequence[int], mat: np.ndarray, positions: Sequence[int]
) -> np.ndarray:
    """``mat`` (on block positions ``positions``) times ``block`` (a ``2^k x 2^k`` matrix)."""
    k, m = len(qubits), len(positions)
    tensor = block.reshape((2,) * k + (-1,))
    gate = mat.reshape((2,) * (2 * m))
    axes = [k - 1 - positions[j] for j in reversed(range(m))]
    out = np.tensordot(gate, tensor, axes=(list(range(m, 2 * m)), axes))
    out = np.moveaxis(out, list(range(m)), axes)
    return out.reshape(block.shape)


@dataclass(frozen=True)
class FusionPlan:
    """Groups of op indices (in emission order); each group becomes one op over ``qubits``."""

    groups: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]
    num_ops: int


def plan_fusion(ops: Sequence[OpLike], max_qubits: int) -> FusionPlan:
    """Greedy fusion of neighbouring unitaries into blocks of at most ``max_qubits`` qubits.

    Open blocks have disjoint qubit sets (so they commute). A unitary joins the open blocks it
    overlaps when the union stays within ``max_qubits``; otherwise those blocks are emitted first.
    Non-unitary ops (measure, reset, kraus) flush the blocks they overlap and pass through.
    """
    groups: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    open_blocks: list[tuple[set[int], list[int]]] = []

    def flush(hit: list[tuple[set[int], list[int]]]) -> None:
        for qs, members in hit:
            groups.append((tuple(members), tuple(sorted(qs))))
            open_blocks.remove((qs, members))

    for i, op in enumerate(ops):
        qs = set(op.qubits)
        hit = [b for b in open_blocks if b[0] & qs]
        if op.kind not in UNITARY_KINDS:
            flush(hit)
            groups.append(((i,), tuple(op.qubits)))
            continue
        union = qs.union(*(b[0] for b in hit))
        if hit and len(union) <= max_qubits:
            members = sorted(m for b in hit for m in b[1]) + [i]
            for b in hit:
                open_blocks.remove(b)
            open_blocks.append((union, members))
        else:
            flush(hit)
            open_blocks.append((qs, [i]))
    flush(list(open_blocks))
    return FusionPlan(tuple(groups), len(ops))


def apply_fusion(plan: FusionPlan, ops: Sequence[Op]) -> list[Op]:
    """Materialise ``plan`` for one concrete op list (same structure the plan was made from)."""
    if len(ops) != plan.num_ops:
        raise ValueError(f"fusion plan made for {plan.num_ops} ops, got {len(ops)}")
    out: list[Op] = []
    for members, qubits in plan.groups:
        if len(members) == 1:
            out.append(ops[members[0]])
            continue
        out.append(_fused_op([ops[m] for m in members], qubits))
    return out


def fuse(ops: Sequence[Op], max_qubits: int) -> list[Op]:
    """Plan and apply fusion in one go (for op lists used once, e.g. one noise pattern)."""
    return apply_fusion(plan_fusion(ops, max_qubits), ops) if max_qubits > 1 else list(ops)


def _fused_op(members: Sequence[Op], qubits: tuple[int, ...]) -> Op:
    pos = {q: j for j, q in enumerate(qubits)}
    if all(m.kind == DIAGONAL for m in members):
        diag = np.ones(1 << len(qubits), dtype=complex)
        idx = np.arange(1 << len(qubits))
        for m in members:
            mq, mat = full_matrix(m)
            local = sum(((idx >> pos[q]) & 1) << j for j, q in enumerate(mq))
            diag *= np.diag(mat)[local]
        return Op(DIAGONAL, qubits, data=diag)
    block = np.eye(1 << len(qubits), dtype=complex)
    for m in members:
        mq, mat = full_matrix(m)
        block = _embed_apply(block, qubits, mat, [pos[q] for q in mq])
    if all(m.kind != DENSE for m in members):
        kind, perm = classify(block)
        return make_op(kind, block, qubits, (), (), perm)
    return Op(DENSE, qubits, data=np.ascontiguousarray(block))
