"""Qrisp REST ("Qunicorn dialect", Qrisp 0.4 – 0.8.2) ⇄ engine types. Pure functions: no I/O, no Flask.

What Qrisp's client depends on, and is kept: ``POST /deployments`` answers 201 with an ``id``;
``GET /jobs/<id>`` answers **201** while the job is pending or finished, with ``state`` ``"running"`` until
``"finished"``, and the counts in ``results[0].results`` (bitstring keys without spaces, clbit 0 rightmost).

What we fix (no client depends on it): a failed or cancelled job answers GET with **200** and
``{"state": "failed", "message": ...}``, so Qrisp's client raises
``Quantum circuit execution failed: <message>`` instead of ``IndexError``; results do not echo the
circuit; ids are unguessable strings.

Extensions only our client sends (Qrisp's server would not understand them): ``POST /jobs`` may carry the
``programs`` inline (no deployment round trip), ``deviceName`` picks a virtual backend, and ``shots`` may be a
list (one entry per program).

Batches: a deployment (or inline ``programs``) with N programs is **one** job of N circuits, as in Qunicorn:
its document has ``results[i].results`` for circuit ``i`` (Qrisp's 0.4 – 0.8.2 client sends one program and
reads ``results[0]``, unchanged), ``qhostCircuits`` = N, and one progress over N circuits.
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
    "MAX_CIRCUITS",
    "JobRequest",
    "backend_document",
    "batch_counts_from_result",
    "counts_from_result",
    "circuit_count",
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

MAX_CIRCUITS = 1000
"""Most programs (circuits) in one job: a deployment's or an inline ``programs`` list."""

_LANGUAGES = ("QASM2", "QASM3", "")


@dataclass(frozen=True)
class JobRequest:
    """A decoded ``POST /jobs`` body.

    Attributes:
        deployment_id: the deployment to run (``None`` when ``programs`` came inline).
        programs: inline QASM programs (qhost extension), else empty.
        shots: shots per circuit, ``None`` to let the backend choose; a tuple (one entry per program) when
            the body's ``shots`` was a list.
        token: the caller's token (an API key when the server has keys configured).
        device_name: a virtual backend name picked by the caller, or ``""``.
    """

    deployment_id: str | None
    programs: tuple[str, ...]
    shots: int | None | tuple[int | None, ...]
    token: str
    device_name: str

    def shots_for(self, count: int) -> list[int | None]:
        """Shots of each of ``count`` circuits.

        Raises:
            InvalidOption: ``shots`` is a list of another length.
        """
        if not isinstance(self.shots, tuple):
            return [self.shots] * count
        if len(self.shots) != count:
            raise InvalidOption(f"'shots' has {len(self.shots)} entries for {count} programs (one each)")
        return list(self.shots)


def parse_deployment(body: Any) -> tuple[str, ...]:
    """The QASM programs of a ``POST /deployments`` body.

    Raises:
        InputError: not an object, ``programs`` missing or empty, or more than ``MAX_CIRCUITS`` programs.
        InvalidCircuit: a program without a non-empty ``quantumCircuit`` string.
    """
    body = _require_object(body, "deployment")
    return _parse_programs(body.get("programs"))


def parse_job(body: Any, *, max_shots: int) -> JobRequest:
    """Decode a ``POST /jobs`` body (Qrisp's keys: ``deploymentId``, ``shots``, ``token``, ``deviceName``).

    Raises:
        InputError: not an object, or neither ``deploymentId`` nor inline ``programs``.
        InvalidOption: ``shots`` not an integer in ``1..max_shots`` (or null), nor a list of those.
    """
    body = _require_object(body, "job")
    programs = _parse_programs(body["programs"]) if body.get("programs") is not None else ()
    deployment = body.get("deploymentId")
    if not programs and (deployment is None or isinstance(deployment, bool | dict | list)):
        raise InputError("Job body needs a 'deploymentId' (from POST /deployments) or inline 'programs'")
    return JobRequest(
        deployment_id=None if programs else str(deployment),
        programs=programs,
        shots=_parse_shots_field(body.get("shots"), max_shots),
        token=_as_str(body.get("token"), "token"),
        device_name=_as_str(body.get("deviceName"), "deviceName").strip(),
    )


