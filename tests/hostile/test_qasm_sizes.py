"""OpenQASM sizes and includes are checked before any parser (or a user's run_func) sees the text.

Against the suite's real server (Qrisp REST + Thrift on loopback, a plain ``run_func`` in thread mode):
an 87-byte job declaring ``qreg q[100000000]`` is refused at submit, fast and without growing the server's
process tree; an ``include`` of a server file is refused without reading it. (On the code before this
check, a job declaring 10⁷ qubits took 24 s and +2.9 GB: never run these sizes against such a server.)
"""

from __future__ import annotations

import socket
import time

import pytest

from qhost.client.thrift_client import ThriftBackendClient
from qhost.errors import CircuitTooLarge, InvalidCircuit, QhostError

from .conftest import BELL_QASM, KEY, Server
from .memory_probe import PeakGrowth

HUGE = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[100000000];\ncreg c[1];\nmeasure q[0] -> c[0];\n'
INCLUDE_FILE = 'OPENQASM 2.0;\ninclude "/etc/hostname";\nqreg q[1];\ncreg c[1];\nmeasure q[0] -> c[0];\n'


def _job(server: Server, qasm: str, **extra: object) -> object:
    body = {"programs": [{"quantumCircuit": qasm}], "shots": 10, "token": KEY, **extra}
    return server.post("/jobs", json=body)


def _job_count(server: Server) -> int:
    engine = server.backend.app.extensions["qhost"].engine  # type: ignore[union-attr]
    return int(engine.list_jobs(limit=1)[1])


@pytest.mark.parametrize("target", [{}, {"deviceName": "ideal@aer"}], ids=["run_func", "ideal@aer"])
def test_hundred_million_qubits_refused_fast_and_small(server: Server, target: dict[str, str]) -> None:
    assert _job(server, BELL_QASM, **target).status_code == 201  # the door is warm
    jobs_before = _job_count(server)
    best = float("inf")
    for _ in range(3):  # the best of three: one scheduling hiccup on a loaded machine is not the door
        with PeakGrowth() as probe:
            start = time.perf_counter()
            resp = _job(server, HUGE, **target)
            best = min(best, time.perf_counter() - start)
        growth = probe.growth
        assert resp.status_code == 400, resp.text
        assert "100,000,000 qubits" in resp.text and "at most 10,000" in resp.text, resp.text
        assert growth < 20 << 20, f"the server's process tree grew by {growth >> 20} MiB"
    assert best < 0.1, f"took {best:.3f} s"
    assert _job_count(server) == jobs_before  # no job was queued: the run_func never saw it


@pytest.mark.parametrize(
    ("qasm", "declared"),
    [
        ("OPENQASM 3.0;\nqubit[100000000] q;\nbit[1] c;\n", "100,000,000 qubits"),
        ('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[20000] c;\n', "20,000 clbits"),
        ("".join(f"qreg r{i}[2000];\n" for i in range(6)), "12,000 qubits"),  # registers are summed
        ("OPENQASM 2.0;\nqreg q\n[\n100000000\n]\n;\n", "100,000,000 qubits"),  # split over lines
        ("OPENQASM 2.0;\nqreg/* */q[100000000];\n", "100,000,000 qubits"),
    ],
)
def test_registers_are_scanned_in_every_form(server: Server, qasm: str, declared: str) -> None:
    resp = _job(server, qasm)
    assert resp.status_code == 400, resp.text
    assert declared in resp.text, resp.text


def test_commented_declarations_do_not_count(server: Server) -> None:
    qasm = BELL_QASM + "// qreg q[100000000];\n/* qubit[100000000] r; */\n"
    assert _job(server, qasm).status_code == 201


def test_a_device_backend_allows_its_own_width(server: Server) -> None:
    six = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[6];\ncreg c[6];\nmeasure q -> c;\n'
    resp = _job(server, six, deviceName="fake_manila@aer")
    assert resp.status_code == 400, resp.text
    assert "6 qubits" in resp.text and "fake_manila@aer accepts at most 5 qubits" in resp.text


def test_a_deployment_is_checked_too(server: Server) -> None:
    resp = server.post("/deployments", json={"programs": [{"quantumCircuit": HUGE}]})
    assert resp.status_code == 400, resp.text
    assert "100,000,000 qubits" in resp.text


def test_include_of_a_server_file_is_refused_unread(server: Server) -> None:
    secret = socket.gethostname().split(".")[0]
    resp = _job(server, INCLUDE_FILE, deviceName="ideal@aer")
    assert resp.status_code == 400, resp.text
    assert "only 'qelib1.inc' and 'stdgates.inc' may be included" in resp.text
    assert secret not in resp.text.replace("/etc/hostname", "")


def test_thrift_run_qasm_checks_before_the_run_func(server: Server) -> None:
    jobs_before = _job_count(server)
    client = ThriftBackendClient("127.0.0.1", server.thrift_port, token=KEY)
    try:
        with pytest.raises(QhostError) as huge:
            client.run(HUGE, 10)
        with pytest.raises(QhostError) as include:
            client.run(INCLUDE_FILE, 10, backend="ideal@aer")
    finally:
        client.close()
    assert "100,000,000 qubits" in str(huge.value) and "at most 10,000" in str(huge.value)
    assert "may be included" in str(include.value)
    assert socket.gethostname().split(".")[0] not in str(include.value).replace("/etc/hostname", "")
    assert _job_count(server) == jobs_before


def test_the_worker_side_parser_refuses_too() -> None:
    """``parse_qasm`` (what workers and executors call) scans first and gives the parser no include path.

    10⁷ qubits, not 10⁸: on a parser that does not scan first this costs 2.9 GB (10⁸: 27 GB).
    """
    from qhost.executors.circuits import parse_qasm

    with pytest.raises(CircuitTooLarge, match="10,000,000 qubits"):
        parse_qasm(HUGE.replace("100000000", "10000000"))
    with pytest.raises(InvalidCircuit, match="may be included") as info:
        parse_qasm(INCLUDE_FILE)
    assert socket.gethostname().split(".")[0] not in info.value.message.replace("/etc/hostname", "")
    assert parse_qasm(BELL_QASM).num_qubits == 2
    assert parse_qasm('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nh q[0];\n').num_qubits == 2
