"""IBM Qiskit Runtime wire format: pure translation, no I/O.

Request side: the ``IBM-API-Version`` check, the ``POST /jobs`` body → :class:`JobRequest`, the *safe*
decoder for ``params`` (``qhost.protocols.ibm_decode``, re-exported: ``decode_params``, ``Limits``), then
``SamplerPub``/``EstimatorPub`` coercion with shots/precision resolved and validation against the
device (qubit count, ISA). Response side: job, session, backend and error records in IBM's field
names and title-case statuses. The HTTP blueprint and the worker-side programs both call these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from qhost.errors import CircuitTooLarge, InputError, InvalidCircuit, InvalidOption, QhostError
from qhost.protocols.ibm_decode import Limits, decode_params
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
NOT_SIMULATED = ("twirling", "dynamical_decoupling", "resilience", "resilience_level", "execution")
_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
