"""Server lifecycle: BackendServer's Thrift door beside REST on one engine; bounds; stop."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests

from qhost.backend_server import BackendServer
from qhost.client import ThriftBackendClient
from qhost.errors import ConfigurationError, TransportError
from qhost.protocols.thrift_gen import ttypes as tt
from qhost.thrift.server import ThriftServer


class SlowHandler:
    """A bare handler: ``ping`` answers at once, ``run_qasm`` blocks until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()

    def ping(self) -> tt.BackendStatus:
        return tt.BackendStatus(name="slow", online=True)

    def run_qasm(self, qasm, shots, backend, token, timeout):  # noqa: ANN001 - Thrift handler signature
        self.entered.set()
        self.release.wait(60)
        return {"0": 1}


def test_thrift_and_rest_share_one_engine(server, client):
    job = client.submit("OPENQASM 2.0;", 6)
    client.result(job["id"], wait=10)
    answer = requests.get(f"{server.url}/jobs/{job['id']}/", timeout=10)
    assert answer.status_code == 201 and answer.json()["results"][0]["results"] == {"00": 3, "11": 3}


def test_backend_server_reports_the_thrift_door(server):
    assert server.thrift_port > 0
    assert server.app.extensions["qhost"].doors["thrift"] is True


def test_stop_closes_both_doors(tmp_path):
    srv = BackendServer(
        lambda q, s, t: {"0": 1}, port=0, thrift_port=0, data_dir=tmp_path, worker_mode="thread"
    )
    srv.start()
    with ThriftBackendClient("127.0.0.1", srv.thrift_port) as c:
        assert c.run("OPENQASM 2.0;", 1) == {"0": 1}
        srv.stop()
        with pytest.raises(TransportError):
            c.ping()
    for port in (srv.port, srv.thrift_port):
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_thrift_connection_cap_comes_from_the_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("QHOST_THRIFT_MAX_CONNECTIONS", "1")
    srv = BackendServer(
        lambda q, s, t: {"0": 1}, port=0, thrift_port=0, data_dir=tmp_path, worker_mode="thread"
    )
    with srv, ThriftBackendClient("127.0.0.1", srv.thrift_port, timeout=5) as first:
        assert first.ping()["online"] is True
        with socket.create_connection(("127.0.0.1", srv.thrift_port), timeout=5) as second:
            reply = second.recv(4096)
    assert b"queue_full: the server has 1 open Thrift connections (max_connections)" in reply


def test_taken_thrift_port_is_a_configuration_error_and_stops_http(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        srv = BackendServer(
            lambda q, s, t: {}, port=0, thrift_port=port, data_dir=tmp_path, worker_mode="thread"
        )
        with pytest.raises(ConfigurationError, match=f"Thrift server on 127.0.0.1:{port}"):
            srv.start()
    assert not srv.running


def test_stop_ends_a_call_in_flight_promptly():
    handler = SlowHandler()
    srv = ThriftServer(handler, threads=2).start()
    caller = ThriftBackendClient("127.0.0.1", srv.port, timeout=60)
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            caller.run("OPENQASM 2.0;", 1)
        except Exception as exc:  # noqa: BLE001 - checked below
            outcome.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    assert handler.entered.wait(30), "the call never reached the handler"
    started = time.monotonic()
    srv.stop(timeout=1.0)
    worker.join(60)
    handler.release.set()
    caller.close()
    assert time.monotonic() - started < 20  # not the handler's 60 s
    assert outcome and isinstance(outcome[0], TransportError)


def test_connections_over_max_connections_are_refused_with_a_message():
    with ThriftServer(SlowHandler(), threads=1, max_connections=2) as srv:
        holders = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(2)]
        time.sleep(0.3)
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as third:
            reply = third.recv(4096)
        for sock in holders:
            sock.close()
    assert b"queue_full: the server has 2 open Thrift connections (max_connections)" in reply


def test_idle_connections_hold_no_thread():
    with ThriftServer(SlowHandler(), threads=1) as srv:
        idle = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(5)]
        with ThriftBackendClient("127.0.0.1", srv.port, timeout=5) as c:
            assert [c.ping()["online"] for _ in range(3)] == [True] * 3
        for sock in idle:
            sock.close()


def test_request_stalled_midway_is_dropped_after_request_timeout():
    with (
        ThriftServer(SlowHandler(), threads=1, request_timeout=0.3) as srv,
        socket.create_connection(("127.0.0.1", srv.port), timeout=60) as sock,
    ):
        sock.sendall(b"\x80\x01\x00\x01\x00\x00")  # half a message header, then silence
        started = time.monotonic()
        assert sock.recv(10) == b""
        assert time.monotonic() - started < 20  # dropped by the server, not by this socket's 60 s
        with ThriftBackendClient("127.0.0.1", srv.port, timeout=5) as c:
            assert c.ping()["online"] is True


def test_idle_connection_is_closed_after_idle_timeout():
    with (
        ThriftServer(SlowHandler(), idle_timeout=0.3) as srv,
        socket.create_connection(("127.0.0.1", srv.port), timeout=60) as sock,
    ):
        started = time.monotonic()
        assert sock.recv(10) == b""
        assert time.monotonic() - started < 20  # closed by the server, not by this socket's 60 s


def test_ipv6_loopback_is_served():
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        srv = ThriftServer(SlowHandler(), host="::1").start()
    except OSError as exc:
        pytest.skip(f"cannot bind ::1: {exc}")
    with srv, ThriftBackendClient("::1", srv.port) as c:
        assert c.ping() == {"name": "slow", "online": True}


@pytest.mark.slow
def test_cli_serve_with_thrift_port(tmp_path, free_port):
    import os
    import signal
    import subprocess
    import sys

    cmd = [
        sys.executable,
        "-m",
        "qhost",
        "serve",
        "--port",
        "0",
        "--thrift-port",
        str(free_port),
        "--data-dir",
        str(tmp_path),
    ]
    env = {**os.environ, "QHOST_PROCESS_WORKERS": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        with ThriftBackendClient("127.0.0.1", free_port, timeout=2) as c:
            deadline = time.monotonic() + 60
            while True:
                try:
                    assert c.ping()["online"] is True
                    break
                except TransportError:
                    assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
                    time.sleep(0.2)
        with ThriftBackendClient("127.0.0.1", free_port, timeout=60) as c:  # first listing builds the catalog
            try:
                names = [b["name"] for b in c.backends()]
            except TransportError as exc:  # say whether the server was still up, and what it logged
                proc.send_signal(signal.SIGTERM)
                raise AssertionError(
                    f"{exc}; server exit code {proc.wait(30)}:\n{proc.stderr.read()}"
                ) from exc
            assert "ideal@aer" in names
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"Thrift BackendService on 127.0.0.1:{free_port}" in err
