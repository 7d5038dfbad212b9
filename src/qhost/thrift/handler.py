"""The Thrift door's handler: decode with ``qhost.protocols.thrift``, call the engine, encode the answer.

Every method runs through the engine; simulation never runs in a Thrift connection thread. Errors:

- the new methods raise the declared ``BackendError(code, message, status)`` built from the
  ``qhost.errors`` exception; any other exception becomes ``internal_error`` with a generic message and an
  error id, and the server log has the traceback under that id (an exception's text may carry SQL, paths);
- Qrisp's ``run`` does the same when the caller sent ``typed_errors=true`` (clients generated from our
  IDL); Qrisp's generated client never sends it and cannot decode a declared exception (it would report
  "run failed: unknown result"), so it gets a ``TApplicationException`` whose message is
  ``"<code>: <message>"``.

Job routing of Qrisp's ``run`` is the Qrisp REST door's (``QhostContext.qrisp_target``): an
``ExecutorRunFunc`` runs program ``counts`` on ``device@executor`` in worker processes, any other
``run_func`` runs program ``run_func`` in the engine's thread pool, and with neither the server's
``qrisp_backend`` runs ``counts``.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from thrift.Thrift import TApplicationException

from qhost.doorway.holds import hold_cap
from qhost.engine.recovery import LOST_REASON, RESTART_REASON
from qhost.engine.run_func import TOKENS
from qhost.errors import ExecutorError, InvalidOption, JobFailed, NotFound, QhostError
from qhost.executors.qasm_limits import check_qasm, qasm_row, qasm_summary
from qhost.jobs.spec import JobSpec
from qhost.jobs.status import JobStatus
from qhost.protocols import thrift as proto
from qhost.protocols.qrisp import job_inputs
from qhost.protocols.thrift_gen import ttypes

if TYPE_CHECKING:
    from qhost.jobs.spec import JobRecord

__all__ = ["CALL", "DEFAULT_RUN_TIMEOUT", "ThriftHandler", "backend_error"]

log = logging.getLogger(__name__)

DEFAULT_RUN_TIMEOUT = 600.0
"""Longest a blocking ``run``/``run_qasm`` waits for its job, in seconds (then the job is cancelled), when the
handler is built without settings (``Settings.thrift_max_block``, ``QHOST_THRIFT_MAX_BLOCK``, otherwise)."""

_POLL = 0.25
"""Slice of a blocking wait, in seconds, so ``stop()`` never waits for a long job."""


CALL = threading.local()
"""What the current Thrift call did, for the access log: ``status`` (HTTP-like) and ``owner`` id."""


def backend_error(exc: BaseException, error_id: str = "") -> ttypes.BackendError:
    """The declared Thrift exception for ``exc`` (``qhost.errors`` keeps its code/status; any other is a 500
    that says only ``error_id``, under which the server log has the details)."""
    if isinstance(exc, QhostError):
        return ttypes.BackendError(code=exc.code, message=exc.message, status=exc.status)
    message = f"Internal server error (error id {error_id or '-'}); the server log has the details"
    return ttypes.BackendError(code="internal_error", message=message, status=500)


class ThriftHandler:
    """Implements ``BackendService`` (see ``qhost.thrift``) on a ``QhostContext``.

    Args:
        ctx: the server's context: ``settings``, ``engine``, ``catalog``, ``qrisp_target(device)``.
        name: the name ``ping`` reports.
        limits: size limits for circuit structs.
        run_timeout: longest wait of a blocking call, in seconds (default ``settings.thrift_max_block``); a
            ``run_qasm`` timeout above it is refused.
        stopping: set when the server stops; blocking waits end early with ``ExecutorError``.
    """

    def __init__(
        self,
        ctx: Any,
        *,
        name: str = "qhost",
        limits: proto.Limits | None = None,
        run_timeout: float | None = None,
        stopping: threading.Event | None = None,
    ) -> None:
        self.ctx = ctx
        self.name = name
        self.limits = limits or proto.Limits()
        default = getattr(getattr(ctx, "settings", None), "thrift_max_block", DEFAULT_RUN_TIMEOUT)
        self.run_timeout = float(run_timeout if run_timeout is not None else default)
        self.stopping = stopping or threading.Event()

    # ------------------------------------------------------------------ Qrisp's methods

    def run(self, qc: Any, shots: int | None, token: str | None, typed_errors: bool | None) -> dict[str, int]:
        with _errors(typed=bool(typed_errors)):
            qasm = proto.qasm_from_struct(qc, self.limits)
            program, backend = self.ctx.qrisp_target("")
            record = self._submit(program, backend, qasm, shots, token or "")
            done = self._wait(record, self.run_timeout)
            return proto.counts_i32(self._counts(done))

    def ping(self) -> ttypes.BackendStatus:
        with _errors(typed=False):
            return ttypes.BackendStatus(name=self.name, online=not self.stopping.is_set())

    # ------------------------------------------------------------------ qhost additions

    def run_qasm(
        self,
        qasm: str | None,
        shots: int | None,
        backend: str | None,
        token: str | None,
        timeout: float | None,
    ) -> dict[str, int]:
        with _errors(typed=True):
            record = self._submit_qasm(qasm, shots, backend, token)
            done = self._wait(record, self._timeout(timeout, self.run_timeout))
            return proto.counts_i64(self._counts(done))

    def submit(
        self, qasm: str | None, shots: int | None, backend: str | None, token: str | None
    ) -> ttypes.JobInfo:
        with _errors(typed=True):
            return _job_info(self._submit_qasm(qasm, shots, backend, token))

    def status(self, job_id: str | None, token: str | None) -> ttypes.JobInfo:
        with _errors(typed=True):
            return _job_info(self.ctx.engine.get(job_id or "", owner=self._owner(token)))

    def result(self, job_id: str | None, timeout: float | None, token: str | None) -> ttypes.JobResult:
        with _errors(typed=True):
            owner = self._owner(token)
            record = self.ctx.engine.get(job_id or "", owner=owner)
            wait = _result_wait(timeout, self.ctx.settings.max_wait)
            if wait and not record.status.is_final:
                record = self._held_poll(record.id, wait, owner)
            if record.status in (JobStatus.FAILED, JobStatus.CANCELLED):
                raise _job_failed(record)
            if record.status != JobStatus.COMPLETED:
                return ttypes.JobResult(job=_job_info(record))
            if record.spec.meta.get("private") is True:  # IBM "private": results are read once, on any door
                self._counts(record)  # a result this door cannot show is refused before it is taken
                record = self._take_private(record, owner)
            counts = proto.counts_i64(self._counts(record))
            return ttypes.JobResult(job=_job_info(record), counts=counts, result_json=record.result)

    def cancel(self, job_id: str | None, token: str | None) -> ttypes.JobInfo:
        with _errors(typed=True):
            return _job_info(self.ctx.engine.cancel(job_id or "", owner=self._owner(token)))

    def _take_private(self, record: JobRecord, owner: str | None) -> JobRecord:
        """A private job with its result taken from the store (erased there); ``NotFound`` once taken."""
        text = self.ctx.engine.take_result(record.id, owner=owner)
        if text is None:
            raise NotFound(f"The results of private job {record.id} were already read (they are read once)")
        return dataclasses.replace(record, result=text)

    def backends(self) -> list[ttypes.BackendInfo]:
        with _errors(typed=True):
            return [
                ttypes.BackendInfo(
                    name=e.name,
                    device=e.device,
                    executor=e.executor,
                    num_qubits=e.num_qubits,
                    available=e.available,
                    reason=e.reason or "",
                )
                for e in self.ctx.catalog.entries()
            ]

    # ------------------------------------------------------------------ steps

    def _submit_qasm(
        self, qasm: str | None, shots: int | None, backend: str | None, token: str | None
    ) -> JobRecord:
        if not isinstance(qasm, str) or not qasm.strip():
            raise InvalidOption("'qasm' must be non-empty OpenQASM 2 or 3 text")
        program, target = self.ctx.qrisp_target((backend or "").strip())
        return self._submit(program, target, qasm, shots, token or "")

    def _submit(
        self, program: str, backend: str | None, qasm: str, shots: int | None, token: str
    ) -> JobRecord:
        owner = self._owner(token)
        shots = self._shots(shots)
        # includes and declared widths, before any parser (or a run_func) sees the text
        sizes = check_qasm(qasm, self.ctx.qubit_limit(backend), target=backend or "")
        forwarded = "" if self.ctx.settings.auth_enabled else token
        ref = TOKENS.put(forwarded) if forwarded and program == "run_func" else ""  # never stored
        inputs = job_inputs(program, qasm, shots, ref)
        meta: dict[str, object] = {"door": "thrift", "summary": qasm_summary(sizes, shots)}
        if backend is not None and program != "run_func":
            meta["estimate_s"] = self.ctx.catalog.estimated_seconds(backend, [qasm_row(sizes, shots)])
        spec = JobSpec(program=program, inputs=inputs, backend=backend, owner=owner or "", meta=meta)
        return self.ctx.engine.submit(spec)

    def _shots(self, shots: int | None) -> int | None:
        limit = self.ctx.settings.max_shots
        if shots is None or shots == 0:
            return None
        if not 0 < shots <= limit:
            raise InvalidOption(f"shots must be between 1 and {limit} (max_shots), got {shots}")
        return shots

    def _owner(self, token: str | None) -> str | None:
        """``None`` (no owner filter) when auth is off; else the API key's owner.

        Raises:
            AuthError: keys are configured and ``token`` is missing or unknown.
        """
        if not self.ctx.settings.auth_enabled:
            return None
        CALL.owner = self.ctx.keys.require(
            token, "Unknown or missing API key: pass it as the 'token' argument"
        )
        return str(CALL.owner)

    def _wait(self, record: JobRecord, timeout: float) -> JobRecord:
        done = self._poll(record.id, timeout, None)
        if done.status in (JobStatus.FAILED, JobStatus.CANCELLED):
            raise _job_failed(done)
        if done.status != JobStatus.COMPLETED:
            self._cancel_quietly(record.id)
            why = "the server is stopping" if self.stopping.is_set() else f"it ran longer than {timeout:g} s"
            raise ExecutorError(f"Job {record.id} was cancelled: {why}")
        return done

    def _held_poll(self, job_id: str, timeout: float, owner: str | None) -> JobRecord:
        """``_poll`` when a slot of the long-poll cap every door shares is free; else the job as it is."""
        cap = hold_cap(self.ctx.engine, self.ctx.settings)
        if not cap.try_take():
            return self.ctx.engine.get(job_id, owner=owner)  # type: ignore[no-any-return]
        try:
            return self._poll(job_id, timeout, owner)
        finally:
            cap.give()

    def _poll(self, job_id: str, timeout: float, owner: str | None) -> JobRecord:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            record = self.ctx.engine.wait(job_id, timeout=max(0.0, min(_POLL, left)), owner=owner)
            if record.status.is_final or left <= 0 or self.stopping.is_set():
                return record

    def _cancel_quietly(self, job_id: str) -> None:
        try:
            self.ctx.engine.cancel(job_id)
        except QhostError:
            pass

    def _counts(self, record: JobRecord) -> dict[str, Any]:
        return proto.counts_from_result(record.spec.program, record.result or "{}")

    def _timeout(self, value: float | None, default: float) -> float:
        if value is None or value == 0:
            return default
        if not 0 < value <= self.run_timeout:
            raise InvalidOption(
                f"timeout must be between 0 and {self.run_timeout:g} seconds (the server's "
                f"QHOST_THRIFT_MAX_BLOCK), got {value!r}; for longer jobs use submit + result"
            )
        return float(value)


def _result_wait(value: float | None, max_wait: float) -> float:
    """Seconds ``result(timeout)`` may hold: 0 for none, at most the server's ``max_wait``."""
    if not value:
        return 0.0
    if not 0 < value <= 86_400:
        raise InvalidOption(f"timeout must be between 0 and 86400 seconds, got {value!r}")
    return min(float(value), max_wait)


