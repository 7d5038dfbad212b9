"""``BackendServer``: Qrisp's embeddable server, on the qhost engine (a drop-in for Qrisp 0.4 – 0.8.2's).

Differences from Qrisp's, on purpose: binds 127.0.0.1 unless told otherwise; ``start()`` returns once the
socket is bound and raises ``ConfigurationError`` naming ``host:port`` when it cannot bind; ``stop()`` exists;
jobs run through the engine (bounded thread pool for a plain ``run_func``, warm worker processes for an
``ExecutorRunFunc``), persisted in SQLite.

``data_dir``: where the SQLite store lives. Default: a fresh temporary directory, removed by ``stop()``
(jobs do not outlive the server). Pass a directory to keep jobs and deployments across restarts.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qhost.config import Settings
from qhost.errors import ConfigurationError

if TYPE_CHECKING:
    from types import TracebackType

    from flask import Flask

    from qhost.executors.base import RunFunc

__all__ = [
    "DEFAULT_QRISP_PORT",
    "BackendServer",
    "HTTP_CHANNEL_TIMEOUT",
    "RESPONSE_FLUSH_BYTES",
    "create_waitress",
    "waitress_options",
]

DEFAULT_QRISP_PORT = 9010
"""Port Qrisp's BackendServer and BackendClient default to."""


class BackendServer:
    """Serve ``run_func`` (or the catalog's virtual backends) over Qrisp's REST wire.

    Args:
        run_func: ``run_func(qasm, shots, token) -> counts``, an ``ExecutorRunFunc``
            (``ExecutorRunFunc("aer", "fake_manila")``) or ``None`` (jobs run on ``Settings.qrisp_backend``
            or their ``deviceName``).
        ip_address: interface to bind (default ``127.0.0.1``).
        port: TCP port (default 9010 like Qrisp; 0 picks a free one, see ``.port`` after ``start()``).
        data_dir: directory of the SQLite store (default: a temporary directory removed by ``stop()``).
        thrift_port: port of the Thrift door (``qhost.thrift``; 0 picks a free one, see ``.thrift_port``
            after ``start()``); ``None`` = no Thrift door. Needs ``pip install -e '.[thrift]'``.
        settings: base settings (default ``Settings.from_env()``).
        **overrides: further ``Settings`` fields (``api_keys``, ``max_shots``, ``worker_mode`` …;
            ``no_auth=True`` to serve a non-loopback ``ip_address`` with no keys).
            With a plain ``run_func``, ``worker_mode`` defaults to ``"thread"`` (nothing is spawned);
            otherwise executor jobs run in warm worker processes, fresh interpreters that never import
            the caller's script (no ``if __name__ == "__main__":`` guard needed).

    Example:
        >>> with BackendServer(lambda qasm, shots, token: {"0": shots or 1}, port=0) as server:
        ...     counts = BackendClient("127.0.0.1", server.port).run(qc, 10)
    """

    def __init__(
        self,
        run_func: RunFunc | None = None,
        ip_address: str | None = None,
        port: int | None = None,
        *,
        data_dir: str | Path | None = None,
        thrift_port: int | None = None,
        settings: Settings | None = None,
        **overrides: Any,
    ) -> None:
        self.run_func = run_func
        self.background_imports = False  # ``qhost serve`` sets it: nothing else runs in its process
        self.ip_address = ip_address or "127.0.0.1"
        self.port = DEFAULT_QRISP_PORT if port is None else int(port)
        self.thrift_port = thrift_port
        self._temp_dir = None if data_dir is not None else tempfile.mkdtemp(prefix="qhost-server-")
        self.data_dir = Path(data_dir if data_dir is not None else self._temp_dir)  # type: ignore[arg-type]
        if run_func is not None and not hasattr(run_func, "executor"):
            # A plain run_func runs in the thread pool; nothing is spawned (as with Qrisp's server), and
            # deviceName jobs run in threads too.
            overrides.setdefault("worker_mode", "thread")
        base = settings if settings is not None else Settings.from_env()
        self.settings = base.replace(
            host=self.ip_address, port=self.port, data_dir=self.data_dir, thrift_port=thrift_port, **overrides
        )
        self.app: Flask | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._thrift: Any = None

    @property
    def url(self) -> str:
        return f"http://{self.ip_address}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> BackendServer:
        """Bind the socket, start the engine and serve in a background thread; returns once bound.

        Raises:
            ConfigurationError: the address cannot be bound (port taken, bad host or port), or it is not
                loopback and no key is configured (pass ``no_auth=True`` to serve it without keys anyway).
            RuntimeError: already started.
        """
        if self._server is not None:
            raise RuntimeError(f"BackendServer on {self.url} is already started")
        self.settings.check_exposure()
        sock = _listen_socket(self.ip_address, self.port)
        engine = None
        try:
            engine = self._make_engine()
            self._server = _serve_on(self._create_app(engine), sock, self.settings)
        except BaseException:
            sock.close()
            if engine is not None:
                engine.stop()
            raise
        self.port = _effective_port(self._server)
        self._start_thrift()
        self._thread = threading.Thread(target=self._server.run, name=f"qhost-http-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Close the socket and open connections, stop the HTTP threads and the engine. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        if self._thrift is not None:
            self._thrift.stop(timeout)
        _close(server, self._thread, timeout)
        if self.app is not None:
            self.app.extensions["qhost"].close(timeout)
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)

    def __enter__(self) -> BackendServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _make_engine(self) -> Any:
        from qhost.server.engine_factory import make_engine

        self.data_dir.mkdir(parents=True, exist_ok=True)
        return make_engine(self.settings, self.run_func)

    def _start_thrift(self) -> None:
        """Start the Thrift door on the same engine (stops everything and re-raises when it cannot bind)."""
        if self.thrift_port is None or self.app is None:
            return
        # the Thrift door has no before-request hook: it opens once the heavy imports are done (warm.py)
        self.app.extensions["qhost_imports"].wait()
        from qhost.thrift import start_thrift_server

        ctx = self.app.extensions["qhost"]
        try:
            self._thrift = start_thrift_server(ctx, self.ip_address, self.thrift_port)
        except BaseException:
            self.stop()
            raise
        self.thrift_port = self._thrift.port
        ctx.doors["thrift"] = True

    def _create_app(self, engine: Any) -> Flask:
        from qhost.server.app import create_app

        self.app = create_app(self.settings, engine=engine, background_imports=self.background_imports)
        return self.app


