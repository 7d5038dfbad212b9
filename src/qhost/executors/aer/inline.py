"""Inline the gates Aer cannot run into Aer's basis (Qrisp's composite gates, Qiskit library gates).

A direct recursive inline of each gate's definition, cached per Qiskit library gate class. It replaces
``QuantumCircuit.decompose``, which builds a synthesis pass (and loads its plugins) on every call.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from qhost.errors import InvalidCircuit

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = ["aer_basis", "decompose_for_aer"]

_ALWAYS_OK = frozenset({"measure", "barrier", "delay", "reset"})


@functools.cache
def aer_basis() -> frozenset[str]:
    from qiskit_aer import AerSimulator

    return frozenset(AerSimulator().configuration().basis_gates) | _ALWAYS_OK


def decompose_for_aer(circuit: QuantumCircuit, max_depth: int = 12) -> QuantumCircuit:
    """Inline the definitions of the gates Aer cannot run (e.g. Qrisp's per-object composite gates).

    A direct recursive inline: ``QuantumCircuit.decompose`` builds a synthesis pass (and loads its
    plugins) on every call, which cost ~2 ms per 5-qubit random circuit; this costs ~0.2 ms.
    """
    from qiskit.circuit import CircuitInstruction

    basis = aer_basis()
    if all(inst.operation.name in basis for inst in circuit.data):
        return circuit
    out = circuit.copy_empty_like()
    for inst in circuit.data:
        op = inst.operation
        if op.name in basis:
            out._append(inst)
            continue
        key = _expansion_key(op)
        expansion = None if key is None else _EXPANSIONS.get(key)
        if expansion is None:
            if key is None:
                _inline(out, op, inst.qubits, inst.clbits, basis, max_depth)
                continue
            expansion = _EXPANSIONS[key] = _expand(op, basis, max_depth)
        phase, steps = expansion
        out.global_phase += phase
        qargs, cargs = inst.qubits, inst.clbits
        for sub, qi, ci in steps:
            out._append(CircuitInstruction(sub, tuple(qargs[i] for i in qi), tuple(cargs[i] for i in ci)))
    return out


_EXPANSIONS: dict[tuple[Any, ...], tuple[float, list[tuple[Any, tuple[int, ...], tuple[int, ...]]]]] = {}
"""Qiskit library gates without parameters (``c3sx``, ``rccx`` …) inlined into Aer's basis, per class."""


def _expansion_key(op: Any) -> tuple[Any, ...] | None:
    """A cache key for ``op``'s inlined form: only parameterless gates of qiskit's own library, whose
    definition their class fixes (user-defined QASM gates may reuse a name with another body)."""
    if op.params or getattr(op, "mutable", True):
        return None
    base = getattr(op, "base_class", None)
    if base is None or not (base.__module__ or "").startswith("qiskit.circuit.library"):
        return None
    return (base, op.name, op.num_qubits, op.num_clbits, getattr(op, "ctrl_state", None))


def _expand(
    op: Any, basis: frozenset[str], depth: int
) -> tuple[float, list[tuple[Any, tuple[int, ...], tuple[int, ...]]]]:
    """``op`` inlined into ``basis`` on its own wires: (global phase, [(operation, qubit idx, clbit idx)])."""
    from qiskit import QuantumCircuit

    scratch = QuantumCircuit(op.num_qubits, op.num_clbits)
    _inline(scratch, op, scratch.qubits, scratch.clbits, basis, depth)
    qpos = {q: i for i, q in enumerate(scratch.qubits)}
    cpos = {c: i for i, c in enumerate(scratch.clbits)}
    steps = [
        (inst.operation, tuple(qpos[q] for q in inst.qubits), tuple(cpos[c] for c in inst.clbits))
        for inst in scratch.data
    ]
    return float(scratch.global_phase), steps


def _inline(
    out: QuantumCircuit,
    op: Any,
    qargs: Sequence[Any],
    cargs: Sequence[Any],
    basis: frozenset[str],
    depth: int,
) -> None:
    from qiskit.circuit import CircuitInstruction

    if op.name in basis:
        # QuantumCircuit._append is qiskit's documented fast path for already-validated instructions
        out._append(CircuitInstruction(op, tuple(qargs), tuple(cargs)))
        return
    definition = op.definition
    if definition is None:
        raise InvalidCircuit(f"Unsupported gate {op.name!r}: Aer cannot run it and it has no definition")
    if depth == 0:
        raise InvalidCircuit(f"Gate {op.name!r} did not decompose into Aer's basis (nested too deep)")
    qmap = dict(zip(definition.qubits, qargs, strict=True))
    cmap = dict(zip(definition.clbits, cargs, strict=True))
    out.global_phase += definition.global_phase
    for inst in definition.data:
        sub_q = [qmap[q] for q in inst.qubits]
        sub_c = [cmap[c] for c in inst.clbits]
        _inline(out, inst.operation, sub_q, sub_c, basis, depth - 1)
