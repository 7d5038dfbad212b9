"""Qrisp 0.8.2's real REST client and server against ours (foreign side in its own cached venv).

The venv is built (or reused) by ``scripts/interop_env.sh qrisp-0.8.2`` under ``.cache/venvs/``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from qhost_testkit import assert_split, bell_split

from qhost.backend_server import BackendServer
from qhost.client.backend_client import BackendClient
from qhost.client.qiskit_backend import QiskitBackend
from qhost.errors import ServerError

pytestmark = [pytest.mark.interop, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
FAST = {"worker_mode": "thread", "process_workers": 1, "thread_workers": 4}

CLIENT_SCRIPT = """
import json, sys
from qrisp import QuantumVariable, QuantumFloat, h, cx, multi_measurement
from qrisp.interface import BackendClient
backend = BackendClient(api_endpoint="127.0.0.1", port=int(sys.argv[1]), token=sys.argv[2])
out = {}
try:
    qv = QuantumVariable(2)
    h(qv[0])
    cx(qv[0], qv[1])
    out["bell"] = qv.get_measurement(backend=backend, shots=200)
    a, b = QuantumFloat(2), QuantumFloat(2)
    a[:] = 1
    b[:] = 2
    out["multi"] = {str(k): v for k, v in multi_measurement([a, b], backend=backend, shots=50).items()}
except Exception as exc:
    out["error"] = f"{type(exc).__name__}: {exc}"
print(json.dumps(out))
"""

SERVER_SCRIPT = """
import sys, time
from qiskit import QuantumCircuit
from qiskit.providers.basic_provider import BasicSimulator
from qrisp.interface import BackendServer

def run_func(qasm, shots, token):
    if token == "fail":
        raise RuntimeError("asked to fail")
    circuit = QuantumCircuit.from_qasm_str(qasm)
    counts = BasicSimulator().run(circuit, shots=shots or 100).result().get_counts()
    return {k.replace(" ", ""): v for k, v in counts.items()}

BackendServer(run_func, "127.0.0.1", int(sys.argv[1])).start()
print("ready", flush=True)
while True:
    time.sleep(1)
"""


BELL_QASM = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'
)


def _failing(qasm: str, shots: int | None, token: str) -> dict[str, int]:
    raise RuntimeError("detector on fire")


@pytest.fixture(scope="module")
def qrisp_python() -> str:
    """The interpreter of the cached Qrisp 0.8.2 venv (built on first use)."""
    script = ROOT / "scripts" / "interop_env.sh"
    done = subprocess.run([str(script), "qrisp-0.8.2"], capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        pytest.fail(f"could not build the Qrisp 0.8.2 venv: {done.stderr[-2000:]}")
    python = done.stdout.strip().splitlines()[-1]
    version = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('qrisp'))"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    assert version == "0.8.2", f"{python} has qrisp {version!r}"
    return python


def _run_client(python: str, port: int, token: str = "") -> dict[str, Any]:
    done = subprocess.run(
        [python, "-c", CLIENT_SCRIPT, str(port), token], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def plain_run(qrisp_python: str) -> dict[str, Any]:
    """What Qrisp 0.8.2's client measured on our BackendServer (run_func: QiskitBackend on Aer)."""
    with BackendServer(QiskitBackend(), port=0, **FAST) as server:
        return _run_client(qrisp_python, server.port)


def test_qrisp_client_measures_a_bell_pair_on_our_server(plain_run: dict[str, Any]) -> None:
    assert "error" not in plain_run, plain_run["error"]
    assert abs(sum(plain_run["bell"].values()) - 1) < 1e-9
    assert_split(plain_run["bell"], bell_split(), shots=100)  # probabilities: 100 shots = a floor


def test_qrisp_multi_measurement_works_on_our_server(plain_run: dict[str, Any]) -> None:
    assert plain_run["multi"] == {"(1, 2)": 1.0}


def test_qrisp_client_raises_our_message_for_a_failed_job(qrisp_python: str) -> None:
    with BackendServer(_failing, port=0, **FAST) as server:
        out = _run_client(qrisp_python, server.port)
    assert out["error"].startswith("Exception: Quantum circuit execution failed: Job ")
    assert "RuntimeError: detector on fire" in out["error"]


def test_qrisp_client_token_authenticates(qrisp_python: str) -> None:
    with BackendServer(QiskitBackend(), port=0, api_keys=("k1",), **FAST) as server:
        good = _run_client(qrisp_python, server.port, "k1")
    assert "error" not in good, good.get("error")


@pytest.fixture
def qrisp_server(qrisp_python: str, free_port: int) -> Iterator[int]:
    """Qrisp 0.8.2's own BackendServer in a subprocess; yields its port."""
    proc = subprocess.Popen(
        [qrisp_python, "-c", SERVER_SCRIPT, str(free_port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        _wait_ready(proc, free_port)
        yield free_port
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]


def _wait_ready(proc: subprocess.Popen[str], port: int) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "ready" not in line:
        pytest.fail(f"Qrisp server did not start: {proc.stderr.read()[-2000:] if proc.stderr else ''}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/jobs/0/", timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)


def test_our_client_runs_on_qrisp_server(qrisp_server: int) -> None:
    client = BackendClient("127.0.0.1", qrisp_server)
    counts = client.run(BELL_QASM, 100)
    assert not client.is_qhost
    assert sum(counts.values()) == 100
    assert_split(counts, bell_split())


def test_our_client_reports_a_failed_job_on_qrisp_server(qrisp_server: int) -> None:
    with pytest.raises(ServerError, match="finished without results"):
        BackendClient("127.0.0.1", qrisp_server, token="fail").run(BELL_QASM, 10)


@pytest.fixture
def qhost_serve(free_port: int, tmp_path: Path) -> Iterator[int]:
    """``qhost serve`` in a subprocess (default backend ideal@aer, one warm worker process)."""
    env = {**os.environ, "QHOST_PROCESS_WORKERS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qhost", "serve", "--port", str(free_port), "--data-dir", str(tmp_path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{free_port}/", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        yield free_port
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def test_qrisp_client_on_qhost_serve_default_backend(qrisp_python: str, qhost_serve: int) -> None:
    out = _run_client(qrisp_python, qhost_serve)
    assert "error" not in out, out["error"]
    assert out["multi"] == {"(1, 2)": 1.0}
    assert_split(out["bell"], bell_split(), shots=100)  # probabilities: 100 shots = a floor
