"""IBM Qiskit Runtime wire format: pure translation, no I/O.

Request side: the ``IBM-API-Version`` check, the ``POST /jobs`` body → :class:`JobRequest`, and a
*safe* decoder for ``params`` (only the ``__type__`` tags the primitives need, every compressed blob
inflated with a hard cap before it is fully decompressed, QPY versions checked before loading), then
``SamplerPub``/``EstimatorPub`` coercion with shots/precision resolved and validation against the
device (qubit count, ISA). Response side: job, session, backend and error records in IBM's field
names and title-case statuses. The HTTP blueprint and the worker-side programs both call these.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import zlib
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from qhost.errors import (
    CircuitTooLarge,
    InputError,
    InvalidCircuit,
    InvalidOption,
    PayloadTooLarge,
    QhostError,
)
from qhost.protocols.ibm_records import (
    IBM_STATUS,
    INSTANCE_CRN,
    backend_summary,
    configuration_json,
    error_json,
    iso,
    job_json,
    metrics_json,
    properties_json,
    session_json,
    status_json,
    usage_json,
)
from qhost.protocols.npy_limits import check_npy_sizes
from qhost.protocols.qpy_limits import MAX_QPY_QUBITS, QpyLimits, check_qpy_sizes

__all__ = [
    "API_VERSION_MAX",
    "API_VERSION_MIN",
    "DEFAULT_PRECISION",
    "DEFAULT_SHOTS",
    "IBM_STATUS",
    "INSTANCE_CRN",
    "JobRequest",
    "Limits",
    "PROGRAMS",
    "REFUSED_PROGRAMS",
    "backend_summary",
    "check_api_version",
    "coerce_pubs",
    "configuration_json",
    "decode_params",
    "error_json",
    "iso",
    "job_json",
    "metrics_json",
    "not_applied_options",
    "parse_job_request",
    "properties_json",
    "session_json",
    "simulator_options",
    "status_json",
    "usage_json",
    "validate_pubs",
]

API_VERSION_MIN = "2024-01-01"
"""Oldest ``IBM-API-Version`` accepted (inclusive)."""
API_VERSION_MAX = "2026-12-31"
"""Newest ``IBM-API-Version`` accepted (inclusive); qiskit-ibm-runtime 0.51 sends 2026-04-15."""
DEFAULT_SHOTS = 4096
"""IBM's default shots per Sampler pub when neither the pub nor the options give any."""
DEFAULT_PRECISION = 0.015625
"""IBM's default Estimator target precision."""
PROGRAMS = ("sampler", "estimator", "executor", "noise-learner")
"""Runtime programs this server runs (sampler/estimator: params version 2; executor: schema v2.0;
noise-learner: schema v0.3)."""
_SCHEMA_PROGRAMS = ("executor", "noise-learner")
REFUSED_PROGRAMS = {
    "calibrate": (
        "the Calibrator is not emulated: a simulated device keeps the fixed calibration it ships with "
        "(read it from backend.properties() / backend.target); mitigate with the executor Estimator "
        "instead (resilience_level 1-2, or PEC/PEA with a layer noise model from NoiseLearnerV3)"
    ),
}
"""IBM programs refused at submit, with what to use instead."""
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
NOT_SIMULATED = ("twirling", "dynamical_decoupling", "resilience", "resilience_level", "execution")
_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_QPY_MAGIC = b"QISKIT"
MAX_REQUEST_BITS = 100_000
"""Most qubits + clbits the QPY circuits of one request may declare in all (about 30 MB to decode at
worst, with qiskit's Python QPY reader below version 17)."""


@dataclass(frozen=True)
class Limits:
    """Caps applied while decoding untrusted params.

    Attributes:
        max_decompressed_bytes: total bytes all zlib blobs of one request may inflate to.
        max_shots: largest shots per pub.
        max_pubs: largest number of pubs per job.
        max_qubits: qubits one circuit may declare (the backend's width, set per request).
        max_request_bits: qubits + clbits all circuits of one request may declare together.
    """

    max_decompressed_bytes: int = 64 * 1024 * 1024
    max_shots: int = 1_000_000
    max_pubs: int = 1000
    max_qubits: int = MAX_QPY_QUBITS
    max_request_bits: int = MAX_REQUEST_BITS


