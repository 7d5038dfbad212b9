"""Thrift door ⇄ engine types. Pure functions: no sockets, no engine, no ``thrift`` import.

Qrisp's Thrift ``QuantumCircuit`` struct (qubits and clbits named by ``identifier`` strings, instructions
naming an operation with parameters and an optional ``definition`` sub-circuit) becomes OpenQASM 2 text, so
the job runs exactly like a Qrisp REST job (Qrisp's own Thrift server handed the struct to ``run_func``; ours
hands QASM, like every other door). Structs are read by attribute, so Qrisp's generated classes and ours
both work. Every reference is checked: unknown qubits, wrong arity, bad parameters and over-limit sizes
raise ``InvalidCircuit``/``CircuitTooLarge`` naming the instruction.

The other direction, ``struct_from_circuit``, builds the struct from a qiskit circuit (tests, clients).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from qhost.errors import CircuitTooLarge, InvalidCircuit, InvalidOption
from qhost.jobs.status import JobStatus

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from qhost.jobs.spec import JobRecord

__all__ = [
    "DEFAULT_MAX_INSTRUCTIONS",
    "GATES",
    "I32_MAX",
    "I64_MAX",
    "Limits",
    "counts_from_result",
    "counts_i32",
    "counts_i64",
    "job_info_fields",
    "qasm_from_struct",
    "struct_from_circuit",
]

I32_MAX = 2**31 - 1
I64_MAX = 2**63 - 1

DEFAULT_MAX_INSTRUCTIONS = 200_000
"""Most instructions (nested definitions included) one Thrift circuit may carry."""

GATES: dict[str, tuple[str, int, int]] = {
    name: (name, nq, np_)
    for names, nq, np_ in (
        (("id", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg"), 1, 0),
        (("rx", "ry", "rz", "p", "u1"), 1, 1),
        (("u2",), 1, 2),
        (("u", "u3"), 1, 3),
        (("cx", "cy", "cz", "ch", "swap"), 2, 0),
        (("cp", "crx", "cry", "crz", "cu1", "rxx", "rzz"), 2, 1),
        (("cu3",), 2, 3),
        (("ccx", "cswap"), 3, 0),
    )
    for name in names
}
"""Operation name → (QASM 2 name, qubits, parameters). Qrisp's spellings are added below."""
GATES.update({"s_dg": GATES["sdg"], "t_dg": GATES["tdg"], "sx_dg": GATES["sxdg"], "cnot": GATES["cx"]})

_IGNORED = frozenset({"qb_alloc", "qb_dealloc", "gphase"})
"""Qrisp bookkeeping operations with no effect on measured counts (a global phase is unobservable)."""

_PREAMBLE = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


@dataclass(frozen=True)
class Limits:
    """Size limits of one circuit struct.

    Attributes:
        max_instructions: instructions in total, nested definitions included.
        max_qubits: qubits (and clbits) of the circuit.
        max_depth: nesting of ``Operation.definition`` sub-circuits.
    """

    max_instructions: int = DEFAULT_MAX_INSTRUCTIONS
    max_qubits: int = 1024
    max_depth: int = 8