HTTP_CHANNEL_TIMEOUT = 30.0
"""Seconds an HTTP connection may send nothing (mid-request or idle) before waitress closes it."""


def waitress_options(settings: Settings) -> dict[str, Any]:
    """How every qhost HTTP port runs waitress: threads, and bounds that keep slow clients from blocking it.

    waitress reads each request in full before a thread sees it (a slow client holds a connection, never a
    thread); with its default 100 connections, 100 stalled clients still closed the door for everyone for
    two minutes, hence ``http_max_connections`` (1000) and a 30 s ``channel_timeout`` checked every 5 s.

    ``max_request_body_size`` is the server's body limit (``max_body_bytes``): waitress refuses a larger body
    (413) from its ``Content-Length`` before reading it, or while a chunked one arrives, instead of spooling
    up to its own default of 1 GiB to a temporary file for Flask to refuse. Proxy headers
    (``X-Forwarded-Proto``, ``-For``) are honoured only from ``trusted_proxy`` and dropped otherwise.
    """
    _raise_open_files_limit(settings.http_max_connections + settings.thrift_max_connections + 256)
    options: dict[str, Any] = {
        "threads": settings.http_threads,
        "connection_limit": settings.http_max_connections,
        "channel_timeout": HTTP_CHANNEL_TIMEOUT,
        "cleanup_interval": 5,
        "ident": "qhost",
        "clear_untrusted_proxy_headers": True,
        "max_request_body_size": settings.max_body_bytes,
    }
    if settings.trusted_proxy:
        options.update(
            trusted_proxy=settings.trusted_proxy,
            trusted_proxy_count=1,
            trusted_proxy_headers={"x-forwarded-proto", "x-forwarded-for"},
        )
    return options


