"""A worker process that dies at start: a bounded wait, a clear reason on the job, recovery when it can start.

The worker interpreter is replaced by a script that exits 3 at once (as a broken environment would);
the server must neither hang nor keep the job's wait silent.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest
import requests
from qiskit import QuantumCircuit

from qhost import BackendClient, BackendServer
from qhost.errors import TransportError

pytestmark = pytest.mark.slow


def _broken_python(tmp_path: Path) -> str:
    script = tmp_path / "python-broken"
    script.write_text("#!/bin/sh\necho 'broken interpreter' >&2\nexit 3\n")
    script.chmod(0o755)
    return str(script)


def test_a_pool_that_cannot_start_says_so_then_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    real_python = sys.executable
    monkeypatch.setattr(sys, "executable", _broken_python(tmp_path))
    with BackendServer(port=0, process_workers=1) as server:
        client = BackendClient("127.0.0.1", server.port, device_name="ideal@aer")
        job_id = client.submit(qc, 400)
        doc = requests.get(f"{server.url}/jobs/{job_id}", params={"wait": "30"}, timeout=60).json()
        assert doc["qhostStatus"] == "queued"
        assert "no worker online" in doc["qhostMessage"]
        assert "exited at start (exit code 3)" in doc["qhostMessage"]
        ibm = requests.get(
            f"{server.url}/api/v1/jobs/{job_id}", params={"exclude_params": "true"}, timeout=30
        )
        assert "exited at start (exit code 3)" in ibm.json()["state"]["reason"]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(TransportError):
                client.result(job_id, timeout=3)
        assert any("exited at start" in str(w.message) for w in caught)

        monkeypatch.setattr(sys, "executable", real_python)  # the next retry (backoff <= 30 s) starts
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            counts = client.result(job_id, timeout=180)
        assert sum(counts.values()) == 400 and set(counts) <= {"00", "11"}
        assert abs(counts.get("00", 0) - counts.get("11", 0)) < 120  # about half each (sd 10)
        assert "qhostMessage" not in requests.get(f"{server.url}/jobs/{job_id}", timeout=30).json()
