"""``ThriftBackendClient``: qhost's Thrift door from Python, with ``BackendClient``'s ``run(qc, shots)``.

Each thread gets its own connection (Thrift connections carry one call at a time), opened on first use and
re-opened after a transport error, so one client object is safe to share between threads. Every call has a
socket timeout: ``timeout`` for quick calls, ``run_timeout`` plus ``timeout`` for calls that wait for a job.

Errors: the server's declared ``BackendError`` becomes ``qhost.errors.ServerError`` (``status_code``, and
``error_code`` the server's slug such as ``invalid_circuit``); connection problems and timeouts become
``TransportError``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from qhost.client.backend_client import to_qasm
from qhost.errors import ServerError, TransportError

__all__ = ["DEFAULT_RUN_TIMEOUT", "DEFAULT_TIMEOUT", "ThriftBackendClient"]

DEFAULT_TIMEOUT = 30.0
"""Socket timeout of quick calls (submit, status, cancel, ping, backends), in seconds."""

DEFAULT_RUN_TIMEOUT = 600.0
"""Longest a blocking ``run`` waits for its job (the server cancels it then), in seconds."""


class ThriftBackendClient:
    """A client of qhost's Thrift ``BackendService``.

    Args:
        host: server name or address.
        port: the server's Thrift port (``qhost serve --thrift-port``).
        token: API key sent with every job (``""`` when the server has no keys).
        backend: virtual backend such as ``"fake_manila@aer"``; ``""`` = the server's default.
        timeout: socket timeout of quick calls, in seconds.
        run_timeout: how long ``run`` and ``result(wait=...)`` may wait for a job, in seconds.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 9010,
        *,
        token: str = "",
        backend: str = "",
        timeout: float = DEFAULT_TIMEOUT,
        run_timeout: float = DEFAULT_RUN_TIMEOUT,
    ) -> None:
        from qhost.protocols.thrift_idl import require_thrift

        require_thrift()
        self.host, self.port, self.token, self.backend = host, port, token, backend
        self.timeout, self.run_timeout = timeout, run_timeout
        self._local = threading.local()
        self._open: list[Any] = []
        self._lock = threading.Lock()
        self._closed = False

    def __repr__(self) -> str:
        return f"ThriftBackendClient({self.host!r}, {self.port})"

    # ------------------------------------------------------------------ API

    def run(self, qc: Any, shots: int | None = None, *, backend: str | None = None) -> dict[str, int]:
        """Run ``qc`` and return its counts (bitstrings, clbit 0 rightmost).

        Raises:
            ServerError: the server refused the circuit or the job failed (message says why).
            TransportError: no connection, or no answer within ``run_timeout`` (+ ``timeout``).
        """
        wait = self.run_timeout
        with self._call(wait) as client:
            qasm = to_qasm(qc)
            counts: dict[str, int] = client.run_qasm(qasm, shots, self._backend(backend), self.token, wait)
            return counts

    def submit(self, qc: Any, shots: int | None = None, *, backend: str | None = None) -> dict[str, Any]:
        """Queue ``qc`` and return the job (``id``, ``status`` …) at once."""
        with self._call() as client:
            return _job(client.submit(to_qasm(qc), shots, self._backend(backend), self.token))

    def status(self, job_id: str) -> dict[str, Any]:
        """The job's state: ``id``, ``status``, ``program``, ``backend``, times and ``error``."""
        with self._call() as client:
            return _job(client.status(job_id, self.token))

    def result(self, job_id: str, wait: float = 0.0) -> dict[str, int] | None:
        """The job's counts; ``None`` while it is not done after waiting up to ``wait`` seconds.

        Raises:
            ServerError: the job failed or was cancelled (the message says why), or is unknown.
        """
        with self._call(wait) as client:
            answer = client.result(job_id, float(wait), self.token)
        return None if answer.counts is None else dict(answer.counts)

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Cancel a queued or running job and return its state (a finished job raises ``ServerError``)."""
        with self._call() as client:
            return _job(client.cancel(job_id, self.token))

    def backends(self) -> list[dict[str, Any]]:
        """The server's virtual backends: ``name``, ``device``, ``executor``, ``num_qubits`` …"""
        with self._call() as client:
            return [dict(vars(b)) for b in client.backends()]

    def ping(self) -> dict[str, Any]:
        """Qrisp's ``ping``: the server's ``name`` and ``online`` flag."""
        with self._call() as client:
            status = client.ping()
            return {"name": status.name, "online": status.online}

    def close(self) -> None:
        """Close all threads' connections. Closing twice is fine; later calls raise ``TransportError``."""
        with self._lock:
            self._closed = True
            opened, self._open = self._open, []
        for transport in opened:
            transport.close()

    def __enter__(self) -> ThriftBackendClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ plumbing

    def _backend(self, backend: str | None) -> str:
        return self.backend if backend is None else backend

    @contextmanager
    def _call(self, wait: float = 0.0) -> Iterator[Any]:
        """The calling thread's client with its socket timeout set; maps Thrift errors to ``qhost.errors``."""
        from thrift.Thrift import TApplicationException, TException
        from thrift.transport.TTransport import TTransportException

        from qhost.protocols.thrift_gen.ttypes import BackendError

        transport, client, sock = self._connection()
        sock.setTimeout((self.timeout + max(0.0, wait)) * 1000.0)
        try:
            yield client
        except BackendError as exc:
            raise _server_error(exc.message, exc.status, exc.code, self) from None
        except TApplicationException as exc:
            message = exc.message or "Thrift application error"
            raise _server_error(message, 500, "application_error", self) from None
        except (TTransportException, OSError, EOFError) as exc:
            self._drop(transport)
            raise TransportError(f"Thrift call to {self.host}:{self.port} failed: {exc}") from exc
        except TException as exc:
            self._drop(transport)
            raise TransportError(f"Thrift call to {self.host}:{self.port} failed: {exc}") from exc

    def _connection(self) -> tuple[Any, Any, Any]:
        if self._closed:
            raise TransportError(f"{self!r} is closed")
        conn = getattr(self._local, "conn", None)
        if conn is not None and conn[0].isOpen():
            return conn  # type: ignore[no-any-return]
        from thrift.protocol.TBinaryProtocol import TBinaryProtocolAccelerated
        from thrift.transport.TSocket import TSocket
        from thrift.transport.TTransport import TBufferedTransport, TTransportException

        from qhost.protocols.thrift_gen import BackendService

        sock = TSocket(self.host, self.port)
        sock.setTimeout(self.timeout * 1000.0)
        transport = TBufferedTransport(sock)
        try:
            transport.open()
        except TTransportException as exc:
            raise TransportError(f"Cannot connect to Thrift server {self.host}:{self.port}: {exc}") from exc
        conn = (transport, BackendService.Client(TBinaryProtocolAccelerated(transport)), sock)
        self._local.conn = conn
        with self._lock:
            self._open.append(transport)
        return conn

    def _drop(self, transport: Any) -> None:
        transport.close()
        self._local.conn = None
        with self._lock:
            if transport in self._open:
                self._open.remove(transport)


def _server_error(message: str, status: int, code: str, client: ThriftBackendClient) -> ServerError:
    error = ServerError(message, status_code=status, url=f"thrift://{client.host}:{client.port}")
    error.error_code = code  # type: ignore[attr-defined]
    return error


def _job(info: Any) -> dict[str, Any]:
    return {
        key: getattr(info, key)
        for key in ("id", "status", "program", "backend", "created_at", "started_at", "finished_at", "error")
    }
