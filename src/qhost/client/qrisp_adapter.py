"""Qrisp >= 0.9 adapter: a ``qrisp.interface.Backend`` that runs circuits on a qhost (or Qrisp-style) server.

Qrisp 0.9 removed its network client; its ``Backend``/``Job`` API is what ``get_measurement`` and
``multi_measurement`` call. ``QrispBackend`` implements ``run_async`` with our ``BackendClient``::

    from qhost.client.qrisp_adapter import QrispBackend
    backend = QrispBackend("127.0.0.1", 8000)
    qv.get_measurement(backend=backend)

Needs Qrisp >= 0.9 (``pip install -e '.[qrisp]'``). For Qrisp <= 0.8 use ``BackendClient`` directly: it has
the ``run(qc, shots) -> dict`` those versions call.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

try:
    from qrisp.interface import Backend, Job, JobResult, JobStatus
except ImportError as exc:  # qrisp missing, or a Qrisp older than 0.9 (no Job API)
    raise ImportError(
        "qhost.client.qrisp_adapter needs Qrisp >= 0.9 (qrisp.interface.Backend/Job); "
        "install it with: pip install -e '.[qrisp]'"
    ) from exc

from qhost.client.backend_client import BackendClient
from qhost.errors import ServerError, TransportError

__all__ = ["QrispBackend", "QrispJob"]

DEFAULT_SHOTS = 1000
"""Shots when neither ``run``/``run_async`` nor the backend options give any."""

_STATES = {
    "queued": JobStatus.QUEUED,
    "running": JobStatus.RUNNING,
    "finished": JobStatus.DONE,
    "completed": JobStatus.DONE,
    "failed": JobStatus.ERROR,
    "cancelled": JobStatus.CANCELLED,
}


class QrispBackend(Backend):
    """A Qrisp backend served by qhost.

    Args:
        api_endpoint: host or base URL of the server (see ``BackendClient``).
        port: its port.
        token: API key (when the server has keys configured).
        name: backend name shown by Qrisp (default ``"qhost@<endpoint>"``).
        options: runtime options; ``shots`` (default 1000) and ``device_name`` (virtual backend on the
            server, ``""`` for its default).
        client: a ready ``BackendClient`` to use instead of building one.
    """

    def __init__(
        self,
        api_endpoint: str = "127.0.0.1",
        port: int | None = None,
        token: str = "",
        *,
        name: str | None = None,
        options: Mapping[str, Any] | None = None,
        client: BackendClient | None = None,
    ) -> None:
        self.client = client if client is not None else BackendClient(api_endpoint, port, token)
        super().__init__(name=name or f"qhost@{self.client.api_endpoint}", options=options)

    @classmethod
    def _default_options(cls) -> Mapping[str, Any]:
        return {"shots": DEFAULT_SHOTS, "device_name": ""}

    def run_async(self, circuits: Any, shots: int | list[int] | None = None) -> QrispJob:
        """Submit each circuit as one server job and return at once with a ``QrispJob``."""
        self._check_circuit_limit(circuits)
        batch = list(circuits) if isinstance(circuits, Sequence) else [circuits]
        if isinstance(shots, list):
            self._validate_shots_length(shots, batch)
        per_circuit = shots if isinstance(shots, list) else [shots] * len(batch)
        default = self.options.get("shots")
        device = str(self.options.get("device_name") or "")
        ids = [
            self.client.submit(qc, default if s is None else s, device_name=device)
            for qc, s in zip(batch, per_circuit, strict=True)
        ]
        return QrispJob(self, ids)


class QrispJob(Job):
    """The server jobs of one ``run_async`` call (one per circuit); ``job_id`` joins their ids with commas."""

    def __init__(self, backend: QrispBackend, job_ids: list[str]) -> None:
        super().__init__(backend, ",".join(job_ids))
        self.job_ids = job_ids
        self._last_known_status = JobStatus.QUEUED
        self._result: JobResult | None = None

    @property
    def _client(self) -> BackendClient:
        return self._backend.client  # type: ignore[attr-defined,no-any-return]

    def result(self, timeout: float | None = None) -> JobResult:
        """Block until every circuit's job is final; ``TimeoutError`` after ``timeout`` seconds.

        Raises:
            JobFailureError: a job failed (the server's message).
            JobCancelledError: a job was cancelled.
        """
        if self._result is None and self._last_known_status not in JobStatus.final_states():
            self._collect(timeout)
        self._raise_for_status(self._last_known_status)
        return self._result  # type: ignore[return-value]

    def _collect(self, timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        counts = []
        try:
            for job_id in self.job_ids:
                left = None if deadline is None else max(0.001, deadline - time.monotonic())
                counts.append(self._client.result(job_id, left))
        except TransportError as exc:
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"Job {self.job_id!r} not finished within {timeout} s") from exc
            raise
        except ServerError as exc:
            self._failure_cause = exc
            self._last_known_status = JobStatus.CANCELLED if "cancelled" in exc.message else JobStatus.ERROR
            return
        self._result = JobResult(counts)
        self._last_known_status = JobStatus.DONE

    def status(self) -> JobStatus:
        """The least advanced state over the circuit jobs (any failure → ``ERROR``)."""
        if self._last_known_status in JobStatus.final_states():
            return self._last_known_status
        states = [_STATES.get(self._client.status(job_id), JobStatus.RUNNING) for job_id in self.job_ids]
        for state in (JobStatus.ERROR, JobStatus.CANCELLED, JobStatus.QUEUED, JobStatus.RUNNING):
            if state in states:
                self._last_known_status = state
                return state
        self._last_known_status = JobStatus.DONE
        return JobStatus.DONE

    def cancel(self) -> bool:
        """Cancel the circuit jobs that are not final yet; ``True`` when at least one was cancelled."""
        cancelled = [self._client.cancel(job_id) for job_id in self.job_ids]
        if any(cancelled):
            self._last_known_status = JobStatus.CANCELLED
        return any(cancelled)
