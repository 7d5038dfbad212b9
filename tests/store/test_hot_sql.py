"""The hot SQL exists once: the SQLite fast path runs ``schema.Statements`` compiled, with the same answers
as SQLAlchemy on every verb and filter (a real SQLite file each; ``?timeout=10`` keeps a store off the fast
path)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qhost.jobs import JobSpec, JobStatus
from qhost.store import SqlStore
from qhost.store.sqlite_fast import SqliteText

PATHS = pytest.mark.parametrize("query", ["", "?timeout=10"], ids=["sqlite3-hot-path", "sqlalchemy-only"])


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[dict[str, SqlStore]]:
    made = {
        q: SqlStore(f"sqlite:///{tmp_path / ('fast' if not q else 'alchemy')}.db{q}")
        for q in ("", "?timeout=10")
    }
    yield made
    for store in made.values():
        store.close()


def _fill(store: SqlStore) -> None:
    """The same jobs on every store: two backends, three programs, a serial key, one running."""
    for program, backend, key in [
        ("counts", "a@aer", None), ("sampler", "b@aer", None), ("counts", "b@aer", "s"),
        ("counts", "b@aer", "s"), ("estimator", None, None),
    ]:  # fmt: skip
        store.insert_job(JobSpec(program=program, inputs="{}", backend=backend, serial_key=key))
    store.claim_next(1, programs=("counts",))
    store.set_progress(store.list(descending=False)[0][0].id, 2, 5, "shots")


def test_the_paths_are_the_ones_named(stores: dict[str, SqlStore]) -> None:
    assert stores[""]._fast is not None and stores["?timeout=10"]._fast is None


@pytest.mark.parametrize(
    ("statuses", "backend", "expected"),
    [
        ((JobStatus.QUEUED,), None, 4),
        ((JobStatus.QUEUED, JobStatus.RUNNING), "b@aer", 3),
        ((JobStatus.QUEUED, JobStatus.RUNNING), "a@aer", 1),
        ((JobStatus.COMPLETED,), "b@aer", 0),
    ],
)
def test_count_agrees_with_and_without_a_backend(
    stores: dict[str, SqlStore], statuses: tuple[JobStatus, ...], backend: str | None, expected: int
) -> None:
    for store in stores.values():
        _fill(store)
    assert [store.count(statuses, backend) for store in stores.values()] == [expected, expected]


def test_claim_filters_and_serial_keys_agree(stores: dict[str, SqlStore]) -> None:
    order: dict[str, list[tuple[str, str | None]]] = {}
    for q, store in stores.items():
        _fill(store)
        got = []
        for programs, exclude in [(("sampler",), None), (None, ("counts", "sampler")), (("counts",), None),
                                  (("counts",), None), (None, None)]:  # fmt: skip
            rec = store.claim_next(2, programs=programs, exclude_programs=exclude)
            got.append((rec.spec.program, rec.spec.serial_key) if rec else ("-", None))
        order[q] = got
    # the second "s" job waits for the first (serial key), so the last claims find nothing runnable
    assert (
        order[""]
        == order["?timeout=10"]
        == [("sampler", None), ("estimator", None), ("counts", "s"), ("-", None), ("-", None)]
    )


def test_progress_and_finish_agree(stores: dict[str, SqlStore]) -> None:
    seen = []
    for store in stores.values():
        _fill(store)
        running = store.list(statuses=[JobStatus.RUNNING])[0][0]
        progress = store.get_progress(running.id)
        done = store.finish_record(running.id, JobStatus.FAILED, error="boom")
        assert done is not None and progress is not None
        seen.append(({k: v for k, v in progress.items() if k != "updated_at"}, done.status, done.error))
    assert seen[0] == seen[1] == ({"done": 2, "total": 5, "unit": "shots"}, JobStatus.FAILED, "boom")


def test_fast_sql_is_compiled_from_the_statements(stores: dict[str, SqlStore]) -> None:
    fast = stores[""]._fast
    assert fast is not None
    claim = SqliteText(stores[""]._stmt.claim)
    assert fast._sql.claim.sql == claim.sql and "RETURNING" in claim.sql
    assert claim.consts == {"status": "running", "status_1": "queued", "status_2": "running"}