class _Emitter:
    """Writes one circuit (and the gate definitions it needs) as QASM 2 lines."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.definitions: list[str] = []
        self.count = 0

    def body(self, qc: Any, depth: int, where: str) -> tuple[list[str], list[str], list[str]]:
        qubits = _bit_names(getattr(qc, "qubits", None), "qubit", where, self.limits.max_qubits)
        clbits = _bit_names(getattr(qc, "clbits", None), "clbit", where, self.limits.max_qubits)
        data = getattr(qc, "data", None) or []
        if not isinstance(data, Sequence):
            raise InvalidCircuit(f"{where}: 'data' must be a list of instructions")
        qmap = {name: i for i, name in enumerate(qubits)}
        cmap = {name: i for i, name in enumerate(clbits)}
        lines = [self.instruction(ins, i, qmap, cmap, depth, where) for i, ins in enumerate(data)]
        return qubits, clbits, [line for line in lines if line]

    def instruction(
        self, ins: Any, index: int, qmap: dict[str, int], cmap: dict[str, int], depth: int, where: str
    ) -> str:
        self.count += 1
        if self.count > self.limits.max_instructions:
            raise CircuitTooLarge(
                f"Circuit has more than {self.limits.max_instructions} instructions "
                f"(max_instructions); split it or raise the server's limit"
            )
        op = getattr(ins, "op", None)
        name = getattr(op, "name", None)
        label = f"{where} instruction {index}"
        if not isinstance(name, str) or not name:
            raise InvalidCircuit(f"{label}: operation without a name")
        label = f"{label} ({name})"
        qs = _refs(getattr(ins, "qubits", None), qmap, "qubit", label)
        cs = _refs(getattr(ins, "clbits", None), cmap, "clbit", label)
        params = _params(getattr(op, "params", None), label)
        if len(set(qs)) != len(qs):
            raise InvalidCircuit(f"{label}: the same qubit appears twice")
        return self.statement(name, op, qs, cs, params, depth, label)

    def statement(
        self, name: str, op: Any, qs: list[int], cs: list[int], params: list[float], depth: int, label: str
    ) -> str:
        args = ",".join(f"q[{q}]" for q in qs)
        if name in _IGNORED:
            return ""
        if name == "measure":
            _arity(label, qs, 1, cs, 1)
            return f"measure q[{qs[0]}] -> c[{cs[0]}];"
        if name in ("reset", "barrier"):
            _arity(label, qs, 1 if name == "reset" else len(qs) or 1, cs, 0)
            return f"{name} {args};"
        if getattr(op, "definition", None) is not None:
            return f"{self.composite(op.definition, len(qs), depth, label)} {args};"
        if name not in GATES:
            raise InvalidCircuit(
                f"{label}: unsupported operation {name!r}; supported: "
                f"{sorted([*GATES, 'measure', 'reset', 'barrier', *_IGNORED])} "
                f"or any operation with a 'definition'"
            )
        qasm_name, nq, np_ = GATES[name]
        _arity(label, qs, nq, cs, 0)
        if len(params) != np_:
            raise InvalidCircuit(f"{label}: takes {np_} parameter(s), got {len(params)}")
        ps = f"({','.join(repr(p) for p in params)})" if params else ""
        return f"{qasm_name}{ps} {args};"

    def composite(self, definition: Any, num_qubits: int, depth: int, label: str) -> str:
        if depth >= self.limits.max_depth:
            raise InvalidCircuit(f"{label}: definitions nested deeper than {self.limits.max_depth}")
        qubits, clbits, lines = self.body(definition, depth + 1, f"{label} definition")
        if clbits or any(line.startswith(("measure", "reset", "barrier")) for line in lines):
            raise InvalidCircuit(f"{label}: a definition may hold only gates (no measure, reset or barrier)")
        if len(qubits) != num_qubits:
            raise InvalidCircuit(f"{label}: used on {num_qubits} qubit(s); its definition has {len(qubits)}")
        gate = f"def_{len(self.definitions)}"
        formals = ",".join(f"a{i}" for i in range(len(qubits)))
        body = " ".join(_rename(line, qubits) for line in lines)
        self.definitions.append(f"gate {gate} {formals} {{ {body} }}")
        return gate


def qasm_from_struct(qc: Any, limits: Limits | None = None) -> str:
    """OpenQASM 2 text of a Thrift ``QuantumCircuit`` struct (ours or Qrisp's generated class).

    Qubits become ``q[i]`` and clbits ``c[j]`` in struct order, so counts keys keep the struct's clbit order
    (clbit 0 rightmost). ``qb_alloc``, ``qb_dealloc`` and ``gphase`` are dropped; operations with a
    ``definition`` become QASM gate definitions.

    Raises:
        InvalidCircuit: missing or unknown qubit/clbit references, wrong arity or parameters, unknown
            operations, duplicate identifiers.
        CircuitTooLarge: more instructions, qubits or nesting than ``limits`` allow.
    """
    if qc is None:
        raise InvalidCircuit("No circuit: the 'qc' argument is missing")
    emitter = _Emitter(limits or Limits())
    qubits, clbits, lines = emitter.body(qc, 0, "circuit")
    if not qubits:
        raise InvalidCircuit("Circuit has no qubits")
    regs = [f"qreg q[{len(qubits)}];"] + ([f"creg c[{len(clbits)}];"] if clbits else [])
    return _PREAMBLE + "\n".join([*emitter.definitions, *regs, *lines]) + "\n"


def struct_from_circuit(circuit: QuantumCircuit | str, ttypes: ModuleType) -> Any:
    """The Thrift ``QuantumCircuit`` struct (from ``ttypes``: ours or Qrisp's) of a qiskit circuit or QASM.

    Gates are named as qiskit names them; no definitions are emitted (decompose custom gates first).
    """
    if isinstance(circuit, str):
        from qiskit import qasm2

        circuit = qasm2.loads(circuit, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    qubit = {bit: ttypes.Qubit(identifier=f"qb_{i}") for i, bit in enumerate(circuit.qubits)}
    clbit = {bit: ttypes.Clbit(identifier=f"cb_{i}") for i, bit in enumerate(circuit.clbits)}
    data = []
    for ins in circuit.data:
        op = ttypes.Operation(
            name=ins.operation.name,
            num_qubits=len(ins.qubits),
            num_clbits=len(ins.clbits),
            params=[float(p) for p in ins.operation.params],
        )
        data.append(
            ttypes.Instruction(
                op=op, qubits=[qubit[q] for q in ins.qubits], clbits=[clbit[c] for c in ins.clbits]
            )
        )
    return ttypes.QuantumCircuit(qubits=list(qubit.values()), clbits=list(clbit.values()), data=data)


def counts_from_result(program: str, result: str) -> dict[str, Any]:
    """Counts of a finished job's result text (``run_func``: the mapping; other programs: ``["counts"]``)."""
    data = json.loads(result)
    if program != "run_func" and isinstance(data, Mapping) and "counts" in data:
        data = data["counts"]
    if not isinstance(data, Mapping):
        raise InvalidOption(f"Job result is not a counts mapping: {type(data).__name__}")
    out: dict[str, Any] = {}
    for key, value in data.items():
        bits = str(key).replace(" ", "")
        out[bits] = out.get(bits, 0) + value
    return out


def counts_i32(counts: Mapping[str, Any]) -> dict[str, int]:
    """Counts for Qrisp's ``map<string,i32>``.

    Raises:
        InvalidOption: a value is not an integer (probabilities) or exceeds 2**31-1; names ``run_qasm``.
    """
    return _integral(counts, I32_MAX, "i32 (Qrisp's run); use run_qasm, whose counts are i64")


def counts_i64(counts: Mapping[str, Any]) -> dict[str, int]:
    """Counts for ``map<string,i64>``. Raises ``InvalidOption`` on non-integers or values over 2**63-1."""
    return _integral(counts, I64_MAX, "i64")


def job_info_fields(record: JobRecord) -> dict[str, Any]:
    """The ``JobInfo`` struct's fields of a job (times ISO 8601 UTC; absent ones ``None``)."""
    return {
        "id": record.id,
        "status": JobStatus(record.status).value,
        "program": record.spec.program,
        "backend": record.spec.backend,
        "created_at": _iso(record.created_at),
        "started_at": _iso(record.started_at),
        "finished_at": _iso(record.finished_at),
        "error": record.error,
    }


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)


def _integral(counts: Mapping[str, Any], limit: int, what: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, value in counts.items():
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidOption(
                f"Result value {value!r} for {key!r} is not an integer count "
                f"(probabilities cannot travel as {what.split(' ')[0]} counts)"
            )
        if not 0 <= value <= limit:
            raise InvalidOption(f"Count {value} for {key!r} does not fit {what}")
        out[str(key)] = value
    return out


def _bit_names(bits: Any, kind: str, where: str, limit: int) -> list[str]:
    bits = bits or []
    if not isinstance(bits, Sequence):
        raise InvalidCircuit(f"{where}: '{kind}s' must be a list")
    if len(bits) > limit:
        raise CircuitTooLarge(f"{where} has {len(bits)} {kind}s; the limit is {limit}")
    names: list[str] = []
    for bit in bits:
        name = getattr(bit, "identifier", None)
        if not isinstance(name, str):
            raise InvalidCircuit(f"{where}: every {kind} needs a string 'identifier'")
        names.append(name)
    if len(set(names)) != len(names):
        raise InvalidCircuit(f"{where}: duplicate {kind} identifiers")
    return names


def _refs(bits: Any, index: dict[str, int], kind: str, label: str) -> list[int]:
    out = []
    for bit in bits or []:
        name = getattr(bit, "identifier", None)
        if name not in index:
            raise InvalidCircuit(f"{label}: {kind} {name!r} is not one of the circuit's {len(index)} {kind}s")
        out.append(index[name])
    return out


def _params(params: Any, label: str) -> list[float]:
    out = []
    for p in params or []:
        if isinstance(p, bool) or not isinstance(p, int | float) or not math.isfinite(p):
            raise InvalidCircuit(f"{label}: parameter {p!r} is not a finite number")
        out.append(float(p))
    return out


def _arity(label: str, qs: list[int], nq: int, cs: list[int], nc: int) -> None:
    if len(qs) != nq or len(cs) != nc:
        raise InvalidCircuit(f"{label}: needs {nq} qubit(s) and {nc} clbit(s), got {len(qs)} and {len(cs)}")


def _rename(line: str, qubits: list[str]) -> str:
    """A body line of a definition with ``q[i]`` replaced by the gate's formal ``ai``."""
    head, _, args = line.rstrip(";").partition(" ")
    formals = ",".join("a" + arg[2:-1] for arg in args.split(","))
    return f"{head} {formals};"
