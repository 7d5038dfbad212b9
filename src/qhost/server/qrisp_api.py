"""The Qrisp REST front door (``qrisp_bp`` at ``/``): Qrisp 0.4 – 0.8.2's BackendClient wire.

Views stay thin: decode with ``qhost.protocols.qrisp``, call the engine, encode. Which program a job runs:

1. ``deviceName`` in the job body → program ``counts`` on that virtual backend (``name@executor``, or ``name``
   with the default executor of ``Settings.qrisp_backend``);
2. else the engine's ``run_func`` is an ``ExecutorRunFunc`` (``.device``/``.executor``) → ``counts`` on
   ``f"{device}@{executor}"`` in warm worker processes;
3. else the engine has a plain ``run_func`` → program ``run_func`` in the bounded thread pool;
4. else → ``counts`` on ``Settings.qrisp_backend`` (``--qrisp-backend``, default ``ideal@aer``).

QASM is not parsed here: parsing is the executor's job, and a malformed circuit becomes a failed job whose GET
says why (Qrisp's client then raises with that text; a 4xx at submit would surface as ``KeyError: 'id'``).
Only what costs the server memory is refused at submit (400), before anything is parsed: includes other than
the standard libraries and registers wider than the target (``qhost.executors.qasm_limits``, a regex scan).
The sizes found are kept in the job's ``meta["summary"]`` for the console, which never parses a circuit.
``?wait=<seconds>`` on ``GET /jobs/<id>`` and ``POST /jobs`` blocks until the job is final (long-poll), when
one of the engine's hold slots is free (``qhost.doorway.holds``), else it answers at once; a job no worker can
take is held ``STUCK_S`` seconds at most, then ``qhostMessage`` says why ("no worker online: …").
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, g, jsonify, request

from qhost.doorway.holds import held_wait
from qhost.engine.progress_view import job_progress
from qhost.engine.run_func import TOKENS
from qhost.errors import AuthError, InputError, NotFound, QhostError
from qhost.executors.qasm_limits import QasmSizes, check_qasm, qasm_row
from qhost.jobs.status import JobStatus
from qhost.protocols import json_input
from qhost.protocols import qrisp as proto
from qhost.server.deployments import UNCLAIMED
from qhost.server.errors import log_server_error

if TYPE_CHECKING:
    from flask import Response

    from qhost.jobs.spec import JobRecord
    from qhost.server.context import QhostContext

__all__ = ["AUTH_FAILED_ID", "STUCK_S", "qrisp_bp"]

qrisp_bp = Blueprint("qrisp", __name__)

STUCK_S = 2.0
"""A long-poll on a job no worker can take answers after this many seconds, with ``qhostMessage``."""


AUTH_FAILED_ID = "unauthorized"
"""Pseudo job id in the 401 of ``POST /jobs``: Qrisp 0.4 – 0.8.2's client reads ``id`` without checking
the status (else ``KeyError: 'id'``), then polls ``GET /jobs/unauthorized/``, whose 200 ``message`` it
raises as "Quantum circuit execution failed: <message>"."""

_AUTH_HINT = (
    "Unknown or missing API key: this server has API keys; pass one as token= to Qrisp's "
    "BackendClient(api_endpoint, port, token=KEY), as the job's 'token' or as 'Authorization: Bearer <key>'"
)


@qrisp_bp.errorhandler(QhostError)
def _qrisp_error(exc: QhostError) -> tuple[Response, int]:
    log_server_error(exc)
    doc = exc.to_dict()
    if isinstance(exc, AuthError) and request.method == "POST" and request.endpoint == "qrisp.create_job":
        doc["id"] = AUTH_FAILED_ID
    return jsonify(doc), exc.status


@qrisp_bp.get(f"/jobs/{AUTH_FAILED_ID}")
@qrisp_bp.get(f"/jobs/{AUTH_FAILED_ID}/")
def auth_failed_job() -> tuple[Response, int]:
    """What a Qrisp client polls after its job was refused for want of a key (see ``AUTH_FAILED_ID``)."""
    return jsonify({"error": "auth_error", "message": _AUTH_HINT, "state": "failed"}), 200


@qrisp_bp.post("/deployments")
@qrisp_bp.post("/deployments/")
def create_deployment() -> tuple[Response, int]:
    ctx = _ctx()
    body = _json_body()
    programs = proto.parse_deployment(body)
    for program in programs:
        check_qasm(program)  # the target is known only per job: the widest any backend accepts
    token = body.get("token") if isinstance(body, dict) and isinstance(body.get("token"), str) else None
    key = _bearer() or token
    if ctx.settings.auth_enabled and not key:  # Qrisp <= 0.8.2 sends none here: its first keyed job claims it
        owner: str | None = UNCLAIMED
    else:
        owner = _owner(ctx, key)  # a key that is sent must be valid; the upload is then its owner's
    deployment = ctx.deployments.create(programs, owner or "")
    return jsonify(proto.deployment_response(deployment.id, programs, deployment.created_at)), 201


@qrisp_bp.post("/jobs")
@qrisp_bp.post("/jobs/")
def create_job() -> tuple[Response, int]:
    ctx = _ctx()
    req = proto.parse_job(_json_body(), max_shots=ctx.settings.max_shots)
    owner = _owner(ctx, _bearer() or req.token)
    programs = req.programs or ctx.deployments.get(req.deployment_id or "", owner).programs
    shots = req.shots_for(len(programs))
    program, backend = ctx.qrisp_target(req.device_name)
    sizes = [check_qasm(qasm, ctx.qubit_limit(backend), target=backend or "") for qasm in programs]
    record = ctx.engine.submit(_spec(ctx, req, (programs, shots), owner or "", (program, backend), sizes))
    wait = _wait_seconds(ctx)
    if wait:
        record = held_wait(ctx.engine, ctx.settings, record.id, wait, owner, stuck_s=STUCK_S)
        if record.status.is_final:
            return _document(record)
    return jsonify(_with_reason(proto.job_created_response(record), record)), 201


@qrisp_bp.get("/jobs/<job_id>")
@qrisp_bp.get("/jobs/<job_id>/")
def get_job(job_id: str) -> tuple[Response, int]:
    ctx = _ctx()
    body = request.get_json(silent=True, force=True) if request.content_length else None
    token = body.get("token") if isinstance(body, dict) and isinstance(body.get("token"), str) else None
    owner = _owner(ctx, _bearer() or token)
    wait = _wait_seconds(ctx)
    record = held_wait(ctx.engine, ctx.settings, job_id, wait, owner, stuck_s=STUCK_S)
    if record.status is JobStatus.COMPLETED and record.spec.meta.get("private") is True:
        proto.counts_from_result(record.spec.program, record.result or "{}")  # refused before it is taken
        text = ctx.engine.take_result(record.id, owner=owner)  # an IBM "private" job: results read once
        if text is None:
            raise NotFound(f"The results of private job {record.id} were already read (they are read once)")
        record = dataclasses.replace(record, result=text)
    return _document(record)


@qrisp_bp.get("/qrisp/backend")
def backend_metadata() -> tuple[Response, int]:
    """qhost extension: the metadata of the backend a job with ``?deviceName=`` would run on (Qrisp 0.9's
    ``num_qubits``, ``connectivity``, ``gate_set``, ``error_rates``, ``max_circuits``, ``queue``, ``health``,
    ``info``) in one answer; ``QrispBackend`` asks once and caches it."""
    from qhost.catalog import parse_name
    from qhost.server.context import qhost_version

    ctx = _ctx()
    _owner(ctx, _bearer() or None)
    program, backend = ctx.qrisp_target(request.args.get("deviceName", "").strip())
    device = None if backend is None else ctx.catalog.device(parse_name(backend)[0])
    doc = proto.backend_document(
        backend,
        None if device is None else device.conf_json(),
        None if device is None else device.calibration(),
        None if device is None else device.props_json(),
        queue=ctx.engine.queue_length(backend),
        offline=ctx.engine.offline_reason(backend, program),
        server_version=qhost_version(),
    )
    return jsonify(doc), 200


@qrisp_bp.post("/jobs/<job_id>/cancel")
def cancel_job(job_id: str) -> tuple[Response, int]:
    """qhost extension: cancel a queued or running job (409 when it is already final)."""
    ctx = _ctx()
    owner = _owner(ctx, _bearer() or None)
    return _document(ctx.engine.cancel(job_id, owner=owner))


def _with_reason(doc: dict[str, Any], record: JobRecord) -> dict[str, Any]:
    """qhost extension ``qhostMessage``: why a queued job does not start ("no worker online: …")."""
    reason = _ctx().engine.wait_reason(record)
    if reason is not None:
        doc["qhostMessage"] = reason
    return doc


def _document(record: JobRecord) -> tuple[Response, int]:
    status, doc = proto.job_document(record)
    _with_reason(doc, record)
    progress = job_progress(_ctx().engine.store, record)
    if progress is not None:
        doc["qhostProgress"] = progress  # qhost extension beside Qunicorn's integer percent
        if "progress" in doc:
            doc["progress"] = int(progress["percent"])
    return jsonify(doc), status


def _spec(
    ctx: QhostContext,
    req: proto.JobRequest,
    circuits: tuple[tuple[str, ...], list[int | None]],
    owner: str,
    target: tuple[str, str | None],
    sizes: list[QasmSizes],
) -> Any:
    """The job of one circuit, or of a batch (several programs, or ``shots`` as a list): one job each."""
    from qhost.jobs.spec import JobSpec

    programs, shots = circuits
    program, backend = target
    token = "" if ctx.settings.auth_enabled else req.token  # with keys on, the token is the key
    rows = [qasm_row(size, n) for size, n in zip(sizes, shots, strict=True)]
    meta: dict[str, object] = {
        "door": "qrisp",
        "deployment": req.deployment_id,
        "summary": {"circuits": rows},
    }
    if backend is not None and program != "run_func":
        meta["estimate_s"] = ctx.catalog.estimated_seconds(backend, rows)
    ref = TOKENS.put(token) if token and program == "run_func" else ""  # never stored in plaintext
    if len(programs) == 1 and not isinstance(req.shots, tuple):
        inputs = proto.job_inputs(program, programs[0], shots[0], ref)
    else:
        meta["circuits"] = len(programs)
        inputs = proto.job_inputs(program, list(programs), shots, ref)
    return JobSpec(program=program, inputs=inputs, backend=backend, owner=owner, meta=meta)


def _owner(ctx: QhostContext, token: str | None) -> str | None:
    """``None`` when auth is off (no owner filter); else the key's owner id (``qhost.doorway.keys``).

    Raises:
        AuthError: keys are configured and ``token`` is missing or unknown.
    """
    if not ctx.settings.auth_enabled:
        return None
    g.owner = ctx.keys.require(token, _AUTH_HINT)  # also for the access log
    return str(g.owner)


def _bearer() -> str:
    """The API key of an ``Authorization: Bearer <key>`` (or ``apikey <key>``) header, else ``""``."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    return value.strip() if scheme.lower() in ("bearer", "apikey") else ""


def _wait_seconds(ctx: QhostContext) -> float:
    raw = request.args.get("wait")
    if raw is None:
        return 0.0
    try:
        wait = float(raw)
    except ValueError:
        raise InputError(
            f"'wait' must be a number of seconds (0..{ctx.settings.max_wait}), got {raw!r}"
        ) from None
    if not wait >= 0:
        raise InputError(f"'wait' must be a number of seconds (0..{ctx.settings.max_wait}), got {raw!r}")
    return min(wait, ctx.settings.max_wait)


def _json_body() -> Any:
    """The request body as JSON (``qhost.server.browser`` has checked it is sent as ``application/json``).

    Raises:
        InputError: the body is empty or not valid JSON.
    """
    return json_input.loads(request.get_data(cache=True), what="Request body (JSON, an object)")


def _ctx() -> QhostContext:
    return current_app.extensions["qhost"]  # type: ignore[no-any-return]
