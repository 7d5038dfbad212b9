"""Bounded doors: the HTTP body limit is waitress's too, long-polls of every door share one cap, the Thrift
door bounds what it buffers for all connections together, and blocking Thrift calls end.

Before: waitress read bodies up to its own 1 GiB default (spooled to a temporary file) before Flask refused
them at 16 MiB; 16 ``?wait=`` polls took every HTTP thread (only the IBM door capped its holds); the Thrift
door buffered up to 1024 connections × 16 MiB; a blocking ``run_qasm`` could hold a thread for 24 h.
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the helper module beside this one
from serve_process import BELL, IBM_VERSION, qhost_serve  # noqa: E402

from qhost.backend_server import BackendServer  # noqa: E402

LIMIT = 1024 * 1024


def _answer(sock: socket.socket) -> bytes:
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        pass
    return data


@pytest.mark.slow
def test_a_body_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    with qhost_serve(tmp_path, env={"QHOST_MAX_BODY_BYTES": str(LIMIT)}) as srv:
        head = (
            f"POST /jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {64 * LIMIT}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", srv.port), timeout=20) as sock:
            sock.sendall(head + b"{" + b" " * 4096)  # 4 KiB of a declared 64 MiB, then nothing more
            answer = _answer(sock)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
        # chunked: refused while it arrives, once past the limit (never spooled whole)
        head = b"POST /jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        head += b"Transfer-Encoding: chunked\r\n\r\n"
        chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
        sent = 0
        with socket.create_connection(("127.0.0.1", srv.port), timeout=20) as sock:
            sock.sendall(head)
            try:
                while sent < 4 * LIMIT:  # never the terminating chunk: only the limit can end this
                    sock.sendall(chunk)
                    sent += 65536
            except OSError:
                pass  # the server answered and closed
            answer = _answer(sock)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
        ok = requests.post(
            f"{srv.url}/jobs",
            json={"programs": [{"quantumCircuit": BELL + " " * (LIMIT // 2)}], "shots": 1},
            timeout=60,
        )
        assert ok.status_code == 201, ok.text[:300]  # under the limit: still served


# -- one long-poll cap for every door ----------------------------------------------------------------


@pytest.fixture
def gated() -> Iterator[tuple[BackendServer, threading.Event]]:
    release = threading.Event()

    def run_func(qasm: str, shots: int | None, token: str) -> dict[str, int]:
        release.wait(60)
        return {"0": shots or 1}

    server = BackendServer(
        run_func, port=0, thrift_port=0, max_holds=2, http_threads=8, thread_workers=8, max_wait=30
    ).start()
    try:
        yield server, release
    finally:
        release.set()
        server.stop()


def _submit(url: str) -> str:
    resp = requests.post(f"{url}/jobs", json={"programs": [{"quantumCircuit": BELL}], "shots": 4}, timeout=30)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def test_long_polls_of_every_door_share_one_cap(gated: tuple[BackendServer, threading.Event]) -> None:
    from qhost.client.thrift_client import ThriftBackendClient
    from qhost.doorway.holds import hold_cap

    server, release = gated
    url = server.url
    jobs = [_submit(url) for _ in range(3)]
    holders = [
        threading.Thread(target=requests.get, args=(f"{url}/jobs/{job}?wait=30",), kwargs={"timeout": 60})
        for job in jobs[:2]
    ]
    for t in holders:
        t.start()
    assert server.app is not None
    ctx = server.app.extensions["qhost"]
    cap = hold_cap(ctx.engine, ctx.settings)
    deadline = time.monotonic() + 30
    while cap.held < 2:  # both polls are holding (the event this test waits for)
        assert time.monotonic() < deadline, "the two long-polls never started holding"
        time.sleep(0.01)
    # the cap is full: every door's poll answers at once with the job as it is
    started = time.monotonic()
    qrisp = requests.get(f"{url}/jobs/{jobs[2]}?wait=30", timeout=60)
    ibm_headers = {**IBM_VERSION, "Authorization": "apikey x"}
    ibm = requests.get(f"{url}/api/v1/jobs/{jobs[2]}?exclude_params=true", headers=ibm_headers, timeout=60)
    with ThriftBackendClient("127.0.0.1", int(server.thrift_port or 0)) as thrift:
        thrift_result = thrift.result(jobs[2], wait=30)
    elapsed = time.monotonic() - started
    assert qrisp.json()["qhostStatus"] in ("queued", "running"), qrisp.text
    assert ibm.json()["status"] in ("Queued", "Running"), ibm.text
    assert thrift_result is None
    assert elapsed < 15, f"polls waited {elapsed:.1f} s with the cap full (each asked for 30 s)"
    release.set()
    for t in holders:
        t.join(60)
    assert cap.held == 0


# -- Thrift ------------------------------------------------------------------------------------------


def _partial_run_qasm(declared: int, sent: int) -> bytes:
    """The start of a ``run_qasm`` call whose QASM string declares ``declared`` bytes, ``sent`` of them."""
    name = b"run_qasm"
    head = struct.pack(">iI", -2147418111, len(name)) + name + struct.pack(">i", 1)  # VERSION_1 | CALL
    head += struct.pack(">bhi", 11, 1, declared)  # field 1, string
    return head + b"x" * sent


def _thrift_reply(sock: socket.socket) -> bytes:
    sock.settimeout(15)
    return _answer(sock)


def test_thrift_caps_what_it_buffers_over_all_connections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qhost.client.thrift_client import ThriftBackendClient

    monkeypatch.setenv("QHOST_THRIFT_MAX_BUFFERED_BYTES", str(LIMIT))
    server = BackendServer(
        lambda qasm, shots, token: {"0": 1}, port=0, thrift_port=0, data_dir=tmp_path
    ).start()
    try:
        port = int(server.thrift_port or 0)
        first = socket.create_connection(("127.0.0.1", port), timeout=15)
        first.sendall(_partial_run_qasm(4 * LIMIT, 3 * LIMIT // 4))  # held: under the budget
        second = socket.create_connection(("127.0.0.1", port), timeout=15)
        second.sendall(_partial_run_qasm(4 * LIMIT, 3 * LIMIT // 4))  # over it together
        reply = _thrift_reply(second)
        assert b"queue_full" in reply and b"QHOST_THRIFT_MAX_BUFFERED_BYTES" in reply, reply[:300]
        with ThriftBackendClient("127.0.0.1", port) as client:  # small calls are served meanwhile
            assert client.ping()["online"] is True
        first.close()
        second.close()
    finally:
        server.stop()


def test_blocking_thrift_calls_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qhost.client.thrift_client import ThriftBackendClient
    from qhost.errors import ServerError

    release = threading.Event()

    def slow(qasm: str, shots: int | None, token: str) -> dict[str, int]:
        release.wait(60)
        return {"0": 1}

    monkeypatch.setenv("QHOST_THRIFT_MAX_BLOCK", "1")
    server = BackendServer(slow, port=0, thrift_port=0, data_dir=tmp_path).start()
    try:
        with ThriftBackendClient("127.0.0.1", int(server.thrift_port or 0), run_timeout=3600) as client:
            with pytest.raises(ServerError, match="QHOST_THRIFT_MAX_BLOCK"):
                client.run(BELL, 4)  # asks to wait an hour: refused, the server allows 1 s
        with ThriftBackendClient("127.0.0.1", int(server.thrift_port or 0), run_timeout=1.0) as client:
            with pytest.raises(ServerError, match="ran longer than 1 s"):
                client.run(BELL, 4)
    finally:
        release.set()
        server.stop()
