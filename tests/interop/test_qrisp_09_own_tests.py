"""Qrisp's own interface tests (eclipse-qrisp/Qrisp, tag ``0.9``, commit 4156c9a2) with ``QrispBackend``.

``test_batched_backend.py`` takes a backend (``QrispSimulatorBackend()``, Qrisp's simulator): the plugin
``qrisp09/qhost_backend_plugin.py`` replaces it with ``QrispBackend`` on a real qhost server, so those tests
run every circuit on the server. ``test_backend.py`` and ``test_job.py`` build their own test backends (a
seeded fake ``BackendTest``, ``MinimalBackend``, ``DummyBackend``) to check the ``Backend``/``Job`` base
classes; no backend can be passed in, so they run as they are, against the Qrisp (0.9.10) whose contract
``QrispBackend`` implements.

Qrisp's test files are not part of this repository (nor of Qrisp's sdist): point ``QHOST_QRISP_TESTS`` at a
checkout's ``tests/interface_tests`` (``git clone https://github.com/eclipse-qrisp/Qrisp && git -C Qrisp
checkout 0.9``); without it the test is skipped. The runner venv: ``scripts/interop_env.sh qrisp-0.9-tests``.
"""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from qhost.backend_server import BackendServer
from qhost.jobs.status import JobStatus

pytestmark = [pytest.mark.interop, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("test_batched_backend.py", "test_backend.py", "test_job.py")
FAST = {"worker_mode": "thread", "process_workers": 1, "thread_workers": 4}


@pytest.fixture(scope="module")
def qrisp_tests() -> Path:
    where = os.environ.get("QHOST_QRISP_TESTS", "")
    if not where:
        pytest.skip(
            "QHOST_QRISP_TESTS is not set: point it at eclipse-qrisp/Qrisp's tests/interface_tests (tag 0.9)"
        )
    path = Path(where)
    missing = [name for name in (*MODULES, "conftest.py") if not (path / name).is_file()]
    if missing:
        pytest.fail(f"QHOST_QRISP_TESTS={where} lacks {missing}")
    return path


@pytest.fixture(scope="module")
def runner() -> str:
    done = subprocess.run(
        [str(ROOT / "scripts" / "interop_env.sh"), "qrisp-0.9-tests"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        pytest.fail(f"could not build the Qrisp 0.9 test venv: {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def test_qrisps_interface_tests_pass_with_qrisp_backend_on_qhost(
    qrisp_tests: Path, runner: str, tmp_path: Path
) -> None:
    report = tmp_path / "junit.xml"
    with BackendServer(port=0, **FAST) as server:
        assert server.app is not None
        store = server.app.extensions["qhost"].engine.store
        env = {
            **os.environ,
            "QHOST_QRISP_PORT": str(server.port),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(Path(__file__).with_name("qrisp09"))]),
        }
        done = subprocess.run(
            [runner, "-m", "pytest", "-p", "qhost_backend_plugin", "-p", "no:cacheprovider", "-q"]
            + [f"--junitxml={report}", *MODULES],
            cwd=qrisp_tests,
            capture_output=True,
            text=True,
            timeout=900,
            env=env,
        )
        jobs = store.count(list(JobStatus))
    assert done.returncode == 0, done.stdout[-4000:]
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    counts = {key: int(suite.get(key, "0")) for key in ("tests", "failures", "errors", "skipped")}
    assert counts["failures"] == counts["errors"] == counts["skipped"] == 0, counts
    assert counts["tests"] >= 200, counts  # 39 + 106 + 64 at tag 0.9
    assert jobs >= 15  # the batched-backend tests ran their circuits on the server
