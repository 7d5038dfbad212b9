"""API keys on the Thrift door: the ``token`` argument of each call is the key; jobs belong to their key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from thrift.Thrift import TApplicationException

from qhost.backend_server import BackendServer
from qhost.client import ThriftBackendClient
from qhost.errors import ServerError
from qhost.protocols.thrift_gen import BackendService


@pytest.fixture(scope="module")
def keyed(run_func, tmp_path_factory) -> Iterator[BackendServer]:
    srv = BackendServer(
        run_func,
        port=0,
        thrift_port=0,
        data_dir=tmp_path_factory.mktemp("thrift-auth"),
        worker_mode="thread",
        api_keys=("key-one", "key-two"),
    )
    srv.start()
    yield srv
    srv.stop()


def client_for(server: BackendServer, token: str) -> ThriftBackendClient:
    return ThriftBackendClient("127.0.0.1", server.thrift_port, token=token, timeout=10)


def test_missing_key_is_unauthorized(keyed):
    with client_for(keyed, "") as c, pytest.raises(ServerError, match="Unknown or missing API key") as info:
        c.run("OPENQASM 2.0;", 10)
    assert (info.value.status_code, info.value.error_code) == (401, "unauthorized")


def test_a_job_belongs_to_its_key(keyed):
    with client_for(keyed, "key-one") as one, client_for(keyed, "key-two") as two:
        job = one.submit("OPENQASM 2.0;", 10)
        assert one.result(job["id"], wait=10) == {"00": 5, "11": 5}
        with pytest.raises(ServerError) as info:
            two.status(job["id"])
        assert info.value.error_code == "job_not_found"


def test_the_key_is_not_forwarded_to_the_run_func(keyed, run_func):
    with client_for(keyed, "key-one") as c:
        c.run("OPENQASM 2.0;", 4)
    assert run_func.calls[-1][2] == ""


def test_qrisp_style_client_without_key_gets_the_message(keyed, wire, bell_struct):
    from qhost.protocols.thrift_gen import ttypes as tt

    transport, c = wire.open_client(BackendService, keyed.thrift_port)
    try:
        with pytest.raises(TApplicationException, match="^unauthorized: Unknown or missing API key"):
            c.run(bell_struct(tt), 10, "", None)
        assert c.run(bell_struct(tt), 10, "key-two", None) == {"00": 5, "11": 5}
    finally:
        transport.close()
