"""Named instruction variants of IBM's newest devices, lowered to what simulators run, with their own noise.

Heron r2/r3 targets list ``measure_2`` and ``reset_2`` (``qiskit_ibm_runtime.circuit.library``'s
``MidCircuitMeasure`` / ``MidCircuitReset``: the same operation with its own calibration); the client
library also defines ``measure_reset`` (``MeasureReset``: measure into the bit, then reset) and ``xslow``
(``XSlowGate``: an X with its own, longer, pulse). A QPY-decoded circuit carries them as opaque
instructions no simulator knows. :func:`lower_variants` replaces each by its base operation(s):

========================  =========================  ==============================================
variant                   runs as                    noise (on a noisy device)
========================  =========================  ==============================================
``measure_<k>``           ``measure``                the readout error calibrated for the variant
``reset_<k>``             ``reset``                  relaxation for the variant's own duration
``measure_reset[...]``    ``measure`` + ``reset``    the variant's readout error (or ``measure``'s),
                                                     then ``reset``'s noise
``xslow``                 ``x``                      the variant's own error and duration
========================  =========================  ==============================================

Gate and reset variants: where a qubit uses a variant, the errors of that base operation on that qubit
leave the noise model and each occurrence (plain or variant) gets its own calibrated error inserted right
after it, which is where Aer's noise model puts it; so ``x`` and ``xslow`` (``reset`` and ``reset_2``)
on one qubit keep their different errors. Readout errors are per qubit in Aer's noise model: a qubit
measured with one kind takes that kind's readout error there; a qubit measured with kinds whose readout
errors differ (``measure_2`` mid-circuit, ``measure`` at the end) gets none from the model, and each of
its measurements is written out as a measurement with its own classical error
(:func:`_measure_with_readout`: a few control-flow instructions per measurement, so Aer runs such
circuits shot by shot). A variant the device has no calibration for on that qubit is refused with a
message naming it: never a silent approximation. On a noise-free run (``ideal``, or noise off) the
lowering is exact. Control-flow bodies are lowered too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qhost.errors import InvalidCircuit

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from qhost.devices.channels import NoiseBuilder

__all__ = ["NO_READOUT", "Lowered", "has_variants", "lower_variants", "variant_bases", "variant_names"]

_GATE_BASES = frozenset({"x", "reset"})
"""Bases whose errors are quantum channels (inserted explicitly when a qubit mixes flavours)."""


def variant_bases(name: str, num_qubits: int, num_clbits: int) -> tuple[str, ...] | None:
    """The base operations the instruction ``name`` runs as, or ``None`` when it is not a named variant."""
    if num_qubits != 1:
        return None
    if name.startswith("measure_reset") and num_clbits == 1:
        return ("measure", "reset")
    if name.startswith("measure_") and name != "measure" and num_clbits == 1:
        return ("measure",)
    if name.startswith("reset_") and num_clbits == 0:
        return ("reset",)
    if name == "xslow" and num_clbits == 0:
        return ("x",)
    return None


def _is_variant(op: Any) -> bool:
    return variant_bases(op.name, op.num_qubits, op.num_clbits) is not None and _opaque(op)


def _opaque(op: Any) -> bool:
    """Not a standard Qiskit instruction (``Measure``/``Reset``/``XGate`` subclasses never are variants)."""
    from qiskit.circuit import Measure, Reset
    from qiskit.circuit.library import XGate

    return not isinstance(op, (Measure, Reset, XGate))


def has_variants(circuits: Iterable[QuantumCircuit]) -> bool:
    """Whether any circuit (control-flow bodies included) uses a named variant."""
    return any(_any_variant(circuit) for circuit in circuits)


def variant_names(circuits: Iterable[QuantumCircuit]) -> list[str]:
    """The named variants ``circuits`` use (control-flow bodies included), sorted."""
    found: set[str] = set()

    def walk(circuit: QuantumCircuit) -> None:
        for inst in circuit.data:
            op = inst.operation
            if getattr(op, "blocks", None):
                for block in op.blocks:
                    walk(block)
            elif _is_variant(op):
                found.add(op.name)

    for circuit in circuits:
        walk(circuit)
    return sorted(found)


def _any_variant(circuit: QuantumCircuit) -> bool:
    for inst in circuit.data:
        op = inst.operation
        if getattr(op, "blocks", None):
            if any(_any_variant(block) for block in op.blocks):
                return True
        elif _is_variant(op):
            return True
    return False


@dataclass(frozen=True)
class Lowered:
    """A circuit with its variants lowered, and how the device noise model must change for it.

    Attributes:
        circuit: the lowered circuit (``circuit`` itself when it had no variant).
        readout: per qubit, the measurement kind whose readout error applies (only where not ``measure``).
        explicit: ``(base, qubit)`` pairs whose errors are in the circuit (to leave out of the model).
    """

    circuit: QuantumCircuit
    readout: dict[int, str] = field(default_factory=dict)
    explicit: frozenset[tuple[str, int]] = frozenset()

    @property
    def noise_key(self) -> tuple[tuple[tuple[int, str], ...], tuple[tuple[str, int], ...]] | None:
        """What the device noise model must change (``Device.noise_model(variants=...)``), or ``None``."""
        if not self.readout and not self.explicit:
            return None
        return tuple(sorted(self.readout.items())), tuple(sorted(self.explicit))


def lower_variants(circuit: QuantumCircuit, builder: NoiseBuilder | None, where: str) -> Lowered:
    """Lower ``circuit``'s named variants; ``builder`` is the device noise (``None``: a noise-free run).

    Raises:
        InvalidCircuit: the run is noisy and a variant has no calibration on its qubit, so it cannot
            get its own errors; the message names the instruction, the qubit, ``where``
            (``device@executor``) and why.
    """
    if not _any_variant(circuit):
        return Lowered(circuit)
    uses: dict[tuple[str, int], set[str]] = {}
    _scan(circuit, {q: i for i, q in enumerate(circuit.qubits)}, uses)
    if builder is None:
        return Lowered(_rebuild(circuit, _index(circuit), _Plan()))
    readout, mixed = _readouts(uses, builder, where)
    explicit = frozenset(key for key, names in uses.items() if key[0] in _GATE_BASES and names - {key[0]})
    for base, qubit in explicit:
        for name in uses[(base, qubit)] - {base}:
            _require_calibration(builder, name, qubit, where)

    def error(name: str, qubit: int) -> Any:
        return builder.gate_error(name, (qubit,))

    lowered = _rebuild(circuit, _index(circuit), _Plan(explicit, error, mixed))
    return Lowered(lowered, readout, explicit)


def _index(circuit: QuantumCircuit) -> dict[Any, int]:
    return {q: i for i, q in enumerate(circuit.qubits)}


def _scan(circuit: QuantumCircuit, index: dict[Any, int], uses: dict[tuple[str, int], set[str]]) -> None:
    """Which names each ``(base, qubit)`` is used under (``measure_reset`` counts as its measure)."""
    for inst in circuit.data:
        op = inst.operation
        if getattr(op, "blocks", None):
            for block in op.blocks:
                _scan(block, {b: index[q] for b, q in zip(block.qubits, inst.qubits, strict=True)}, uses)
            continue
        if _is_variant(op):
            bases = variant_bases(op.name, op.num_qubits, op.num_clbits) or ()
            qubit = index[inst.qubits[0]]
            uses.setdefault((bases[0], qubit), set()).add(op.name)
            for base in bases[1:]:
                uses.setdefault((base, qubit), set()).add(base)
        elif op.name in ("measure", "reset", "x") and len(inst.qubits) == 1:
            uses.setdefault((op.name, index[inst.qubits[0]]), set()).add(op.name)


def _readouts(
    uses: dict[tuple[str, int], set[str]], builder: NoiseBuilder, where: str
) -> tuple[dict[int, str], dict[int, dict[str, tuple[float, float]]]]:
    """Per qubit, the measurement kind whose readout error the model applies; and the qubits whose kinds'
    readout errors differ, with each kind's ``(P(1|0), P(0|1))`` (their errors go in the circuit)."""
    kinds: dict[int, str] = {}
    mixed: dict[int, dict[str, tuple[float, float]]] = {}
    for (base, qubit), names in sorted(uses.items()):
        if base != "measure" or names == {"measure"}:
            continue
        errors = {name: _readout_probs(builder, name, qubit, where) for name in sorted(names)}
        if len(set(errors.values())) > 1:
            mixed[qubit] = errors
            kinds[qubit] = NO_READOUT
        elif "measure" not in names:
            kinds[qubit] = sorted(names)[0]
    return kinds, mixed


