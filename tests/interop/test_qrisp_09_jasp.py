"""A Jasp VQE loop with ``@backend_sampler(backend=QrispBackend(...))`` converges on a real ``qhost serve``.

The program is ``qrisp09/jasp_vqe.py``, run in the Qrisp 0.9 venv (``scripts/interop_env.sh qrisp-0.9``);
every ``expectation_value`` call is one job on the server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

pytestmark = [pytest.mark.interop, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = Path(__file__).with_name("qrisp09") / "jasp_vqe.py"


@pytest.fixture(scope="module")
def qrisp_python() -> str:
    done = subprocess.run(
        [str(ROOT / "scripts" / "interop_env.sh"), "qrisp-0.9"], capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        pytest.fail(f"could not build the Qrisp 0.9 venv: {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``qhost serve`` (default backend ideal@aer, one warm worker process) on a free port."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data = tmp_path_factory.mktemp("jasp")
    env = {**os.environ, "QHOST_PROCESS_WORKERS": "1", "QHOST_EXECUTORS": "aer"}
    cmd = [sys.executable, "-m", "qhost", "serve", "--port", str(port), "--data-dir", str(data)]
    with open(data / "serve.log", "w") as log, subprocess.Popen(cmd, env=env, stdout=log, stderr=log) as proc:
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:  # until the port answers (or the server dies)
                assert proc.poll() is None, (data / "serve.log").read_text()
                try:
                    if requests.get(f"{url}/version", timeout=5).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                assert time.monotonic() < deadline, (data / "serve.log").read_text()
                time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            proc.wait(30)


def _jobs(url: str) -> int:
    answer = requests.get(f"{url}/api/v1/jobs", headers={"IBM-API-Version": "2026-04-15"}, timeout=30)
    answer.raise_for_status()
    return int(answer.json()["count"])


def test_jasp_vqe_with_backend_sampler_converges_on_qhost(qrisp_python: str, served: str) -> None:
    before = _jobs(served)
    port = served.rsplit(":", 1)[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [qrisp_python, str(PROGRAM), port, "15", "400"], capture_output=True, text=True, timeout=600, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    energies = out["energies"]
    assert energies[0] > -1.0  # it starts far from the ground energy -3 ...
    assert max(energies[-3:]) < -2.7  # ... and ends near it (400 shots: sd of E about 0.05)
    assert abs(out["theta"][1] - 3.1416) < 0.5
    assert _jobs(served) - before == out["calls"] + 1  # every expectation_value was one job on the server
