"""Fixtures of the Qrisp door tests: apps on real engines (thread workers) and real SQLite under tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from qhost.config import Settings
from qhost.engine import JobEngine
from qhost.server.app import create_app
from qhost.store import SqlStore

BELL_QASM = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c0[1];
creg c1[1];
h q[0];
cx q[0],q[1];
measure q[0] -> c0[0];
measure q[1] -> c1[0];
"""


def _fixed(qasm: str, shots: int | None, token: str) -> dict[str, int]:
    """A deterministic run_func: half ``00``, half ``1 1`` (a spaced key, as Qiskit gives for two cregs)."""
    n = shots or 100
    return {"00": n // 2, "1 1": n - n // 2}


def _failing(qasm: str, shots: int | None, token: str) -> dict[str, int]:
    raise RuntimeError("detector on fire")


def _token_echo(qasm: str, shots: int | None, token: str) -> dict[str, int]:
    return {token or "empty": 1}


@pytest.fixture
def bell_qasm() -> str:
    return BELL_QASM


@pytest.fixture
def fixed_run_func() -> Any:
    return _fixed


@pytest.fixture
def failing_run_func() -> Any:
    return _failing


@pytest.fixture
def token_echo_run_func() -> Any:
    return _token_echo


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings().replace(
        data_dir=tmp_path,
        worker_mode="thread",
        process_workers=1,
        thread_workers=2,
        max_shots=10_000,
        max_body_bytes=64 * 1024,
    )


@pytest.fixture
def make_app(settings: Settings) -> Iterator[Callable[..., Flask]]:
    """``make_app(run_func=None, **setting_overrides)``: an app on a fresh engine (stopped at teardown)."""
    apps: list[Flask] = []

    def make(run_func: Any = None, **overrides: Any) -> Flask:
        s = settings.replace(**overrides)
        engine = JobEngine(
            SqlStore(s.store_url),
            process_workers=1,
            thread_workers=2,
            run_func=run_func,
            worker_mode="thread",
        )
        app = create_app(s, engine=engine, test_config={"TESTING": True})
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["qhost"].close()


@pytest.fixture
def client(make_app: Callable[..., Flask]) -> FlaskClient:
    return make_app(_fixed).test_client()


@pytest.fixture
def run_job() -> Callable[..., tuple[int, dict[str, Any]]]:
    return _run_job


def _run_job(
    client: FlaskClient,
    body: dict[str, Any] | None = None,
    qasm: str = BELL_QASM,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Deploy ``qasm``, submit a job with ``body`` merged in, long-poll it; returns (status, JSON)."""
    deployment = client.post("/deployments", json={"programs": [{"quantumCircuit": qasm}]}, headers=headers)
    assert deployment.status_code == 201, deployment.json
    job_body = {"deploymentId": deployment.json["id"], "shots": 100, "token": "", **(body or {})}
    job = client.post("/jobs", json=job_body, headers=headers)
    assert job.status_code == 201, job.json
    answer = client.get(f"/jobs/{job.json['id']}/?wait=20", json=job_body, headers=headers)
    return answer.status_code, answer.json
