"""QPY sizes checked before Qiskit allocates anything for them.

A QPY payload declares its sizes up front: programs in the file header; qubits, clbits, registers,
instructions and string lengths in each circuit header (small fixed structs, ``qiskit/qpy/formats.py``).
Qiskit's reader trusts them: a 299-byte payload claiming 2,000,000 qubits made the server build two million
``Qubit`` objects (2.5 s, +500 MB) before the backend check refused the circuit. ``check_qpy_sizes`` reads
those headers with ``struct`` and refuses, in microseconds, any size over ``QpyLimits`` and any size the
payload's bytes cannot possibly hold (every instruction, register and string costs bytes), so only
payloads whose declared sizes are plausible reach ``qpy.load``.

Every circuit of a payload is checked. From version 16 the file holds a table of circuit offsets, so each
header is read directly. Below 16 a circuit's end is known only by reading its instructions, and from
version 13 qiskit reads QPY with a Rust reader that consumes the whole stream, so nothing can check the
second circuit's header before it is loaded: a payload of several circuits below version 16 is refused
(qiskit-ibm-runtime >= 0.50 needs qiskit >= 2.3, which writes version 17 for its executor's multi-circuit
payloads; the primitives send one circuit per payload). ``check_qpy_sizes`` returns the qubits + clbits
declared in all, for a per-request total.

Layout (QPY versions 1 – 18): ``FILE_HEADER`` (``!6sBBBBQ``, v10+: one more byte), a type key byte (v5+),
a table of program offsets (v16+, ``!Q`` each), then per circuit ``CIRCUIT_HEADER`` (v1: ``!HdIIQIQ``;
v2 – v11: ``!H1cHIIQIQ``; v12+: ``!H1cHIIQIQI``), its name, global phase and metadata, then the registers
(``!1c?IH``; v4+: ``!1c?IH?``; v18+: ``!1c?IH?c``, each followed by its name and ``size`` bit indices:
int64 in v4 – v17, uint32 otherwise; in v18 a contiguous register gives only its start index).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from qhost.errors import CircuitTooLarge, InvalidCircuit
from qhost.protocols.json_input import check_depth

__all__ = ["MAX_QPY_QUBITS", "QpyLimits", "check_qpy_sizes"]

MAX_QPY_QUBITS = 100_000
"""Most qubits (and clbits) a QPY circuit may declare when no backend width is given (``QpyLimits``)."""

_FILE_HEADER = struct.Struct("!6sBBBBQ")
_FILE_HEADER_V10 = struct.Struct("!6sBBBBQc")
_CIRCUIT_V1 = struct.Struct("!HdIIQIQ")
_CIRCUIT_V2 = struct.Struct("!H1cHIIQIQ")
_CIRCUIT_V12 = struct.Struct("!H1cHIIQIQI")
_REGISTER = struct.Struct("!1c?IH")
_REGISTER_V4 = struct.Struct("!1c?IH?")
_REGISTER_V18 = struct.Struct("!1c?IH?c")
_KNOWN_LAYOUT = 18
"""The newest QPY version whose register layout this module knows (``qiskit/qpy/__init__.py`` history)."""
_OFFSET = struct.Struct("!Q")
_MIN_INSTRUCTION_BYTES = struct.calcsize("!HHHII?Hq")
"""The smallest instruction record of any QPY version (v1's fixed part; later ones are larger)."""


@dataclass(frozen=True)
class QpyLimits:
    """Caps on what one QPY payload may declare.

    Attributes:
        max_qubits: qubits per circuit (the target backend's width where it is known).
        max_programs: circuits per payload.
        max_clbits: clbits per circuit (also, with ``max_qubits``, the cap on one register's size).
        backend: the backend ``max_qubits`` is the width of (named in the message), or ``""``.
    """

    max_qubits: int = MAX_QPY_QUBITS
    max_programs: int = 10_000
    max_clbits: int = MAX_QPY_QUBITS
    backend: str = ""


def check_qpy_sizes(raw: bytes, limits: QpyLimits | None = None) -> int:
    """Refuse a QPY payload whose headers declare more than ``limits`` or more than its bytes can hold.

    Returns the qubits and clbits declared by all the payload's circuits, together.

    Raises:
        CircuitTooLarge: a circuit declares more qubits/clbits than ``limits`` allow.
        InvalidCircuit: a declared count or length cannot fit in the payload (truncated or forged), or
            several circuits in a payload below QPY 16.
    """
    limits = limits or QpyLimits()
    reader = _Reader(raw)
    version = raw[6] if len(raw) > 6 else 0
    header = reader.unpack(_FILE_HEADER_V10 if version >= 10 else _FILE_HEADER, "file header")
    programs = header[5]
    if programs > limits.max_programs:
        raise InvalidCircuit(f"QPY payload declares {programs} circuits; the limit is {limits.max_programs}")
    reader.need(programs * _CIRCUIT_V1.size, f"{programs} circuits")
    if version >= 5:
        reader.skip(1, "type key")
    if version >= 16:
        offsets = [reader.unpack(_OFFSET, "circuit table")[0] for _ in range(programs)]
        return sum(_check_circuit(_Reader(raw, offset), version, limits) for offset in offsets)
    if programs > 1:
        raise InvalidCircuit(
            f"QPY version {version} payload of {programs} circuits: below version 16 a payload may hold "
            "one circuit only (send one payload per circuit, or write QPY 16 or newer: qiskit >= 2.2)"
        )
    return _check_circuit(reader, version, limits) if programs else 0


def _check_circuit(reader: _Reader, version: int, limits: QpyLimits) -> int:
    if version < 2:
        name_size, _phase, qubits, clbits, metadata_size, registers, instructions = reader.unpack(
            _CIRCUIT_V1, "circuit header"
        )
        phase_size = 0
    else:
        fields = reader.unpack(_CIRCUIT_V12 if version >= 12 else _CIRCUIT_V2, "circuit header")
        name_size, _kind, phase_size, qubits, clbits, metadata_size, registers, instructions = fields[:8]
    if qubits > limits.max_qubits and limits.backend:
        raise CircuitTooLarge(
            f"QPY circuit declares {qubits:,} qubits but backend {limits.backend} has {limits.max_qubits:,} "
            "(the limit per circuit, checked before loading)"
        )
    for what, count, limit in (("qubits", qubits, limits.max_qubits), ("clbits", clbits, limits.max_clbits)):
        if count > limit:
            raise CircuitTooLarge(
                f"QPY circuit declares {count:,} {what}; the limit is {limit:,} per circuit (checked before "
                "loading)"
            )
    reader.skip(name_size, "circuit name")
    reader.skip(phase_size, "global phase")
    reader.need(metadata_size, "circuit metadata")
    check_depth(reader.raw[reader.pos : reader.pos + metadata_size], what="QPY circuit metadata (JSON)")
    reader.skip(metadata_size, "circuit metadata")
    register = _REGISTER_V18 if version >= 18 else _REGISTER_V4 if version >= 4 else _REGISTER
    reader.need(registers * register.size, f"{registers:,} registers")
    if version <= _KNOWN_LAYOUT:  # a newer layout is checked by its header sizes only
        _check_registers(reader, version, register, registers, limits)
        reader.need(instructions * _MIN_INSTRUCTION_BYTES, f"{instructions:,} instructions")
    elif instructions > len(reader.raw):
        reader.need(instructions, f"{instructions:,} instructions")
    return int(qubits) + int(clbits)


def _check_registers(
    reader: _Reader, version: int, layout: struct.Struct, count: int, limits: QpyLimits
) -> None:
    index_bytes = 8 if 4 <= version < 18 else 4  # v18 went back to uint32 indices
    for _ in range(count):
        fields = reader.unpack(layout, "register")
        size, reg_name_size = fields[2], fields[3]
        cap = max(limits.max_qubits, limits.max_clbits)
        if size > cap:
            raise CircuitTooLarge(f"QPY register declares {size:,} bits; the limit is {cap:,}")
        reader.skip(reg_name_size, "register name")
        contiguous = version >= 18 and fields[5] == b"\x01"  # only its start index follows
        reader.skip((1 if contiguous else size) * index_bytes, "register bits")


class _Reader:
    """A cursor over the payload that refuses to read (or promise) past its end."""

    def __init__(self, raw: bytes, offset: int = 0) -> None:
        self.raw, self.pos = raw, offset
        if offset > len(raw):
            raise InvalidCircuit(f"Broken QPY payload: a circuit offset ({offset}) points past its end")

    def need(self, size: int, what: str) -> None:
        if size > len(self.raw) - self.pos:
            raise InvalidCircuit(
                f"Broken QPY payload: it declares {what}, which cannot fit in its {len(self.raw)} bytes"
            )

    def skip(self, size: int, what: str) -> None:
        self.need(size, what)
        self.pos += size

    def unpack(self, layout: struct.Struct, what: str) -> tuple[int, ...]:
        self.need(layout.size, what)
        values = layout.unpack_from(self.raw, self.pos)
        self.pos += layout.size
        return values  # type: ignore[return-value]
