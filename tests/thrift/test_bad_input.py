"""Hostile and broken input: each gets a clear answer (or a clean hang-up) and the server keeps serving."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import pytest
from thrift.protocol.TBinaryProtocol import TBinaryProtocol, TBinaryProtocolAccelerated
from thrift.Thrift import TApplicationException, TMessageType, TType
from thrift.transport.TTransport import TMemoryBuffer

from qhost.protocols.thrift import Limits
from qhost.protocols.thrift_gen import BackendService
from qhost.protocols.thrift_gen import ttypes as tt
from qhost.thrift import start_thrift_server
from qhost.thrift.server import WireLimits


def decode_exception(reply: bytes) -> TApplicationException:
    prot = TBinaryProtocol(TMemoryBuffer(reply))
    prot.readMessageBegin()
    exc = TApplicationException()
    exc.read(prot)
    return exc


def run_call(n: int) -> bytes:
    """A legacy ``run`` CALL (typed errors, 10 shots) of ``n`` X gates; one gate serialised, repeated."""
    one = TMemoryBuffer()
    tt.Instruction(op=tt.Operation(name="x"), qubits=[tt.Qubit("a")]).write(TBinaryProtocol(one))
    head = TMemoryBuffer()
    p = TBinaryProtocol(head)
    p.writeMessageBegin("run", TMessageType.CALL, 1)
    p.writeFieldBegin("qc", TType.STRUCT, 1)
    p.writeFieldBegin("qubits", TType.LIST, 1)
    p.writeListBegin(TType.STRUCT, 1)
    tt.Qubit("a").write(p)
    p.writeFieldBegin("data", TType.LIST, 3)
    p.writeListBegin(TType.STRUCT, n)
    tail = b"\x00" + b"\x08\x00\x02" + struct.pack(">i", 10) + b"\x02\x00\x04\x01" + b"\x00"
    return head.getvalue() + one.getvalue() * n + tail


def call_run(port: int, payload: bytes) -> Any:
    """Send a prepared ``run`` CALL and read the answer with the generated client's ``recv_run``."""
    transport, c = fast_client(port)
    try:
        transport.write(payload)
        transport.flush()
        return c.recv_run()
    finally:
        transport.close()


@pytest.fixture
def small(server: Any) -> Iterator[Any]:
    """A second Thrift door on the same engine: 50,000 instructions, 8 MiB messages, 1 MiB strings."""
    srv = start_thrift_server(
        server.app.extensions["qhost"],
        "127.0.0.1",
        0,
        threads=2,
        circuit_limits=Limits(max_instructions=50_000),
        limits=WireLimits(max_message_bytes=8 << 20, max_string_bytes=1 << 20),
    )
    yield srv
    srv.stop()


def fast_client(port: int) -> tuple[Any, Any]:
    from thrift.transport.TSocket import TSocket
    from thrift.transport.TTransport import TBufferedTransport

    sock = TSocket("127.0.0.1", port)
    sock.setTimeout(60_000)
    transport = TBufferedTransport(sock)
    transport.open()
    return transport, BackendService.Client(TBinaryProtocolAccelerated(transport))


def test_garbage_bytes_get_a_protocol_error_naming_the_wire(server, client, wire):
    reply = wire.raw_exchange(server.thrift_port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    exc = decode_exception(reply)
    assert exc.type == TApplicationException.PROTOCOL_ERROR
    assert "not a strict TBinaryProtocol message" in exc.message
    assert client.ping()["online"] is True


def test_truncated_message_is_dropped_and_server_keeps_serving(server, client, wire):
    header = b"\x80\x01\x00\x01" + struct.pack(">i", 3) + b"run" + struct.pack(">i", 1)
    assert wire.raw_exchange(server.thrift_port, header + b"\x0c\x00\x01\x0f", half_close=True) == b""
    assert client.run("OPENQASM 2.0;", 8) == {"00": 4, "11": 4}


def test_out_of_range_qubit_for_a_qrisp_client_is_an_application_error(gen_client, client):
    cx = tt.Instruction(op=tt.Operation(name="cx", params=[]), qubits=[tt.Qubit("q0"), tt.Qubit("q7")])
    qc = tt.QuantumCircuit(qubits=[tt.Qubit("q0")], clbits=[], data=[cx])
    with pytest.raises(TApplicationException, match=r"^invalid_circuit: .*qubit 'q7' is not one of"):
        gen_client.run(qc, 10, "", None)
    assert client.ping()["online"] is True


def test_100000_gates_run_under_the_default_limits(server, run_func):
    assert call_run(server.thrift_port, run_call(100_000)) == {"00": 5, "11": 5}
    assert run_func.calls[-1][0].count("x q[0];") == 100_000


def test_100000_gates_over_the_instruction_limit_are_refused(small, client):
    with pytest.raises(tt.BackendError, match=r"more than 50000 instructions \(max_instructions\)") as info:
        call_run(small.port, run_call(100_000))
    assert info.value.code == "circuit_too_large"
    assert client.ping()["online"] is True


def test_string_over_the_size_limit_is_refused_clearly(small, client):
    transport, c = fast_client(small.port)
    try:
        with pytest.raises(TApplicationException, match=r"^payload_too_large: .*max_string_bytes") as info:
            c.run_qasm("x" * (2 << 20), 10, "", "", 0)
        assert info.value.type == TApplicationException.PROTOCOL_ERROR
    finally:
        transport.close()
    assert client.ping()["online"] is True


@pytest.mark.slow
def test_message_over_the_size_limit_is_refused_clearly(small, client):
    with pytest.raises(TApplicationException, match=r"^payload_too_large: Request larger than 8388608 bytes"):
        call_run(small.port, run_call(300_000))
    assert client.ping()["online"] is True


def test_deeply_nested_definitions_are_refused(gen_client, client):
    inner = tt.QuantumCircuit(qubits=[tt.Qubit("x")], clbits=[], data=[])
    for _ in range(40):
        op = tt.Operation(name="wrap", num_qubits=1, num_clbits=0, params=[], definition=inner)
        inner = tt.QuantumCircuit(
            qubits=[tt.Qubit("x")], clbits=[], data=[tt.Instruction(op=op, qubits=[tt.Qubit("x")], clbits=[])]
        )
    with pytest.raises(TApplicationException, match="(?i)recursion|nested"):
        gen_client.run(inner, 10, "", True)
    assert client.ping()["online"] is True


def test_huge_shots_are_refused_on_both_methods(gen_client, bell_struct):
    with pytest.raises(tt.BackendError, match=r"between 1 and \d+ \(max_shots\), got 1000000000000"):
        gen_client.run_qasm("OPENQASM 2.0;", 10**12, "", "", 0)
    with pytest.raises(tt.BackendError, match=r"got 2147483647"):
        gen_client.run(bell_struct(tt), 2**31 - 1, "", True)


def test_empty_qasm_is_refused(gen_client):
    with pytest.raises(tt.BackendError, match="'qasm' must be non-empty"):
        gen_client.submit("  ", 10, "", "")


def test_missing_arguments_are_refused_not_crashed(gen_client):
    with pytest.raises(tt.BackendError, match="the 'qc' argument is missing"):
        gen_client.run(None, None, None, True)


def test_ordinary_clients_still_work_after_all_that(server, wire):
    transport, c = wire.open_client(BackendService, server.thrift_port)
    try:
        assert c.run_qasm("OPENQASM 2.0;", 2, "", "", 0) == {"00": 1, "11": 1}
    finally:
        transport.close()
