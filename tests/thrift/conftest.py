"""Fixtures of the Thrift door tests: real servers on loopback, our client, Qrisp 0.4.10's generated client.

Qrisp's generated Thrift code is taken from the qrisp 0.4.10 wheel on PyPI (``pip download qrisp==0.4.10
--no-deps``), cached under ``<repo>/.cache/qrisp-0.4.10`` and loaded as a package of its own, without
importing qrisp. Tests that need it skip, with the reason, when the wheel cannot be fetched.
"""

from __future__ import annotations

import importlib
import importlib.util
import socket
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from qhost.backend_server import BackendServer
from qhost.client.thrift_client import ThriftBackendClient

REPO = Path(__file__).resolve().parents[2]
QRISP_VERSION = "0.4.10"
QRISP_CACHE = REPO / ".cache" / f"qrisp-{QRISP_VERSION}"
QRISP_CODEGEN = "qrisp/interface/thrift_interface/codegen/"

BELL_QASM = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\n'
    "measure q[0] -> c[0];\nmeasure q[1] -> c[1];\n"
)


class FakeRunFunc:
    """A Qrisp-style ``run_func`` that records its calls; the token picks a behaviour."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int | None, str]] = []
        self.release = threading.Event()

    def __call__(self, qasm: str, shots: int | None, token: str) -> dict[str, Any]:
        self.calls.append((qasm, shots, token))
        n = shots or 100
        if token == "boom":
            raise ValueError("the simulator exploded")
        if token == "probs":
            return {"0": 0.5, "1": 0.5}
        if token == "huge":
            return {"0": 2**40}
        if token == "slow":
            self.release.wait(30)
        return {"00": n // 2, "11": n - n // 2}


def _start(run_func: Any, data_dir: Path, **overrides: Any) -> BackendServer:
    return BackendServer(
        run_func,
        port=0,
        thrift_port=0,
        data_dir=data_dir,
        worker_mode="thread",
        process_workers=1,
        thread_workers=4,
        **overrides,
    ).start()


@pytest.fixture(scope="module")
def run_func() -> FakeRunFunc:
    return FakeRunFunc()


@pytest.fixture(scope="module")
def server(run_func: FakeRunFunc, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    """A BackendServer (REST + Thrift) on one engine, serving ``run_func``."""
    srv = _start(run_func, tmp_path_factory.mktemp("thrift-server"))
    yield srv
    run_func.release.set()
    srv.stop()


@pytest.fixture(scope="module")
def aer_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    """A BackendServer without run_func: jobs run program ``counts`` on ``ideal@aer``."""
    srv = _start(None, tmp_path_factory.mktemp("thrift-aer"))
    yield srv
    srv.stop()


@pytest.fixture
def client(server: BackendServer) -> Iterator[ThriftBackendClient]:
    with ThriftBackendClient("127.0.0.1", server.thrift_port, timeout=10.0, run_timeout=30.0) as c:
        yield c


@pytest.fixture
def make_client(server: BackendServer) -> Iterator[Callable[..., ThriftBackendClient]]:
    """``make_client(token=..., timeout=...)``: more clients of ``server``, closed after the test."""
    made: list[ThriftBackendClient] = []

    def make(**options: Any) -> ThriftBackendClient:
        made.append(ThriftBackendClient("127.0.0.1", server.thrift_port, **options))
        return made[-1]

    yield make
    for c in made:
        c.close()


def open_client(service: ModuleType, port: int, timeout: float = 30.0) -> tuple[Any, Any]:
    """``(transport, client)`` of a generated ``BackendService`` module (ours or Qrisp's), Qrisp's stack."""
    from thrift.protocol.TBinaryProtocol import TBinaryProtocol
    from thrift.transport.TSocket import TSocket
    from thrift.transport.TTransport import TBufferedTransport

    sock = TSocket("127.0.0.1", port)
    sock.setTimeout(timeout * 1000)
    transport = TBufferedTransport(sock)
    transport.open()
    return transport, service.Client(TBinaryProtocol(transport))


@pytest.fixture
def gen_client(server: BackendServer) -> Iterator[Any]:
    """Our generated client (the one any Thrift user would generate from ``qhost.thrift``)."""
    from qhost.protocols.thrift_gen import BackendService

    transport, c = open_client(BackendService, server.thrift_port)
    yield c
    transport.close()


def raw_exchange(port: int, payload: bytes, *, half_close: bool = False, timeout: float = 10.0) -> bytes:
    """Send raw bytes to the Thrift port and return everything the server answers before it hangs up."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


class Wire:
    """The raw helpers above, handed to tests as the ``wire`` fixture (conftest is not importable)."""

    raw_exchange = staticmethod(raw_exchange)
    open_client = staticmethod(open_client)


@pytest.fixture
def wire() -> type[Wire]:
    return Wire


def fetch_qrisp_codegen(cache: Path = QRISP_CACHE) -> Path:
    """The directory of Qrisp 0.4.10's generated Thrift code, downloading the wheel once into ``cache``."""
    target = cache / "codegen"
    if (target / "BackendService.py").is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    wheels = list(cache.glob(f"qrisp-{QRISP_VERSION}-*.whl"))
    if not wheels:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            f"qrisp=={QRISP_VERSION}",
            "--no-deps",
            "-d",
            str(cache),
        ]
        subprocess.run(cmd, check=True, capture_output=True, timeout=300)
        wheels = list(cache.glob(f"qrisp-{QRISP_VERSION}-*.whl"))
    target.mkdir(exist_ok=True)
    with zipfile.ZipFile(wheels[0]) as wheel:
        for name in wheel.namelist():
            if name.startswith(QRISP_CODEGEN) and name.endswith(".py"):
                (target / name[len(QRISP_CODEGEN) :]).write_bytes(wheel.read(name))
    return target


