"""A full disk under the data dir (a real, small tmpfs mounted for the test; needs root).

- a submit answers 507 "job store out of space: … free disk space …" (never the server's path) and reads
  keep working;
- a job that finishes while the disk is full keeps its outcome: it completes with its result once space
  returns (never "worker lost"), or, when the disk stays full, fails with "job store out of space" (no
  path either).
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from qhost.backend_server import BackendServer

from .conftest import BELL_QASM, KEY

pytestmark = pytest.mark.slow

RELEASE = threading.Event()
BIG = 40_000  # distinct outcomes in the big result (~1 MB of JSON)


def _run(qasm: str, shots: int | None, token: str) -> dict[str, int]:
    if "// big" in qasm:
        RELEASE.wait(30)
        return {format(i, "020b"): 1 for i in range(BIG)}
    return {"00": 1}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "mnt"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def server(small_disk: Path) -> Iterator[BackendServer]:
    RELEASE.clear()
    backend = BackendServer(
        _run, port=0, data_dir=small_disk / "data", api_keys=(KEY,), worker_mode="thread", thread_workers=2
    ).start()
    try:
        yield backend
    finally:
        RELEASE.set()
        backend.stop()


def _fill(directory: Path, leave: int = 0) -> Path:
    """Fill the filesystem of ``directory`` to the last byte (then free ``leave`` bytes)."""
    filler = directory / "filler"
    chunk = b"\0" * (1 << 16)
    with open(filler, "wb", buffering=0) as handle:
        with contextlib.suppress(OSError):
            while True:
                handle.write(chunk)
        with contextlib.suppress(OSError):
            while True:
                handle.write(b"\0")
    if leave:
        os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


def _submit(server: BackendServer, qasm: str = BELL_QASM) -> requests.Response:
    body = {"programs": [{"quantumCircuit": qasm}], "shots": 10}
    return requests.post(
        server.url + "/jobs", json=body, headers={"Authorization": f"Bearer {KEY}"}, timeout=30
    )


def _get(server: BackendServer, job_id: str) -> requests.Response:
    return requests.get(f"{server.url}/jobs/{job_id}", headers={"Authorization": f"Bearer {KEY}"}, timeout=30)


def _wait_status(server: BackendServer, job_id: str, statuses: set[str], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        doc = _get(server, job_id).json()
        if doc["qhostStatus"] in statuses or time.monotonic() > deadline:
            return doc
        time.sleep(0.2)


def test_submit_on_full_store_is_507_and_reads_work(server: BackendServer, small_disk: Path) -> None:
    first = _submit(server)
    assert first.status_code == 201, first.text
    _wait_status(server, first.json()["id"], {"completed", "finished"}, 10)
    filler = _fill(small_disk)
    try:
        resp = _submit(server)
        assert resp.status_code == 507, resp.text
        message = resp.json()["message"]
        assert "job store out of space" in message and "free disk space" in message, message
        assert str(small_disk) not in resp.text and "/data" not in message, message  # no server path
        assert _get(server, first.json()["id"]).status_code in (200, 201)
        ibm = requests.get(
            server.url + "/api/v1/jobs",
            headers={"Authorization": f"apikey {KEY}", "IBM-API-Version": "2026-04-15"},
            timeout=30,
        )
        assert ibm.status_code == 200, ibm.text
    finally:
        filler.unlink()
    assert _submit(server).status_code == 201


def test_result_written_once_space_returns(server: BackendServer, small_disk: Path) -> None:
    job = _submit(server, BELL_QASM + "// big\n").json()["id"]
    _wait_status(server, job, {"running"}, 10)
    filler = _fill(small_disk)
    RELEASE.set()
    time.sleep(2.5)  # the write fails; the outcome is kept, the job is not failed
    doc = _get(server, job).json()
    assert doc["qhostStatus"] == "running", doc
    filler.unlink()
    doc = _wait_status(server, job, {"completed", "finished", "failed"}, 10)
    assert doc["qhostStatus"] == "completed", doc
    assert len(str(doc)) > BIG * 10


def test_outcome_fails_with_the_reason_when_the_disk_stays_full(
    server: BackendServer, small_disk: Path
) -> None:
    assert server.app is not None
    server.app.extensions["qhost"].engine._unsaved.give_up_s = 1.0
    job = _submit(server, BELL_QASM + "// big\n").json()["id"]
    _wait_status(server, job, {"running"}, 10)
    filler = _fill(small_disk, leave=256 * 1024)  # room for a small failure, not for the ~1 MB result
    try:
        RELEASE.set()
        doc = _wait_status(server, job, {"failed", "error", "completed"}, 15)
        assert doc["qhostStatus"] == "failed", doc
        assert "job store out of space" in str(doc), doc
        assert str(small_disk) not in str(doc), doc
        assert "worker lost" not in str(doc)
    finally:
        filler.unlink()


def test_errno_of_a_full_disk_is_recognised() -> None:
    from qhost.store.space import is_out_of_space

    assert is_out_of_space(OSError(errno.ENOSPC, "No space left on device"))
    assert not is_out_of_space(OSError(errno.EACCES, "denied"))
