"""BackendServer on real loopback sockets: bound on start, clear bind errors, clean stop, restarts."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from qhost.backend_server import BackendServer
from qhost.client.backend_client import BackendClient
from qhost.errors import ConfigurationError

FAST = {"worker_mode": "thread", "process_workers": 1, "thread_workers": 2}


def _connects(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_start_returns_with_the_socket_bound(fixed_run_func: Any) -> None:
    with BackendServer(fixed_run_func, port=0, **FAST) as server:
        assert server.port > 0 and _connects(server.port)


def test_binds_loopback_by_default(fixed_run_func: Any) -> None:
    with BackendServer(fixed_run_func, port=0, **FAST) as server:
        assert server.url == f"http://127.0.0.1:{server.port}"


def test_taken_port_raises_naming_host_and_port(fixed_run_func: Any) -> None:
    with BackendServer(fixed_run_func, port=0, **FAST) as first:
        second = BackendServer(fixed_run_func, port=first.port, **FAST)
        with pytest.raises(ConfigurationError, match=rf"Cannot listen on 127\.0\.0\.1:{first.port}"):
            second.start()


def test_invalid_port_raises_a_clear_error(fixed_run_func: Any) -> None:
    with pytest.raises(ConfigurationError, match="Cannot listen on 127.0.0.1:70000"):
        BackendServer(fixed_run_func, port=70000, **FAST).start()


def test_stop_closes_the_socket(fixed_run_func: Any) -> None:
    server = BackendServer(fixed_run_func, port=0, **FAST).start()
    server.stop()
    assert not _connects(server.port) and not server.running


def test_stop_twice_is_fine(fixed_run_func: Any) -> None:
    server = BackendServer(fixed_run_func, port=0, **FAST).start()
    server.stop()
    server.stop()


def test_stop_closes_keep_alive_connections(fixed_run_func: Any, bell_qasm: str) -> None:
    server = BackendServer(fixed_run_func, port=0, **FAST).start()
    client = BackendClient("127.0.0.1", server.port)
    client.run(bell_qasm, 10)
    server.stop()
    assert not server.running


def test_default_data_dir_is_removed_on_stop(fixed_run_func: Any) -> None:
    server = BackendServer(fixed_run_func, port=0, **FAST).start()
    data_dir = server.data_dir
    server.stop()
    assert not data_dir.exists()


def test_restart_on_the_same_data_dir_keeps_finished_jobs(
    fixed_run_func: Any, bell_qasm: str, tmp_path: Path
) -> None:
    with BackendServer(fixed_run_func, port=0, data_dir=tmp_path, **FAST) as server:
        job_id = BackendClient("127.0.0.1", server.port).submit(bell_qasm, 10)
        BackendClient("127.0.0.1", server.port).result(job_id, 20)
    with BackendServer(fixed_run_func, port=0, data_dir=tmp_path, **FAST) as server:
        assert BackendClient("127.0.0.1", server.port).result(job_id, 5) == {"00": 5, "11": 5}


def test_thrift_port_is_stored(fixed_run_func: Any) -> None:
    assert BackendServer(fixed_run_func, port=0, thrift_port=9999, **FAST).thrift_port == 9999


def test_executor_run_func_routes_jobs_to_its_virtual_backend(bell_qasm: str) -> None:
    import requests

    from qhost import ExecutorRunFunc

    run_func = ExecutorRunFunc("aer", "fake_manila")
    with BackendServer(run_func, port=0, **FAST) as server:
        body = {"programs": [{"quantumCircuit": bell_qasm}], "shots": 50, "token": ""}
        doc = requests.post(f"{server.url}/jobs?wait=60", json=body, timeout=90).json()
    assert (doc["state"], doc["executedOn"]["name"]) == ("finished", "fake_manila@aer")
    assert sum(doc["results"][0]["results"].values()) == 50
