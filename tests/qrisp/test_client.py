"""BackendClient, VirtualBackend and QiskitBackend against a real BackendServer on loopback."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from typing import Any

import pytest
from qhost_testkit import assert_split, bell_split
from qiskit import QuantumCircuit

from qhost.backend_server import BackendServer
from qhost.client.backend_client import BackendClient, to_qasm
from qhost.client.qiskit_backend import QiskitBackend
from qhost.client.virtual import VirtualBackend
from qhost.errors import InvalidCircuit, ServerError, TransportError

FAST = {"worker_mode": "thread", "process_workers": 1, "thread_workers": 2}


def _bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


class _HasQasm:
    def __init__(self, text: str) -> None:
        self.text = text

    def qasm(self) -> str:
        return self.text


@pytest.fixture
def server(fixed_run_func: Any) -> Iterator[BackendServer]:
    with BackendServer(fixed_run_func, port=0, **FAST) as running:
        yield running


@pytest.fixture
def client(server: BackendServer) -> Iterator[BackendClient]:
    with BackendClient("127.0.0.1", server.port) as c:
        yield c


def test_run_returns_counts_for_a_qiskit_circuit(client: BackendClient) -> None:
    assert client.run(_bell(), 100) == {"00": 50, "11": 50}


def test_run_accepts_qasm_text_and_qasm_objects(client: BackendClient, bell_qasm: str) -> None:
    assert client.run(bell_qasm, 4) == client.run(_HasQasm(bell_qasm), 4) == {"00": 2, "11": 2}


def test_client_detects_a_qhost_server(client: BackendClient) -> None:
    assert client.is_qhost


def test_base_url_form_is_accepted(server: BackendServer, bell_qasm: str) -> None:
    assert BackendClient(f"http://127.0.0.1:{server.port}/").run(bell_qasm, 2) == {"00": 1, "11": 1}


def test_submit_then_result(client: BackendClient, bell_qasm: str) -> None:
    job_id = client.submit(bell_qasm, 6)
    assert client.result(job_id, timeout=20) == {"00": 3, "11": 3}
    assert client.status(job_id) == "finished"


def test_failed_job_raises_server_error_with_the_reason(failing_run_func: Any, bell_qasm: str) -> None:
    with BackendServer(failing_run_func, port=0, **FAST) as server:
        with pytest.raises(ServerError, match="RuntimeError: detector on fire") as info:
            BackendClient("127.0.0.1", server.port).run(bell_qasm, 1)
    assert info.value.status_code == 200 and info.value.url.endswith("/")


def test_bad_shots_raise_server_error_400(client: BackendClient, bell_qasm: str) -> None:
    with pytest.raises(ServerError, match="'shots' must be in 1..") as info:
        client.run(bell_qasm, 0)
    assert info.value.status_code == 400


def test_connection_refused_is_a_transport_error(free_port: int, bell_qasm: str) -> None:
    with pytest.raises(TransportError, match=f"127.0.0.1:{free_port}"):
        BackendClient("127.0.0.1", free_port, timeout=2).run(bell_qasm, 1)


def test_token_is_sent_to_an_authenticating_server(fixed_run_func: Any, bell_qasm: str) -> None:
    with BackendServer(fixed_run_func, port=0, api_keys=("k1",), **FAST) as server:
        assert BackendClient("127.0.0.1", server.port, token="k1").run(bell_qasm, 2) == {"00": 1, "11": 1}
        with pytest.raises(ServerError, match="API key") as info:
            BackendClient("127.0.0.1", server.port, token="bad").run(bell_qasm, 2)
    assert info.value.status_code == 401


def test_to_qasm_refuses_other_objects() -> None:
    with pytest.raises(TypeError, match="Cannot turn int into OpenQASM"):
        to_qasm(3)


def test_virtual_backend_calls_run_func_in_process(token_echo_run_func: Any, bell_qasm: str) -> None:
    assert VirtualBackend(token_echo_run_func).run(bell_qasm, 5, token="t") == {"t": 1}


def test_qiskit_backend_runs_a_bell_pair_with_default_shots(bell_qasm: str) -> None:
    counts = QiskitBackend().run(bell_qasm)
    assert sum(counts.values()) == 1000
    assert_split(counts, bell_split())


def test_qiskit_backend_refuses_malformed_qasm() -> None:
    with pytest.raises(InvalidCircuit, match="Cannot parse the OpenQASM program"):
        QiskitBackend()("OPENQASM 2.0;\nqreg q[1];\nnope q[0];", 10, "")


def test_qiskit_backend_serves_through_backend_server(bell_qasm: str) -> None:
    with BackendServer(QiskitBackend(), port=0, **FAST) as server:
        counts = BackendClient("127.0.0.1", server.port).run(_bell(), 200)
    assert sum(counts.values()) == 200
    assert_split(counts, bell_split())


def test_cancel_of_a_finished_job_returns_false(client: BackendClient, bell_qasm: str) -> None:
    job_id = client.submit(bell_qasm, 2)
    client.result(job_id, timeout=20)
    assert client.cancel(job_id) is False


def test_qrisp_adapter_without_qrisp_names_the_install_command() -> None:
    if importlib.util.find_spec("qrisp") is not None:
        pytest.skip("qrisp is installed here; the adapter is exercised by tests/interop/test_qrisp_09.py")
    with pytest.raises(ImportError, match=r"pip install -e '\.\[qrisp\]'"):
        importlib.import_module("qhost.client.qrisp_adapter")
