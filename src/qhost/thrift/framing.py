"""Request framing for the Thrift door: read whole messages without a worker thread.

Qrisp's wire (``TBufferedTransport`` + strict ``TBinaryProtocol``) has no length prefix, so the end of a
request is found by decoding it. ``_Conn`` buffers what the poller reads without blocking and, as bytes
arrive, asks ``message_length`` (the C decoder over the buffered bytes) whether a whole message is there;
only then does a worker thread get the connection. Attempts on a partial message are spaced so that
decoding costs at most about as much time as waiting (cheap ones at once, dear ones when the buffer
doubled or after four times their cost), so a client trickling a large message cannot make the poller
decode it over and over.

What all connections buffer together is bounded by a ``BufferBudget``: each connection holds its first
``FREE_BYTES`` (64 KiB, every ordinary call) without asking; bytes beyond that, from the first one received
until the call is answered, are charged to the budget (``Settings.thrift_max_buffered_bytes``, 64 MiB). A
connection whose next bytes do not fit is answered ``queue_full`` and closed; the others go on. The budget
cannot wait for the caller's key: the ``token`` is an argument of the call, encoded after the circuit
(argument 3 of ``run``, 4 of ``run_qasm``), so the server cannot know who is sending a large request before
it has buffered it. The budget bounds what anyone (with or without a key) can make the server hold.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass

from thrift.protocol.TBinaryProtocol import TBinaryProtocolAccelerated
from thrift.protocol.TProtocol import TProtocolException
from thrift.Thrift import TType
from thrift.transport.TSocket import TSocket
from thrift.transport.TTransport import TBufferedTransport, TMemoryBuffer, TTransportException

from qhost.protocols.thrift_gen import BackendService

__all__ = [
    "FREE_BYTES",
    "BufferBudget",
    "BudgetExceeded",
    "Conn",
    "WireLimits",
    "in_protocol",
    "message_length",
    "socket_transport",
]

FREE_BYTES = 64 * 1024
"""Bytes a connection may buffer without charging the shared budget."""


class BudgetExceeded(Exception):
    """The next bytes of a request do not fit in the server's buffer budget."""


