"""Fixtures of the distributed-mode tests: a real Redis and a real PostgreSQL, workers as processes.

A test that needs a service this machine lacks is skipped with the reason (the services' ``start()`` skips;
tests that need neither, such as configuration checks, run everywhere); CI installs both (``.ci/run``).
Every process a test starts is stopped by PID when the test ends.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from dist_helpers import Procs  # noqa: E402
from dist_services import Postgres, Redis  # noqa: E402


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


@pytest.fixture
def engine(redis_url: str, database_url: str, sleep_program: None) -> Iterator[object]:
    """A distributed engine in this process (as ``qhost serve --broker`` builds one), started."""
    from qhost.engine.distributed.engine import RqJobEngine
    from qhost.store import SqlStore

    eng = RqJobEngine(SqlStore(database_url), redis_url, lost_after_s=3.0, reconcile_every_s=0.5)
    eng.start()
    yield eng
    eng.stop()
    eng.store.close()
