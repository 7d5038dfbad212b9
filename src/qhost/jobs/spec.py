"""What a front door asks the engine to run (``JobSpec``) and what it gets back (``JobRecord``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from qhost.jobs.status import JobStatus

__all__ = ["JobRecord", "JobSpec"]


@dataclass(frozen=True)
class JobSpec:
    """A job as a front door decoded it.

    Attributes:
        program: what to run: ``"counts"`` (QASM → counts dict), ``"sampler"``, ``"estimator"``
            (IBM primitives, params JSON), ``"run_func"`` (a user callable registered with the engine).
        backend: virtual backend name such as ``"fake_manila@aer"``; ``None`` for ``run_func`` jobs.
        inputs: the program's input as JSON text (stored verbatim; decoded again by the worker).
        owner: who submitted it (API key owner, or ``""`` when auth is off).
        session_id: IBM session or batch id, if any.
        serial_key: jobs sharing a non-empty serial key run one at a time in submission order
            (a dedicated IBM session sets it to its id).
        tags: free-form labels (IBM ``tags``).
        idempotency_key: a repeated submit with the same (owner, key) returns the first job instead of
            creating a second one (IBM clients retry POSTs after 5xx).
        meta: small JSON-able facts a front door wants back later (e.g. the Qrisp deployment id).
    """

    program: str
    inputs: str
    backend: str | None = None
    owner: str = ""
    session_id: str | None = None
    serial_key: str | None = None
    tags: tuple[str, ...] = ()
    idempotency_key: str | None = None
    meta: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class JobRecord:
    """A job as the store holds it. ``result`` is the program's output text, ``error`` the failure reason."""

    id: str
    spec: JobSpec
    status: JobStatus
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: str | None = None
    error: str | None = None
    worker_pid: int | None = None

    @property
    def owner(self) -> str:
        return self.spec.owner
