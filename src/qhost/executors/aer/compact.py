"""Estimator PUBs without their idle qubits: a 127-qubit ISA circuit costs its active qubits only.

Qubits that no gate touches and no observable acts on are dropped, and the observables relabelled to
the remaining qubits (in order); the Aer executor renumbers the noise model to match.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from qhost.executors.circuits import active_qubits

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit.primitives.containers.estimator_pub import EstimatorPub

__all__ = ["compact_estimator_pub"]


def compact_estimator_pub(pub: EstimatorPub) -> tuple[EstimatorPub, list[int]]:
    """Drop qubits that no gate touches and no observable acts on; relabel observables."""
    from qiskit.primitives.containers.estimator_pub import EstimatorPub
    from qiskit.primitives.containers.observables_array import ObservablesArray

    circuit = pub.circuit
    n = circuit.num_qubits
    terms = pub.observables.tolist()
    observed: set[int] = set()
    _walk(terms, lambda d: observed.update(q for label in d for q in range(n) if label[n - 1 - q] != "I"))
    keep = sorted(set(active_qubits(circuit)) | observed)
    if len(keep) == n:
        return pub, keep
    compact = _restrict(circuit, keep)
    relabel = {q: i for i, q in enumerate(keep)}
    order = sorted(relabel, key=relabel.get, reverse=True)  # type: ignore[arg-type]

    def shrink(d: dict[str, float]) -> dict[str, float]:
        out: dict[str, float] = {}
        for label, coeff in d.items():
            key = "".join(label[n - 1 - q] for q in order)
            out[key] = out.get(key, 0.0) + coeff
        return out

    observables = ObservablesArray(_walk(terms, shrink))
    return EstimatorPub(compact, observables, pub.parameter_values, pub.precision, validate=False), keep


def _walk(value: Any, fn: Any) -> Any:
    if isinstance(value, list):
        return [_walk(v, fn) for v in value]
    return fn(value)


def _restrict(circuit: QuantumCircuit, keep: Sequence[int]) -> QuantumCircuit:
    from qiskit import QuantumCircuit

    new = QuantumCircuit(len(keep), circuit.num_clbits, global_phase=circuit.global_phase)
    position = {circuit.qubits[q]: new.qubits[i] for i, q in enumerate(keep)}
    clbit = dict(zip(circuit.clbits, new.clbits, strict=True))
    for inst in circuit.data:
        qubits = [position[q] for q in inst.qubits if q in position]
        if len(qubits) != len(inst.qubits):
            continue  # barrier/delay on dropped qubits
        new.append(inst.operation, qubits, [clbit[c] for c in inst.clbits])
    return new