RESPONSE_FLUSH_BYTES = 64 * 1024
"""Output a request thread buffers before it sends itself; smaller responses leave from waitress's loop."""


def create_waitress(app: Flask, settings: Settings, **where: Any) -> Any:
    """A waitress server for ``app`` (``where``: ``sockets=[...]`` or ``host=…, port=…``), not yet running.

    waitress's request threads send each response themselves by default, its head and its body in two
    writes, while the main loop watches the socket. With several connections busy, that loop wakes for
    the others' traffic, finds a socket with output still pending, fails to take its lock and polls again
    at once: it spins, taking the GIL from the thread that is sending (measured: 485 thread switches and
    3 ms of loop CPU per P3b job with two connections, against 24 and 0.5 ms). Responses under
    ``RESPONSE_FLUSH_BYTES`` are therefore left whole in the buffer and sent by the main loop, in one write,
    when the request thread is done (waitress wakes its loop then anyway); larger ones still stream from
    the request thread. ``send_bytes`` is set on the server's adjustments after creation: passing it as a
    keyword is deprecated, and should waitress drop the attribute the server simply keeps its default.
    """
    from waitress import create_server

    server = create_server(app, **where, **waitress_options(settings))
    server.adj.send_bytes = RESPONSE_FLUSH_BYTES
    return server


def _raise_open_files_limit(wanted: int) -> None:
    """Raise the soft open-files limit towards ``wanted`` (never above the hard limit) so the bounds hold."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _serve_on(app: Flask, sock: socket.socket, settings: Settings) -> Any:
    """A waitress server on a socket we bound ourselves (so a bind error leaks no socket and no threads)."""
    return create_waitress(app, settings, sockets=[sock])


def _listen_socket(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket for ``host:port``.

    Raises:
        ConfigurationError: bad port, unknown host, or the address is taken.
    """
    if not 0 <= port <= 65535:
        raise ConfigurationError(f"Cannot listen on {host}:{port}: the port must be in 0..65535")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except OSError as exc:
        raise ConfigurationError(f"Cannot listen on {host}:{port}: {exc}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        raise ConfigurationError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def _effective_port(server: Any) -> int:
    if hasattr(server, "effective_port"):
        return int(server.effective_port)
    first = next(s for s in server.map.values() if hasattr(s, "effective_port"))
    return int(first.effective_port)


def _close(server: Any, thread: threading.Thread | None, timeout: float) -> None:
    """Close a waitress server built by ``create_server`` so that its ``run()`` loop returns.

    Order matters: (1) the loop thread closes the listening sockets (no new connections); (2) the HTTP task
    threads finish or are cancelled, so none can pull the trigger after it is closed; (3) the loop thread
    closes every channel and the trigger, its map empties and ``run()`` returns. Sockets are only ever
    closed inside the loop thread (via ``trigger.pull_trigger``), never under a running ``select``.
    """
    from waitress import wasyncore
    from waitress.server import BaseWSGIServer

    socket_map = server.map if hasattr(server, "map") else server._map
    listeners = [d for d in list(socket_map.values()) if isinstance(d, BaseWSGIServer)]
    trigger = listeners[0].trigger
    alive = thread is not None and thread.is_alive()
    if alive:
        done = threading.Event()

        def close_listeners() -> None:
            _close_listeners(listeners)
            done.set()

        trigger.pull_trigger(close_listeners)
        done.wait(timeout)
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=timeout)
    if alive:
        trigger.pull_trigger(lambda: wasyncore.close_all(socket_map, ignore_all=True))
        thread.join(timeout)  # type: ignore[union-attr]
    if socket_map:
        wasyncore.close_all(socket_map, ignore_all=True)


def _close_listeners(listeners: list[Any]) -> None:
    from waitress import wasyncore

    for listener in listeners:
        wasyncore.dispatcher.close(listener)
