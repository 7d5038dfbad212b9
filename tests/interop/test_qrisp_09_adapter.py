"""Qrisp 0.9.x's ``Backend``/``Job`` API through ``QrispBackend`` (issue 25): a batch is one server job, the
device metadata comes from the catalog, ``retrieve_job`` from another process, progress and cancel.

Qrisp runs in its own cached venv (``scripts/interop_env.sh qrisp-0.9``) with ``src/`` on ``PYTHONPATH``;
the server runs in this process on a real socket.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from qhost_testkit import assert_split

from qhost.backend_server import BackendServer
from qhost.jobs.status import JobStatus

pytestmark = [pytest.mark.interop, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
FAST = {"worker_mode": "thread", "process_workers": 1, "thread_workers": 4}

BATCH = """
import json, sys
from qrisp import QuantumCircuit
from qhost.client.qrisp_adapter import QrispBackend
backend = QrispBackend("127.0.0.1", int(sys.argv[1]))  # the server's default: ideal@aer
device = QrispBackend("127.0.0.1", int(sys.argv[1]), options={"device_name": sys.argv[2]})
out = {}
try:
    circuits = []
    for i in range(5):
        qc = QuantumCircuit(2, 2)
        qc.ry(0.6 * i, 0)
        qc.cx(0, 1)
        qc.measure(0, 0)
        qc.measure(1, 1)
        circuits.append(qc)
    counts = backend.run_async(circuits, shots=[2000, 2000, 2000, 2000, 40]).result(timeout=60).all_counts
    out["counts"] = [dict(c) for c in counts]
    out["run"] = [dict(r) for r in backend.run(circuits, shots=500)]  # MeasurementResults
    job = backend.run_async(circuits[:2], shots=10)
    out["job_id"] = job.job_id
    out["done"] = [dict(c) for c in job.result(timeout=60).all_counts]
    out["ideal"] = {k: getattr(backend, k) for k in ("connectivity", "error_rates", "info")}
    out["meta"] = {k: getattr(device, k) for k in (
        "num_qubits", "max_circuits", "connectivity", "gate_set", "error_rates", "queue", "health", "info")}
except Exception as exc:
    out["error"] = f"{type(exc).__name__}: {exc}"
print(json.dumps(out))
"""

RETRIEVE = """
import json, sys
from qhost.client.qrisp_adapter import QrispBackend
backend = QrispBackend("127.0.0.1", int(sys.argv[1]))
out = {}
job = backend.retrieve_job(sys.argv[2])
out["status"] = job.status().name
out["counts"] = [dict(c) for c in job.result(timeout=60).all_counts]
try:
    backend.retrieve_job("no-such-job")
except LookupError as exc:
    out["missing"] = f"LookupError: {exc}"
print(json.dumps(out))
"""

STEPS = """
import json, sys
from qrisp import QuantumCircuit
from qrisp.interface import JobCancelledError
from qhost.client.qrisp_adapter import QrispBackend
backend = QrispBackend("127.0.0.1", int(sys.argv[1]))
circuits = []
for i in range(3):
    qc = QuantumCircuit(i + 1, 1)  # the server's run_func tells the circuits apart by their width
    qc.x(0)
    qc.measure(0, 0)
    circuits.append(qc)
job = backend.run_async(circuits, shots=4)
print(json.dumps({"job_id": job.job_id, "status": job.status().name}), flush=True)
sys.stdin.readline()  # the test has let circuit 0 finish and seen the progress reach 1 of 3
out = {"progress": job.progress(), "status": job.status().name, "cancel": job.cancel()}
out["after"] = job.status().name
try:
    job.result(timeout=30)
except JobCancelledError as exc:
    out["result"] = f"JobCancelledError: {exc}"
