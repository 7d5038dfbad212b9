"""The IBM Qiskit Runtime REST door, mounted at ``/api/v1`` and ``/experimental/api/v1``.

Views stay thin: authenticate (``qhost.doorway.auth``), translate with ``qhost.protocols.ibm_runtime``,
call the engine, the catalog or the session manager, and answer in IBM's JSON. ``register_runtime(app)``
wires the blueprint twice (the ``experimental`` path lets an env-only client keep its URL verbatim)
plus the IAM / Global Search / Global Catalog stand-ins.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from qhost.doorway.auth import Authenticator, load_secret
from qhost.doorway.holds import held_wait
from qhost.engine.progress_view import job_progress, progress_lines
from qhost.errors import (
    InputError,
    InvalidJobTransition,
    NotFound,
    PayloadTooLarge,
    QhostError,
    SessionNotFound,
)
from qhost.jobs.spec import JobSpec
from qhost.jobs.status import FINAL, JobStatus
from qhost.protocols import ibm_records as records
from qhost.protocols import ibm_runtime as ibm
from qhost.protocols import json_input
from qhost.server.auth import iam_bp
from qhost.server.errors import log_server_error
from qhost.server.runtime_ledgers import IDEMPOTENCY_WINDOW, IdempotencyLedger, ValidatedParams

if TYPE_CHECKING:
    from qhost.engine.sessions import SessionManager
    from qhost.server.context import QhostContext

__all__ = [
    "IDEMPOTENCY_WINDOW",
    "IdempotencyLedger",
    "RuntimeState",
    "ValidatedParams",
    "register_runtime",
    "runtime_bp",
]

runtime_bp = Blueprint("ibm_runtime", __name__)
"""IBM Runtime API routes (registered under both prefixes by ``register_runtime``)."""

STATUS_HOLD_SECONDS = 0.5
"""Longest a status poll (``GET /jobs/{id}?exclude_params=true``) of an unfinished job waits for it to finish.