@dataclass(frozen=True)
class JobRequest:
    """A ``POST /jobs`` body after shape checks (params still raw JSON)."""

    program: str
    backend: str
    params: dict[str, Any]
    session_id: str | None = None
    tags: tuple[str, ...] = ()
    private: bool = False
    calibration_id: str | None = None


def check_api_version(header: str | None) -> str:
    """Accept an ``IBM-API-Version`` in [API_VERSION_MIN, API_VERSION_MAX]; a missing one means the newest."""
    if header is None or header == "":
        return API_VERSION_MAX
    in_range = API_VERSION_MIN <= header <= API_VERSION_MAX
    if not _VERSION_RE.match(header) or not _is_date(header) or not in_range:
        raise InputError(
            f"Unsupported IBM-API-Version {header!r}; "
            f"this server supports {API_VERSION_MIN} to {API_VERSION_MAX}"
        )
    return header


def _is_date(text: str) -> bool:
    """Whether ``YYYY-MM-DD`` text names a real calendar day (``2024-13-45`` does not)."""
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def parse_job_request(body: object) -> JobRequest:
    """Check the shape of a ``POST /jobs`` body. Raises ``InputError`` naming the bad field."""
    if not isinstance(body, dict):
        raise InputError("The request body must be a JSON object with program_id, backend and params")
    program = body.get("program_id")
    if isinstance(program, str) and program in REFUSED_PROGRAMS:
        raise InvalidOption(f"Program {program!r} is not run by this server: {REFUSED_PROGRAMS[program]}")
    if program not in PROGRAMS:
        raise InputError(f"Unknown program_id {program!r}; valid: {list(PROGRAMS)}")
    backend = body.get("backend")
    if not isinstance(backend, str) or not backend:
        raise InputError("Field 'backend' must name a backend (GET /backends lists them)")
    params = body.get("params")
    if not isinstance(params, dict):
        raise InputError("Field 'params' must be an object")
    if program not in _SCHEMA_PROGRAMS and not isinstance(params.get("pubs"), list):
        raise InputError("Field 'params' must be an object with a 'pubs' list")
    if program not in _SCHEMA_PROGRAMS and params.get("version", 2) != 2:
        raise InputError(f"Unsupported params version {params.get('version')!r}; valid: [2]")
    tags = body.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InputError("Field 'tags' must be a list of strings")
    session_id = body.get("session_id")
    private = body.get("private", False)
    if not isinstance(private, bool):
        raise InputError(f"Field 'private' must be true or false, got {private!r}")
    calibration_id = body.get("calibration_id")
    if calibration_id is not None and not isinstance(calibration_id, str):
        raise InputError(f"Field 'calibration_id' must be a string, got {calibration_id!r}")
    return JobRequest(
        program,
        backend,
        params,
        session_id if isinstance(session_id, str) else None,
        tuple(tags),
        private,
        calibration_id,
    )


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
    qpy_limits = QpyLimits(max_qubits=limits.max_qubits, max_programs=1 if one_circuit else limits.max_pubs)
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
    return isinstance(node, dict) and node.get("__type__") == "QuantumCircuit"


def _decode_pub(pub: Any, budget: _Budget) -> Any:
    """A pub: a circuit, or a list whose first item is one; circuits are decoded here only."""
    if _is_circuit(pub):
        return _decode_node(pub, budget)
    if isinstance(pub, list) and pub and _is_circuit(pub[0]):
        return [_decode_node(pub[0], budget), *(_walk(item, budget, 2) for item in pub[1:])]
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


def _positive(value: Any, name: str, kind: type) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InvalidOption(f"{name} must be a positive number, got {value!r}")
    return kind(value)


def _default_shots(decoded: dict[str, Any]) -> int:
    options = decoded.get("options") or {}
    shots = _positive(options.get("default_shots"), "options.default_shots", int)
    return shots or _positive(decoded.get("shots"), "params.shots", int) or DEFAULT_SHOTS


