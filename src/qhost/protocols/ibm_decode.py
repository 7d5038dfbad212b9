"""IBM Runtime ``params``: the safe decoder (pure, no I/O).

Only the ``__type__`` tags the primitives need are accepted; every compressed blob is inflated under the
request's byte budget; the pubs are counted before anything is decoded; circuits are decoded only in pub
positions (``params.pubs[i]`` or ``params.pubs[i][0]``: a ``QuantumCircuit`` anywhere else is refused), and
each QPY payload's declared sizes (every circuit's qubits and clbits, against the backend's width and the
request's total ``Limits.max_request_bits``) are checked before ``qpy.load`` allocates for them
(``qhost.protocols.qpy_limits``). A pub's circuit may also be an OpenQASM string, as IBM's REST guide sends
it (``"pubs": [["OPENQASM 3.0; …", null, 100]]``): its declared registers are summed by the pre-scan
(``qhost.executors.qasm_limits.check_qasm``, against the same width and total) before
``qhost.executors.circuits.parse_qasm`` reads it. ``qhost.protocols.ibm_runtime`` re-exports ``Limits`` and
``decode_params``.
"""

from __future__ import annotations

import base64
import binascii
import io
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from qhost.config.defaults import DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_SHOTS
from qhost.errors import (
    CircuitTooLarge,
    InputError,
    InvalidCircuit,
    InvalidOption,
    PayloadTooLarge,
    QhostError,
)
from qhost.protocols.npy_limits import check_npy_sizes
from qhost.protocols.qpy_limits import MAX_QPY_QUBITS, QpyLimits, check_qpy_sizes

__all__ = ["ALLOWED_TYPES", "MAX_REQUEST_BITS", "Limits", "decode_params"]

ALLOWED_TYPES = frozenset(
    {
        "QuantumCircuit",
        "ndarray",
        "NoiseModel",
        "complex",
        "Parameter",
        "ObservablesArray",
        "BindingsArray",
        "set",
    }
)
"""``__type__`` tags accepted in ``params``; anything else is refused before RuntimeDecoder sees it."""
_QPY_MAGIC = b"QISKIT"
MAX_REQUEST_BITS = 100_000
"""Most qubits + clbits the QPY circuits of one request may declare in all (about 30 MB to decode at
worst: measured 600 bytes per declared qubit and clbit for a QPY 13 payload)."""


@dataclass(frozen=True)
class Limits:
    """Caps applied while decoding untrusted params.

    Attributes:
        max_decompressed_bytes: total bytes all zlib blobs of one request may inflate to.
        max_shots: largest shots per pub.
        max_pubs: largest number of pubs per job.
        max_qubits: qubits one circuit may declare (the backend's width, set per request).
        max_request_bits: qubits + clbits all circuits of one request may declare together.
        backend: the backend ``max_qubits`` belongs to (named in messages), or ``""``.
    """

    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES
    max_shots: int = DEFAULT_MAX_SHOTS
    max_pubs: int = 1000
    max_qubits: int = MAX_QPY_QUBITS
    max_request_bits: int = MAX_REQUEST_BITS
    backend: str = ""


class _Budget:
    """Bytes left for inflating blobs in one request, and bits left for its circuits to declare."""

    def __init__(self, limit: int, limits: Limits | None = None) -> None:
        self.limit = limit
        self.left = limit
        self.limits = limits or Limits()
        self.bits_left = self.limits.max_request_bits

    def declare(self, bits: int) -> None:
        """Count ``bits`` (qubits + clbits) declared by a circuit against the request's total."""
        self.bits_left -= bits
        if self.bits_left < 0:
            raise CircuitTooLarge(
                f"The circuits of this request declare more than {self.limits.max_request_bits:,} qubits "
                "and clbits in all (the limit per request); send fewer or smaller circuits per job"
            )

    def inflate(self, data: bytes, what: str) -> bytes:
        """Decompress ``data`` without ever producing more than the remaining budget."""
        inflater = zlib.decompressobj()
        try:
            out = inflater.decompress(data, self.left + 1)
        except zlib.error as exc:
            raise InputError(f"Broken {what} payload: not valid zlib data ({exc})") from None
        if len(out) > self.left or inflater.unconsumed_tail:
            raise PayloadTooLarge(
                f"{what} payload inflates beyond the limit of {self.limit} bytes per request"
            )
        if not inflater.eof:
            raise InputError(f"Broken {what} payload: truncated zlib data")
        self.left -= len(out)
        return out


