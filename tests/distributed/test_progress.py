"""Progress in distributed mode: a ``qhost worker`` (RQ) process writes its job's progress to PostgreSQL."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from dist_helpers import Procs, until, worker_env

from qhost.engine.progress_view import job_progress
from qhost.jobs import JobSpec

PROGRESS_TESTS = Path(__file__).resolve().parents[1] / "progress"

pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    env = worker_env()
    env["PYTHONPATH"] = os.pathsep.join([str(PROGRESS_TESTS), env["PYTHONPATH"]])
    env["QHOST_PROGRAMS"] += ",stepped=progress_programs:stepped"
    return env


def test_an_rq_worker_reports_progress_to_postgres(
    engine: Any, redis_url: str, database_url: str, tmp_path: Path
) -> None:
    from qhost.programs import PROGRAMS, register_program

    before = PROGRAMS.get("stepped")
    register_program("stepped", "progress_programs:stepped")
    procs = Procs()
    try:
        worker = ("worker", "--broker", redis_url, "--database-url", database_url, "--queue", "aer")
        procs.start(
            *worker, "--heartbeat", "0.5", env=_env()
        )  # the engine fixture calls a job lost after 3 s
        spec = JobSpec(
            program="stepped", backend="ideal@aer", inputs=json.dumps({"steps": 2, "gates": str(tmp_path)})
        )
        job = engine.submit(spec)
        until(lambda: engine.get(job.id).status.value == "running", 60, "the job to start")
        (tmp_path / "1").touch()
        until(lambda: (engine.store.get_progress(job.id) or {}).get("done") == 1, 30, "progress 1/2")
        view = job_progress(engine.store, engine.get(job.id))
        assert view is not None and (view["done"], view["total"], view["unit"]) == (1, 2, "pubs")
        (tmp_path / "2").touch()
        assert engine.wait(job.id, timeout=60).status.value == "completed"
        assert engine.store.get_progress(job.id)["done"] == 2
        assert engine.store.sql.dialect.name == "postgresql"
    finally:
        procs.stop_all()
        if before is None:
            PROGRAMS.pop("stepped", None)
