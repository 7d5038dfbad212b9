"""The console's routes: pages under ``/console`` and the small JSON endpoints the pages poll.

Pages are server-rendered (``templates/console``); a page that updates itself marks an element
``data-live="<json url>"`` and ``static/console.js`` swaps in the ``html`` the endpoint returns every few
seconds. Errors render as an HTML page, or as JSON under ``/console/api``; never as a 500 for bad input.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException

from qhost.engine.progress_view import job_progress
from qhost.errors import AuthError, JobNotFound, QhostError, UnknownBackend
from qhost.jobs.status import JobStatus
from qhost.server.console import access, charts, listing, summary
from qhost.server.throttle import throttled_login

if TYPE_CHECKING:
    from werkzeug.wrappers import Response as BaseResponse

__all__ = ["MAX_ID_CHARS", "POLL_MS", "console_bp", "csrf_token"]

POLL_MS = 2000
"""How often live parts of a page ask for fresh data, in milliseconds."""
MAX_ID_CHARS = 64
"""Longest job id or device name looked up (longer ones are "not found" without a query)."""

console_bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def _ctx() -> Any:
    return current_app.extensions["qhost"]


def _is_api() -> bool:
    return request.path.startswith("/console/api/")


# -- errors and access ----------------------------------------------------------------------------


@console_bp.errorhandler(QhostError)
def _qhost_error(exc: QhostError) -> tuple[Response | str, int]:
    return _error(exc.status, exc.code, exc.message)


@console_bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[Response | str, int]:
    code = exc.code or 500
    return _error(code, (exc.name or "error").lower().replace(" ", "_"), exc.description or exc.name)


def _error(status: int, code: str, message: str) -> tuple[Response | str, int]:
    if _is_api():
        return jsonify({"error": code, "message": message}), status
    return render_template("console/error.html", status=status, code=code, message=message), status


@console_bp.before_request
def _sign_in_check() -> BaseResponse | None:
    if request.endpoint in ("console.static", "console.login"):
        return None
    who = access.viewer()
    if who is None:
        if _is_api() or request.method != "GET":
            raise AuthError("Sign in at /console/login with an API key first")
        return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
    g.viewer = who
    if request.method == "POST":
        access.check_csrf()
    return None


@console_bp.app_template_global()
def csrf_token() -> str:
    return access.csrf_token()


@console_bp.app_template_filter("when")
def _when(value: Any) -> str:
    """ISO text or datetime -> ``2026-12-03 17:05:01`` (UTC); empty for None."""
    if value in (None, ""):
        return ""
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


@console_bp.app_template_filter("seconds")
def _seconds(value: float | None) -> str:
    if value is None:
        return ""
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 120:
        return f"{value:.2f} s"
    return f"{value / 60:.1f} min"


_UNIT_NOUNS = {"pubs": ("PUB", "PUBs"), "shots": ("shot", "shots"), "circuits": ("circuit", "circuits")}


@console_bp.app_template_filter("progress_unit")
def _progress_unit(unit: str, total: int) -> str:
    """``"pubs", 5`` -> ``"PUBs"``: the unit a progress count counts, singular or plural."""
    one, many = _UNIT_NOUNS.get(unit, (unit, unit))
    return one if total == 1 else many


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("console.workloads")


@console_bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | tuple[str, int] | str:
    target = _safe_next(request.values.get("next"))
    if not _ctx().settings.console_auth_enabled:
        return redirect(target)
    if request.method == "GET":
        return render_template("console/login.html", next=target, message="")
    access.check_csrf()
    try:
        with throttled_login(current_app, request.remote_addr):  # failed logins per address: 429 after N
            access.login(request.form.get("key", ""))
    except AuthError as exc:
        return render_template("console/login.html", next=target, message=exc.message), exc.status
    return redirect(target)


@console_bp.post("/logout")
def logout() -> BaseResponse:
    access.logout()
    return redirect(url_for("console.login"))


@console_bp.get("/")
def index() -> BaseResponse:
    return redirect(url_for("console.workloads"))


# -- workloads ------------------------------------------------------------------------------------


def _workloads_data(flt: listing.Filters) -> dict[str, Any]:
    store = _ctx().engine.store
    rows, total, capped = listing.job_page(store, flt, g.viewer.scope)
    pages = max(1, min(listing.MAX_PAGE, -(-total // listing.PAGE_SIZE)))
    return {"rows": rows, "total": total, "capped": capped, "filters": flt, "pages": pages}


@console_bp.get("/workloads")
def workloads() -> str:
    flt = listing.Filters.parse(request.args)
    data = _workloads_data(flt)
    sessions = listing.recent_sessions(_ctx().engine.store, g.viewer.scope)
    return render_template(
        "console/workloads.html", **data, sessions=sessions, states=listing.STATE_CHOICES,
        live=url_for("console.api_jobs", **flt.query()), poll_ms=POLL_MS,  # type: ignore[arg-type]
    )  # fmt: skip


@console_bp.get("/api/jobs")
def api_jobs() -> Response:
    flt = listing.Filters.parse(request.args)
    data = _workloads_data(flt)
    html = render_template("console/_job_rows.html", rows=data["rows"])
    return jsonify({
        "jobs": [r.as_json() for r in data["rows"]], "total": data["total"], "capped": data["capped"],
        "page": flt.page, "page_size": listing.PAGE_SIZE, "html": html,
    })  # fmt: skip


# -- one job --------------------------------------------------------------------------------------


def _job(job_id: str) -> Any:
    if len(job_id) > MAX_ID_CHARS:
        raise JobNotFound(
            f"Job {job_id[:MAX_ID_CHARS]}… not found (job ids are at most {MAX_ID_CHARS} characters)"
        )
    return _ctx().engine.get(job_id, owner=g.viewer.scope)


def _durations(rec: Any) -> dict[str, float | None]:
    now = datetime.now(UTC)
    started, finished = rec.started_at, rec.finished_at
    wait_end = started or (finished if rec.status is JobStatus.CANCELLED else None) or now
    return {
        "queued": (wait_end - rec.created_at).total_seconds(),
        "running": ((finished or now) - started).total_seconds() if started else None,
    }


def _worker_of(rec: Any) -> dict[str, Any] | None:
    snapshots = getattr(_ctx().engine, "worker_snapshots", None)
    if rec.worker_pid is None or snapshots is None:
        return None
    return next((w for w in snapshots() if w.get("pid") == rec.worker_pid), None)


@console_bp.get("/jobs/<job_id>")
def job(job_id: str) -> str:
    rec = _job(job_id)
    inputs, result = _inputs_and_result(rec)
    charts_ = [_chart(pub) for pub in result.pubs] if result else []
    waiting = (
        None if rec.status.is_final else listing.waiting_view(_ctx().engine.store, rec.id, rec.spec.backend)
    )
    return render_template(
        "console/job.html", job=rec, inputs=inputs, result=result, charts=charts_, waiting=waiting,
        durations=_durations(rec), worker=_worker_of(rec), poll_ms=POLL_MS,
        live=url_for("console.api_job", job_id=rec.id), progress=job_progress(_ctx().engine.store, rec),
    )  # fmt: skip


_PRIVATE = 'private (submitted with "private": true): not shown here; the IBM door returns its results once'


def _inputs_and_result(rec: Any) -> tuple[summary.InputSummary, summary.ResultView | None]:
    """What the job page shows of a job's params and result: nothing of a private IBM job's."""
    if rec.spec.meta.get("private") is True:
        done = rec.status is JobStatus.COMPLETED
        return summary.InputSummary(note="are " + _PRIVATE), summary.ResultView(
            note="is " + _PRIVATE
        ) if done else None
    inputs = summary.inputs_of(rec.id, rec.spec.program, rec.spec.inputs, rec.spec.meta)
    completed = rec.status is JobStatus.COMPLETED
    return inputs, summary.result_of(rec.id, rec.spec.program, rec.result) if completed else None


def _chart(pub: dict[str, Any]) -> dict[str, Any]:
    if "values" in pub:
        return {"title": pub["title"], "kind": "values", "svg": charts.value_chart(pub["values"])}
    return {"title": pub["title"], "kind": "bars", "svg": charts.bar_chart(pub["histogram"])}


@console_bp.get("/api/jobs/<job_id>")
def api_job(job_id: str) -> Response:
    rec = _job(job_id)
    return jsonify({
        "id": rec.id, "status": rec.status.value, "backend": rec.spec.backend, "program": rec.spec.program,
        "created_at": rec.created_at.isoformat(), "final": rec.status.is_final,
        "started_at": rec.started_at.isoformat() if rec.started_at else None,
        "finished_at": rec.finished_at.isoformat() if rec.finished_at else None,
        "error": rec.error, "progress": job_progress(_ctx().engine.store, rec),
    })  # fmt: skip


@console_bp.post("/jobs/<job_id>/cancel")
def cancel(job_id: str) -> BaseResponse:
    rec = _job(job_id)
    _ctx().engine.cancel(rec.id, owner=g.viewer.scope)
    flash(f"Job {rec.id} cancelled")
    return redirect(url_for("console.job", job_id=rec.id), code=303)


# -- devices and workers --------------------------------------------------------------------------


@console_bp.get("/devices")
def devices() -> str:
    entries = _ctx().catalog.entries()
    queues = listing.queue_lengths(_ctx().engine.store)
    return render_template("console/devices.html", entries=entries, queues=queues)


@console_bp.get("/devices/<name>")
def device(name: str) -> str:
    if len(name) > MAX_ID_CHARS:
        raise UnknownBackend(
            f"Unknown device {name[:MAX_ID_CHARS]}…; the devices are listed at /console/devices"
        )
    device_name = name.partition("@")[0]
    dev = _ctx().catalog.device(device_name)
    entries = [e for e in _ctx().catalog.entries() if e.device == dev.name]
    queues = listing.queue_lengths(_ctx().engine.store)
    return render_template(
        "console/device.html", device=dev, entries=entries, queues=queues,
        cmap=charts.coupling_map(dev), cal=charts.calibration(dev),
    )  # fmt: skip


def _workers() -> list[dict[str, Any]]:
    snapshots = getattr(_ctx().engine, "worker_snapshots", None)
    return list(snapshots()) if snapshots is not None else []


@console_bp.get("/workers")
def workers() -> str:
    return render_template(
        "console/workers.html", workers=_workers(), live=url_for("console.api_workers"), poll_ms=POLL_MS,
        queued=_ctx().engine.queue_length(),
    )  # fmt: skip


@console_bp.get("/api/workers")
def api_workers() -> Response:
    rows = _workers()
    return jsonify({"workers": rows, "html": render_template("console/_worker_rows.html", workers=rows)})