def _job_info(record: JobRecord) -> ttypes.JobInfo:
    return ttypes.JobInfo(**proto.job_info_fields(record))


_SERVER_SIDE = (RESTART_REASON, LOST_REASON, "worker terminated unexpectedly", "job store out of space")
"""Failure reasons that are the server's fault (5xx); any other failed job failed for its own reason."""


def _job_failed(record: JobRecord) -> QhostError:
    if record.status == JobStatus.CANCELLED:
        return ExecutorError(f"Job {record.id} was cancelled")
    reason = record.error or "no reason recorded"
    if reason.startswith(_SERVER_SIDE):
        return ExecutorError(f"Job {record.id} failed: {reason}")
    return JobFailed(f"Job {record.id} failed: {reason}")  # e.g. invalid QASM: not a server error


@contextmanager
def _errors(*, typed: bool) -> Iterator[None]:
    """Map every exception to what the caller can decode: ``BackendError`` or a ``TApplicationException``."""
    try:
        yield
    except (ttypes.BackendError, TApplicationException):
        raise
    except Exception as exc:
        error_id = ""
        if not isinstance(exc, QhostError):
            error_id = secrets.token_hex(6)
            log.exception("thrift handler: unexpected error (error id %s)", error_id)
        elif exc.status >= 500:
            log.error("thrift call answered %d %s: %s", exc.status, exc.code, exc.message, exc_info=exc)
        error = backend_error(exc, error_id)
        CALL.status = error.status
        if typed:
            raise error from exc
        kind = TApplicationException.INTERNAL_ERROR if error.status >= 500 else TApplicationException.UNKNOWN
        raise TApplicationException(kind, f"{error.code}: {error.message}") from exc
