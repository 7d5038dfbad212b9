"""Qrisp 0.4.10's own generated Thrift client (from its PyPI wheel, qrisp not imported) against our server.

Also pins the legacy-exception finding: a client generated without our ``throws`` clause cannot decode a
declared exception (it reports "run failed: unknown result"), which is why Qrisp's clients get our errors as
a ``TApplicationException`` carrying "<code>: <message>".
"""

from __future__ import annotations

import pytest
from qhost_testkit import assert_split, bell_split
from thrift.protocol.TBinaryProtocol import TBinaryProtocol
from thrift.Thrift import TApplicationException, TMessageType
from thrift.transport.TTransport import TMemoryBuffer

from qhost.protocols.thrift_gen import BackendService
from qhost.protocols.thrift_gen import ttypes as tt

pytestmark = [pytest.mark.interop, pytest.mark.slow]


@pytest.fixture
def qrisp_client(qrisp_service, aer_server, wire):
    transport, client = wire.open_client(qrisp_service, aer_server.thrift_port)
    yield client
    transport.close()


def test_qrisp_client_runs_a_bell_circuit(qrisp_client, qrisp_ttypes, bell_struct):
    counts = qrisp_client.run(bell_struct(qrisp_ttypes), 1000, "")
    assert sum(counts.values()) == 1000
    assert_split(counts, bell_split())


def test_qrisp_client_ping_answers(qrisp_client):
    status = qrisp_client.ping()
    assert status.name == "qhost" and status.online is True


def test_qrisp_client_gets_our_message_on_failure(qrisp_client, qrisp_ttypes):
    q = qrisp_ttypes.Qubit(identifier="a")
    warp = qrisp_ttypes.Operation(name="warp", num_qubits=1, num_clbits=0, params=[])
    bad = qrisp_ttypes.Instruction(op=warp, qubits=[q], clbits=[])
    qc = qrisp_ttypes.QuantumCircuit(qubits=[q], clbits=[], data=[bad])
    with pytest.raises(TApplicationException, match=r"^invalid_circuit: .*operation 'warp'") as info:
        qrisp_client.run(qc, 10, "")
    assert info.value.type == TApplicationException.UNKNOWN
    assert qrisp_client.ping().online is True  # the same connection keeps working


def test_qrisp_client_cannot_decode_a_declared_exception(qrisp_service):
    """What an old client sees if a server answers ``run`` with the declared ``BackendError`` (field 1)."""
    buf = TMemoryBuffer()
    out = TBinaryProtocol(buf)
    out.writeMessageBegin("run", TMessageType.REPLY, 0)
    error = tt.BackendError(code="invalid_circuit", message="bad", status=400)
    BackendService.run_result(error=error).write(out)
    out.writeMessageEnd()
    client = qrisp_service.Client(TBinaryProtocol(TMemoryBuffer(buf.getvalue())))
    with pytest.raises(TApplicationException, match="run failed: unknown result") as info:
        client.recv_run()
    assert info.value.type == TApplicationException.MISSING_RESULT


def test_our_client_generated_from_our_idl_talks_to_qrisp_shaped_structs(aer_server, wire, bell_struct):
    transport, client = wire.open_client(BackendService, aer_server.thrift_port)
    try:
        counts = client.run(bell_struct(tt), 100, "", True)
    finally:
        transport.close()
    assert sum(counts.values()) == 100
