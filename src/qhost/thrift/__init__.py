"""The Thrift door: Qrisp's Thrift ``BackendService`` (qrisp 0.1 – 0.4.10) plus qhost's job methods.
A front door beside ``qhost.server`` and ``qhost.client``: it imports neither; what the doors share (keys, the
long-poll cap, the access-log line) is ``qhost.doorway``; the IDL and its generated code are
``qhost.protocols``.

May import: qhost.doorway, qhost.engine, qhost.protocols, qhost.executors, qhost.jobs, qhost.errors.

- ``qhost.protocols.thrift_idl``: the IDL; ``qhost.protocols.thrift_gen`` is generated from it
  (``scripts/gen_thrift.sh``).
- ``handler.ThriftHandler``: the service, on the same engine as the REST doors.
- ``server.ThriftServer``: bounded, stoppable, TBufferedTransport + TBinaryProtocol (Qrisp's defaults).
- ``start_thrift_server(ctx, host, port)``: both, wired and started.

The ``thrift`` package is optional (``pip install -e '.[thrift]'``): importing this package works without it;
``start_thrift_server`` raises ``ConfigurationError`` naming the install command.

Design notes:

- **Wire**: TCP socket + ``TBufferedTransport`` + strict ``TBinaryProtocol`` (Qrisp's defaults), decoded with
  thrift's C extension. Limits per request: message bytes and string bytes (``Settings.max_body_bytes``,
  16 MiB), 1,000,000 elements per list/map, 200,000 circuit instructions, 1024 qubits, definitions nested 8
  deep, shots ``1..Settings.max_shots``. Malformed or over-limit requests are answered with a
  ``TApplicationException(PROTOCOL_ERROR, "<code>: …")`` and that connection is closed.
- **Qrisp's ``run``** converts the circuit struct to OpenQASM 2 (``qhost.protocols.thrift``) and runs it
  through the engine with the Qrisp REST door's routing. Qrisp's own Thrift server passed the *struct* to
  ``run_func``; ours passes QASM text, like every other qhost door (one ``run_func`` serves all doors).
- **Errors for old clients** (verified with Qrisp 0.4.10's generated client, ``tests/thrift``): a client
  generated without a ``throws`` clause skips an unknown result field and raises
  ``TApplicationException(MISSING_RESULT, "run failed: unknown result")``, losing our message. So ``run``
  declares ``BackendError`` as result field 1 *and* takes an extra argument 4 ``typed_errors`` that only
  clients generated from our IDL send: they get ``BackendError``; Qrisp's clients get a
  ``TApplicationException`` whose message is ``"<code>: <message>"``. Arguments 1-3 keep Qrisp's ids/types.
- **Counts**: ``run`` keeps Qrisp's ``map<string,i32>`` and refuses (never truncates) counts above 2**31-1
  and non-integer results (probabilities); the new methods use i64.
- **Auth**: with API keys configured, ``token`` of every job call must be a key; jobs belong to their key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qhost.errors import ConfigurationError
from qhost.protocols.thrift_idl import require_thrift

if TYPE_CHECKING:
    from qhost.thrift.server import ThriftServer

__all__ = ["start_thrift_server"]


def start_thrift_server(ctx: Any, host: str = "127.0.0.1", port: int = 9010, **options: Any) -> ThriftServer:
    """Start a Thrift ``BackendService`` on ``host:port`` for the server context ``ctx`` and return it.

    Args:
        ctx: a ``QhostContext`` (``settings``, ``engine``, ``catalog``, ``qrisp_target``).
        host: interface to bind.
        port: TCP port (0 = a free one; read ``.port``).
        options: ``ThriftServer`` options (``threads``, ``max_connections``, ``idle_timeout``,
            ``request_timeout``, ``limits``; ``threads`` and ``max_connections`` default to
            ``settings.thrift_threads`` / ``settings.thrift_max_connections``, ``max_buffered_bytes`` to
            ``settings.thrift_max_buffered_bytes``, and the default
            ``limits`` take the message and string sizes from ``settings.max_body_bytes``) and
            ``ThriftHandler`` options (``name``, ``run_timeout``, ``circuit_limits``).

    Raises:
        ConfigurationError: ``thrift`` is not installed, or the port cannot be bound.
    """
    require_thrift()
    from qhost.thrift.handler import ThriftHandler
    from qhost.thrift.server import ThriftServer, WireLimits

    handler_opts: dict[str, Any] = {k: options.pop(k) for k in ("name", "run_timeout") if k in options}
    if "circuit_limits" in options:
        handler_opts["limits"] = options.pop("circuit_limits")
    options.setdefault("threads", ctx.settings.thrift_threads)
    options.setdefault("max_connections", ctx.settings.thrift_max_connections)
    options.setdefault("max_buffered_bytes", ctx.settings.thrift_max_buffered_bytes)
    if "limits" not in options:
        size = ctx.settings.max_body_bytes
        options["limits"] = WireLimits(max_message_bytes=size, max_string_bytes=size)
    handler = ThriftHandler(ctx, **handler_opts)
    server = ThriftServer(handler, host, port, **options)
    handler.stopping = server.stopping
    try:
        return server.start()
    except OSError as exc:
        raise ConfigurationError(f"Cannot start the Thrift server on {host}:{port}: {exc}") from exc
