"""Fixtures of the engine tests: real SQLite files under tmp_path, engines in thread and process mode.

``programs_for_tests`` lives beside this file; its directory goes on ``sys.path`` so that spawned worker
processes (which copy the parent's ``sys.path``) can import it too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from qhost.engine import JobEngine  # noqa: E402
from qhost.jobs import JobSpec  # noqa: E402
from qhost.programs import register_program  # noqa: E402
from qhost.store import SqlStore  # noqa: E402

TEST_PROGRAMS = (
    "boom crash echo frozen gated hog killed logged no_memory not_text pid sleepy user_error warm".split()
)
for _name in TEST_PROGRAMS:
    register_program(f"t_{_name}", f"programs_for_tests:{_name}")


def spec(program: str = "t_echo", inputs: str = "1", **fields: object) -> JobSpec:
    """A JobSpec for a test program (``t_`` prefix added when missing)."""
    name = program if program.startswith("t_") or program == "run_func" else f"t_{program}"
    return JobSpec(program=name, inputs=inputs, **fields)  # type: ignore[arg-type]


@pytest.fixture
def make_spec() -> Callable[..., JobSpec]:
    return spec


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'qhost.db'}"


@pytest.fixture
def store(db_url: str) -> Iterator[SqlStore]:
    s = SqlStore(db_url)
    yield s
    s.close()


def _counts_run_func(qasm: str, shots: int | None, token: str) -> dict[str, int]:
    if qasm == "bad-type":
        return ["00"]  # type: ignore[return-value]
    if qasm == "bad-value":
        return {"00": "many"}  # type: ignore[dict-item]
    return {"00": (shots or 100) // 2, "11": (shots or 100) // 2}


@pytest.fixture
def engine(store: SqlStore) -> Iterator[JobEngine]:
    """A started thread-mode engine (2 program threads, 2 run_func threads)."""
    eng = JobEngine(
        store, process_workers=2, thread_workers=2, worker_mode="thread", run_func=_counts_run_func
    )
    eng.start()
    yield eng
    eng.stop(timeout=2.0)


@pytest.fixture
def proc_engine(store: SqlStore) -> Iterator[JobEngine]:
    """A started process-mode engine with one worker that skips the simulator warm-up."""
    eng = JobEngine(store, process_workers=1, thread_workers=1, warm_modules=())
    eng.start()
    yield eng
    eng.stop(timeout=2.0)