def load_qrisp_codegen() -> ModuleType:
    """Qrisp's generated ``BackendService``, imported as package ``qrisp_thrift_codegen`` (no qrisp)."""
    name = "qrisp_thrift_codegen"
    if name + ".BackendService" in sys.modules:
        return sys.modules[name + ".BackendService"]
    path = fetch_qrisp_codegen()
    spec = importlib.util.spec_from_file_location(
        name, path / "__init__.py", submodule_search_locations=[str(path)]
    )
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return importlib.import_module(name + ".BackendService")


@pytest.fixture(scope="session")
def qrisp_service() -> ModuleType:
    """Qrisp 0.4.10's generated ``BackendService`` (its ``ttypes`` is ``.ttypes`` beside it)."""
    try:
        return load_qrisp_codegen()
    except (subprocess.SubprocessError, OSError, zipfile.BadZipFile, IndexError) as exc:
        pytest.skip(f"cannot fetch qrisp=={QRISP_VERSION} from PyPI for its generated Thrift client: {exc}")


@pytest.fixture
def qrisp_ttypes(qrisp_service: ModuleType) -> ModuleType:
    return sys.modules["qrisp_thrift_codegen.ttypes"]


@pytest.fixture
def bell_struct() -> Callable[[ModuleType], Any]:
    """Build Qrisp's Bell circuit struct (as Qrisp's ``convert_circuit`` names things) from a ``ttypes``."""

    def build(tt: ModuleType) -> Any:
        q = [tt.Qubit(identifier=f"qv.{i}") for i in range(2)]
        c = [tt.Clbit(identifier=f"cb_{i}") for i in range(2)]

        def ins(name: str, qubits: list[Any], clbits: list[Any] = ()) -> Any:  # type: ignore[assignment]
            op = tt.Operation(name=name, num_qubits=len(qubits), num_clbits=len(clbits), params=[])
            return tt.Instruction(op=op, qubits=list(qubits), clbits=list(clbits))

        data = [
            ins("qb_alloc", [q[0]]),
            ins("qb_alloc", [q[1]]),
            ins("h", [q[0]]),
            ins("cx", q),
            ins("measure", [q[0]], [c[0]]),
            ins("measure", [q[1]], [c[1]]),
        ]
        return tt.QuantumCircuit(qubits=q, clbits=c, data=data)

    return build
