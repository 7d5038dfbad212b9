"""The operations a state-vector kernel executes, and how a unitary is classified into one.

Pure numpy: shared by the lowering (:mod:`~qhost.executors.statevector.lowering`),
fusion (:mod:`~qhost.executors.statevector.fusion`), the trajectory driver and the GPU state.
An :class:`Op` is one of:

* ``matrix``: a dense ``2^t x 2^t`` row-major matrix on ``targets`` (little-endian: bit j of the
  matrix index is ``targets[j]``), optionally with ``controls`` / ``control_values``.
* ``diagonal``: ``data`` holds the ``2^t`` diagonal entries (fast path, no dense matrix).
* ``permutation``: a generalized permutation ``(G psi)[i] = data[i] * psi[perm[i]]`` with a
  self-inverse ``perm`` (X, CX, SWAP …; see :func:`classify`).
* ``measure``: a mid-circuit measurement of ``targets`` into ``clbits`` (collapses the state).
* ``reset``: reset ``targets[0]`` to ``|0>``.
* ``kraus``: a general (non-unitary) Kraus channel; the branch is chosen with probability
  ``||K_i psi||^2`` by the executor (see ``interface_docs/noise-trajectories.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

__all__ = [
    "ATOL",
    "DENSE",
    "DIAGONAL",
    "KRAUS",
    "MEASURE",
    "PERMUTATION",
    "RESET",
    "UNITARY_KINDS",
    "Op",
    "OpLike",
    "classify",
    "full_matrix",
    "make_op",
    "with_targets",
]

DENSE, DIAGONAL, PERMUTATION = "matrix", "diagonal", "permutation"
MEASURE, RESET, KRAUS = "measure", "reset", "kraus"
UNITARY_KINDS = frozenset({DENSE, DIAGONAL, PERMUTATION})
ATOL = 1e-12
"""Matrix entries smaller than this count as zero when a unitary is classified."""


class OpLike(Protocol):
    """What fusion planning reads of an op: its kind and its qubits (an :class:`Op` or a parametrised op)."""

    @property
    def kind(self) -> str: ...

    @property
    def qubits(self) -> tuple[int, ...]: ...


@dataclass(frozen=True, eq=False)
class Op:
    """One executable operation (see the module docstring for the kinds)."""

    kind: str
    targets: tuple[int, ...]
    controls: tuple[int, ...] = ()
    control_values: tuple[int, ...] = ()
    data: np.ndarray | None = None
    perm: np.ndarray | None = None
    kraus: tuple[np.ndarray, ...] = ()
    clbits: tuple[int, ...] = ()

    @property
    def qubits(self) -> tuple[int, ...]:
        """Targets then controls: every qubit the op touches."""
        return self.targets + self.controls


def classify(matrix: np.ndarray) -> tuple[str, np.ndarray | None]:
    """``(kind, perm)``: diagonal, generalized permutation (``matrix[i, perm[i]] != 0``) or dense.

    Only self-inverse permutations (``perm[perm[i]] == i``: X, Y, CX, SWAP, iSWAP, CCX, CSWAP and
    products of them on disjoint qubits) take the permutation path. For those, reading the table
    as "row i takes column perm[i]" or as "entry i moves to perm[i]" is the same matrix, so the
    GPU call cannot apply the inverse by a convention mismatch. cuStateVec documents the matrix
    as ``D·P`` with the diagonal on the output side, as here; a fused block that is a longer
    cycle goes the dense way (for a fused block that costs the same pass over the state).
    """
    nz = np.abs(matrix) > ATOL
    if not (nz & ~np.eye(len(matrix), dtype=bool)).any():
        return DIAGONAL, None
    if (nz.sum(axis=1) == 1).all() and (nz.sum(axis=0) == 1).all():
        perm = np.argmax(nz, axis=1).astype(np.int64)
        if np.array_equal(perm[perm], np.arange(len(perm))):
            return PERMUTATION, perm
    return DENSE, None


def make_op(
    kind: str,
    matrix: np.ndarray,
    targets: tuple[int, ...],
    controls: tuple[int, ...],
    values: tuple[int, ...],
    perm: np.ndarray | None,
) -> Op:
    if kind == DIAGONAL:
        return Op(DIAGONAL, targets, controls, values, data=np.ascontiguousarray(np.diag(matrix)))
    if kind == PERMUTATION:
        assert perm is not None
        diag = matrix[np.arange(len(matrix)), perm]
        return Op(PERMUTATION, targets, controls, values, data=np.ascontiguousarray(diag), perm=perm)
    return Op(DENSE, targets, controls, values, data=np.ascontiguousarray(matrix))


def full_matrix(op: Op) -> tuple[tuple[int, ...], np.ndarray]:
    """``(qubits, U)``: the op as a dense matrix over ``targets + controls`` (little-endian)."""
    t = len(op.targets)
    if op.kind == DIAGONAL:
        assert op.data is not None  # every diagonal op carries its diagonal
        base = np.diag(op.data)
    elif op.kind == PERMUTATION:
        base = np.zeros((1 << t, 1 << t), dtype=complex)
        base[np.arange(1 << t), op.perm] = op.data
    else:
        base = np.asarray(op.data)
    if not op.controls:
        return op.targets, base
    dim = 1 << (t + len(op.controls))
    full = np.eye(dim, dtype=complex)
    cmask = sum(v << (t + j) for j, v in enumerate(op.control_values))
    idx = np.arange(1 << t) | cmask
    full[np.ix_(idx, idx)] = base
    return op.qubits, full


def with_targets(op: Op, mapping: dict[int, int]) -> Op:
    """``op`` with its qubits renamed through ``mapping`` (used for error circuits)."""
    return replace(
        op, targets=tuple(mapping[q] for q in op.targets), controls=tuple(mapping[q] for q in op.controls)
    )
