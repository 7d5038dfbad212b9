"""``qhost worker --wait-for-services``: started before PostgreSQL, it retries (logged) and comes online."""

from __future__ import annotations

import subprocess
import time
from typing import Any

import pytest
from dist_helpers import QHOST, until, worker_env
from dist_services import Postgres

pytestmark = pytest.mark.slow


def test_worker_started_before_postgres_waits_then_serves(redis_url: str, tmp_path: Any) -> None:
    import redis
    from rq import Worker

    pg = Postgres()  # its port is chosen, nothing listens there yet
    log = tmp_path / "worker.log"
    cmd = [*QHOST, "worker", "--broker", redis_url, "--database-url", pg.url(), "--queue", "aer"]
    with log.open("w") as out:
        proc = subprocess.Popen([*cmd, "--wait-for-services", "120"], stderr=out, env=worker_env())
    try:
        until(lambda: "retrying in" in log.read_text(), 60, "a logged retry")
        assert "Cannot use the database postgresql+psycopg://postgres:***@127.0.0.1" in log.read_text()
        assert proc.poll() is None  # still waiting, not exited
        pg.start()
        conn = redis.Redis.from_url(redis_url)
        until(lambda: Worker.count(connection=conn) >= 1, 120, "the worker registered with RQ")
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        pg.close()
    started = time.monotonic()
    out = subprocess.run([*cmd, "--wait-for-services", "0"], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "Cannot use the database" in out.stderr  # 0: one try, exits at once
    assert time.monotonic() - started < 50