def _default_precision(decoded: dict[str, Any]) -> float:
    options = decoded.get("options") or {}
    value = _positive(options.get("default_precision"), "options.default_precision", float)
    return value or _positive(decoded.get("precision"), "params.precision", float) or DEFAULT_PRECISION


def coerce_pubs(program: str, decoded: dict[str, Any], limits: Limits | None = None) -> list[Any]:
    """Turn decoded pubs into ``SamplerPub``/``EstimatorPub`` with shots or precision resolved."""
    from qiskit.primitives.containers.estimator_pub import EstimatorPub
    from qiskit.primitives.containers.sampler_pub import SamplerPub

    limits = limits or Limits()
    raw = decoded.get("pubs") or []
    if not raw:
        raise InputError("params.pubs is empty; send at least one pub")
    if len(raw) > limits.max_pubs:
        raise InputError(f"{len(raw)} pubs in one job; the limit is {limits.max_pubs}")
    try:
        if program == "sampler":
            shots = _default_shots(decoded)
            pubs = [SamplerPub.coerce(tuple(p) if isinstance(p, list) else p, shots=shots) for p in raw]
        else:
            precision = _default_precision(decoded)
            pubs = [
                EstimatorPub.coerce(tuple(p) if isinstance(p, list) else p, precision=precision) for p in raw
            ]
    except QhostError:
        raise
    except Exception as exc:  # qiskit's coerce raises ValueError/TypeError on bad pubs
        raise InvalidOption(f"Invalid {program} pub: {exc}") from None
    _check_shots(pubs, limits)
    return pubs


def _check_shots(pubs: list[Any], limits: Limits) -> None:
    for index, pub in enumerate(pubs):
        shots = getattr(pub, "shots", None)
        if shots is not None and shots > limits.max_shots:
            raise InvalidOption(f"pub {index} asks for {shots} shots; the limit is {limits.max_shots}")


def validate_pubs(pubs: list[Any], backend: str, num_qubits: int, target: Any | None) -> None:
    """Refuse circuits wider than the device or (with a target) not in its ISA.

    ``target``: a qiskit ``Target``, or anything with its ``num_qubits`` and ``instruction_supported``
    (the server passes :class:`qhost.devices.calibration.IsaTarget`).
    """
    from qiskit_ibm_runtime.utils.utils import is_isa_circuit

    for index, pub in enumerate(pubs):
        circuit = pub.circuit
        if circuit.num_qubits > num_qubits:
            raise CircuitTooLarge(
                f"pub {index}: circuit has {circuit.num_qubits} qubits but backend {backend} has {num_qubits}"
            )
        if target is not None:
            message = is_isa_circuit(circuit, target)
            if message:
                raise InvalidCircuit(
                    f"pub {index}: circuit is not ISA for backend {backend}: {message} "
                    "Transpile it with generate_preset_pass_manager(backend=backend) first."
                )


def simulator_options(decoded: dict[str, Any]) -> tuple[int | None, Any]:
    """``(seed, noise_model)`` from ``options.simulator`` (``seed_estimator`` as a fallback seed)."""
    options = decoded.get("options") or {}
    simulator = options.get("simulator") or {}
    if not isinstance(simulator, dict):
        raise InvalidOption("options.simulator must be an object")
    seed = simulator.get("seed_simulator", options.get("seed_estimator"))
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InvalidOption(f"options.simulator.seed_simulator must be an integer, got {seed!r}")
    model = simulator.get("noise_model")
    if model is None or model == {}:
        return seed, None
    from qiskit_aer.noise import NoiseModel

    if not isinstance(model, NoiseModel):
        raise InvalidOption("options.simulator.noise_model must be a qiskit_aer NoiseModel")
    return seed, model


def not_applied_options(decoded: dict[str, Any]) -> list[str]:
    """Options the client set that a simulator does not apply (reported in result metadata)."""
    options = decoded.get("options") or {}
    names = [name for name in NOT_SIMULATED if options.get(name) not in (None, {}, 0, False)]
    if decoded.get("resilience_level") not in (None, 0):
        names.append("resilience_level")
    return sorted(set(names))
