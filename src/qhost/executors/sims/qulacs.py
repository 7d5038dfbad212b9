"""Qulacs executor: a fast C++ statevector simulator (``pip install -e '.[sims]'`` or ``qulacs``).

The circuit is lowered to ``u`` + ``cx`` and applied as dense-matrix and CNOT gates; the final state is
sampled once per shot. Measurements must be terminal (no gate after a measurement on the same qubit) and
``reset`` is refused: use ``ddsim``, ``stim`` or an Aer executor for mid-circuit measurement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from qhost.errors import InvalidCircuit
from qhost.executors.instructions import COUNTS_NEUTRAL
from qhost.executors.limits import check_memory, memory_limit_bytes
from qhost.executors.sims.base import CountsOnlyExecutor, counts_from_clbit_rows

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = ["QulacsExecutor"]


class QulacsExecutor(CountsOnlyExecutor):
    """Qulacs statevector sampling, noise-free, terminal measurements only.

    Options:
        max_shots (int, default 0): per-executor shots cap; 0 means the server-wide ``QHOST_MAX_SHOTS``.
    """

    name: ClassVar[str] = "qulacs"
    package: ClassVar[str] = "qulacs"

    def _run_counts(self, circuit: QuantumCircuit, shots: int, seed: int | None) -> dict[str, int]:
        import qulacs
        from qiskit import transpile

        check_memory("statevector", circuit.num_qubits, memory_limit_bytes())
        lowered = transpile(circuit, basis_gates=["u", "cx", "measure"], optimization_level=0)
        program, measured = _to_qulacs(lowered)
        state = qulacs.QuantumState(max(lowered.num_qubits, 1))
        program.update_quantum_state(state)
        outcomes = state.sampling(shots, seed) if seed is not None else state.sampling(shots)
        return _counts(np.asarray(outcomes, dtype=np.uint64), measured, lowered.num_clbits)


def _to_qulacs(circuit: QuantumCircuit) -> tuple[Any, dict[int, int]]:
    """Translate gates to a qulacs circuit; return it and the terminal measurements {clbit: qubit}."""
    import qulacs
    from qiskit.quantum_info import Operator

    program = qulacs.QuantumCircuit(max(circuit.num_qubits, 1))
    measured: dict[int, int] = {}
    done: set[int] = set()
    for inst in circuit.data:
        name = inst.operation.name
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        if name in COUNTS_NEUTRAL:
            continue
        if name == "measure":
            measured[circuit.find_bit(inst.clbits[0]).index] = qubits[0]
            done.add(qubits[0])
            continue
        if done.intersection(qubits) or name not in ("u", "cx"):
            raise InvalidCircuit(
                f"Executor 'qulacs' runs terminal measurements and unitary gates only; got {name!r} "
                f"on qubits {qubits} (use 'ddsim', 'stim' or 'aer' for mid-circuit measurement and reset)"
            )
        if name == "cx":
            program.add_CNOT_gate(qubits[0], qubits[1])
        else:
            program.add_gate(qulacs.gate.DenseMatrix(qubits[0], Operator(inst.operation).data))
    return program, measured


def _counts(outcomes: np.ndarray, measured: dict[int, int], num_clbits: int) -> dict[str, int]:
    rows = np.zeros((outcomes.shape[0], num_clbits), dtype=np.uint8)
    for clbit, qubit in measured.items():
        rows[:, clbit] = (outcomes >> np.uint64(qubit)) & np.uint64(1)
    return counts_from_clbit_rows(rows)
