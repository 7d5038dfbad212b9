"""Stim executor: Clifford (stabilizer) circuits at thousands of qubits (``pip install -e '.[sims]'``).

Gates must be Clifford (``h s sdg x y z sx sxdg cx cy cz swap iswap id``); measurement and reset may
appear anywhere. Non-Clifford gates are refused with the gate's name: use ``aer`` or ``aer_mps`` then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from qhost.errors import CircuitTooLarge, InvalidCircuit
from qhost.executors.instructions import COUNTS_NEUTRAL
from qhost.executors.limits import MAX_QUBITS
from qhost.executors.sims.base import CountsOnlyExecutor, counts_from_clbit_rows

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = ["StimExecutor"]

_GATES = {
    "id": "I", "x": "X", "y": "Y", "z": "Z", "h": "H", "s": "S", "sdg": "S_DAG", "sx": "SQRT_X",
    "sxdg": "SQRT_X_DAG", "cx": "CX", "cy": "CY", "cz": "CZ", "swap": "SWAP", "iswap": "ISWAP",
    "measure": "M", "reset": "R",
}  # fmt: skip


class StimExecutor(CountsOnlyExecutor):
    """Stim's stabilizer-tableau sampler, noise-free, Clifford gates only.

    Options:
        max_shots (int, default 0): per-executor shots cap; 0 means the server-wide ``QHOST_MAX_SHOTS``.
    """

    name: ClassVar[str] = "stim"
    package: ClassVar[str] = "stim"

    def _run_counts(self, circuit: QuantumCircuit, shots: int, seed: int | None) -> dict[str, int]:
        cap = MAX_QUBITS["stabilizer"]
        if circuit.num_qubits > cap:
            raise CircuitTooLarge(f"{circuit.num_qubits} qubits exceed the stim executor's limit of {cap}")
        program, record_clbits = _to_stim(circuit)
        records = program.compile_sampler(seed=seed).sample(shots)
        rows = np.zeros((shots, circuit.num_clbits), dtype=np.uint8)
        for record, clbit in enumerate(record_clbits):
            rows[:, clbit] = records[:, record]
        return counts_from_clbit_rows(rows)


def _to_stim(circuit: QuantumCircuit) -> tuple[Any, list[int]]:
    """Translate to a ``stim.Circuit``; return it and, per measurement record, its clbit."""
    import stim

    program = stim.Circuit()
    record_clbits: list[int] = []
    circuit = _flatten(circuit)
    for inst in circuit.data:
        name = inst.operation.name
        if name in COUNTS_NEUTRAL:
            continue
        if name not in _GATES:
            raise InvalidCircuit(
                f"Executor 'stim' runs Clifford circuits only; gate {name!r} is not supported "
                f"(supported: {sorted(_GATES)}); use 'aer' or 'aer_stabilizer'"
            )
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        program.append(_GATES[name], qubits)
        if name == "measure":
            record_clbits.append(circuit.find_bit(inst.clbits[0]).index)
    return program, record_clbits


def _flatten(circuit: QuantumCircuit) -> QuantumCircuit:
    """Decompose custom (non-standard) gates until only standard names remain."""
    from qiskit.circuit.library import get_standard_gate_name_mapping

    standard = set(get_standard_gate_name_mapping()) | COUNTS_NEUTRAL
    for _ in range(3):
        custom = {inst.operation.name for inst in circuit.data} - standard
        if not custom:
            return circuit
        decomposed = circuit.decompose(gates_to_decompose=sorted(custom))
        if decomposed == circuit:
            return circuit
        circuit = decomposed
    return circuit
