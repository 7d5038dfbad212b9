"""Qrisp REST ("Qunicorn dialect", Qrisp 0.4 – 0.8.2) ⇄ engine types. Pure functions: no I/O, no Flask.

What Qrisp's client depends on, and is kept: ``POST /deployments`` answers 201 with an ``id``;
``GET /jobs/<id>`` answers **201** while the job is pending or finished, with ``state`` ``"running"`` until
``"finished"``, and the counts in ``results[0].results`` (bitstring keys without spaces, clbit 0 rightmost).

What we fix (no client depends on it): a failed or cancelled job answers GET with **200** and
``{"state": "failed", "message": ...}``, so Qrisp's client raises
``Quantum circuit execution failed: <message>`` instead of ``IndexError``; results do not echo the
circuit; ids are unguessable strings.

Extensions only our client sends (Qrisp's server would not understand them): ``POST /jobs`` may carry the
``programs`` inline (no deployment round trip) and ``deviceName`` picks a virtual backend.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from qhost.errors import InputError, InvalidCircuit, InvalidOption
from qhost.jobs.spec import JobRecord
from qhost.jobs.status import JobStatus

__all__ = [
    "JobRequest",
    "counts_from_result",
    "deployment_response",
    "job_created_response",
    "job_document",
    "job_inputs",
    "normalize_counts",
    "parse_deployment",
    "program_entry",
    "parse_job",
]

GET_OK = 201
"""Qrisp's client accepts a job document only with this status (sic: 201 on GET)."""

FAILED_STATUS = 200
"""Status of a failed/cancelled job's GET: anything but 201 makes Qrisp's client raise with ``message``."""

_LANGUAGES = ("QASM2", "QASM3", "")


@dataclass(frozen=True)
class JobRequest:
    """A decoded ``POST /jobs`` body.

    Attributes:
        deployment_id: the deployment to run (``None`` when ``programs`` came inline).
        programs: inline QASM programs (qhost extension), else empty.
        shots: shots per circuit, ``None`` to let the backend choose.
        token: the caller's token (an API key when the server has keys configured).
        device_name: a virtual backend name picked by the caller, or ``""``.
    """

    deployment_id: str | None
    programs: tuple[str, ...]
    shots: int | None
    token: str
    device_name: str


def parse_deployment(body: Any) -> tuple[str, ...]:
    """The QASM programs of a ``POST /deployments`` body.

    Raises:
        InputError: not an object, ``programs`` missing or empty, or more than one program.
        InvalidCircuit: a program without a non-empty ``quantumCircuit`` string.
    """
    body = _require_object(body, "deployment")
    return _parse_programs(body.get("programs"))


def parse_job(body: Any, *, max_shots: int) -> JobRequest:
    """Decode a ``POST /jobs`` body (Qrisp's keys: ``deploymentId``, ``shots``, ``token``, ``deviceName``).

    Raises:
        InputError: not an object, or neither ``deploymentId`` nor inline ``programs``.
        InvalidOption: ``shots`` not an integer in ``1..max_shots`` (or null).
    """
    body = _require_object(body, "job")
    programs = _parse_programs(body["programs"]) if body.get("programs") is not None else ()
    deployment = body.get("deploymentId")
    if not programs and (deployment is None or isinstance(deployment, bool | dict | list)):
        raise InputError("Job body needs a 'deploymentId' (from POST /deployments) or inline 'programs'")
    return JobRequest(
        deployment_id=None if programs else str(deployment),
        programs=programs,
        shots=_parse_shots(body.get("shots"), max_shots),
        token=_as_str(body.get("token"), "token"),
        device_name=_as_str(body.get("deviceName"), "deviceName").strip(),
    )


def job_inputs(program: str, qasm: str, shots: int | None, token_ref: str = "") -> str:
    """The engine inputs JSON for ``program`` (``"run_func"`` carries a reference to the job's token, never
    the token: ``qhost.engine.run_func.TOKENS``; ``"counts"`` a seed slot)."""
    if program == "run_func":
        return json.dumps({"qasm": qasm, "shots": shots, "tokenRef": token_ref})
    return json.dumps({"qasm": qasm, "shots": shots, "seed": None})


def deployment_response(
    deployment_id: str, programs: tuple[str, ...], deployed_at: datetime
) -> dict[str, Any]:
    """The 201 body of ``POST /deployments`` (Qunicorn shape; Qrisp's client reads only ``id``)."""
    return {
        "id": deployment_id,
        "deployedBy": {"id": 0, "name": ""},
        "deployedAt": deployed_at.date().isoformat(),
        "name": "",
        "programs": [program_entry(q) for q in programs],
    }


def job_created_response(record: JobRecord) -> dict[str, Any]:
    """The 201 body of ``POST /jobs`` (Qrisp's client reads only ``id``)."""
    return {"id": record.id, "jobName": "", "jobState": _state(record.status)}


