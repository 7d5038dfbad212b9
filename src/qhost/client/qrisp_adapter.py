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

import threading
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

    ``run_async`` with N circuits is **one** server job of N circuits (per-circuit shots included) on a qhost
    server; a Qrisp 0.4 – 0.8.2 ``BackendServer`` gets one job per circuit. The metadata properties
    (``num_qubits``, ``connectivity``, ``gate_set``, ``error_rates``, ``max_circuits``, ``queue``, ``health``,
    ``info``) come from one ``GET /qrisp/backend``, asked on first use and cached (``refresh_metadata()``
    asks again); they are ``None`` from a server that is not qhost.

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
        self._metadata: tuple[str, dict[str, Any] | None] | None = None
        self._metadata_lock = threading.Lock()

    @classmethod
    def _default_options(cls) -> Mapping[str, Any]:
        return {"shots": DEFAULT_SHOTS, "device_name": ""}

    def run_async(self, circuits: Any, shots: int | list[int] | None = None) -> QrispJob:
        """Submit the circuits (one job on a qhost server) and return at once with a ``QrispJob``."""
        self._check_circuit_limit(circuits)
        batch = list(circuits) if isinstance(circuits, Sequence) else [circuits]
        if isinstance(shots, list):
            self._validate_shots_length(shots, batch)
        per_circuit = shots if isinstance(shots, list) else [shots] * len(batch)
        default = self.options.get("shots")
        counts: list[int | None] = [default if s is None else s for s in per_circuit]
        device = self._device()
        if len(batch) > 1 and self.client.is_qhost:
            return QrispJob(self, [self.client.submit_batch(batch, counts, device_name=device)], len(batch))
        ids = [self.client.submit(qc, s, device_name=device) for qc, s in zip(batch, counts, strict=True)]
        return QrispJob(self, ids, len(batch))

    def retrieve_job(self, job_id: str) -> QrispJob:
        """The job ``job_id`` (a ``QrispJob.job_id``, also from another process), in whatever state it is.

        Raises:
            LookupError: the server has no such job (or it is another key's).
        """
        ids = job_id.split(",")
        try:
            docs = [self.client.job(one) for one in ids]
        except ServerError as exc:
            if exc.status_code == 404:
                raise LookupError(f"No job {job_id!r} on {self.client.api_endpoint}: {exc.message}") from exc
            raise
        circuits = sum(int(doc.get("qhostCircuits") or 1) for doc in docs)
        return QrispJob(self, ids, circuits)

    def refresh_metadata(self) -> dict[str, Any] | None:
        """Ask the server for the metadata again (queue, health and a new calibration change over time)."""
        device = self._device()
        doc = self.client.metadata(device)
        with self._metadata_lock:
            self._metadata = (device, doc)
        return doc

    def _meta(self, key: str) -> Any:
        with self._metadata_lock:
            cached = self._metadata
        if cached is None or cached[0] != self._device():
            return (self.refresh_metadata() or {}).get(key)
        return (cached[1] or {}).get(key)

    def _device(self) -> str:
        return str(self.options.get("device_name") or "")

    @property
    def num_qubits(self) -> int | None:
        """Qubits of the server's device (``None``: not a qhost server)."""
        return self._meta("num_qubits")  # type: ignore[no-any-return]

    @property
    def max_circuits(self) -> int | None:
        """Most circuits one ``run_async`` may send (the server's limit per job)."""
        return self._meta("max_circuits")  # type: ignore[no-any-return]

    @property
    def connectivity(self) -> list[list[int]] | None:
        """The device's coupling map as ``[control, target]`` pairs (``None``: all-to-all or unknown)."""
        return self._meta("connectivity")  # type: ignore[no-any-return]

    @property
    def gate_set(self) -> list[str] | None:
        """The device's native instruction names, sorted."""
        return self._meta("gate_set")  # type: ignore[no-any-return]

    @property
    def error_rates(self) -> dict[str, Any] | None:
        """``{"calibration": {...}, "gates": {name: {"q0,q1": error}}, "readout": {q: {...}}}``; ``None`` for
        a noise-free device."""
        return self._meta("error_rates")  # type: ignore[no-any-return]

    @property
    def queue(self) -> dict[str, Any] | None:
        """``{"jobs": n}``: jobs queued or running on this backend (when the metadata was asked)."""
        return self._meta("queue")  # type: ignore[no-any-return]

    @property
    def health(self) -> dict[str, Any] | None:
        """``{"online": bool, "message": str}`` (``message`` says why no worker can take a job)."""
        return self._meta("health")  # type: ignore[no-any-return]

    @property
    def info(self) -> dict[str, Any] | None:
        """``{"server": "qhost", "version", "backend", "simulator", "noise"}``."""
        return self._meta("info")  # type: ignore[no-any-return]


class QrispJob(Job):
    """The server job(s) of one ``run_async`` call: one job of N circuits on a qhost server (one per circuit
    on Qrisp's own server); ``job_id`` joins the ids with commas (``retrieve_job`` takes it back)."""

    def __init__(self, backend: QrispBackend, job_ids: list[str], circuits: int | None = None) -> None:
        super().__init__(backend, ",".join(job_ids))
        self.job_ids = job_ids
        self.circuits = len(job_ids) if circuits is None else circuits
        self._last_known_status = JobStatus.QUEUED
        self._result: JobResult | None = None

    @property
    def _client(self) -> BackendClient:
        return self._backend.client  # type: ignore[attr-defined,no-any-return]

    def result(self, timeout: float | None = None) -> JobResult:
        """Block until every circuit is done; ``TimeoutError`` after ``timeout`` seconds.

        Raises:
            JobFailureError: the job failed (the server's message).
            JobCancelledError: the job was cancelled.
        """
        if self._result is None and self._failure_cause is None:  # also after status() said DONE
            self._collect(timeout)
        self._raise_for_status(self._last_known_status)
        return self._result  # type: ignore[return-value]

    def _collect(self, timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        counts: list[dict[str, int | float]] = []
        try:
            for job_id in self.job_ids:
                left = None if deadline is None else max(0.001, deadline - time.monotonic())
                counts.extend(self._client.results(job_id, left))
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
        """The least advanced state over the server jobs (any failure → ``ERROR``)."""
        if self._last_known_status in JobStatus.final_states():
            return self._last_known_status
        states = [_STATES.get(self._client.status(job_id), JobStatus.RUNNING) for job_id in self.job_ids]
        for state in (JobStatus.ERROR, JobStatus.CANCELLED, JobStatus.QUEUED, JobStatus.RUNNING):
            if state in states:
                self._last_known_status = state
                return state
        self._last_known_status = JobStatus.DONE
        return JobStatus.DONE

    def progress(self) -> dict[str, Any] | None:
        """The progress over the job's circuits, from a qhost server: ``{"done", "total", "unit", "percent",
        "elapsed_s", "eta_s", "updated_at"}``; ``None`` before the job starts, or from a server that does not
        say (Qrisp's own, whose jobs are one per circuit)."""
        if len(self.job_ids) != 1:
            return None
        return self._client.job(self.job_ids[0]).get("qhostProgress")  # type: ignore[no-any-return]

    def cancel(self) -> bool:
        """Cancel every circuit that is not final yet (the one batch job on a qhost server); ``True`` when
        something was cancelled."""
        cancelled = [self._client.cancel(job_id) for job_id in self.job_ids]
        if any(cancelled):
            self._last_known_status = JobStatus.CANCELLED
        return any(cancelled)