NO_READOUT = "none"
"""The measurement kind of a qubit whose readout errors the circuit carries itself (no model error)."""


def _readout_probs(builder: NoiseBuilder, name: str, qubit: int, where: str) -> tuple[float, float]:
    if name == "measure":
        return builder.calibration.readout.get(qubit, (0.0, 0.0))
    probs = builder.variant_readout(name, qubit)
    if probs is None:
        raise InvalidCircuit(
            f"{where}: {name} on qubit {qubit} has no calibrated readout error on this device, so its own "
            "readout error cannot be simulated (qhost does not substitute measure's)"
        )
    return probs


def _require_calibration(builder: NoiseBuilder, name: str, qubit: int, where: str) -> None:
    inst = builder.calibration.instruction(name)
    if inst is None or (qubit,) not in inst.props:
        raise InvalidCircuit(
            f"{where}: {name} on qubit {qubit} has no calibration on this device, so its own error and "
            "duration cannot be simulated (qhost does not substitute the base operation's)"
        )


@dataclass(frozen=True)
class _Plan:
    """How to rebuild: errors to insert after ``(base, qubit)`` instructions, readout errors to insert."""

    explicit: frozenset[tuple[str, int]] = frozenset()
    error: Callable[[str, int], Any] = lambda name, qubit: None
    mixed: dict[int, dict[str, tuple[float, float]]] = field(default_factory=dict)


