"""Qrisp 0.9.x (latest) through our adapter: ``get_measurement`` and ``multi_measurement`` on a qhost server.

Qrisp runs in its own cached venv (``scripts/interop_env.sh qrisp-0.9``) with ``src/`` on ``PYTHONPATH``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from qhost_testkit import assert_split, bell_split

from qhost.backend_server import BackendServer
from qhost.client.qiskit_backend import QiskitBackend

pytestmark = [pytest.mark.interop, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
FAST = {"worker_mode": "thread", "process_workers": 1, "thread_workers": 4}

SCRIPT = """
import json, sys
from qrisp import QuantumCircuit, QuantumFloat, QuantumVariable, h, cx, multi_measurement
from qrisp.interface import JobStatus
from qhost.client.qrisp_adapter import QrispBackend
backend = QrispBackend("127.0.0.1", int(sys.argv[1]), token=sys.argv[2])
out = {}
try:
    qv = QuantumVariable(2)
    h(qv[0])
    cx(qv[0], qv[1])
    out["bell"] = dict(qv.get_measurement(backend=backend, shots=300))
    a, b = QuantumFloat(3), QuantumFloat(2)
    a[:] = 5
    b[:] = 3
    out["float"] = {str(k): v for k, v in a.get_measurement(backend=backend).items()}
    out["multi"] = {str(k): v for k, v in multi_measurement([a, b], backend=backend, shots=40).items()}
    qc = QuantumCircuit(1, 1)
    qc.x(0)
    qc.measure(0, 0)
    job = backend.run_async([qc, qc], shots=[10, 20])
    out["counts"] = job.result(timeout=60).all_counts
    out["status"] = str(job.status().name)
except Exception as exc:
    out["error"] = f"{type(exc).__name__}: {exc}"
print(json.dumps(out))
"""


def _failing(qasm: str, shots: int | None, token: str) -> dict[str, int]:
    raise RuntimeError("detector on fire")


@pytest.fixture(scope="module")
def qrisp_python() -> str:
    done = subprocess.run(
        [str(ROOT / "scripts" / "interop_env.sh"), "qrisp-0.9"], capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        pytest.fail(f"could not build the Qrisp 0.9 venv: {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def _run(python: str, port: int, token: str = "") -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [python, "-c", SCRIPT, str(port), token], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def measured(qrisp_python: str) -> dict[str, Any]:
    with BackendServer(QiskitBackend(), port=0, api_keys=("k9",), **FAST) as server:
        return _run(qrisp_python, server.port, "k9")


def test_get_measurement_of_a_bell_pair(measured: dict[str, Any]) -> None:
    assert "error" not in measured, measured["error"]
    assert abs(sum(measured["bell"].values()) - 1) < 1e-9
    assert_split(measured["bell"], bell_split(), shots=100)  # probabilities: 100 shots = a floor


def test_get_measurement_decodes_a_quantum_float(measured: dict[str, Any]) -> None:
    assert measured["float"] == {"5": 1.0}


def test_multi_measurement(measured: dict[str, Any]) -> None:
    assert measured["multi"] == {"(5, 3)": 1.0}


def test_run_async_runs_a_batch_with_per_circuit_shots(measured: dict[str, Any]) -> None:
    assert (measured["counts"], measured["status"]) == ([{"1": 10}, {"1": 20}], "DONE")


def test_failed_job_raises_job_failure_with_our_message(qrisp_python: str) -> None:
    with BackendServer(_failing, port=0, **FAST) as server:
        out = _run(qrisp_python, server.port)
    assert out["error"].startswith("JobFailureError: Job ")
    assert "RuntimeError: detector on fire" in out["error"]