def job_document(record: JobRecord) -> tuple[int, dict[str, Any]]:
    """The GET ``/jobs/<id>`` answer: ``(status, body)``.

    Pending and completed jobs answer 201 with the Qunicorn job document; failed and cancelled jobs answer
    200 with ``message`` saying what happened (Qrisp's client raises with it).
    """
    if record.status in (JobStatus.FAILED, JobStatus.CANCELLED):
        return FAILED_STATUS, _failed_document(record)
    results = []
    if record.status == JobStatus.COMPLETED:
        counts = counts_from_result(record.spec.program, record.result or "{}")
        results = [{"id": 0, "results": counts, "resultType": "COUNTS", "metaData": {}}]
    return GET_OK, {
        "id": record.id,
        "state": _state(record.status),
        "qhostStatus": record.status.value,
        "results": results,
        "startedAt": _timestamp(record.started_at or record.created_at),
        "finishedAt": _timestamp(record.finished_at),
        "progress": 100 if record.status.is_final else 0,
        "type": "RUNNER",
        "data": "",
        "parameters": "",
        "executedBy": {"id": 0, "name": ""},
        "executedOn": {
            "id": 0,
            "numQubits": -1,
            "isSimulator": True,
            "isLocal": True,
            "name": record.spec.backend or "",
        },
    }


def counts_from_result(program: str, result: str) -> dict[str, int | float]:
    """Counts from a finished job's result text (``run_func``: the counts; ``counts``: ``{"counts": …}``)."""
    data = json.loads(result)
    if program != "run_func" and isinstance(data, Mapping) and "counts" in data:
        data = data["counts"]
    if not isinstance(data, Mapping):
        raise InvalidCircuit(f"Job result is not a counts mapping: {type(data).__name__}")
    return normalize_counts(data)


def normalize_counts(counts: Mapping[Any, Any]) -> dict[str, int | float]:
    """Counts with string keys without spaces (Qrisp's ``multi_measurement`` slices keys as they come)."""
    out: dict[str, int | float] = {}
    for key, value in counts.items():
        bits = str(key).replace(" ", "")
        out[bits] = out.get(bits, 0) + value
    return out


def _failed_document(record: JobRecord) -> dict[str, Any]:
    if record.status == JobStatus.CANCELLED:
        message = f"Job {record.id} was cancelled"
    else:
        message = f"Job {record.id} failed: {record.error or 'no reason recorded'}"
    return {
        "id": record.id,
        "code": 0,
        "status": "failed",
        "state": _state(record.status),
        "qhostStatus": record.status.value,
        "message": message,
        "errors": {},
    }


def _state(status: JobStatus) -> str:
    if status == JobStatus.COMPLETED:
        return "finished"
    if status in (JobStatus.FAILED, JobStatus.CANCELLED):
        return status.value
    return "running"


def _timestamp(value: datetime | None) -> str:
    return "-" if value is None else str(value.replace(tzinfo=None))


def program_entry(qasm: str) -> dict[str, str]:
    """One entry of a deployment's ``programs`` list, as Qrisp's client sends it."""
    return {
        "quantumCircuit": qasm,
        "assemblerLanguage": "QASM2",
        "pythonFilePath": "",
        "pythonFileMetadata": "",
    }


def _require_object(body: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise InputError(f"The {what} body must be a JSON object, got {type(body).__name__}")
    return body


def _parse_programs(programs: Any) -> tuple[str, ...]:
    if not isinstance(programs, list) or not programs:
        raise InputError("'programs' must be a non-empty list of {'quantumCircuit': <OpenQASM text>}")
    if len(programs) > 1:
        raise InputError(
            f"qhost runs one program per job; got {len(programs)} (send one deployment per circuit)"
        )
    return tuple(_parse_program(p) for p in programs)


def _parse_program(program: Any) -> str:
    if not isinstance(program, Mapping):
        raise InputError("Each program must be an object with a 'quantumCircuit' string")
    qasm = program.get("quantumCircuit")
    if not isinstance(qasm, str) or not qasm.strip():
        raise InvalidCircuit("'quantumCircuit' must be a non-empty OpenQASM 2 or 3 string")
    language = program.get("assemblerLanguage", "QASM2")
    if language not in _LANGUAGES:
        raise InvalidCircuit(f"Unsupported assemblerLanguage {language!r}; valid: 'QASM2', 'QASM3'")
    return qasm


def _parse_shots(shots: Any, max_shots: int) -> int | None:
    if shots is None:
        return None
    if isinstance(shots, bool) or not isinstance(shots, int):
        raise InvalidOption(f"'shots' must be an integer in 1..{max_shots} or null, got {shots!r}")
    if not 1 <= shots <= max_shots:
        raise InvalidOption(f"'shots' must be in 1..{max_shots}, got {shots}")
    return shots


def _as_str(value: Any, key: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{key!r} must be a string, got {type(value).__name__}")
    return value