def _rebuild(circuit: QuantumCircuit, index: dict[Any, int], plan: _Plan) -> QuantumCircuit:
    from qiskit.circuit import Measure, Reset
    from qiskit.circuit.library import XGate

    base_ops = {"measure": Measure, "reset": Reset, "x": XGate}
    out = circuit.copy_empty_like()
    for inst in circuit.data:
        op = inst.operation
        if getattr(op, "blocks", None):
            blocks = [
                _rebuild(b, {bq: index[q] for bq, q in zip(b.qubits, inst.qubits, strict=True)}, plan)
                for b in op.blocks
            ]
            out.append(op.replace_blocks(blocks), inst.qubits, inst.clbits)
            continue
        variant = _is_variant(op)
        bases = (variant_bases(op.name, 1, op.num_clbits) or ()) if variant else (op.name,)
        if not variant and not (op.name in base_ops and len(inst.qubits) == 1):
            out.append(op, inst.qubits, inst.clbits)
            continue
        qubit = index[inst.qubits[0]]
        for i, base in enumerate(bases):
            name = op.name if variant and i == 0 else base  # the instruction as written owns the errors
            if base == "measure" and qubit in plan.mixed:
                _measure_with_readout(out, inst.qubits[0], inst.clbits[0], plan.mixed[qubit][name])
                continue
            out.append(base_ops[base](), inst.qubits, inst.clbits if base == "measure" else ())
            if (base, qubit) in plan.explicit:
                channel = plan.error(name, qubit)
                if channel is not None:
                    out.append(channel, inst.qubits)
    return out


def _measure_with_readout(out: QuantumCircuit, qubit: Any, clbit: Any, probs: tuple[float, float]) -> None:
    """A measurement whose recorded bit is wrong with ``probs = (P(1|0), P(0|1))`` and whose qubit is left
    in the true outcome, as Aer's readout error does, written with instructions (no per-qubit model entry):
    measure; then, knowing the true outcome, flip the qubit with that outcome's error probability, measure
    again into the bit, and undo the flip."""
    from qiskit_aer.noise import pauli_error

    undo = pauli_error([("X", 1.0)])  # an exact X, outside the device noise model (no "x" error on it)
    out.measure(qubit, clbit)
    with out.if_test((clbit, 0)) as otherwise:
        _flip_record(out, qubit, clbit, probs[0], undo, wrong=1)
    with otherwise:
        _flip_record(out, qubit, clbit, probs[1], undo, wrong=0)


def _flip_record(out: QuantumCircuit, qubit: Any, clbit: Any, prob: float, undo: Any, wrong: int) -> None:
    from qiskit_aer.noise import pauli_error

    if prob <= 0:
        return
    out.append(pauli_error([("X", prob), ("I", 1 - prob)]), [qubit])
    out.measure(qubit, clbit)
    with out.if_test((clbit, wrong)):
        out.append(undo, [qubit])
