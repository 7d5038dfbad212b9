"""No silent waits, distributed: a job for a queue no ``qhost worker`` serves says so within seconds.

A real ``qhost serve --broker`` on real Redis + PostgreSQL, no worker at first: the Qrisp door's
``qhostMessage``, the IBM door's ``state.reason`` and backend status, ``qhost watch``'s bar and
``BackendClient``'s warning all name the queue; once a worker registers, the same job runs.
"""

from __future__ import annotations

import subprocess
import sys
import time
import warnings
from typing import Any

import pytest
import requests
from dist_helpers import Procs, until
from dist_services import free_port
from qiskit import QuantumCircuit

from qhost.client.backend_client import BackendClient
from qhost.errors import TransportError

pytestmark = pytest.mark.slow

REASON = "no worker online for queue 'aer'"


def _bell() -> QuantumCircuit:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    return qc


def _watch_until(url: str, job_id: str, needle: str, timeout: float) -> str:
    """Run ``qhost watch`` until its stderr shows ``needle`` (then stop it by PID); the text read."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "qhost", "watch", job_id, "--url", url],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    seen = ""
    try:
        end = time.monotonic() + timeout
        assert proc.stderr is not None
        while time.monotonic() < end:
            line = proc.stderr.readline()  # off a terminal: one line per change
            seen += line
            if needle in line or not line:
                break
    finally:
        proc.kill()
        proc.wait(10)
        if proc.stderr is not None:
            proc.stderr.close()
    return seen


def test_a_job_for_a_queue_nobody_serves_says_so_then_runs_when_a_worker_comes(
    redis_url: str, database_url: str, procs: Procs, tmp_path: Any
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    procs.start("serve", "--broker", redis_url, "--database-url", database_url, "--port", str(port))
    until(lambda: _up(url), 90, "the server")
    client = BackendClient("127.0.0.1", port, device_name="fake_manila@aer")
    job_id = client.submit(_bell(), 200)

    started = time.monotonic()
    doc = requests.get(f"{url}/jobs/{job_id}", params={"wait": "30"}, timeout=60).json()
    assert time.monotonic() - started < 20  # the long-poll ends early for a stuck job (2 s, loaded machine)
    assert doc["qhostStatus"] == "queued"
    assert REASON in doc["qhostMessage"] and "qhost worker --queue aer" in doc["qhostMessage"]

    ibm = requests.get(f"{url}/api/v1/jobs/{job_id}", params={"exclude_params": "true"}, timeout=30).json()
    assert ibm["state"]["status"] == "Queued" and REASON in ibm["state"]["reason"]
    status = requests.get(f"{url}/api/v1/backends/fake_manila@aer/status", timeout=30).json()
    assert REASON in status["status"]  # the stock client warns "... currently has a status of <status>"

    assert REASON in _watch_until(url, job_id, REASON, 60)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(TransportError, match="not finished within"):
            client.result(job_id, timeout=5)
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1 and REASON in messages[0]  # once per job, not once per poll

    procs.worker(redis_url, database_url, "--queue", "aer")
    with warnings.catch_warnings():  # this call may see the message once more before the worker is up
        warnings.simplefilter("ignore", RuntimeWarning)
        counts = client.result(job_id, timeout=180)
    assert sum(counts.values()) == 200 and counts.get("00", 0) + counts.get("11", 0) >= 160
    after = requests.get(f"{url}/jobs/{job_id}", timeout=30).json()
    assert "qhostMessage" not in after
    until(lambda: _backend_status(url) == "active", 15, "the backend active again (counts cached 2 s)")


def _backend_status(url: str) -> str:
    return str(requests.get(f"{url}/api/v1/backends/fake_manila@aer/status", timeout=30).json()["status"])


def _up(url: str) -> bool:
    try:
        return requests.get(f"{url}/version", timeout=2).status_code == 200
    except requests.RequestException:
        return False
