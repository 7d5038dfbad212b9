"""A ``qhost worker`` registers with RQ (takes jobs, shows as online) only once its child is warm."""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path

import pytest
from dist_helpers import until

from qhost.engine.distributed.worker import WorkerConfig, worker_process

pytestmark = pytest.mark.slow


def test_worker_registers_only_after_its_child_warmed_up(
    redis_url: str, database_url: str, tmp_path: Path
) -> None:
    import redis
    from rq import Worker

    marker = tmp_path / "warm"
    cfg = WorkerConfig(
        redis_url,
        database_url,
        ("aer",),
        heartbeat_s=0.5,
        warm_modules=("dist_slow_warm",),
        log_level="WARNING",
        extra_env={"QHOST_TEST_WARM_MARKER": str(marker), "QHOST_TEST_WARM_S": "3"},
    )
    proc = multiprocessing.get_context("spawn").Process(target=worker_process, args=(cfg,))
    proc.start()
    conn = redis.Redis.from_url(redis_url)
    try:
        until(marker.exists, 60, "the child to start its warm-up")

        def warm_when_online() -> list[str] | None:
            if not Worker.all(connection=conn):
                return None
            return marker.read_text().split()

        seen = until(warm_when_online, 60, "the worker to register with RQ")
        assert seen == ["start", "done"]  # it was not online while its child was still importing
    finally:
        if proc.pid is not None and proc.is_alive():
            os.kill(proc.pid, signal.SIGTERM)  # RQ's warm shutdown (or, still warming: the default)
        proc.join(20)
        if proc.is_alive():
            proc.kill()
            proc.join(5)
        conn.close()
