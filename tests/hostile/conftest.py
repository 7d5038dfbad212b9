"""Hostile-input suite: one real ``qhost`` server (HTTP doors + Thrift) on loopback, API keys on.

Every test talks to the server over real sockets with the clients an attacker would use (``requests``,
a raw socket, the Thrift client generated from our IDL) and checks for a clear 4xx, never a 5xx or a hang.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from qhost.backend_server import BackendServer

KEY = "hostile-key"
BELL_QASM = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\n'
    "measure q[0] -> c[0];\nmeasure q[1] -> c[1];\n"
)


def _counts(qasm: str, shots: int | None, token: str) -> dict[str, int]:
    if "syntax error" in qasm:
        raise ValueError("invalid QASM: syntax error")
    n = shots or 100
    return {"00": n // 2, "11": n - n // 2}


class Server:
    """The running server: ``url``, ``thrift_port``, ``data_dir`` and a ``requests`` session."""

    def __init__(self, server: BackendServer) -> None:
        self.backend = server
        self.url = server.url
        self.thrift_port = int(server.thrift_port or 0)
        self.data_dir = Path(server.data_dir)
        self.http = requests.Session()

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.http.post(self.url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.http.get(self.url + path, **kwargs)

    def ibm_headers(self, key: str = KEY) -> dict[str, str]:
        return {"Authorization": f"apikey {key}", "IBM-API-Version": "2026-04-15"}


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("hostile")
    backend = BackendServer(
        _counts,
        port=0,
        thrift_port=0,
        data_dir=data_dir,
        api_keys=(KEY,),
        worker_mode="thread",
        process_workers=1,
        thread_workers=4,
        executors=("aer",),
    ).start()
    try:
        yield Server(backend)
    finally:
        backend.stop()


def raw_http(port: int, request: bytes, timeout: float = 30.0) -> bytes:
    """Send ``request`` as is and return the whole answer (for bodies ``requests`` would not send)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)