class BufferBudget:
    """Bytes of unanswered requests buffered over all connections (beyond ``FREE_BYTES`` each)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def take(self, size: int) -> bool:
        with self._lock:
            if self.used + size > self.limit:
                return False
            self.used += size
            return True

    def give(self, size: int) -> None:
        with self._lock:
            self.used -= size


@dataclass(frozen=True)
class WireLimits:
    """Limits on what one request may carry.

    Attributes:
        max_message_bytes: bytes of one request message (16 MiB, the HTTP body limit's default).
        max_string_bytes: bytes of one string (QASM text travels as one string).
        max_container_items: elements of one list or map (instructions of a circuit struct).
    """

    max_message_bytes: int = 16 * 1024 * 1024
    max_string_bytes: int = 16 * 1024 * 1024
    max_container_items: int = 1_000_000


def in_protocol(data: bytes, limits: WireLimits) -> tuple[TMemoryBuffer, TBinaryProtocolAccelerated]:
    trans = TMemoryBuffer(data)
    return trans, TBinaryProtocolAccelerated(
        trans,
        strictRead=True,
        string_length_limit=limits.max_string_bytes,
        container_length_limit=limits.max_container_items,
    )


def message_length(data: bytes, limits: WireLimits) -> int | None:
    """Bytes of the first whole request message in ``data``; ``None`` while it is incomplete.

    Raises:
        Exception: the bytes are not a valid request (the worker decodes them again and answers why).
    """
    trans, iprot = in_protocol(data, limits)
    try:
        name, _kind, _seqid = iprot.readMessageBegin()
        args = getattr(BackendService, f"{name}_args", None)
        if args is None:
            iprot.skip(TType.STRUCT)
        else:
            args().read(iprot)
        iprot.readMessageEnd()
    except EOFError:
        return None
    except TTransportException as exc:
        if exc.type == TTransportException.END_OF_FILE:
            return None
        raise
    return trans.cstringio_buf.tell()


class Conn:
    """One client connection: the bytes read so far, and the Thrift output stack kept from call to call."""

    def __init__(self, sock: socket.socket, limits: WireLimits, budget: BufferBudget | None = None) -> None:
        self.sock = sock
        self.limits = limits
        self.budget = budget or BufferBudget(1 << 62)
        self.charged = 0  # bytes of this connection counted in the budget
        self.oprot = TBinaryProtocolAccelerated(TBufferedTransport(socket_transport(sock)))
        self.idle_since = time.monotonic()
        self.buf = bytearray()
        self.started: float | None = None  # when the first byte of the pending request arrived
        self.message: bytes | None = None  # a whole request, ready for a worker
        self.error: Exception | None = None  # or why the pending bytes are no valid request
        self._tried_len, self._tried_at, self._tried_cost = 0, 0.0, 0.0

    def receive(self) -> bool:
        """Read what the socket has without blocking; False when the client closed or the socket broke."""
        while True:
            try:
                chunk = self.sock.recv(1 << 16)
            except (BlockingIOError, InterruptedError):
                return True
            except OSError:
                return False
            if not chunk:
                return False
            if not self.buf:
                self.started = time.monotonic()
            if not self._charge(len(self.buf) + len(chunk) + len(self.message or b"")):
                self.error = BudgetExceeded(
                    f"queue_full: the server holds {self.budget.limit} bytes of unanswered Thrift requests "
                    "(QHOST_THRIFT_MAX_BUFFERED_BYTES); retry later"
                )
                return True
            self.buf += chunk
            if len(self.buf) > self.limits.max_message_bytes:
                return True  # enough to refuse it; the rest is drained when the refusal is sent

    def take(self, now: float) -> bool:
        """Whether a whole message (or an error to report) is ready for a worker; finds it when worth it."""
        if self.message is not None or self.error is not None:
            return True
        limit = self.limits.max_message_bytes
        if not self.buf or not (self._worth_trying(now) or len(self.buf) > limit):
            return False
        start = time.perf_counter()
        try:
            size = message_length(bytes(self.buf), self.limits)
        except Exception as exc:  # malformed: the worker decodes it again and answers the client why
            self.error = exc
            return True
        finally:
            self._tried_len, self._tried_at = len(self.buf), now
            self._tried_cost = time.perf_counter() - start
        if (size is None and len(self.buf) > limit) or (size is not None and size > limit):
            self.error = TProtocolException(
                TProtocolException.SIZE_LIMIT, f"Request larger than {limit} bytes (max_message_bytes)"
            )
            return True
        if size is None:
            return False
        self.message, self.buf = bytes(self.buf[:size]), self.buf[size:]
        self.started = time.monotonic() if self.buf else None
        self._tried_len = 0
        return True

    def waiting(self) -> bool:
        """Whether bytes arrived since the last look for a whole message (a look was put off)."""
        return bool(self.buf) and len(self.buf) != self._tried_len and self.message is None

    def _worth_trying(self, now: float) -> bool:
        """Retry decoding a partial message if that is cheap, the bytes doubled, or a while passed."""
        if len(self.buf) == self._tried_len:
            return False
        if self._tried_cost < 0.002 or len(self.buf) >= 2 * self._tried_len:
            return True
        return now - self._tried_at >= 4 * self._tried_cost

    def _charge(self, held: int) -> bool:
        """Charge the budget for ``held`` bytes in all (beyond ``FREE_BYTES``); False when they do not fit."""
        wanted = max(0, held - FREE_BYTES)
        if wanted > self.charged:
            if not self.budget.take(wanted - self.charged):
                return False
        elif wanted < self.charged:
            self.budget.give(self.charged - wanted)
        self.charged = wanted
        return True

    def answered(self) -> None:
        """The call is answered: what it buffered leaves the budget (the next request's bytes stay)."""
        self._charge(len(self.buf))

    def close(self) -> None:
        self._charge(0)
        with contextlib.suppress(OSError):
            self.sock.close()


def socket_transport(sock: socket.socket) -> TSocket:
    trans = TSocket()
    trans.setHandle(sock)
    return trans
