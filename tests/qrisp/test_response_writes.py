"""How responses leave waitress: small ones in one TCP segment, large ones whole, under concurrency too."""

from __future__ import annotations

import socket
import struct
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from qhost.backend_server import BackendServer
from qhost.server.http_server import RESPONSE_FLUSH_BYTES

FAST = {"worker_mode": "thread", "process_workers": 1, "thread_workers": 2}
_DATA_SEGS_IN = 152
"""Offset of ``tcpi_data_segs_in`` in Linux's ``struct tcp_info`` (4.6 and later)."""


def _exchange(port: int, path: str) -> tuple[bytes, int]:
    """(the whole response to ``GET path``, the data segments it came in)."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
    (segments,) = struct.unpack_from("I", info, _DATA_SEGS_IN)
    return b"".join(chunks), segments


@pytest.mark.skipif(sys.platform != "linux", reason="reads Linux's TCP_INFO")
def test_a_small_response_arrives_in_one_segment(fixed_run_func: Any) -> None:
    with BackendServer(fixed_run_func, port=0, **FAST) as server:
        response, segments = _exchange(server.port, "/version")
    assert response.startswith(b"HTTP/1.1 200") and response.endswith(b"}\n")
    assert segments == 1


def test_the_server_buffers_responses_up_to_the_flush_size(fixed_run_func: Any) -> None:
    with BackendServer(fixed_run_func, port=0, **FAST) as server:
        assert server._server.adj.send_bytes == RESPONSE_FLUSH_BYTES


def test_large_responses_arrive_whole_on_concurrent_connections(fixed_run_func: Any) -> None:
    with BackendServer(fixed_run_func, port=0, **FAST) as server:
        url = f"{server.url}/api/v1/backends/fake_sherbrooke@aer/configuration"
        expected = requests.get(url, timeout=30).content
        with ThreadPoolExecutor(6) as pool:
            bodies = list(pool.map(lambda _: requests.get(url, timeout=30).content, range(24)))
    assert len(expected) > RESPONSE_FLUSH_BYTES
    assert all(body == expected for body in bodies)
