"""Every qhost HTTP port's waitress: qhost's bounds (``waitress_options``), small responses sent whole by the
loop (``create_waitress``), a socket bound before anything starts (``listen_socket``) and an orderly close
(``close_server``). Used by ``qhost.backend_server.BackendServer`` and the extra Qrisp ports
(``qrisp_ports``).
"""

from __future__ import annotations

import socket
import threading
from typing import TYPE_CHECKING, Any

from qhost.errors import ConfigurationError

if TYPE_CHECKING:
    from flask import Flask

    from qhost.config import Settings

__all__ = [
    "HTTP_CHANNEL_TIMEOUT",
    "RESPONSE_FLUSH_BYTES",
    "close_server",
    "create_waitress",
    "effective_port",
    "listen_socket",
    "serve_on",
    "waitress_options",
]


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
    (``X-Forwarded-Proto``, ``-For``) are honoured only from ``trusted_proxy`` and dropped otherwise. The
    main loop polls with ``poll()``: waitress's default ``select()`` raises on any descriptor past 1023, which
    a server allowed 1000 connections (and its open files) reaches.
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
        "asyncore_use_poll": True,  # select() fails on a descriptor past 1023 and stops the server's loop
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


def serve_on(app: Flask, sock: socket.socket, settings: Settings) -> Any:
    """A waitress server on a socket we bound ourselves (so a bind error leaks no socket and no threads)."""
    return create_waitress(app, settings, sockets=[sock])


def listen_socket(host: str, port: int) -> socket.socket:
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


def effective_port(server: Any) -> int:
    if hasattr(server, "effective_port"):
        return int(server.effective_port)
    first = next(s for s in server.map.values() if hasattr(s, "effective_port"))
    return int(first.effective_port)


def close_server(server: Any, thread: threading.Thread | None, timeout: float) -> None:
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
