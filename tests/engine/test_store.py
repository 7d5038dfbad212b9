"""SqlStore: ids, transitions enforced in SQL, claim order, idempotency, listing, schema extension."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from qhost.errors import InvalidJobTransition, JobNotFound
from qhost.jobs import ALLOWED, JobSpec, JobStatus
from qhost.store import SqlStore


def _insert(store: SqlStore, **fields: object) -> str:
    fields.setdefault("program", "t_echo")
    fields.setdefault("inputs", "1")
    record, _ = store.insert_job(JobSpec(**fields))  # type: ignore[arg-type]
    return record.id


def _force(store: SqlStore, job_id: str, status: JobStatus) -> None:
    with store.transaction() as conn:
        conn.execute(sa.update(store.jobs).where(store.jobs.c.id == job_id).values(status=status.value))


def test_insert_returns_queued_job_with_unguessable_id(store: SqlStore) -> None:
    record, created = store.insert_job(JobSpec(program="t_echo", inputs="{}", owner="alice", tags=("a",)))
    assert created and re.fullmatch(r"[0-9a-f]{32}", record.id)
    assert record.status is JobStatus.QUEUED and record.created_at.tzinfo is not None
    assert store.get(record.id) == record


def test_sqlite_file_uses_wal(store: SqlStore) -> None:
    with store.reading() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@pytest.mark.parametrize("old", list(JobStatus))
@pytest.mark.parametrize("new", list(JobStatus))
def test_transition_table_is_enforced_in_sql(store: SqlStore, old: JobStatus, new: JobStatus) -> None:
    job_id = _insert(store)
    _force(store, job_id, old)
    if new in ALLOWED[old]:
        store.set_status(job_id, new)
        assert store.get(job_id).status is new
    else:
        with pytest.raises(
            InvalidJobTransition, match=f"Cannot move job {job_id} to {new.value}: it is {old.value}"
        ):
            store.set_status(job_id, new)


def test_set_status_of_unknown_job_raises_not_found(store: SqlStore) -> None:
    with pytest.raises(JobNotFound, match="Job nope not found"):
        store.set_status("nope", JobStatus.CANCELLED)


def test_final_status_records_finished_at_and_error(store: SqlStore) -> None:
    job_id = _insert(store)
    store.set_status(job_id, JobStatus.FAILED, error="bad")
    record = store.get(job_id)
    assert record.error == "bad" and record.finished_at is not None


def test_finish_only_moves_running_jobs(store: SqlStore) -> None:
    job_id = _insert(store)
    assert not store.finish(job_id, JobStatus.COMPLETED, result="{}")
    store.claim_next(123)
    assert store.finish(job_id, JobStatus.COMPLETED, result="{}")
    assert store.get(job_id).result == "{}"


def test_claim_takes_oldest_first_and_records_pid(store: SqlStore) -> None:
    first, second = _insert(store), _insert(store)
    claimed = store.claim_next(4242)
    assert claimed is not None and claimed.id == first
    assert claimed.status is JobStatus.RUNNING and claimed.worker_pid == 4242 and claimed.started_at
    assert store.claim_next().id == second  # type: ignore[union-attr]
    assert store.claim_next() is None


def test_claim_skips_a_serial_key_with_a_running_job(store: SqlStore) -> None:
    a1, a2 = _insert(store, serial_key="s"), _insert(store, serial_key="s")
    other = _insert(store)
    assert store.claim_next().id == a1  # type: ignore[union-attr]
    assert store.claim_next().id == other  # type: ignore[union-attr]
    assert store.claim_next() is None
    store.finish(a1, JobStatus.COMPLETED, result="{}")
    assert store.claim_next().id == a2  # type: ignore[union-attr]


def test_claim_filters_by_program(store: SqlStore) -> None:
    _insert(store, program="run_func")
    other = _insert(store)
    assert store.claim_next(exclude_programs=("run_func",)).id == other  # type: ignore[union-attr]
    assert store.claim_next(programs=("t_echo",)) is None


def test_idempotency_key_returns_the_first_job_per_owner(store: SqlStore) -> None:
    first, created = store.insert_job(JobSpec(program="t_echo", inputs="1", owner="a", idempotency_key="k"))
    again, created_again = store.insert_job(
        JobSpec(program="t_echo", inputs="2", owner="a", idempotency_key="k")
    )
    other, _ = store.insert_job(JobSpec(program="t_echo", inputs="1", owner="b", idempotency_key="k"))
    assert created and not created_again and again.id == first.id and other.id != first.id


def test_insert_refuses_past_max_queued(store: SqlStore) -> None:
    _insert(store)
    _insert(store)
    with pytest.raises(OverflowError):
        store.insert_job(JobSpec(program="t_echo", inputs="1"), max_queued=2)


def test_get_with_another_owner_is_not_found(store: SqlStore) -> None:
    job_id = _insert(store, owner="alice")
    with pytest.raises(JobNotFound, match=job_id):
        store.get(job_id, owner="bob")


def test_list_filters_pages_and_counts(store: SqlStore) -> None:
    ids = [_insert(store, owner="a", backend="ideal@aer", tags=("x", f"n{i}")) for i in range(5)]
    _insert(store, owner="b", backend="ideal@aer", tags=("x",))
    _insert(store, owner="a", backend="fake_manila@aer", session_id="s1")
    page, total = store.list("a", backend="ideal@aer", tags=["x"], limit=2, offset=1)
    assert total == 5 and [r.id for r in page] == [ids[3], ids[2]]
    assert [r.id for r in store.list("a", tags=["x", "n0"])[0]] == [ids[0]]
    assert store.list("a", session_id="s1")[1] == 1
    assert store.list(statuses=[JobStatus.RUNNING])[1] == 0


def test_list_oldest_first_and_by_creation_time(store: SqlStore) -> None:
    first = _insert(store)
    _insert(store)
    assert store.list(descending=False, limit=1)[0][0].id == first
    future = datetime.now(UTC) + timedelta(hours=1)
    assert store.list(created_after=future)[1] == 0 and store.list(created_before=future)[1] == 2


def test_tags_filter_treats_like_wildcards_literally(store: SqlStore) -> None:
    _insert(store, tags=("a_b",))
    _insert(store, tags=("axb",))
    assert store.list(tags=["a_b"])[1] == 1


def test_set_tags_and_delete(store: SqlStore) -> None:
    job_id = _insert(store, tags=("old",))
    store.set_tags(job_id, ["new", "more"])
    assert store.get(job_id).spec.tags == ("new", "more")
    assert store.delete(job_id) and not store.delete(job_id)


def test_other_tables_can_join_the_same_database(store: SqlStore, db_url: str) -> None:
    table = store.define_table("sessions", sa.Column("id", sa.String(64), primary_key=True))
    assert store.define_table("sessions") is table and store.table("sessions") is table
    store.create_tables()
    assert sa.inspect(SqlStore(db_url).sql).has_table("sessions")
    assert {t.name for t in store.tables()} == {"jobs", "job_progress", "sessions"}


def test_a_table_is_seen_only_once_whole(store: SqlStore) -> None:
    """SQLAlchemy adds a ``Table`` to its ``MetaData`` before its columns: housekeeping on the dispatcher
    thread, reading tables while a door defines its own, must never meet a half-built one."""
    last = sa.Column("closed_at", sa.DateTime)
    during: list[tuple[bool, sa.Table | None, list[str]]] = []

    def attached(column: sa.Column[object], table: sa.Table) -> None:
        names = [t.name for t in store.tables()]
        during.append(("half" in store.metadata.tables, store.table("half"), names))

    sa.event.listen(last, "after_parent_attach", attached)
    table = store.define_table("half", sa.Column("id", sa.Integer, primary_key=True), last)
    assert during == [(True, None, ["jobs", "job_progress"])]
    assert store.table("half") is table and table in store.tables()


def test_jobs_survive_reopening_the_file(store: SqlStore, db_url: str) -> None:
    job_id = _insert(store, meta={"deployment": 7})
    reopened = SqlStore(db_url)
    assert reopened.get(job_id).spec.meta == {"deployment": 7}
    reopened.close()


def test_finish_record_returns_the_finished_job(store: SqlStore) -> None:
    job_id = _insert(store, owner="alice", tags=("t",))
    store.claim_next(7)
    done = store.finish_record(job_id, JobStatus.COMPLETED, result='{"n": 1}')
    assert done == store.get(job_id)
    assert done is not None and done.status is JobStatus.COMPLETED and done.result == '{"n": 1}'
    assert done.finished_at is not None and done.spec.tags == ("t",) and done.worker_pid == 7
    assert store.finish_record(job_id, JobStatus.FAILED, error="late") is None


@pytest.mark.parametrize("query", ["", "?timeout=10"], ids=["sqlite3-hot-path", "sqlalchemy-only"])
def test_hot_verbs_agree_with_and_without_the_sqlite3_path(tmp_path: Path, query: str) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'q.db'}{query}")
    try:
        spec = JobSpec(program="t_echo", inputs="1", owner="o", idempotency_key="k", meta={"m": 1})
        first, created = store.insert_job(spec, max_queued=2)
        again, created_again = store.insert_job(spec, max_queued=2)
        assert created and not created_again and again == first == store.get(first.id)
        serial = _insert(store, serial_key="s")
        with pytest.raises(OverflowError):
            store.insert_job(JobSpec(program="t_echo", inputs="2"), max_queued=2)
        claimed = store.claim_next(9, exclude_programs=("run_func",))
        assert claimed is not None and claimed.id == first.id and claimed.status is JobStatus.RUNNING
        assert store.claim_next(programs=("run_func",)) is None
        assert store.finish(first.id, JobStatus.COMPLETED, result="{}")
        assert store.get(first.id).result == "{}" and store.get(serial).status is JobStatus.QUEUED
    finally:
        store.close()


def test_take_result_returns_it_once(store: SqlStore) -> None:
    rec, _ = store.insert_job(JobSpec(program="counts", inputs="{}"))
    store.set_status(rec.id, JobStatus.RUNNING)
    store.finish(rec.id, JobStatus.COMPLETED, result='{"x": 1}')
    assert store.take_result(rec.id) == '{"x": 1}'
    assert store.take_result(rec.id) is None
    assert store.get(rec.id).result is None and store.get(rec.id).status is JobStatus.COMPLETED
