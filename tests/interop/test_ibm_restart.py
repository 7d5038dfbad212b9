"""The stock client against a real ``qhost serve`` process with API keys: owners, refusal, kill -9 restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.interop, pytest.mark.slow]

MANILA = "fake_manila@aer"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``qhost serve`` with keys alice/bob, in its own process group; returns once the port answers."""
    port = free_port()
    env = {**os.environ, "QHOST_PROCESS_WORKERS": "1", "QHOST_EXECUTORS": "aer"}
    cmd = [
        sys.executable,
        "-m",
        "qhost",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--api-key",
        "alice",
        "--api-key",
        "bob",
        "--log-level",
        "WARNING",
    ]
    proc = subprocess.Popen(
        cmd, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"qhost serve exited with {proc.returncode}") from None
            time.sleep(0.2)
    kill(proc)
    raise RuntimeError("qhost serve did not open its port within 60 s")


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the server and its workers (its own process group, which this test started)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ibm-restart")


@pytest.fixture(scope="module")
def finished_job(data_dir: Path) -> Iterator[tuple[str, str]]:
    """Run one Sampler job as alice, then kill -9 the server; yields (job id, counts text) and a new url."""
    from qiskit import QuantumCircuit
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_ibm_runtime import SamplerV2

    from qhost.client.runtime import connect

    proc, url = start_server(data_dir)
    try:
        backend = connect(url, "alice").backend(MANILA)
        qc = QuantumCircuit(2)
        qc.h(0)
        qc.cx(0, 1)
        qc.measure_all()
        circuit = generate_preset_pass_manager(backend=backend, optimization_level=1).run(qc)
        job = SamplerV2(mode=backend).run([(circuit, None, 123)])
        counts = job.result()[0].data.meas.get_counts()
    finally:
        kill(proc)
    yield job.job_id(), str(sorted(counts.items()))


@pytest.fixture(scope="module")
def restarted(data_dir: Path, finished_job: Any) -> Iterator[str]:
    proc, url = start_server(data_dir)
    yield url
    kill(proc)


def test_job_survives_kill_9(finished_job: tuple[str, str], restarted: str) -> None:
    from qhost.client.runtime import connect

    job = connect(restarted, "alice").job(finished_job[0])
    assert job.status() == "DONE"
    assert str(sorted(job.result()[0].data.meas.get_counts().items())) == finished_job[1]


def test_jobs_listing_survives_kill_9(finished_job: tuple[str, str], restarted: str) -> None:
    from qhost.client.runtime import connect

    assert finished_job[0] in [j.job_id() for j in connect(restarted, "alice").jobs()]


def test_another_owners_job_is_not_found(finished_job: tuple[str, str], restarted: str) -> None:
    from qiskit_ibm_runtime.exceptions import RuntimeJobNotFound

    from qhost.client.runtime import connect

    with pytest.raises(RuntimeJobNotFound):
        connect(restarted, "bob").job(finished_job[0])


def test_unknown_key_is_refused(restarted: str) -> None:
    from qiskit_ibm_runtime.accounts.exceptions import InvalidAccountError

    from qhost.client.runtime import connect

    with pytest.raises(InvalidAccountError, match="valid API token"):
        connect(restarted, "mallory")
