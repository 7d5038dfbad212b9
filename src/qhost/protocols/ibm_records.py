"""IBM Qiskit Runtime response records: jobs, sessions, backends, usage, metrics and errors in IBM's shape.

Pure functions from qhost records to the JSON the stock client reads (field names, title-case job states).
Re-exported by ``qhost.protocols.ibm_runtime``.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from qhost.jobs.status import JobStatus

if TYPE_CHECKING:
    from qhost.errors import QhostError
    from qhost.jobs.spec import JobRecord

__all__ = [
    "IBM_STATUS",
    "DRY_RUN_ANNOTATE_MAX_CHARS",
    "INSTANCE_CRN",
    "MOCK_PREFIX",
    "USAGE_LIMIT_SECONDS",
    "LATEST_CALIBRATION",
    "backend_summary",
    "calibration_date",
    "calibration_ids",
    "check_updated_before",
    "check_calibration",
    "configuration_json",
    "dry_run_result",
    "error_json",
    "iso",
    "is_private",
    "job_json",
    "metrics_json",
    "mock_name",
    "properties_json",
    "session_json",
    "status_json",
    "usage_json",
]

IBM_STATUS = {
    JobStatus.QUEUED: "Queued",
    JobStatus.RUNNING: "Running",
    JobStatus.COMPLETED: "Completed",
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELLED: "Cancelled",
}
"""Our job states → IBM's ``state.status`` strings."""


def iso(when: datetime | None) -> str | None:
    """IBM-style UTC timestamp ``2026-01-02T03:04:05.678Z``."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _seconds(rec: JobRecord) -> float:
    if rec.started_at is None or rec.finished_at is None:
        return 0.0
    return max((rec.finished_at - rec.started_at).total_seconds(), 0.0)


def job_json(rec: JobRecord, *, include_params: bool = False) -> dict[str, Any]:
    """A job record in IBM's ``GET /jobs/{id}`` shape."""
    status = IBM_STATUS[JobStatus(rec.status)]
    state: dict[str, Any] = {"status": status}
    if rec.error and rec.status == JobStatus.FAILED:
        state["reason"] = rec.error[-2000:]
    elif rec.status == JobStatus.CANCELLED:
        state["reason"] = rec.error or "cancelled by the user"
    out: dict[str, Any] = {
        "id": rec.id,
        "backend": rec.spec.backend,
        "state": state,
        "status": status,
        "program": {"id": rec.spec.program},
        "created": iso(rec.created_at),
        "runtime": "",
        "session_id": rec.spec.session_id,
        "tags": list(rec.spec.tags),
        "private": is_private(rec),
        "cost": 0,
        "usage": {"quantum_seconds": _seconds(rec), "seconds": _seconds(rec)},
        # an estimate from the model that sizes memory (qhost.executors.estimate); job.usage_estimation
        "estimated_running_time_seconds": rec.spec.meta.get("estimate_s"),
        # the calibration the job runs with: its device's snapshot date (job.properties() asks for it)
        "calibration_id": rec.spec.meta.get("calibration"),
    }
    if include_params and not is_private(rec):
        out["params"] = json.loads(rec.spec.inputs)
    return out


DRY_RUN_ANNOTATE_MAX_CHARS = 8 * 1024 * 1024
"""A dry-run result longer than this is returned as stored (not parsed to carry the estimate)."""


def dry_run_result(text: str, rec: JobRecord) -> str:
    """A ``dry_run`` job's result with its ``estimated_running_time_seconds`` in the result metadata.

    ``dry_run=True`` sends a job to the device's ``mock_*`` twin to learn what a run would cost; the
    estimate goes in ``PrimitiveResult.metadata`` (``result.metadata["estimated_running_time_seconds"]``)
    as well as on the job. Other results, and results too long to parse cheaply, are returned as stored.
    """
    estimate = rec.spec.meta.get("estimate_s")
    if not rec.spec.meta.get("dry_run") or estimate is None or len(text) > DRY_RUN_ANNOTATE_MAX_CHARS:
        return text
    try:
        doc = json.loads(text)
    except ValueError:
        return text
    value = doc.get("__value__") if isinstance(doc, dict) else None
    metadata = value.get("metadata") if isinstance(value, dict) else None
    if not isinstance(metadata, dict):
        return text
    metadata["estimated_running_time_seconds"] = estimate
    return json.dumps(doc, separators=(",", ":"))


