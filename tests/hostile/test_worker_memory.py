"""The memory floor: worker processes run under an address-space cap by default (``worker_memory_mb``).

A real ``BackendServer`` with its default settings and one warm worker process, on loopback: the worker's
``RLIMIT_AS`` is the automatic size; a job that allocates past it fails with "out of memory", its worker is
replaced, and the next job runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psutil
import pytest
import requests

from qhost.backend_server import BackendServer
from qhost.config import Settings
from qhost.engine.local.memory_floor import auto_worker_memory_mb, worker_memory_mb
from qhost.errors import ConfigurationError
from qhost.jobs.spec import JobSpec
from qhost.programs import register_program

from .conftest import BELL_QASM

# one registry for the whole run: tests/engine already has a t_hog
register_program("t_memory_hog", "tests.hostile.memory_programs:hog")
register_program("t_address_space", "tests.hostile.memory_programs:address_space_limit")


@pytest.fixture(scope="module")
def process_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    server = BackendServer(
        None, port=0, data_dir=tmp_path_factory.mktemp("memory"), process_workers=1, executors=("aer",)
    ).start()
    try:
        yield server
    finally:
        server.stop()


def _engine(server: BackendServer) -> Any:
    return server.app.extensions["qhost"].engine  # type: ignore[union-attr]


def _run(server: BackendServer, program: str, inputs: dict[str, Any]) -> tuple[str, Any]:
    """Submit ``program`` to the engine, then read the job over the Qrisp door: ``(state, document)``."""
    record = _engine(server).submit(JobSpec(program=program, inputs=json.dumps(inputs), backend=None))
    resp = requests.get(f"{server.url}/jobs/{record.id}?wait=120", timeout=150)
    doc = resp.json()
    return doc["state"], doc


def test_workers_run_under_the_automatic_cap_by_default(process_server: BackendServer) -> None:
    state, doc = _run(process_server, "t_address_space", {})
    assert state == "finished", doc.get("message")
    limit = doc["results"][0]["results"]
    expected = auto_worker_memory_mb(process_server.settings.process_workers) << 20
    assert limit.get("limit") == expected, limit


def test_a_job_past_the_cap_fails_out_of_memory_and_the_next_runs(process_server: BackendServer) -> None:
    cap_mib = auto_worker_memory_mb(process_server.settings.process_workers)
    state, doc = _run(process_server, "t_memory_hog", {"mib": cap_mib + 512})
    assert state == "failed", doc
    assert "out of memory" in doc["message"], doc
    resp = requests.post(
        f"{process_server.url}/jobs?wait=120",
        json={"programs": [{"quantumCircuit": BELL_QASM}], "shots": 400, "deviceName": "ideal@aer"},
        timeout=150,
    )
    counts = resp.json()["results"][0]["results"]
    assert set(counts) == {"00", "11"} and sum(counts.values()) == 400, counts
    assert min(counts.values()) > 120  # a fair coin: P(< 121 of 400) is about 1e-15
    hog_pid = _engine(process_server).get(doc["id"]).worker_pid
    next_pid = _engine(process_server).get(resp.json()["id"]).worker_pid
    assert hog_pid and next_pid and hog_pid != next_pid  # the worker retired; a fresh one ran the next job
    assert not psutil.pid_exists(hog_pid)


@pytest.mark.parametrize(
    ("raw", "expected"), [("auto", None), ("", None), ("off", 0), ("0", 0), ("4096", 4096), (" OFF ", 0)]
)
def test_the_setting_reads_auto_off_and_mib(raw: str, expected: int | None) -> None:
    assert Settings.from_env({"QHOST_WORKER_MEMORY_MB": raw}).worker_memory_mb == expected


@pytest.mark.parametrize("raw", ["-1", "lots"])
def test_the_setting_refuses_nonsense(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="worker_memory_mb"):
        Settings.from_env({"QHOST_WORKER_MEMORY_MB": raw})


def test_off_means_no_cap_and_auto_shares_the_machine() -> None:
    assert worker_memory_mb(0, 4) is None
    assert worker_memory_mb(2048, 4) == 2048
    assert worker_memory_mb(None, 1) == auto_worker_memory_mb(1) > auto_worker_memory_mb(4)


def test_qhost_worker_sizes_its_job_processes_the_same_way() -> None:
    from qhost.cli.worker import _memory_limit

    assert _memory_limit(None, 2) == auto_worker_memory_mb(2)  # default: auto over `-n` processes
    assert _memory_limit("off", 2) is None
    assert _memory_limit("3000", 2) == 3000
