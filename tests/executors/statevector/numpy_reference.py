"""A small numpy state vector that executes the lowered op list (test code only, never shipped).

It implements ``qhost.executors.statevector.trajectories.StateBackend`` with plain index arithmetic, written
independently of the lowering's tensor code, so applying the same op list here and comparing with
``qiskit.quantum_info.Statevector`` / Aer checks matrices, targets, controls, fusion and branching.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["NumpyState", "dense_of", "run_ops"]


def dense_of(op) -> np.ndarray:
    """The ``2^t x 2^t`` target matrix of a unitary / kraus-branch op."""
    t = len(op.targets)
    if op.kind == "diagonal":
        return np.diag(op.data)
    if op.kind == "permutation":
        mat = np.zeros((1 << t, 1 << t), dtype=complex)
        for i in range(1 << t):
            mat[i, op.perm[i]] = op.data[i]
        return mat
    return np.asarray(op.data)


class NumpyState:
    """State vector of ``num_qubits`` qubits (bit q of the index is qubit q)."""

    def __init__(self, num_qubits: int) -> None:
        self.n = num_qubits
        self.psi = np.zeros(1 << num_qubits, dtype=complex)
        self.psi[0] = 1.0
        self.copies = 0
        self.allow_save = True

    # --- helpers
    def _groups(self, targets: Sequence[int], controls: Sequence[int] = (), values: Sequence[int] = ()):
        idx = np.arange(1 << self.n)
        mask = np.ones(len(idx), dtype=bool)
        for q in targets:
            mask &= ((idx >> q) & 1) == 0
        for q, v in zip(controls, values or [1] * len(controls), strict=True):
            mask &= ((idx >> q) & 1) == v
        base = idx[mask]
        offsets = np.array(
            [sum(((j >> k) & 1) << q for k, q in enumerate(targets)) for j in range(1 << len(targets))]
        )
        return base[:, None] + offsets[None, :]

    # --- StateBackend
    def reset_state(self) -> None:
        self.psi[:] = 0
        self.psi[0] = 1.0

    def apply(self, op) -> None:
        groups = self._groups(op.targets, op.controls, op.control_values)
        self.psi[groups] = self.psi[groups] @ dense_of(op).T

    def probabilities(self, qubits: Sequence[int]) -> np.ndarray:
        idx = np.arange(1 << self.n)
        key = sum(((idx >> q) & 1) << j for j, q in enumerate(qubits))
        return np.bincount(key, weights=np.abs(self.psi) ** 2, minlength=1 << len(qubits))

    def collapse(self, qubits: Sequence[int], outcome: int, probability: float) -> None:
        idx = np.arange(1 << self.n)
        key = sum(((idx >> q) & 1) << j for j, q in enumerate(qubits))
        self.psi[key != outcome] = 0
        self.psi /= np.sqrt(probability)

    def expectation_matrix(self, qubits: Sequence[int], matrix: np.ndarray) -> float:
        groups = self._groups(qubits)
        sub = self.psi[groups]
        return float(np.real(np.einsum("bi,ij,bj->", sub.conj(), matrix, sub)))

    def save(self):
        if not self.allow_save:
            return None
        self.copies += 1
        return self.psi.copy()

    def restore(self, saved, *, consume: bool) -> None:
        self.psi = saved if consume else saved.copy()

    def sample(self, qubits: Sequence[int], shots: int, rng: np.random.Generator) -> np.ndarray:
        probs = self.probabilities(qubits)
        return rng.choice(len(probs), size=shots, p=probs / probs.sum())

    def pauli_expectation(self, label: str) -> float:
        """<psi|P|psi> for a big-endian Pauli label (label[-1-q] acts on qubit q)."""
        phi = self.psi.copy()
        idx = np.arange(1 << self.n)
        for q, ch in enumerate(reversed(label)):
            bit = (idx >> q) & 1
            if ch in "XY":
                phi = phi[idx ^ (1 << q)]
            if ch == "Y":
                phi = phi * np.where(bit, 1j, -1j)
            if ch == "Z":
                phi = phi * np.where(bit, -1, 1)
        return float(np.real(np.vdot(self.psi, phi)))


def run_ops(ops, num_qubits: int) -> np.ndarray:
    """Apply unitary ops to |0…0> and return the state."""
    state = NumpyState(num_qubits)
    for op in ops:
        state.apply(op)
    return state.psi


def _pauli_expectations(self, terms):
    """``StateBackend``-style batch: ``[(paulis, qubits)]`` → values (label built big-endian)."""
    out = []
    for paulis, qubits in terms:
        label = ["I"] * self.n
        for ch, q in zip(paulis, qubits, strict=True):
            label[self.n - 1 - q] = ch
        out.append(self.pauli_expectation("".join(label)))
    return np.array(out)


NumpyState.pauli_expectations = _pauli_expectations
