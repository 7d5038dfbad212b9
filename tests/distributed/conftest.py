"""Fixtures of the distributed-mode tests: a real Redis and a real PostgreSQL, workers as processes.

Skipped (with the reason) only when ``redis-server`` or PostgreSQL is not installed; CI installs both
(``.ci/run``). Every process a test starts is stopped by PID when the test ends.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from dist_services import Postgres, Redis, missing_binaries  # noqa: E402

QHOST = [sys.executable, "-m", "qhost"]

_MISSING = missing_binaries()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip this directory's tests, with the reason, where redis-server or PostgreSQL is not installed."""
    if _MISSING is None:
        return
    skip = pytest.mark.skip(reason=f"distributed-mode tests need real services: {_MISSING}")
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    pg = Postgres().start()
    yield pg
    pg.close()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Redis]:
    server = Redis().start()
    yield server
    server.close()


@pytest.fixture
def redis_url(redis_server: Redis) -> str:
    import redis

    redis.Redis.from_url(redis_server.url).flushall()
    return redis_server.url


@pytest.fixture
def database_url(postgres: Postgres) -> str:
    return postgres.new_database()


def worker_env() -> dict[str, str]:
    """Environment of worker (and server) processes: the test program ``sleep`` importable."""
    path = os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return dict(os.environ, PYTHONPATH=path, QHOST_PROGRAMS="sleep=dist_progs:sleep,env=dist_progs:env")


class Procs:
    """Processes a test started; each is stopped by PID at the end (SIGTERM, then SIGKILL)."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([*QHOST, *args], env=env or worker_env(), start_new_session=True)
        self.started.append(proc)
        return proc

    def worker(self, broker: str, db: str, *extra: str) -> subprocess.Popen[bytes]:
        return self.start("worker", "--broker", broker, "--database-url", db, "--heartbeat", "0.5", *extra)

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.started:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


@pytest.fixture
def procs() -> Iterator[Procs]:
    p = Procs()
    yield p
    p.stop_all()


@pytest.fixture
def sleep_program() -> Iterator[None]:
    from qhost.programs import PROGRAMS, register_program

    register_program("sleep", "dist_progs:sleep")
    yield
    PROGRAMS.pop("sleep", None)


def sleep_inputs(marker: Path, tag: str, seconds: float) -> str:
    return json.dumps({"marker": str(marker), "tag": tag, "seconds": seconds})


def runs(marker: Path) -> list[tuple[str, int]]:
    """``(tag, pid)`` of every run the marker file recorded."""
    if not marker.exists():
        return []
    return [(t, int(p)) for t, p in (line.split() for line in marker.read_text().splitlines())]


def until(check: Callable[[], object], timeout: float, what: str) -> object:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def engine(redis_url: str, database_url: str, sleep_program: None) -> Iterator[object]:
    """A distributed engine in this process (as ``qhost serve --broker`` builds one), started."""
    from qhost.engine import SqlStore
    from qhost.engine.rq_engine import RqJobEngine

    eng = RqJobEngine(SqlStore(database_url), redis_url, lost_after_s=3.0, reconcile_every_s=0.5)
    eng.start()
    yield eng
    eng.stop()
    eng.store.close()