def is_private(rec: JobRecord) -> bool:
    """Whether the job was submitted with ``"private": true`` (params never returned, results read once)."""
    return rec.spec.meta.get("private") is True


def error_json(exc: QhostError) -> dict[str, Any]:
    """IBM's error body: ``{"errors": [{code, message, more_info}], "trace", "status_code"}``."""
    return {
        "errors": [{"code": exc.code, "message": exc.message, "more_info": ""}],
        "trace": "",
        "status_code": exc.status,
    }


INSTANCE_CRN = "crn:v1:bluemix:public:quantum-computing:us-east:a/qhost::local"
"""The instance this server emulates (API calls accept any CRN; Global Search returns this one)."""


MOCK_PREFIX = "mock_"
"""IBM names a device's ``dry_run`` twin by replacing the name's first ``_``-free part with ``mock``."""


def mock_name(name: str) -> str | None:
    """The ``mock_*`` twin the 0.51 client derives for ``dry_run`` (``fake_manila@aer``: ``mock_manila@aer``).

    ``None`` for names without an ``_`` (``ideal@aer``): the client's ``re.sub(r"^[^_]+", "mock", name)``
    would turn them into plain ``mock``, which names no device.
    """
    head, sep, rest = name.partition("_")
    return f"{MOCK_PREFIX}{rest}" if sep and head and not name.startswith(MOCK_PREFIX) else None


def backend_summary(name: str, num_qubits: int, queue_length: int, *, mock: bool = False) -> dict[str, Any]:
    """One entry of ``GET /backends`` in IBM's summary shape (what ``least_busy()`` reads).

    ``mock=True`` marks a ``dry_run`` twin (``"class": "mock"``): ``service.backends()`` hides it,
    ``service.backend(name)`` and ``dry_run=True`` find it.
    """
    out = {
        "name": name,
        "status": {"name": "online", "reason": "available"},
        "qubits": num_qubits,
        "physical_qubits": num_qubits,
        "queue_length": queue_length,
        "is_simulator": False,
        "processor_type": {"family": "qhost", "revision": "1"},
        "clops": {"type": "hardware", "value": 0},
        "performance_metrics": {},
    }
    if mock:
        out["class"] = "mock"
    return out


def configuration_json(name: str, conf: dict[str, Any]) -> dict[str, Any]:
    """A device's shipped configuration under the virtual name, as hardware (``simulator: false``).

    ``simulator: false`` keeps the client's ISA check, properties fetch and session creation on.
    """
    out = dict(conf)
    out["backend_name"] = name
    out["simulator"] = False
    out.setdefault("online_date", "2024-01-01T00:00:00Z")
    out.setdefault("backend_version", "1.0.0")
    return out


LATEST_CALIBRATION = "latest"
"""The calibration id every device accepts: the one calibration it ships with."""


def calibration_ids(props: dict[str, Any] | None) -> list[str]:
    """Calibration ids a device answers to: ``latest`` and its properties' ``last_update_date``."""
    ids = [LATEST_CALIBRATION]
    date = (props or {}).get("last_update_date")
    if isinstance(date, str) and date:
        ids.append(date)
    return ids


def check_calibration(name: str, props: dict[str, Any] | None, calibration_id: str | None) -> None:
    """Refuse an unknown ``calibration_id`` with a 404 (the client reports "backend not found").

    Raises:
        NotFound: ``calibration_id`` is neither ``latest`` nor the device's ``last_update_date``.
    """
    from qhost.errors import NotFound

    if calibration_id is None:
        return
    valid = calibration_ids(props)
    if calibration_id not in valid:
        raise NotFound(
            f"Unknown calibration_id {calibration_id!r} for backend {name}; valid: {valid} "
            "(a simulated device has one calibration)"
        )


