"""The ``qhost`` command: ``backends`` with CliRunner, ``serve`` as a real subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from qhost_testkit import assert_split, bell_split

from qhost.cli.main import main
from qhost.client.backend_client import BackendClient


def test_backends_lists_ideal_aer_as_available() -> None:
    result = CliRunner().invoke(main, ["backends", "--executors", "aer"])
    assert result.exit_code == 0
    line = next(row for row in result.output.splitlines() if row.startswith("ideal@aer "))
    assert line.split()[2:] == ["aer", "yes"]


def test_backends_lists_a_noisy_device_on_a_noise_free_executor_as_unavailable() -> None:
    pytest.importorskip("mqt.ddsim", reason="pip install -e '.[sims]'")
    result = CliRunner().invoke(main, ["backends", "--executors", "ddsim"])
    line = next(row for row in result.output.splitlines() if row.startswith("fake_manila@ddsim "))
    assert line.split()[2:4] == ["ddsim", "no:"] and "use 'ideal@ddsim'" in line


def test_backends_has_a_header() -> None:
    result = CliRunner().invoke(main, ["backends", "--executors", "aer"])
    assert result.output.splitlines()[0].split() == ["name", "qubits", "executor", "available"]


def test_serve_on_a_bad_port_exits_1_with_the_reason(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--port", "70000", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "Cannot listen on 127.0.0.1:70000" in result.output


def test_serve_help_names_the_environment_variables() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0 and "QRS_PORT" in result.output and "--api-key" in result.output


def _wait_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        try:
            return requests.get(url, timeout=2).json()  # type: ignore[no-any-return]
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.mark.slow
def test_serve_runs_jobs_and_stops_on_sigterm(free_port: int, tmp_path: Path, bell_qasm: str) -> None:
    env = {**os.environ, "QHOST_PROCESS_WORKERS": "1", "QRS_PORT": str(free_port)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qhost", "serve", "--data-dir", str(tmp_path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        status = _wait_up(f"http://127.0.0.1:{free_port}/", proc)
        counts = BackendClient("127.0.0.1", free_port).run(bell_qasm, 100)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        proc.stderr.close()  # type: ignore[union-attr]
    assert status["name"] == "qhost"
    assert_split(counts, bell_split())
    assert "qhost stopped" in stderr


def test_log_level_applies_to_qhost_while_libraries_stay_at_warning() -> None:
    import logging

    from qhost.cli.util import configure_logging

    loggers = [logging.getLogger(name) for name in ("", "qhost", "waitress")]
    saved = [logger.level for logger in loggers]
    ours = loggers[1]
    try:
        configure_logging("info")
        assert ours.isEnabledFor(logging.INFO)
        assert not logging.getLogger("qiskit.passmanager").isEnabledFor(logging.INFO)
        configure_logging("debug")
        assert logging.getLogger("qiskit.passmanager").isEnabledFor(logging.DEBUG)
    finally:
        for logger, level in zip(loggers, saved, strict=True):
            logger.setLevel(level)
