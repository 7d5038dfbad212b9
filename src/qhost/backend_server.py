"""``BackendServer``: Qrisp's embeddable server, on the qhost engine (a drop-in for Qrisp 0.4 – 0.8.2's).

Differences from Qrisp's, on purpose: binds 127.0.0.1 unless told otherwise; ``start()`` returns once the
socket is bound and raises ``ConfigurationError`` naming ``host:port`` when it cannot bind; ``stop()`` exists;
jobs run through the engine (bounded thread pool for a plain ``run_func``, warm worker processes for an
``ExecutorRunFunc``), persisted in SQLite.

It composes the doors (the HTTP app of ``qhost.server`` and, with ``thrift_port``, the Thrift door of
``qhost.thrift``), so it sits above them: no door imports another.

May import: qhost.server, qhost.thrift, qhost.executors, qhost.config, qhost.errors.

``data_dir``: where the SQLite store lives. Default: a fresh temporary directory, removed by ``stop()``
(jobs do not outlive the server). Pass a directory to keep jobs and deployments across restarts.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qhost.config import Settings
from qhost.server.http_server import close_server, effective_port, listen_socket, serve_on

if TYPE_CHECKING:
    from types import TracebackType

    from flask import Flask

    from qhost.executors.base import RunFunc

__all__ = ["DEFAULT_QRISP_PORT", "BackendServer"]

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
        sock = listen_socket(self.ip_address, self.port)
        engine = None
        try:
            engine = self._make_engine()
            self._server = serve_on(self._create_app(engine), sock, self.settings)
        except BaseException:
            sock.close()
            if engine is not None:
                engine.stop()
            raise
        self.port = effective_port(self._server)
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
        close_server(server, self._thread, timeout)
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