def properties_json(name: str, props: dict[str, Any] | None) -> dict[str, Any]:
    """A device's shipped properties under the virtual name; ``{}`` when it has none."""
    if not props:
        return {}
    return {**props, "backend_name": name}


def calibration_date(props: dict[str, Any] | None) -> datetime | None:
    """When the device's one calibration snapshot was taken (its ``last_update_date``), in UTC."""
    raw = (props or {}).get("last_update_date")
    if not isinstance(raw, str) or not raw:
        return None
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def check_updated_before(name: str, props: dict[str, Any] | None, before: datetime | None) -> None:
    """Refuse ``updated_before`` earlier than the device's one snapshot (no calibration was in force then).

    A simulated device ships one calibration: it is the answer for any time after its date.

    Raises:
        NotFound: ``before`` precedes the snapshot (the message gives the snapshot's date).
    """
    from qhost.errors import NotFound

    taken = calibration_date(props)
    if before is None or taken is None:
        return
    if before.tzinfo is None:
        before = before.replace(tzinfo=UTC)
    if before < taken:
        raise NotFound(
            f"No calibration of backend {name} was in force at {iso(before)}: its one calibration "
            f"snapshot dates from {iso(taken)} (ask for updated_before at or after that time)"
        )


def status_json(name: str, version: str, queue_length: int) -> dict[str, Any]:
    """``GET /backends/{name}/status`` with the engine's real queue length."""
    return {
        "state": True,
        "status": "active",
        "message": "available",
        "length_queue": queue_length,
        "backend_version": version,
        "backend_name": name,
    }


USAGE_LIMIT_SECONDS = 2**31 - 1
"""The usage allocation a qhost instance reports: unmetered, so the largest int32 (about 68 years)."""


def usage_json(consumed_seconds: float = 0.0) -> dict[str, Any]:
    """``GET /instances/usage``: an unmetered local instance.

    The client computes ``usage_remaining_seconds`` as ``usage_limit_seconds`` (else
    ``usage_allocation_seconds``) minus ``usage_consumed_seconds``: all three are whole seconds (IBM
    sends integers), so the client's figure is an integer too.
    """
    consumed = math.ceil(max(consumed_seconds, 0.0))
    return {
        "instance_id": INSTANCE_CRN,
        "plan_id": "qhost-local",
        "usage_consumed_seconds": consumed,
        "usage_limit_seconds": USAGE_LIMIT_SECONDS,
        "usage_allocation_seconds": USAGE_LIMIT_SECONDS,
        "usage_limit_reached": False,
        "usage_remaining_seconds": max(USAGE_LIMIT_SECONDS - consumed, 0),
        "usage_period": None,
    }


def metrics_json(rec: JobRecord, qiskit_version: str) -> dict[str, Any]:
    """``GET /jobs/{id}/metrics``: timestamps and usage seconds."""
    seconds = _seconds(rec)
    return {
        "timestamps": {
            "created": iso(rec.created_at),
            "running": iso(rec.started_at),
            "finished": iso(rec.finished_at),
        },
        "bss": {"seconds": seconds},
        "usage": {"quantum_seconds": seconds, "seconds": seconds},
        "executions": None,
        "num_circuits": None,
        "qiskit_version": qiskit_version,
        "caller": "qiskit_ibm_runtime",
    }


def session_json(rec: Any, state: str) -> dict[str, Any]:
    """``GET /sessions/{id}`` for a ``qhost.engine.sessions.SessionRecord``."""
    return {
        "id": rec.id,
        "backend_name": rec.backend,
        "mode": rec.mode,
        "state": state,
        "accepting_jobs": rec.is_open(),
        "max_ttl": rec.max_ttl,
        "interactive_ttl": None,
        "active_ttl": None,
        "started_at": iso(rec.created_at),
        "activated_at": iso(rec.created_at),
        "closed_at": iso(rec.closed_at),
        "last_job_started": None,
        "last_job_completed": None,
        "elapsed_time": None,
        "timestamps": [{"status": "open", "timestamp": iso(rec.created_at)}]
        + ([{"status": "closed", "timestamp": iso(rec.closed_at)}] if rec.closed_at else []),
    }
