"""The one exception tree of qhost.

May import: nothing.

Every error a user can see is one of these, with a message that names the thing
(job id, backend name, option) and the valid choices. Front doors render them in
their own dialect (Qrisp JSON, IBM JSON, Thrift exceptions) using ``status``.

::

    QhostError                         base; ``status`` is the HTTP status it maps to
    ├── ConfigurationError             bad settings or flags (CLI exit 2)
    ├── InputError (400)               a request we refuse to run
    │   ├── InvalidCircuit             unparsable QASM/QPY, unsupported gate, bad qubit refs
    │   ├── InvalidOption              unknown option or value out of range (shots, precision …)
    │   ├── PayloadTooLarge (413)      body, blob or decompressed size over its limit
    │   ├── UnsupportedMediaType (415) a JSON endpoint's body sent without ``Content-Type: application/json``
    │   ├── MisdirectedRequest (421)   a ``Host`` header the server does not answer to (DNS rebinding)
    │   └── CircuitTooLarge            qubits beyond the method's / device memory limit
    ├── AuthError (401)                unknown or missing API key
    │   └── TooManyLogins (429)        too many failed logins from one address (``retry_after`` seconds)
    ├── NotFound (404)
    │   ├── UnknownBackend             name not in the catalog (message says how to list)
    │   ├── JobNotFound                no such job for this owner
    │   └── SessionNotFound            no such session for this owner
    ├── ConflictError (409)
    │   ├── InvalidJobTransition       e.g. cancelling a completed job
    │   └── SessionClosed              a job for a session that accepts no more jobs
    ├── JobFailed (422)                a blocking call's job failed for a reason of its own (bad circuit …)
    ├── QueueFull (503)                the bounded queue is full; retry later
    ├── StoreFull (507)                the job store's disk is full (never names a server path)
    ├── StoreBusy (503)                the job store stayed locked by another writer; retry later
    ├── WorkerStartError (503)         a worker process exited or stayed silent at start (retried)
    ├── ExecutorError (500)            an executor failed while running a job
    │   └── ExecutorUnavailable (503)  optional package or device missing (names the install command)
    └── ClientError                    raised by our clients
        ├── TransportError             connection refused, timeout
        └── ServerError                the server answered with an error (``status_code``, ``message``)
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "CircuitTooLarge",
    "ClientError",
    "ConfigurationError",
    "ConflictError",
    "ExecutorError",
    "ExecutorUnavailable",
    "InputError",
    "InvalidCircuit",
    "InvalidJobTransition",
    "InvalidOption",
    "JobFailed",
    "JobNotFound",
    "MisdirectedRequest",
    "NotFound",
    "PayloadTooLarge",
    "QhostError",
    "QueueFull",
    "ServerError",
    "SessionClosed",
    "SessionNotFound",
    "StoreBusy",
    "StoreFull",
    "TooManyLogins",
    "TransportError",
    "UnknownBackend",
    "UnsupportedMediaType",
    "WorkerStartError",
]


class QhostError(Exception):
    """Base of every qhost error. ``status`` is the HTTP status a front door answers with."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message}


class ConfigurationError(QhostError):
    code = "configuration_error"


class InputError(QhostError):
    status = 400
    code = "invalid_input"


class InvalidCircuit(InputError):
    code = "invalid_circuit"


class InvalidOption(InputError):
    code = "invalid_option"


class PayloadTooLarge(InputError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(InputError):
    status = 415
    code = "unsupported_media_type"


class MisdirectedRequest(InputError):
    status = 421
    code = "misdirected_request"


class CircuitTooLarge(InputError):
    code = "circuit_too_large"


class AuthError(QhostError):
    status = 401
    code = "unauthorized"


class TooManyLogins(AuthError):
    """Too many failed logins from one client address; ``retry_after`` says when to try again (seconds)."""

    status = 429
    code = "too_many_failed_logins"

    def __init__(self, message: str, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotFound(QhostError):
    status = 404
    code = "not_found"


class UnknownBackend(NotFound):
    code = "unknown_backend"


class JobNotFound(NotFound):
    code = "job_not_found"


class SessionNotFound(NotFound):
    code = "session_not_found"


class ConflictError(QhostError):
    status = 409
    code = "conflict"


class InvalidJobTransition(ConflictError):
    code = "invalid_job_transition"


class SessionClosed(ConflictError):
    code = "session_closed"


class JobFailed(QhostError):
    status = 422
    code = "job_failed"


class QueueFull(QhostError):
    status = 503
    code = "queue_full"


class StoreBusy(QhostError):
    status = 503
    code = "store_busy"


class StoreFull(QhostError):
    status = 507
    code = "store_full"


class WorkerStartError(QhostError):
    status = 503
    code = "worker_start_failed"


class ExecutorError(QhostError):
    status = 500
    code = "executor_error"


class ExecutorUnavailable(ExecutorError):
    status = 503
    code = "executor_unavailable"


class ClientError(QhostError):
    code = "client_error"


class TransportError(ClientError):
    code = "transport_error"


class ServerError(ClientError):
    """The server answered with an error. Carries its HTTP status and message."""

    code = "server_error"

    def __init__(self, message: str, *, status_code: int | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.url = url
