"""Progress where people look: ``BackendClient.run(..., progress=True)`` and ``qhost watch`` (a real
``qhost serve`` subprocess), plus the thread-mode engine writing progress straight to the store."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from progress_helpers import HERE, sampler_params, until

from qhost.backend_server import BackendServer
from qhost.client.backend_client import BackendClient
from qhost.client.progress_bar import ProgressBar, render
from qhost.engine.engine import JobEngine
from qhost.jobs.spec import JobSpec
from qhost.store.sql_store import SqlStore

BELL = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'
)


def test_render_draws_the_bar_the_count_and_the_time_left() -> None:
    progress = {"done": 2, "total": 5, "unit": "pubs", "eta_s": 4.56}
    line = render("running", progress, 3.04)
    assert line == "[#########...............] 2/5 PUBs  40%  running 3.0 s, about 4.6 s left"
    assert render("Completed", {"done": 1, "total": 1, "unit": "circuits"}, 0.5).endswith(
        "1/1 circuit 100%  completed 0.5 s"
    )
    assert render("queued", None, 1.0) == "[........................] queued 1.0 s"


def test_the_bar_off_a_terminal_prints_a_line_per_change_only() -> None:
    out = io.StringIO()
    bar = ProgressBar(out)
    bar.update("queued", None)
    bar.update("queued", None)
    bar.update("running", {"done": 1, "total": 2, "unit": "pubs"})
    bar.close("done")
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and lines[0].startswith("[") and "1/2 PUBs" in lines[1] and lines[2] == "done"


def test_backend_client_progress_draws_a_bar_on_stderr(
    server: BackendServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with BackendClient("127.0.0.1", server.port) as client:
        counts = client.run(BELL, 50, progress=True)
    captured = capsys.readouterr()
    assert sum(counts.values()) == 50 and captured.out == ""
    lines = captured.err.splitlines()
    assert any("1/1 circuit 100%  completed" in line for line in lines), captured.err
    assert lines[-1].startswith("job ") and lines[-1].endswith(": finished")


def test_backend_client_without_progress_prints_nothing(
    server: BackendServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with BackendClient("127.0.0.1", server.port) as client:
        client.run(BELL, 10)
    assert capsys.readouterr().err == ""


def test_thread_workers_write_progress_to_the_store(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'q.db'}")
    with JobEngine(store, process_workers=1, worker_mode="thread") as engine:
        spec = JobSpec(
            program="stepped", backend="ideal@aer", inputs=json.dumps({"steps": 2, "gates": str(tmp_path)})
        )
        job = engine.submit(spec)
        until(lambda: engine.get(job.id).status.value == "running")
        (tmp_path / "1").touch()
        until(lambda: (store.get_progress(job.id) or {}).get("done") == 1)
        (tmp_path / "2").touch()
        assert engine.wait(job.id, timeout=30).status.value == "completed"
        assert store.get_progress(job.id)["done"] == 2  # type: ignore[index]
    store.close()


# -- qhost watch against a real `qhost serve` -----------------------------------------------------


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``qhost serve`` in a subprocess with one worker process; yields its base URL."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data = tmp_path_factory.mktemp("serve")
    env = {**os.environ, "QHOST_PROCESS_WORKERS": "1", "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qhost", "serve", "--port", str(port), "--data-dir", str(data)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        until(lambda: _up(url, proc), timeout=60, every=0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _up(url: str, proc: subprocess.Popen[bytes]) -> bool:
    assert proc.poll() is None, "qhost serve exited"
    try:
        return requests.get(url + "/", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _sampler_job(url: str, pubs: int, shots: int) -> str:
    body = {"program_id": "sampler", "backend": "fake_manila@aer", "params": sampler_params(pubs, shots)}
    response = requests.post(f"{url}/api/v1/jobs", json=body, timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def _watch(url: str, job_id: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qhost", "watch", job_id, "--url", url, *extra],
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.slow
def test_watch_follows_a_sampler_job_to_completed_and_exits_0(serve: str) -> None:
    job_id = _sampler_job(serve, 4, 20_000)
    done = _watch(serve, job_id)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"job {job_id}: completed\n"
    assert "4/4 PUBs 100%  completed" in done.stderr


@pytest.mark.slow
def test_watch_exits_1_for_a_cancelled_job_and_2_for_an_unknown_one(serve: str) -> None:
    first = _sampler_job(serve, 4, 50_000)
    cancel = requests.post(f"{serve}/api/v1/jobs/{first}/cancel", timeout=10)
    assert cancel.status_code == 204, cancel.text
    cancelled = _watch(serve, first)
    assert cancelled.returncode == 1
    assert cancelled.stdout.startswith(f"job {first}: cancelled")
    unknown = _watch(serve, "0" * 32)
    assert unknown.returncode == 2 and "HTTP 404" in unknown.stderr and "not found" in unknown.stderr
