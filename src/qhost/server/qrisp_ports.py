"""Extra Qrisp-style ports: one port per virtual backend, all over the main server's ONE engine.

Qrisp's docker simulator collection picked a simulator by port (``BackendClient("127.0.0.1", 8085)`` was
MQT DDSIM). ``qhost serve --qrisp-port ideal@ddsim=8085`` does the same: each extra port gets its own
small WSGI app whose Qrisp door defaults to that backend, served by its own waitress server in this
process, sharing the engine, job store and catalog of the main server (so jobs from every port are in
one store and survive restarts together).

Example:
    >>> ports = parse_qrisp_ports(["ideal@ddsim=8085", "ideal@aer_mps=8092"])
    >>> ports
    {8085: 'ideal@ddsim', 8092: 'ideal@aer_mps'}
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from qhost.errors import ConfigurationError

if TYPE_CHECKING:
    from flask import Flask

    from qhost.config import Settings

__all__ = ["QrispPorts", "parse_qrisp_ports"]


def parse_qrisp_ports(values: Iterable[str]) -> dict[int, str]:
    """Parse ``BACKEND=PORT`` items (each may hold several, comma or space separated) into {port: backend}.

    Raises:
        ConfigurationError: an item is not ``BACKEND=PORT`` with a port in 1..65535, or a port repeats.
    """
    ports: dict[int, str] = {}
    for value in values:
        for item in value.replace(",", " ").split():
            backend, sep, raw = item.rpartition("=")
            if not sep or not backend or not raw.isdigit() or not 0 < int(raw) < 65536:
                raise ConfigurationError(
                    f"Invalid --qrisp-port {item!r}; expected BACKEND=PORT such as 'ideal@ddsim=8085'"
                )
            if int(raw) in ports:
                raise ConfigurationError(
                    f"Port {raw} given twice in --qrisp-port ({ports[int(raw)]}, {backend})"
                )
            ports[int(raw)] = backend
    return ports


class QrispPorts:
    """Serve the Qrisp door of ``main_app``'s engine on extra ports, one default backend per port.

    Args:
        main_app: the running server's app (its ``QhostContext`` supplies settings, engine and catalog).
        ports: ``{port: backend}``; every backend is resolved in the catalog before anything binds.
        host: interface to bind (default: the main server's).
    """

    def __init__(self, main_app: Flask, ports: dict[int, str], host: str | None = None) -> None:
        self._ctx = main_app.extensions["qhost"]
        self.ports = dict(ports)
        self.host = host or self._ctx.settings.host
        self._servers: list[tuple[Any, threading.Thread]] = []

    def start(self) -> QrispPorts:
        """Check every backend, then bind and serve each port in a thread.

        Raises:
            UnknownBackend: a backend is not in the catalog (nothing is bound then).
            ConfigurationError: a port cannot be bound (ports bound so far are closed again).
        """
        for backend in self.ports.values():
            self._ctx.catalog.resolve(backend)
        try:
            for port, backend in self.ports.items():
                self._serve(port, backend)
        except BaseException:
            self.stop()
            raise
        return self

    def _serve(self, port: int, backend: str) -> None:
        from qhost.server.app import create_app

        settings = self._ctx.settings.replace(qrisp_backend=backend, port=port)
        app = create_app(settings, engine=self._ctx.engine, catalog=self._ctx.catalog)
        app.extensions["qhost"].doors.update(self._ctx.doors)
        server = _bind(app, self.host, port, settings)
        thread = threading.Thread(target=server.run, name=f"qhost-qrisp-{port}", daemon=True)
        thread.start()
        self._servers.append((server, thread))

    def stop(self, timeout: float = 5.0) -> None:
        """Close every extra port (the shared engine is the main server's to stop). Idempotent."""
        servers, self._servers = self._servers, []
        for server, thread in servers:
            _close(server, thread, timeout)


def _bind(app: Flask, host: str, port: int, settings: Settings) -> Any:
    """A waitress server listening on ``host:port`` (not yet running).

    Raises:
        ConfigurationError: the address cannot be bound (the message names it).
    """
    from qhost.server.http_server import create_waitress

    try:
        return create_waitress(app, settings, host=host, port=port)
    except (OSError, ValueError, OverflowError) as exc:
        raise ConfigurationError(f"Cannot listen on {host}:{port} (--qrisp-port): {exc}") from None


def _close(server: Any, thread: threading.Thread, timeout: float) -> None:
    """Stop a waitress server: listeners first, then the task threads, then the loop (see http_server)."""
    from qhost.server.http_server import close_server

    close_server(server, thread, timeout)