The stock client polls every 0.5 s (0.1 s in a session), so without this a 10 ms job takes 0.5 s end to
end, and a 200 ms job pays a whole extra poll. Override with the Flask config key
``IBM_STATUS_HOLD_SECONDS`` (0 turns it off). Holds take a slot of the cap every door shares
(``Settings.max_holds``, :mod:`qhost.doorway.holds`); a poll that finds them all taken answers at once, so
held polls never starve other requests."""


@dataclass
class RuntimeState:
    """Per-app state of the IBM door, in ``app.extensions["qhost_runtime"]``."""

    auth: Authenticator
    sessions: SessionManager
    limits: ibm.Limits
    ledger: IdempotencyLedger = field(default_factory=IdempotencyLedger)
    validated: ValidatedParams = field(default_factory=ValidatedParams)


def register_runtime(app: Flask) -> None:
    """Mount the IBM Runtime door on ``app`` (needs ``app.extensions["qhost"]``)."""
    from qhost.engine.sessions import SessionManager
    from qhost.programs import PROGRAMS, register_program

    if "executor" not in PROGRAMS:
        register_program("executor", "qhost.programs.executor_program:run_executor")
    if "noise-learner" not in PROGRAMS:
        register_program("noise-learner", "qhost.programs.noise_learner_program:run_noise_learner")

    ctx: QhostContext = app.extensions["qhost"]
    settings = ctx.settings
    app.extensions["qhost_runtime"] = RuntimeState(
        auth=Authenticator(ctx.keys, load_secret(settings.data_dir)),
        sessions=SessionManager(ctx.engine),
        limits=ibm.Limits(settings.max_decompressed_bytes, settings.max_shots),
    )
    app.register_blueprint(runtime_bp, url_prefix="/api/v1")
    app.register_blueprint(runtime_bp, url_prefix="/experimental/api/v1", name="ibm_runtime_experimental")
    app.register_blueprint(iam_bp)


def _ctx() -> QhostContext:
    return current_app.extensions["qhost"]


def _state() -> RuntimeState:
    return current_app.extensions["qhost_runtime"]


@runtime_bp.errorhandler(QhostError)
def _qhost_error(exc: QhostError) -> tuple[Response, int]:
    log_server_error(exc)
    return jsonify(ibm.error_json(exc)), exc.status


@runtime_bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[Response, int]:
    err = QhostError(exc.description or exc.name)
    err.status, err.code = exc.code or 500, (exc.name or "error").lower().replace(" ", "_")
    return jsonify(ibm.error_json(err)), err.status


@runtime_bp.before_request
def _authenticate() -> None:
    ibm.check_api_version(request.headers.get("IBM-API-Version"))
    g.owner = _state().auth.owner_from_header(request.headers.get("Authorization"))


def _owner() -> str | None:
    """The owner filter for engine calls: ``None`` (everything) when auth is off."""
    return g.owner if _state().auth.enabled else None


def _json_body() -> Any:
    raw = request.get_data(cache=True)
    if len(raw) > _ctx().settings.max_body_bytes:
        raise PayloadTooLarge(
            f"Request body is larger than the limit of {_ctx().settings.max_body_bytes} bytes"
        )
    return json_input.loads(raw or b"{}")


# -- backends ---------------------------------------------------------------------------------------


def _entry(name: str) -> Any:
    """The catalog entry for ``name``; a ``mock_*`` dry-run twin resolves to the device it mirrors."""
    if name.startswith(records.MOCK_PREFIX):
        real = "fake_" + name[len(records.MOCK_PREFIX) :]
        if records.mock_name(real) == name:
            return _ctx().catalog.resolve(real)
    return _ctx().catalog.resolve(name)


def _calibration_arg(entry: Any) -> None:
    records.check_calibration(entry.name, _device(entry).props_json(), request.args.get("calibration_id"))


def _device(entry: Any) -> Any:
    return _ctx().catalog.device(entry.device)


@runtime_bp.get("/backends")
def list_backends() -> Response:
    engine = _ctx().engine
    mocks = request.args.get("include_mocks", "false").lower() == "true"
    devices = []
    for e in _ctx().catalog.entries():
        if not e.available:
            continue
        queued = engine.queue_length(e.name)
        devices.append(ibm.backend_summary(e.name, e.num_qubits, queued))
        twin = records.mock_name(e.name) if mocks else None
        if twin is not None:
            devices.append(records.backend_summary(twin, e.num_qubits, queued, mock=True))
    return jsonify({"devices": devices})


@runtime_bp.get("/backends/<name>/configuration")
def backend_configuration(name: str) -> Response:
    entry = _entry(name)
    _calibration_arg(entry)
    return jsonify(ibm.configuration_json(name, _device(entry).conf_json()))


@runtime_bp.get("/backends/<name>/properties")
def backend_properties(name: str) -> Response:
    entry = _entry(name)
    _calibration_arg(entry)
    props = _device(entry).props_json()
    records.check_updated_before(entry.name, props, _date_arg("updated_before"))  # calibration history
    return jsonify(ibm.properties_json(name, props))


@runtime_bp.get("/backends/<name>/status")
def backend_status(name: str) -> Response:
    entry = _entry(name)
    version = str(_device(entry).conf_json().get("backend_version", "1.0.0"))
    doc = ibm.status_json(entry.name, version, _ctx().engine.queue_length(entry.name))
    reason = _ctx().engine.offline_reason(entry.name)
    if reason is not None:  # the stock client warns at submit: "... currently has a status of <status>"
        doc.update(status=reason, message=reason)
    return jsonify(doc)


@runtime_bp.get("/backends/<name>/defaults")
def backend_defaults(name: str) -> Response:
    entry = _entry(name)
    defs = _defaults_of(_device(entry))
    if defs is None:
        raise NotFound(f"Backend {entry.name} has no pulse defaults")
    return jsonify(defs)


def _defaults_of(device: Any) -> dict[str, Any] | None:
    import os

    backend = device.backend()
    filename = getattr(backend, "defs_filename", None)
    if not filename:
        return None
    path = os.path.join(getattr(backend, "dirname", ""), filename)
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return json.load(handle)


@runtime_bp.get("/instances/usage")
def instance_usage() -> Response:
    return jsonify(ibm.usage_json())


# -- jobs -------------------------------------------------------------------------------------------


@runtime_bp.post("/jobs")
def create_job() -> Response:
    key = _state().ledger.reserve(g.owner, request.get_data(cache=True))
    try:
        rec = _submit(_json_body(), key)
    except BaseException as exc:
        if not isinstance(exc, QhostError) or exc.status >= 500:
            _state().ledger.failed(key)
        raise
    return jsonify(
        {
            "id": rec.id,
            "backend": rec.spec.backend,
            "session_id": rec.spec.session_id,
            "private": records.is_private(rec),
        }
    )


def _submit(body: Any, key: str) -> Any:
    req = ibm.parse_job_request(body)
    entry = _entry(req.backend)
    session = _session_for(req)
    if req.calibration_id is not None:
        records.check_calibration(entry.name, _device(entry).props_json(), req.calibration_id)
    inputs = json.dumps(req.params, separators=(",", ":"))
    summary = _state().validated.check(req.program, entry.name, inputs, lambda: _validate(req, entry))
    meta: dict[str, object] = {"summary": summary} if summary else {}
    if req.private:
        meta["private"] = True
    meta.update(_job_facts(entry, summary))
    if req.backend.startswith(records.MOCK_PREFIX):
        meta["dry_run"] = True  # run on a mock_* twin: its result carries the run-time estimate
    spec = JobSpec(
        program=req.program,
        inputs=inputs,
        backend=entry.name,
        owner=g.owner,
        session_id=req.session_id,
        serial_key=session.serial_key if session is not None else None,
        tags=req.tags,
        idempotency_key=key,
        meta=meta,
    )
    return _ctx().engine.submit(spec)


def _job_facts(entry: Any, summary: dict[str, Any] | None) -> dict[str, Any]:
    """What a job records at submit: the calibration it runs with and its run-time estimate."""
    from qhost.executors.estimate import estimated_seconds

    device, rows = _device(entry), (summary or {}).get("circuits") or []
    count = int((summary or {}).get("count") or len(rows))
    facts = {"estimate_s": estimated_seconds(rows, count, noisy=not device.is_ideal, executor=entry.executor)}
    if records.calibration_date(device.props_json()) is not None:  # also its calibration_id
        facts["calibration"] = device.props_json()["last_update_date"]
    return facts


def _session_for(req: ibm.JobRequest) -> Any:
    if req.session_id is None:
        return None
    session = _state().sessions.require_open(req.session_id, _owner())
    if session.backend != req.backend:
        raise InputError(f"Session {session.id} runs on backend {session.backend}, not {req.backend}")
    return session


def _validate(req: ibm.JobRequest, entry: Any) -> dict[str, Any]:
    """Decode and check the params; returns the input summary the console shows (kept in the job's meta)."""
    from qhost.protocols.ibm_validate import validate_request

    # the calibration (disk-cached per install) answers the ISA check: no Target is built per device
    return validate_request(req, entry.name, entry.num_qubits, _device(entry).isa_target(), _state().limits)


def _job(job_id: str) -> Any:
    return _ctx().engine.get(job_id, owner=_owner())


@runtime_bp.get("/jobs/<job_id>")
def get_job(job_id: str) -> Response:
    include = request.args.get("exclude_params", "false").lower() != "true"
    rec = _job(job_id)
    if rec.status is JobStatus.QUEUED and rec.spec.session_id:
        with contextlib.suppress(SessionNotFound):  # an expired max_ttl cancels the session's queued jobs
            _state().sessions.get(rec.spec.session_id)
        rec = _job(job_id)
    if not include and not rec.status.is_final:
        rec = _held(rec)
    doc = ibm.job_json(rec, include_params=include)
    reason = _ctx().engine.wait_reason(rec)
    if reason is not None:  # a queued job no worker can take: the stock client keeps it as job._reason
        doc["state"]["reason"] = reason
    progress = job_progress(_ctx().engine.store, rec)
    if progress is not None:
        doc["progress"] = progress  # qhost extension; the stock client ignores keys it does not know
    return jsonify(doc)


def _held(rec: Any) -> Any:
    """``rec`` again after waiting up to the status hold for it to finish, when a hold slot is free."""
    hold = float(current_app.config.get("IBM_STATUS_HOLD_SECONDS", STATUS_HOLD_SECONDS))
    if hold <= 0:
        return rec
    return held_wait(_ctx().engine, _ctx().settings, rec.id, hold, _owner())


@runtime_bp.get("/jobs")
def list_jobs() -> Response:
    args = request.args
    limit = _int_arg("limit", 10, 1, 1000)
    offset = _int_arg("offset", 0, 0, 10**9) or _int_arg("skip", 0, 0, 10**9)
    jobs, count = _ctx().engine.list_jobs(
        _owner(),
        statuses=_pending_filter(args.get("pending")),
        backend=args.get("backend") or None,
        program=args.get("program") or None,
        session_id=args.get("session_id") or None,
        tags=args.getlist("tags") or None,
        created_after=_date_arg("created_after"),
        created_before=_date_arg("created_before"),
        limit=limit,
        offset=offset,
        descending=args.get("sort", "DESC").upper() != "ASC",
    )
    include = args.get("exclude_params", "false").lower() != "true"
    return jsonify(
        {
            "jobs": [ibm.job_json(j, include_params=include) for j in jobs],
            "count": count,
            "offset": offset,
            "limit": limit,
        }
    )


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InputError(f"Query parameter {name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise InputError(f"Query parameter {name} must be between {low} and {high}, got {value}")
    return value


def _date_arg(name: str) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        return when.astimezone(UTC) if when.tzinfo is not None else when.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise InputError(
            f"Query parameter {name} must be an ISO 8601 date between 0001-01-01 and 9999-12-31 in UTC, "
            f"got {raw!r}"
        ) from None


def _pending_filter(raw: str | None) -> list[JobStatus] | None:
    if raw is None or raw == "":
        return None
    if raw.lower() == "true":
        return [JobStatus.QUEUED, JobStatus.RUNNING]
    return sorted(FINAL, key=str)


@runtime_bp.get("/jobs/<job_id>/results")
def job_results(job_id: str) -> Response | tuple[Response, int]:
    rec = _job(job_id)
    if rec.status == JobStatus.COMPLETED and records.is_private(rec):
        # read once: later reads answer 200 with an empty body, as IBM does (the client returns None)
        text = _ctx().engine.take_result(job_id, owner=_owner())
        return Response(text or "", mimetype="application/json")
    if rec.status == JobStatus.COMPLETED:
        return Response(records.dry_run_result(rec.result or "", rec), mimetype="application/json")
    if rec.status == JobStatus.FAILED:
        return Response(f"Job {rec.id} failed: {rec.error or 'unknown error'}", mimetype="text/plain")
    if rec.status == JobStatus.CANCELLED:
        return Response(f"Job {rec.id} was cancelled", mimetype="text/plain")
    raise InvalidJobTransition(
        f"Job {rec.id} is {ibm.IBM_STATUS[rec.status]}; results exist once it finishes"
    )


@runtime_bp.post("/jobs/<job_id>/cancel")
def cancel_job(job_id: str) -> tuple[str, int]:
    _ctx().engine.cancel(job_id, owner=_owner())
    return "", 204


@runtime_bp.delete("/jobs/<job_id>")
def delete_job(job_id: str) -> tuple[str, int]:
    _ctx().engine.delete(job_id, owner=_owner())
    return "", 204


@runtime_bp.get("/jobs/<job_id>/metrics")
def job_metrics(job_id: str) -> Response:
    import qiskit

    return jsonify(ibm.metrics_json(_job(job_id), qiskit.__version__))


@runtime_bp.get("/jobs/<job_id>/logs")
def job_logs(job_id: str) -> Response:
    rec = _job(job_id)
    lines = progress_lines(_ctx().engine.store, rec)
    if rec.error:
        lines.append(rec.error)
    return Response("".join(f"{line}\n" for line in lines), mimetype="text/plain")


@runtime_bp.put("/jobs/<job_id>/tags")
def job_tags(job_id: str) -> tuple[str, int]:
    body = _json_body()
    tags = body.get("tags") if isinstance(body, dict) else None
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InputError('Body must be {"tags": [<string>, ...]}')
    _ctx().engine.set_tags(job_id, tags, owner=_owner())
    return "", 204


# -- sessions ---------------------------------------------------------------------------------------


@runtime_bp.post("/sessions")
def create_session() -> Response:
    body = _json_body()
    if not isinstance(body, dict):
        raise InputError("Body must be a JSON object with mode and backend")
    entry = _entry(str(body.get("backend") or ""))
    rec = _state().sessions.create(
        g.owner, entry.name, str(body.get("mode") or "dedicated"), body.get("max_ttl")
    )
    return jsonify(ibm.session_json(rec, _state().sessions.state(rec)))


@runtime_bp.get("/sessions/<session_id>")
def get_session(session_id: str) -> Response:
    rec = _state().sessions.get(session_id, _owner())
    return jsonify(ibm.session_json(rec, _state().sessions.state(rec)))


@runtime_bp.patch("/sessions/<session_id>")
def patch_session(session_id: str) -> tuple[str, int]:
    body = _json_body()
    accepting = body.get("accepting_jobs") if isinstance(body, dict) else None
    if not isinstance(accepting, bool):
        raise InputError('Body must be {"accepting_jobs": true|false}')
    _state().sessions.set_accepting(session_id, accepting, _owner())
    return "", 204


@runtime_bp.delete("/sessions/<session_id>/close")
def close_session(session_id: str) -> tuple[str, int]:
    _state().sessions.cancel(session_id, _owner())
    return "", 204
