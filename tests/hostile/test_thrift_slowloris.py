"""Slow or stalled Thrift clients hold a connection, never a worker thread (slowloris).

Before: 16 connections that each sent ``\\x80\\x01\\x00`` and stopped took all 16 worker threads, and a fresh
``ping()`` waited for ``request_timeout`` (30 s); a byte every 10 s kept them for minutes.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from qhost.client.thrift_client import ThriftBackendClient
from qhost.thrift.handler import ThriftHandler
from qhost.thrift.server import ThriftServer

from .conftest import Server

STALLED = 24  # more than the door's worker threads (16)


def _stall(port: int, count: int, payload: bytes = b"\x80\x01\x00") -> list[socket.socket]:
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(payload)
        socks.append(sock)
    return socks


def _ping_seconds(port: int) -> float:
    client = ThriftBackendClient("127.0.0.1", port, timeout=60)
    try:
        start = time.perf_counter()
        assert client.ping()["online"] is True
        return time.perf_counter() - start
    finally:
        client.close()


def test_ping_answers_while_many_connections_stall(server: Server) -> None:
    socks = _stall(server.thrift_port, STALLED)
    try:
        time.sleep(0.3)  # let the server accept and read them
        assert _ping_seconds(server.thrift_port) < 10  # before: request_timeout (30 s)
        # a stalled request that is half a string long stalls too
        socks += _stall(server.thrift_port, 4, b"\x80\x01\x00\x01\x00\x00\x00\x04pi")
        assert _ping_seconds(server.thrift_port) < 10
    finally:
        for sock in socks:
            sock.close()


@pytest.fixture
def strict_door() -> Iterator[ThriftServer]:
    door = ThriftServer(ThriftHandler(ctx=None), threads=2, request_timeout=1.5).start()
    try:
        yield door
    finally:
        door.stop()


def test_trickling_client_is_dropped_at_the_request_deadline(strict_door: ThriftServer) -> None:
    sock = _stall(strict_door.port, 1, b"\x80")[0]
    sock.settimeout(5)
    started = time.monotonic()
    closed_at = None
    try:
        for byte in b"\x01\x00\x01\x00\x00\x00\x04ping" * 3:
            assert _ping_seconds(strict_door.port) < 5  # others are served meanwhile
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                closed_at = time.monotonic()
                break
            time.sleep(0.4)
            if _peer_closed(sock):
                closed_at = time.monotonic()
                break
    finally:
        sock.close()
    assert closed_at is not None, "a client sending a byte every 0.4 s was never dropped"
    assert closed_at - started < 1.5 + 6  # at the 1.5 s deadline; never dropped, the bytes last 15 s


def test_pipelined_and_split_requests_still_work(strict_door: ThriftServer) -> None:
    from thrift.protocol.TBinaryProtocol import TBinaryProtocol
    from thrift.transport.TTransport import TMemoryBuffer

    from qhost.protocols.thrift_gen import BackendService

    out = TMemoryBuffer()
    client = BackendService.Client(TBinaryProtocol(out))
    client.send_ping()
    client.send_ping()
    wire = out.getvalue()
    with socket.create_connection(("127.0.0.1", strict_door.port), timeout=5) as sock:
        for byte in wire:  # one byte at a time, two requests back to back
            sock.sendall(bytes([byte]))
            time.sleep(0.002)
        answers = b""
        deadline = time.monotonic() + 5
        while answers.count(b"qhost") < 2 and time.monotonic() < deadline:
            answers += sock.recv(4096)
    assert answers.count(b"ping") == 2, answers


def _peer_closed(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)
        sock.settimeout(5)
