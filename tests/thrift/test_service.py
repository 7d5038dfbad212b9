"""Our ``ThriftBackendClient`` against a real ``BackendServer(thrift_port=...)`` on loopback."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from qhost_testkit import assert_split, bell_split
from qiskit import QuantumCircuit

from qhost.client import ThriftBackendClient
from qhost.errors import ServerError, TransportError


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    return qc


def test_run_returns_counts_of_the_run_func(client, run_func):
    assert client.run(bell(), 100) == {"00": 50, "11": 50}
    qasm, shots, _token = run_func.calls[-1]
    assert shots == 100 and "cx q[0],q[1];" in qasm


def test_run_accepts_qasm_text_and_default_shots(client, run_func):
    assert client.run('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\n') == {"00": 50, "11": 50}
    assert run_func.calls[-1][1] is None


def test_run_on_a_named_backend_simulates_with_aer(client):
    counts = client.run(bell(), 200, backend="ideal@aer")
    assert sum(counts.values()) == 200
    assert_split(counts, bell_split())


def test_submit_status_result(client):
    job = client.submit(bell(), 10)
    assert job["status"] in ("queued", "running", "completed") and job["program"] == "run_func"
    assert client.result(job["id"], wait=10) == {"00": 5, "11": 5}
    assert client.status(job["id"])["status"] == "completed"


def test_cancel_a_running_job(client, make_client, run_func):
    run_func.release.clear()
    job = make_client(token="slow").submit(bell(), 10)
    time.sleep(0.3)
    state = client.cancel(job["id"])
    run_func.release.set()
    assert state["status"] == "cancelled"
    with pytest.raises(ServerError, match=f"Job {job['id']} was cancelled") as info:
        client.result(job["id"])
    assert info.value.error_code == "executor_error"


def test_cancelling_a_finished_job_is_a_conflict(client):
    job = client.submit(bell(), 10)
    client.result(job["id"], wait=10)
    with pytest.raises(ServerError) as info:
        client.cancel(job["id"])
    assert info.value.status_code == 409 and info.value.error_code == "invalid_job_transition"


def test_unknown_job_is_a_not_found_server_error(client):
    with pytest.raises(ServerError, match="nope") as info:
        client.status("nope")
    assert (info.value.status_code, info.value.error_code) == (404, "job_not_found")


def test_unknown_backend_names_how_to_list(client):
    with pytest.raises(ServerError) as info:
        client.run(bell(), 10, backend="nowhere@aer")
    assert info.value.error_code == "unknown_backend" and "nowhere" in info.value.message


def test_failing_run_func_reports_its_error(make_client):
    bad = make_client(token="boom")
    with pytest.raises(ServerError, match="the simulator exploded"):
        bad.run(bell(), 10)


def test_probabilities_are_refused_clearly(make_client):
    probs = make_client(token="probs")
    with pytest.raises(ServerError, match="is not an integer count"):
        probs.run(bell(), 10)


def test_backends_lists_the_catalog(client):
    names = {b["name"]: b for b in client.backends()}
    assert names["ideal@aer"]["available"] is True


def test_ping_answers_like_qrisp(client):
    assert client.ping() == {"name": "qhost", "online": True}


def test_one_client_is_safe_to_share_between_threads(client):
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: client.run(bell(), n), [10, 20, 30, 40, 50, 60]))
    assert [sum(r.values()) for r in results] == [10, 20, 30, 40, 50, 60]
    assert len(client._open) >= 2  # one connection per thread


def test_closed_client_refuses_calls(client):
    client.close()
    client.close()
    with pytest.raises(TransportError, match="is closed"):
        client.ping()


def test_connection_refused_is_a_transport_error(free_port):
    with (
        ThriftBackendClient("127.0.0.1", free_port, timeout=2) as c,
        pytest.raises(TransportError, match=f"127.0.0.1:{free_port}"),
    ):
        c.ping()


def test_run_timeout_cancels_the_job_and_says_why(make_client, run_func):
    run_func.release.clear()
    slow = make_client(token="slow", run_timeout=0.2)
    try:
        with pytest.raises(ServerError, match=r"was cancelled: it ran longer than 0.2 s"):
            slow.run(bell(), 10)
    finally:
        run_func.release.set()


def test_silent_server_is_a_socket_timeout():
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        with (
            ThriftBackendClient("127.0.0.1", port, timeout=0.3) as c,
            pytest.raises(TransportError, match="timeout|timed out"),
        ):
            c.ping()


def test_legacy_run_with_typed_errors_raises_backend_error(gen_client):
    from qhost.protocols.thrift_gen import ttypes as tt

    qc = tt.QuantumCircuit(
        qubits=[tt.Qubit("a")],
        clbits=[],
        data=[tt.Instruction(op=tt.Operation(name="x", params=[]), qubits=[tt.Qubit("b")], clbits=[])],
    )
    with pytest.raises(tt.BackendError) as info:
        gen_client.run(qc, 10, "", True)
    assert info.value.code == "invalid_circuit" and "qubit 'b' is not one of" in info.value.message


def test_legacy_run_counts_over_i32_are_refused(gen_client, bell_struct):
    from qhost.protocols.thrift_gen import ttypes as tt

    with pytest.raises(tt.BackendError, match="does not fit i32"):
        gen_client.run(bell_struct(tt), 10, "huge", True)


def test_run_qasm_counts_are_i64(gen_client):
    assert gen_client.run_qasm("OPENQASM 2.0;", 10, "", "huge", 0) == {"0": 2**40}


def test_many_clients_at_once_are_served(client):
    errors: list[Exception] = []

    def one() -> None:
        try:
            with ThriftBackendClient("127.0.0.1", client.port) as c:
                assert c.run(bell(), 4) == {"00": 2, "11": 2}
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []


@pytest.mark.parametrize(
    "foreign",
    [
        "TTransportException",
        "TProtocolException",
        "TApplicationException",
        "TException",
        "BackendError",
        "OSError",
    ],
)
def test_every_thrift_exception_becomes_a_qhost_client_error(client, foreign):
    from thrift.protocol.TProtocol import TProtocolException
    from thrift.Thrift import TApplicationException, TException
    from thrift.transport.TTransport import TTransportException

    from qhost.errors import ClientError
    from qhost.protocols.thrift_gen.ttypes import BackendError

    made = {
        "TTransportException": TTransportException(),
        "TProtocolException": TProtocolException(),
        "TApplicationException": TApplicationException(),
        "TException": TException("x"),
        "BackendError": BackendError(code="c", message="m", status=400),
        "OSError": OSError("x"),
    }
    with pytest.raises(ClientError), client._call():
        raise made[foreign]