def _b64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise InputError(f"{what} __value__ must be a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(f"Broken {what} payload: not valid base64") from None


def _check_qpy_version(raw: bytes, budget: _Budget | None = None, *, one_circuit: bool = False) -> None:
    """Refuse a QPY payload newer than this qiskit reads, or whose declared sizes exceed the limits.

    Every circuit's header is read before ``qpy.load`` allocates for it (``qhost.protocols.qpy_limits``);
    ``budget`` (the request's) supplies the backend's width and counts the declared bits.
    """
    import qiskit
    from qiskit.qpy import QPY_VERSION

    if len(raw) < 7 or raw[:6] != _QPY_MAGIC:
        raise InvalidCircuit("Broken QPY payload: missing the QISKIT header")
    if raw[6] > QPY_VERSION:
        raise InvalidCircuit(
            f"Circuit QPY version {raw[6]} is newer than this server reads: qiskit {qiskit.__version__} "
            f"reads QPY up to version {QPY_VERSION}; upgrade the server's qiskit or send an older QPY version"
        )
    limits = (budget or _Budget(0)).limits
    qpy_limits = QpyLimits(
        max_qubits=limits.max_qubits,
        max_programs=1 if one_circuit else limits.max_pubs,
        backend=limits.backend,
    )
    declared = check_qpy_sizes(raw, qpy_limits)
    if budget is not None:
        budget.declare(declared)


def _load_circuit(value: object, budget: _Budget) -> Any:
    from qiskit import qpy

    raw = budget.inflate(_b64(value, "QuantumCircuit"), "QuantumCircuit")
    _check_qpy_version(raw, budget, one_circuit=True)
    try:
        circuits = qpy.load(io.BytesIO(raw))
    except Exception as exc:  # qpy raises many types on corrupt input; all are the user's error
        raise InvalidCircuit(f"Broken QPY payload: {type(exc).__name__}: {exc}") from None
    if len(circuits) != 1:
        raise InvalidCircuit(f"Expected one circuit per QPY payload, got {len(circuits)}")
    return circuits[0]


def _load_qasm(text: str, budget: _Budget) -> Any:
    """An OpenQASM 2/3 pub circuit: sizes pre-scanned (backend width, request total), then parsed."""
    from qhost.executors.circuits import parse_qasm
    from qhost.executors.qasm_limits import check_qasm

    limits = budget.limits
    sizes = check_qasm(text, limits.max_qubits, target=limits.backend)
    budget.declare(sizes.qubits + sizes.clbits)
    return parse_qasm(text)


def _load_ndarray(value: object, budget: _Budget) -> Any:
    if isinstance(value, (int, float, list)):
        return np.array(value)
    raw = budget.inflate(_b64(value, "ndarray"), "ndarray")
    check_npy_sizes(raw)  # the declared shape against the bytes present, before np.load allocates it
    try:
        return np.load(io.BytesIO(raw), allow_pickle=False)
    except Exception as exc:  # numpy raises ValueError/OSError/EOFError on corrupt input
        raise InputError(f"Broken ndarray payload: {type(exc).__name__}: {exc}") from None


def _decode_node(node: dict[str, Any], budget: _Budget) -> Any:
    kind = node.get("__type__")
    if kind not in ALLOWED_TYPES:
        raise InputError(f"Unsupported __type__ {kind!r} in params; allowed: {sorted(ALLOWED_TYPES)}")
    value = node.get("__value__")
    if kind == "QuantumCircuit":
        return _load_circuit(value, budget)
    if kind == "ndarray":
        return _load_ndarray(value, budget)
    from qiskit_ibm_runtime import RuntimeDecoder

    try:
        return RuntimeDecoder().object_hook(node)
    except QhostError:
        raise
    except Exception as exc:  # foreign decoder errors on user data → a 400
        raise InputError(f"Cannot decode {kind} in params: {type(exc).__name__}: {exc}") from None


def _walk(obj: Any, budget: _Budget, depth: int = 0) -> Any:
    """Decode ``obj`` (not a pub's circuit position: a ``QuantumCircuit`` here is refused)."""
    if depth > 64:
        raise InputError("params nest deeper than 64 levels")
    if isinstance(obj, list):
        return [_walk(item, budget, depth + 1) for item in obj]
    if not isinstance(obj, dict):
        return obj
    if "__type__" in obj:
        if obj.get("__type__") == "QuantumCircuit":
            raise InputError(
                "A QuantumCircuit is accepted only as a pub's circuit (params.pubs[i] or params.pubs[i][0])"
            )
        if obj.get("__type__") == "ndarray":
            return _decode_node(obj, budget)
        inner = {k: (_walk(v, budget, depth + 1) if k == "__value__" else v) for k, v in obj.items()}
        return _decode_node(inner, budget)
    return {key: _walk(value, budget, depth + 1) for key, value in obj.items()}


def _is_circuit(node: Any) -> bool:
    """A QPY ``QuantumCircuit`` node or an OpenQASM string (only ever asked of a pub's circuit position)."""
    return isinstance(node, str) or (isinstance(node, dict) and node.get("__type__") == "QuantumCircuit")


def _decode_circuit(node: Any, budget: _Budget) -> Any:
    if isinstance(node, str):
        return _load_qasm(node, budget)
    return _decode_node(node, budget)


def _decode_pub(pub: Any, budget: _Budget) -> Any:
    """A pub: a circuit (QPY or OpenQASM) or a list whose first item is one; circuits decoded here only."""
    if _is_circuit(pub):
        return _decode_circuit(pub, budget)
    if isinstance(pub, list) and pub and _is_circuit(pub[0]):
        return [_decode_circuit(pub[0], budget), *(_walk(item, budget, 2) for item in pub[1:])]
    return _walk(pub, budget, 1)


def decode_params(params: dict[str, Any], limits: Limits | None = None) -> dict[str, Any]:
    """Decode raw params JSON into Python objects, safely (see module docstring).

    The pubs are counted first; circuits are decoded only in pub positions, each QPY payload's declared
    sizes checked against ``limits`` (the backend's width, the request's total) before it is loaded.
    """
    limits = limits or Limits()
    pubs = params.get("pubs")
    if isinstance(pubs, list) and len(pubs) > limits.max_pubs:
        raise InputError(f"{len(pubs)} pubs in one job; the limit is {limits.max_pubs}")
    budget = _Budget(limits.max_decompressed_bytes, limits)
    decoded = {key: _walk(value, budget, 1) for key, value in params.items() if key != "pubs"}
    if pubs is not None:
        decoded["pubs"] = [_decode_pub(pub, budget) for pub in pubs] if isinstance(pubs, list) else pubs
    options = decoded.get("options")
    if options is not None and not isinstance(options, dict):
        raise InvalidOption("params.options must be an object")
    return decoded