def job_inputs(
    program: str,
    qasm: str | list[str],
    shots: int | None | list[int | None],
    token_ref: str = "",
) -> str:
    """The engine inputs JSON for ``program`` (``"run_func"`` carries a reference to the job's token, never
    the token: ``qhost.engine.run_func.TOKENS``; ``"counts"`` a seed slot). A batch has lists: ``qasm`` and
    ``shots`` with one entry per circuit."""
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
        batch = batch_counts_from_result(record.spec.program, record.result or "{}")
        results = [
            {"id": i, "results": counts, "resultType": "COUNTS", "metaData": {}}
            for i, counts in enumerate(batch)
        ]
    return GET_OK, {
        "id": record.id,
        "state": _state(record.status),
        "qhostStatus": record.status.value,
        "qhostCircuits": circuit_count(record),
        "qhostEstimatedSeconds": record.spec.meta.get("estimate_s"),  # an estimate (executors.estimate)
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


def circuit_count(record: JobRecord) -> int:
    """Circuits in the job (``meta["circuits"]``, kept at submit for a batch; else one)."""
    count = record.spec.meta.get("circuits", 1)
    return count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 1


def counts_from_result(program: str, result: str) -> dict[str, int | float]:
    """Counts from a finished job's result text (``run_func``: the counts; ``counts``: ``{"counts": …}``);
    the first circuit's of a batch."""
    return batch_counts_from_result(program, result)[0]


def batch_counts_from_result(program: str, result: str) -> list[dict[str, int | float]]:
    """Each circuit's counts from a finished job's result text (one entry unless the job was a batch:
    ``{"batch": [{"counts": …}, …]}``)."""
    data = json.loads(result)
    if isinstance(data, Mapping) and isinstance(data.get("batch"), list):
        return [_one_counts(entry, unwrap=True) for entry in data["batch"]] or [{}]
    return [_one_counts(data, unwrap=program != "run_func")]


def _one_counts(data: Any, *, unwrap: bool) -> dict[str, int | float]:
    if unwrap and isinstance(data, Mapping) and "counts" in data:
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


def backend_document(
    backend: str | None,
    conf: Mapping[str, Any] | None,
    calibration: Any,
    props: Mapping[str, Any] | None,
    *,
    queue: int,
    offline: str | None,
    server_version: str,
) -> dict[str, Any]:
    """``GET /qrisp/backend`` (qhost extension): what ``QrispBackend``'s metadata properties return.

    ``backend`` is ``"device@executor"``, or ``None`` when the server runs a plain ``run_func`` (nothing known
    of the device then). ``conf``/``props`` are the device's configuration/properties JSON, ``calibration`` a
    ``qhost.devices.calibration.Calibration`` (``None`` for a noise-free device). Keys are Qrisp's property
    names: ``connectivity`` is the coupling map as ``[control, target]`` pairs (``None``: all-to-all),
    ``gate_set`` the sorted native instruction names (the target's, ``measure`` included, when
    calibrated), ``error_rates`` per gate and qubits the error, per qubit
    the readout errors, under the ``calibration`` that anchors them (``None`` for a noise-free device).
    """
    coupling = conf.get("coupling_map") if conf else None
    gates = (
        calibration.basis_gates if calibration is not None else (conf.get("basis_gates") if conf else None)
    )
    return {
        "name": backend or "run_func",
        "num_qubits": int(conf["n_qubits"]) if conf and "n_qubits" in conf else None,
        "max_circuits": MAX_CIRCUITS,
        "connectivity": [[int(a), int(b)] for a, b in coupling] if coupling else None,
        "gate_set": sorted({str(g) for g in gates}) if gates else None,
        "error_rates": None if calibration is None else _error_rates(calibration, conf, props),
        "queue": {"jobs": queue},
        "health": {"online": offline is None, "message": offline or "online"},
        "info": {
            "server": "qhost",
            "version": server_version,
            "backend": backend or "run_func",
            "simulator": True,
            "noise": calibration is not None,
        },
    }


def _error_rates(
    calibration: Any, conf: Mapping[str, Any] | None, props: Mapping[str, Any] | None
) -> dict[str, Any]:
    gates: dict[str, dict[str, float]] = {}
    for inst in calibration.instructions:
        rates = {
            ",".join(map(str, qubits)): err for qubits, (_, err) in inst.props.items() if err is not None
        }
        if rates:
            gates[inst.name] = rates
    readout = {
        str(q): {"prob_meas1_prep0": p10, "prob_meas0_prep1": p01}
        for q, (p10, p01) in calibration.readout.items()
    }
    anchor = {
        "device": calibration.device,
        "backend_version": str((conf or {}).get("backend_version", "")),
        "last_update_date": str((props or {}).get("last_update_date", "")),
    }
    return {"calibration": anchor, "gates": gates, "readout": readout}


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
    if len(programs) > MAX_CIRCUITS:
        raise InputError(
            f"{len(programs)} programs in one job; the limit is {MAX_CIRCUITS} (split the batch)"
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


def _parse_shots_field(shots: Any, max_shots: int) -> int | None | tuple[int | None, ...]:
    if isinstance(shots, list):
        if not shots or len(shots) > MAX_CIRCUITS:
            raise InvalidOption(f"'shots' as a list needs 1..{MAX_CIRCUITS} entries, one per program")
        return tuple(_parse_shots(entry, max_shots) for entry in shots)
    return _parse_shots(shots, max_shots)


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
