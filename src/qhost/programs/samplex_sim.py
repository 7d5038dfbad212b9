"""Run a samplex template circuit over many bound parameter sets, simulating only what is entangled.

A samplex template measures (and dresses with ``rz``/``sx``) every qubit of the ISA circuit: on a
127-qubit device that is 127 qubits even when the user's circuit acts on 3. Qubits that no
multi-qubit gate touches stay in a product state with the rest, and the device noise models act on
each gate's own qubits, so such a qubit can be simulated on its own. This module splits the circuit:

- **single qubits** whose instructions are ``rz`` (a number or one parameter), fixed one-qubit
  gates and one final ``measure``: a 2x2 density matrix per bound parameter set, evolved in numpy
  with each gate's device error (its superoperator) and the qubit's readout error, then sampled;
- **the rest** (every qubit that an entangling gate, a reset, a mid-circuit measurement or a
  parameter expression touches): one compacted circuit run by the backend's executor with the device
  noise model trimmed and renumbered to those qubits.

Both parts use one seed-derived generator, so a seeded job repeats exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from qhost.executors.instructions import DIRECTIVES

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = ["Split", "run_template", "split_circuit"]

STABILIZER_DECIMALS = 5
"""Angles are snapped to multiples of π/2 at this many decimals for Aer's stabilizer method (as IBM's
local mode does with ``angle_decimals``)."""
_PARAMETRIC_1Q = frozenset({"rz"})


@dataclass
class _Lane:
    """One single-qubit component: its ops ``(name, matrix | param column | None)`` and measured clbit."""

    qubit: int
    ops: list[tuple[str, Any]] = field(default_factory=list)
    clbit: int | None = None


@dataclass
class Split:
    """Which qubits go to the executor (``core``) and which are simulated alone (``lanes``)."""

    core: list[int]
    lanes: list[_Lane]


def _union_find(n: int, circuit: QuantumCircuit) -> list[int]:
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    index = {bit: i for i, bit in enumerate(circuit.qubits)}
    for inst in circuit.data:
        if inst.operation.name in DIRECTIVES or len(inst.qubits) < 2:
            continue
        qs = [find(index[q]) for q in inst.qubits]
        for other in qs[1:]:
            parent[other] = qs[0]
    return [find(q) for q in range(n)]


def split_circuit(circuit: QuantumCircuit) -> Split:
    """Classify the qubits of a template circuit (see the module docstring)."""
    n = circuit.num_qubits
    roots = _union_find(n, circuit)
    group_size: dict[int, int] = {}
    for root in roots:
        group_size[root] = group_size.get(root, 0) + 1
    if any(getattr(inst.operation, "blocks", None) for inst in circuit.data):
        return Split(list(range(n)), [])  # control flow: no split
    columns = {param: i for i, param in enumerate(circuit.parameters)}
    qindex = {bit: i for i, bit in enumerate(circuit.qubits)}
    cindex = {bit: i for i, bit in enumerate(circuit.clbits)}
    lanes = {q: _Lane(q) for q in range(n) if group_size[roots[q]] == 1}
    rejected: set[int] = set()
    used: set[int] = set()
    for inst in circuit.data:
        name = inst.operation.name
        qs = [qindex[q] for q in inst.qubits]
        if name not in DIRECTIVES:
            used.update(qs)
        if name in DIRECTIVES or len(qs) != 1 or qs[0] not in lanes or qs[0] in rejected:
            continue
        lane = lanes[qs[0]]
        if lane.clbit is not None or not _add_op(lane, inst, columns, cindex):
            rejected.add(qs[0])
    core = sorted(q for q in range(n) if q in used and (q not in lanes or q in rejected))
    return Split(core, [lane for q, lane in sorted(lanes.items()) if q not in rejected and q in used])


def _add_op(lane: _Lane, inst: Any, columns: dict[Any, int], cindex: dict[Any, int]) -> bool:
    """Append one instruction to a lane; ``False`` when the lane cannot take it."""
    from qiskit.circuit import Parameter, ParameterExpression

    op = inst.operation
    if op.name == "measure":
        lane.clbit = cindex[inst.clbits[0]]
        lane.ops.append(("measure", None))
        return True
    if inst.clbits or op.name == "reset" or getattr(op, "condition", None) is not None:
        return False
    params = list(op.params)
    if any(isinstance(p, ParameterExpression) for p in params):
        if op.name in _PARAMETRIC_1Q and isinstance(params[0], Parameter):
            lane.ops.append((op.name, columns[params[0]]))
            return True
        return False
    try:
        matrix = np.asarray(op.to_matrix(), dtype=complex)
    except Exception:  # an opaque or non-unitary instruction: leave it to the executor
        return False
    lane.ops.append((op.name, matrix))
    return True


def _rz(theta: np.ndarray) -> np.ndarray:
    out = np.zeros((len(theta), 2, 2), dtype=complex)
    out[:, 0, 0] = np.exp(-0.5j * theta)
    out[:, 1, 1] = np.exp(0.5j * theta)
    return out


def _channel(rho: np.ndarray, superop: np.ndarray) -> np.ndarray:
    """Apply a superoperator (qiskit's column-stacking convention) to a stack of 2x2 density matrices."""
    vec = rho.transpose(0, 2, 1).reshape(len(rho), 4)
    return (vec @ superop.T).reshape(len(rho), 2, 2).transpose(0, 2, 1)


_SUPEROPS: dict[int, tuple[Any, np.ndarray]] = {}
"""``id(QuantumError) -> (error, superoperator)``: device errors are long-lived, so convert each once."""
SUPEROP_CACHE_SIZE = 50_000


def _superop_of(error: Any) -> np.ndarray:
    cached = _SUPEROPS.get(id(error))
    if cached is not None and cached[0] is error:
        return cached[1]
    from qhost.devices.noise import error_superop

    sup = error_superop(error)
    if len(_SUPEROPS) >= SUPEROP_CACHE_SIZE:
        _SUPEROPS.clear()
    _SUPEROPS[id(error)] = (error, sup)
    return sup


class _Errors:
    """Per-qubit error lookups into an Aer noise model (quantum errors as superoperators, readout)."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def superop(self, name: str, qubit: int) -> np.ndarray | None:
        if self.model is None:
            return None
        error = self.model._local_quantum_errors.get(name, {}).get((qubit,))
        if error is None:
            error = self.model._default_quantum_errors.get(name)
            if error is not None and error.num_qubits != 1:
                error = None
        return None if error is None else _superop_of(error)

    def readout(self, qubit: int) -> np.ndarray | None:
        if self.model is None:
            return None
        error = self.model._local_readout_errors.get((qubit,)) or self.model._default_readout_error
        return None if error is None else np.asarray(error.probabilities, dtype=float)


def _lane_ones(lane: _Lane, values: np.ndarray, errors: _Errors) -> np.ndarray:
    """Probability of reading 1 on ``lane`` for every bound parameter set (rows of ``values``)."""
    rho = np.zeros((len(values), 2, 2), dtype=complex)
    rho[:, 0, 0] = 1.0
    for name, arg in lane.ops:
        if name == "measure":
            sup = errors.superop("measure", lane.qubit)
            if sup is not None:
                rho = _channel(rho, sup)
            break
        unitary = _rz(values[:, arg]) if isinstance(arg, int) else arg
        rho = unitary @ rho @ np.conj(np.swapaxes(unitary, -1, -2))
        sup = errors.superop(name, lane.qubit)
        if sup is not None:
            rho = _channel(rho, sup)
    ones = np.clip(rho[:, 1, 1].real, 0.0, 1.0)
    readout = errors.readout(lane.qubit)
    if readout is not None:
        ones = (1.0 - ones) * readout[0, 1] + ones * readout[1, 1]
    return ones


def _restrict(circuit: QuantumCircuit, keep: Sequence[int]) -> QuantumCircuit:
    """``circuit`` on the qubits ``keep`` only (same clbits and parameters it still uses)."""
    from qiskit import QuantumCircuit

    new = QuantumCircuit(len(keep), global_phase=circuit.global_phase)
    for creg in circuit.cregs:
        new.add_register(creg)
    position = {circuit.qubits[q]: new.qubits[i] for i, q in enumerate(keep)}
    for inst in circuit.data:
        qubits = [position[q] for q in inst.qubits if q in position]
        if len(qubits) != len(inst.qubits):
            continue
        new.append(inst.operation, qubits, inst.clbits)
    return new


def _run_core(
    circuit: QuantumCircuit,
    core: list[int],
    values: np.ndarray,
    shots: int,
    device: Any,
    executor: Any,
    seed: int,
    noise: Any,
) -> dict[str, np.ndarray]:
    """Run the entangled part through the executor; ``{creg: bool (N, shots, size)}`` (little order)."""
    from qiskit.primitives.containers.bindings_array import BindingsArray
    from qiskit.primitives.containers.sampler_pub import SamplerPub

    compact = _restrict(circuit, core)
    order = {p: i for i, p in enumerate(circuit.parameters)}
    columns = [order[p] for p in compact.parameters]
    count = len(values)
    method = (getattr(executor, "options", None) or {}).get("method")
    if method == "stabilizer":  # Aer's stabilizer takes only exact Clifford angles: snap float drift
        values = np.round(values / (np.pi / 2), STABILIZER_DECIMALS) * (np.pi / 2)
    if columns:
        bindings = BindingsArray({tuple(compact.parameters): values[:, columns]})
        pub = SamplerPub.coerce((compact, bindings, shots))
    else:  # nothing to bind: one run with every parameter set's shots, split afterwards
        pub = SamplerPub.coerce((compact, None, shots * max(count, 1)))
    trimmed = None
    if noise is not None:
        from qhost.devices.noise import trim_noise_model

        trimmed = trim_noise_model(noise, core, remap={q: i for i, q in enumerate(core)})
        if method in ("automatic", "density_matrix") and shots > (1 << len(core)):
            # the density-matrix regime: one Kraus channel per error is ~3x faster
            from qhost.devices.noise import kraus_noise_model

            trimmed = kraus_noise_model(trimmed)
    result = executor.sample([pub], device, seed=seed, noise_model=trimmed)[0]
    out = {}
    for name in result.data:
        bits = getattr(result.data, name).to_bool_array("little")
        out[name] = np.ascontiguousarray(bits.reshape(count, shots, bits.shape[-1]))
    return out


def run_template(
    circuit: QuantumCircuit,
    values: np.ndarray,
    shots: int,
    device: Any,
    executor: Any,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Sample ``circuit`` bound to each row of ``values`` (``(N, num_parameters)``) ``shots`` times.

    Returns ``{creg name: bool array (N, shots, creg size)}``, clbit 0 of each register first, as
    ``BitArray.to_bool_array("little")`` gives it (the layout the client's decoders read).
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[1] != circuit.num_parameters:
        raise ValueError(f"values must have shape (N, {circuit.num_parameters}), got {values.shape}")
    count = len(values)
    # the device noise of the circuit's qubits only (core and lanes): built for them, not the whole device
    from qhost.executors.circuits import active_qubits

    noise = None if device.is_ideal else device.noise_model(active_qubits(circuit))
    split = split_circuit(circuit)
    creg_bits = {creg.name: creg for creg in circuit.cregs}
    if split.core:
        seed = int(rng.integers(2**31 - 1))
        out = _run_core(circuit, split.core, values, shots, device, executor, seed, noise)
        if count and any(bits.shape[0] != count for bits in out.values()):
            raise ValueError("executor returned a different number of parameter sets")
    else:
        out = {name: np.zeros((count, shots, reg.size), dtype=bool) for name, reg in creg_bits.items()}
    errors = _Errors(noise)
    clbit_place: dict[int, tuple[str, int]] = {}
    for reg in circuit.cregs:
        for position, bit in enumerate(reg):
            clbit_place.setdefault(circuit.find_bit(bit).index, (reg.name, position))
    for lane in split.lanes:
        if lane.clbit is None or lane.clbit not in clbit_place:
            continue
        ones = _lane_ones(lane, values, errors)
        name, position = clbit_place[lane.clbit]
        out[name][:, :, position] = rng.random((count, shots)) < ones[:, None]
    return out
