"""``GET /metrics`` parsed back with prometheus_client's parser and checked against the store."""

from __future__ import annotations

import json
from typing import Any

import pytest
from console_helpers import ALICE, counts_spec, gated_spec, owner_id, until
from prometheus_client.parser import text_string_to_metric_families

from qhost.jobs import JobSpec
from qhost.jobs.status import JobStatus

SECRET_INPUT = "secret-circuit-marker"


def _families(text: str) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def _samples(family: Any, name: str | None = None) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(s.labels.items())): s.value for s in family.samples if name is None or s.name == name
    }


@pytest.fixture
def known_jobs(app: Any) -> dict[str, Any]:
    """3 completed counts jobs (2 on ideal@aer, 1 on fake_manila@aer), 1 failed, 1 running, 1 cancelled."""
    engine = app.extensions["qhost"].engine
    done = [engine.wait(engine.submit(counts_spec()).id, 30) for _ in range(2)]
    done.append(engine.wait(engine.submit(counts_spec(backend="fake_manila@aer")).id, 30))
    failed = engine.wait(engine.submit(JobSpec(program="counts", inputs="{}", backend="ideal@ddsim")).id, 30)
    running = engine.submit(gated_spec())
    until(lambda: engine.get(running.id).status is JobStatus.RUNNING)
    cancelled = engine.submit(JobSpec(program="t_console_gated", inputs=SECRET_INPUT, backend="ideal@aer"))
    engine.cancel(cancelled.id)
    assert [j.status for j in done] == [JobStatus.COMPLETED] * 3 and failed.status is JobStatus.FAILED
    return {"done": done, "failed": failed, "running": running, "cancelled": cancelled}


def test_job_counts_match_the_store(app: Any, known_jobs: dict[str, Any]) -> None:
    families = _families(app.test_client().get("/metrics").text)
    jobs = _samples(families["qhost_jobs"])
    assert jobs == {
        (("backend", "ideal@aer"), ("executor", "aer"), ("state", "completed")): 2.0,
        (("backend", "fake_manila@aer"), ("executor", "aer"), ("state", "completed")): 1.0,
        (("backend", "ideal@ddsim"), ("executor", "ddsim"), ("state", "failed")): 1.0,
        (("backend", "ideal@aer"), ("executor", "aer"), ("state", "running")): 1.0,
        (("backend", "ideal@aer"), ("executor", "aer"), ("state", "cancelled")): 1.0,
    }
    finished = _samples(families["qhost_jobs_finished"], "qhost_jobs_finished_total")
    assert finished == {
        (("executor", "aer"), ("state", "cancelled")): 1.0,
        (("executor", "aer"), ("state", "completed")): 3.0,
        (("executor", "ddsim"), ("state", "failed")): 1.0,
    }


def test_histograms_are_computed_from_the_stored_times(app: Any, known_jobs: dict[str, Any]) -> None:
    families = _families(app.test_client().get("/metrics").text)
    started = [*known_jobs["done"], known_jobs["failed"]]
    by_executor: dict[str, list[Any]] = {"aer": known_jobs["done"], "ddsim": [known_jobs["failed"]]}
    runs = _samples(families["qhost_job_run_seconds"])
    for executor, jobs in by_executor.items():
        assert runs[(("executor", executor), ("le", "+Inf"))] == len(jobs)
    gsum = _samples(families["qhost_job_run_seconds_gsum"])[(("executor", "aer"),)]
    expected = sum((j.finished_at - j.started_at).total_seconds() for j in known_jobs["done"])
    assert gsum == pytest.approx(expected, abs=3e-3)  # SQLite times have millisecond resolution
    waits = _samples(families["qhost_job_queue_wait_seconds_gcount"])
    assert sum(waits.values()) == len(started)  # the cancelled job never started: no wait recorded
    aer = [s for s in families["qhost_job_run_seconds"].samples if s.labels["executor"] == "aer"]
    counts = [s.value for s in sorted(aer, key=lambda s: float(s.labels["le"]))]
    assert counts == sorted(counts) and counts[-1] == 3.0  # cumulative buckets ending at +Inf
    le_1 = _samples(families["qhost_job_run_seconds"])[(("executor", "aer"), ("le", "1.0"))]
    assert le_1 == sum(1 for j in known_jobs["done"] if (j.finished_at - j.started_at).total_seconds() <= 1)


def test_workers_http_requests_and_info(app: Any, known_jobs: dict[str, Any]) -> None:
    client = app.test_client()
    client.get("/console/workloads")
    client.get("/console/jobs/nope")
    client.get("/version")
    families = _families(client.get("/metrics").text)
    workers = _samples(families["qhost_workers"])
    assert (
        workers[(("kind", "local"), ("state", "busy"))] == 1.0
    )  # the gated job holds the one program worker
    requests = _samples(families["qhost_http_requests"], "qhost_http_requests_total")
    assert requests[(("door", "console"), ("status", "200"))] == 1.0
    assert requests[(("door", "console"), ("status", "404"))] == 1.0
    assert requests[(("door", "other"), ("status", "200"))] == 1.0
    info = families["qhost_info"].samples[0]
    assert info.value == 1.0 and {"version", "python", "qiskit", "qiskit_aer", "qiskit_ibm_runtime"} <= set(
        info.labels
    )


def test_metrics_leak_no_job_contents_ids_or_owners(make_app: Any) -> None:
    app = make_app(api_keys=(ALICE,))
    engine = app.extensions["qhost"].engine
    job = engine.wait(engine.submit(counts_spec(owner_id(app, ALICE))).id, 30)
    answer = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {ALICE}"})
    assert answer.status_code == 200, answer.text  # with keys on, a key opens /metrics
    text = answer.text
    for secret in (ALICE, job.id, job.spec.owner, json.loads(job.spec.inputs)["qasm"][:20], '"counts"'):
        assert secret not in text


def test_a_metrics_token_is_required_when_configured(make_app: Any) -> None:
    client = make_app(metrics_token="scrape-me").test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer ключ"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s"}).status_code == 401  # a prefix
    answer = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert answer.status_code == 200 and "qhost_info" in answer.text


def test_metrics_can_be_turned_off(make_app: Any) -> None:
    assert make_app(metrics_enabled=False).test_client().get("/metrics").status_code == 404


def test_histogram_window_is_bounded(app: Any) -> None:
    from qhost.server.metrics import StoreCollector

    store = app.extensions["qhost"].engine.store
    for _ in range(5):
        record, _ = store.insert_job(JobSpec(program="counts", inputs="{}", backend="a@aer"))
        store.claim_next(1)
        store.finish(record.id, JobStatus.COMPLETED, result="{}")
    collector = StoreCollector(app.extensions["qhost"].engine, window=3)
    runs = {m.name: m for m in collector.collect()}["qhost_job_run_seconds"]
    count = [s.value for s in runs.samples if s.labels.get("le") == "+Inf"]
    assert count == [3.0]