out["retrieved"] = backend.retrieve_job(job.job_id).status().name
print(json.dumps(out), flush=True)
"""


class _Gated:
    """A run_func that waits per circuit (told apart by their qubit count) until the test lets it go on."""

    def __init__(self) -> None:
        self.gates = [threading.Event() for _ in range(3)]
        self.started: list[int] = []

    def __call__(self, qasm: str, shots: int | None, token: str) -> dict[str, int]:
        index = len(re.findall(r"^qreg ", qasm, flags=re.M)) - 1
        self.started.append(index)
        assert self.gates[index].wait(60)
        return {"1": shots or 1}


@pytest.fixture(scope="module")
def qrisp_python() -> str:
    done = subprocess.run(
        [str(ROOT / "scripts" / "interop_env.sh"), "qrisp-0.9"], capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        pytest.fail(f"could not build the Qrisp 0.9 venv: {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def _run(python: str, script: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [python, "-c", script, *args], capture_output=True, text=True, timeout=300, env=_env()
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def server() -> Iterator[BackendServer]:
    with BackendServer(port=0, **FAST) as running:
        yield running


def _store(server: BackendServer) -> Any:
    assert server.app is not None
    return server.app.extensions["qhost"].engine.store


@pytest.fixture(scope="module")
def batch(qrisp_python: str, server: BackendServer) -> dict[str, Any]:
    before = _store(server).count(list(JobStatus))
    out = _run(qrisp_python, BATCH, str(server.port), "fake_manila")
    out["server_jobs"] = _store(server).count(list(JobStatus)) - before
    return out


def test_a_batch_of_five_is_one_server_job_with_each_distribution(batch: dict[str, Any]) -> None:
    import math

    assert "error" not in batch, batch["error"]
    assert batch["server_jobs"] == 3  # two batches of 5 circuits and one of 2: one job each
    assert sum(batch["counts"][4].values()) == 40  # per-circuit shots
    assert [sum(r.values()) for r in batch["run"]] == [500] * 5 and batch["run"][0] == {"00": 500}
    for i, probs in enumerate(batch["counts"][:4]):
        p1 = math.sin(0.6 * i / 2) ** 2  # ry(θ) then cx: 00 with cos²(θ/2), 11 with sin²(θ/2)
        assert_split(probs, {"00": 1 - p1, "11": p1})


def test_run_async_returns_one_job_id_and_every_circuits_counts(batch: dict[str, Any]) -> None:
    assert "," not in batch["job_id"] and len(batch["done"]) == 2
    assert [sum(c.values()) for c in batch["done"]] == [10, 10]


def test_metadata_properties_come_from_the_device_calibration(batch: dict[str, Any]) -> None:
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    meta = batch["meta"]
    target = FakeManilaV2().target
    assert (meta["num_qubits"], meta["max_circuits"]) == (5, 1000)
    assert sorted(map(tuple, meta["connectivity"])) == sorted(target.build_coupling_map().get_edges())
    assert {"cx", "measure", "rz", "sx", "x"} <= set(meta["gate_set"])
    assert meta["error_rates"]["gates"]["cx"]["0,1"] == pytest.approx(target["cx"][(0, 1)].error)
    assert meta["error_rates"]["calibration"]["device"] == "fake_manila"
    assert meta["health"]["online"] is True and meta["info"]["backend"] == "fake_manila@aer"
    assert isinstance(meta["queue"]["jobs"], int)
    ideal = batch["ideal"]
    assert (ideal["connectivity"], ideal["error_rates"], ideal["info"]["backend"]) == (
        None,
        None,
        "ideal@aer",
    )


def test_retrieve_job_from_another_process(
    qrisp_python: str, server: BackendServer, batch: dict[str, Any]
) -> None:
    out = _run(qrisp_python, RETRIEVE, str(server.port), batch["job_id"])
    assert (out["status"], out["counts"]) == ("DONE", batch["done"])
    assert out["missing"].startswith("LookupError: No job 'no-such-job'")


def test_progress_and_cancel_of_every_circuit_of_a_batch(qrisp_python: str) -> None:
    gated = _Gated()
    with (
        BackendServer(gated, port=0, **FAST) as server,
        subprocess.Popen(
            [qrisp_python, "-c", STEPS, str(server.port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        ) as proc,
    ):
        assert proc.stdout is not None and proc.stdin is not None
        try:
            line = proc.stdout.readline()
            assert line, proc.stderr.read()[-3000:] if proc.stderr else ""
            first = json.loads(line)
            assert first["status"] in ("QUEUED", "RUNNING")
            store = _store(server)
            gated.gates[0].set()
            _until(lambda: (store.get_progress(first["job_id"]) or {}).get("done") == 1)
            proc.stdin.write("go\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            assert line, proc.stderr.read()[-3000:] if proc.stderr else ""
            out = json.loads(line)
        finally:
            for gate in gated.gates:
                gate.set()
            proc.communicate(timeout=60)
    assert (out["progress"]["done"], out["progress"]["total"], out["progress"]["unit"]) == (1, 3, "circuits")
    assert (out["status"], out["cancel"], out["after"], out["retrieved"]) == (
        "RUNNING",
        True,
        "CANCELLED",
        "CANCELLED",
    )
    assert out["result"].startswith("JobCancelledError")
    assert 2 not in gated.started  # circuit 2 never ran: the cancel stopped the rest of the batch


def _until(check: Any, timeout: float = 30) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)  # polling an observable state, with a deadline
