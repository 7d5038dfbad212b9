"""``GET /metrics``: Prometheus text format, computed from the store at scrape time.

Job figures come from the store (one ``GROUP BY`` per scrape), so they are right whichever process or
machine ran the jobs; queue-wait and run-time histograms are computed from the stored timestamps of the
finished jobs among the ``WINDOW_JOBS`` most recently submitted (a *gauge histogram*: it describes that
window and can go down, so use ``histogram_quantile`` on the buckets without ``rate``). A finished job's
times never change, so each process reads them once and keeps them while the job is in the window.
Worker gauges come from ``engine.worker_snapshots()``; HTTP request counts are counted by this process in
an ``after_request`` hook. Nothing exposes job contents, owners or keys.

Metrics (labels in brackets):

- ``qhost_jobs`` [state, backend, executor]: jobs in the store now.
- ``qhost_jobs_finished_total`` [state, executor]: jobs in the store that ended (completed, failed,
  cancelled); it drops when jobs are deleted.
- ``qhost_job_queue_wait_seconds`` [executor]: gauge histogram, created -> started.
- ``qhost_job_run_seconds`` [executor]: gauge histogram, started -> finished.
- ``qhost_workers`` [kind, state]: workers by kind (local, rq) and state (idle, busy …).
- ``qhost_worker_jobs_done_total`` [worker, kind]: jobs each worker finished since it started.
- ``qhost_http_requests_total`` [door, status]: HTTP requests this process answered.
- ``qhost_info`` [version, python, qiskit, qiskit_aer, qiskit_ibm_runtime]: constant 1.
- ``qhost_scrape_duration_seconds``: time the store queries of this scrape took.

``backend`` is the virtual backend (``fake_manila@aer``; empty for ``run_func`` jobs), ``executor`` its part
after ``@`` (``run_func`` for jobs of the user callable). ``door`` is ``qrisp``, ``ibm_runtime``,
``ibm_iam``, ``console``, ``docs``, ``metrics`` or ``other``.
"""

from __future__ import annotations

import bisect
import itertools
import platform
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
)
from prometheus_client.registry import Collector

from qhost.doorway.keys import key_matches
from qhost.jobs.status import FINAL
from qhost.store.listing import counts_by_status_backend, ensure_read_indexes, finished_window

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from qhost.store.sql_store import SqlStore

__all__ = ["BUCKETS", "WINDOW_JOBS", "StoreCollector", "executor_of", "metrics_bp", "register_metrics"]

WINDOW_JOBS = 5_000
"""The histograms cover the finished jobs among this many most recently submitted ones."""
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
"""Histogram bucket bounds in seconds (``+Inf`` added)."""
_DOORS = {
    "qrisp": "qrisp",
    "ibm_runtime": "ibm_runtime",
    "ibm_runtime_experimental": "ibm_runtime",
    "ibm_iam": "ibm_iam",
    "console": "console",
    "openapi": "docs",
    "metrics": "metrics",
}
_EXTENSION = "qhost_metrics"

metrics_bp = Blueprint("metrics", __name__)


def executor_of(backend: str | None) -> str:
    """The ``executor`` label of a job's backend (``run_func`` for jobs without one)."""
    return backend.partition("@")[2] if backend else "run_func"


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for label, dist in (("version", "qhost"), ("qiskit", "qiskit"), ("qiskit_aer", "qiskit-aer"),
                        ("qiskit_ibm_runtime", "qiskit-ibm-runtime")):  # fmt: skip
        try:
            out[label] = version(dist)
        except PackageNotFoundError:
            out[label] = "unknown"
    return out


class StoreCollector(Collector):
    """Builds the job, histogram, worker and info metrics from the store at each scrape."""

    def __init__(self, engine: Any, window: int = WINDOW_JOBS) -> None:
        self.engine = engine
        self.window = window
        self.versions = _versions()
        self._durations = _Durations()

    def collect(self) -> Iterator[Metric]:
        start = time.perf_counter()
        store: SqlStore = self.engine.store
        yield from self._job_counts(store)
        yield from self._histograms(store)
        yield from self._workers()
        info = InfoMetricFamily("qhost", "qhost and library versions")
        info.add_metric([], self.versions)
        yield info
        took = GaugeMetricFamily("qhost_scrape_duration_seconds", "Seconds this scrape's store queries took")
        took.add_metric([], time.perf_counter() - start)
        yield took

    def _job_counts(self, store: SqlStore) -> Iterator[Metric]:
        rows = counts_by_status_backend(store)
        jobs = GaugeMetricFamily("qhost_jobs", "Jobs in the store", labels=["state", "backend", "executor"])
        finished: dict[tuple[str, str], int] = defaultdict(int)
        for status, backend, n in rows:
            jobs.add_metric([status, backend or "", executor_of(backend)], n)
            if status in FINAL:
                finished[(status, executor_of(backend))] += n
        yield jobs
        done = CounterMetricFamily(
            "qhost_jobs_finished",
            "Jobs in the store that ended, by final state",
            labels=["state", "executor"],
        )
        for (status, executor), n in sorted(finished.items()):
            done.add_metric([status, executor], n)
        yield done

    def _histograms(self, store: SqlStore) -> Iterator[Metric]:
        waits: _Buckets = {}
        runs: _Buckets = {}
        for executor, wait, run in self._durations.window(store, self.window):
            _add(waits, executor, wait)
            if run is not None:
                _add(runs, executor, run)
        window = f" (finished jobs among the {self.window} most recently submitted)"
        yield _gauge_histogram(
            "qhost_job_queue_wait_seconds", "Seconds from submission to start" + window, waits
        )
        yield _gauge_histogram("qhost_job_run_seconds", "Seconds from start to end" + window, runs)

    def _workers(self) -> Iterator[Metric]:
        snapshots = getattr(self.engine, "worker_snapshots", None)
        rows = snapshots() if snapshots is not None else []
        states: dict[tuple[str, str], int] = defaultdict(int)
        done = CounterMetricFamily(
            "qhost_worker_jobs_done", "Jobs a worker finished", labels=["worker", "kind"]
        )
        for w in rows:
            states[(str(w.get("kind")), str(w.get("state")))] += 1
            done.add_metric([str(w.get("id")), str(w.get("kind"))], int(w.get("jobs_done") or 0))
        gauge = GaugeMetricFamily("qhost_workers", "Workers by kind and state", labels=["kind", "state"])
        for (kind, state), n in sorted(states.items()):
            gauge.add_metric([kind, state], n)
        yield gauge
        yield done


_Buckets = dict[str, tuple[list[float], float]]
"""Per executor: the count in each ``BUCKETS`` bin (then above the last), and the sum of the values."""

_Duration = tuple[str, float, "float | None"]
"""``(executor, queue wait, run time)`` of a finished job that started (run time None if it never ended)."""


class _Durations:
    """Durations of finished jobs by ``(seq, id)``: they never change, so each is read from the store once."""

    def __init__(self) -> None:
        self._known: dict[tuple[int, str], _Duration | None] = {}
        self._lock = threading.Lock()

    def window(self, store: SqlStore, size: int) -> list[_Duration]:
        """The durations of the finished jobs among the ``size`` newest (by submission)."""

        def missing(keys: list[tuple[int, str]]) -> list[int]:
            with self._lock:
                return [seq for seq, job_id in keys if (seq, job_id) not in self._known]

        low, keys, times = finished_window(store, size, missing)
        fresh = {key: _duration(*values) for key, values in times.items()}
        with self._lock:
            self._known.update(fresh)
            for key in [k for k in self._known if k[0] <= low]:
                del self._known[key]
            return [d for d in (self._known.get(k) for k in keys) if d is not None]


def _duration(
    backend: str | None, created: str, started: str | None, finished: str | None
) -> _Duration | None:
    if started is None:
        return None
    began = datetime.fromisoformat(started)
    wait = (began - datetime.fromisoformat(created)).total_seconds()
    run = (datetime.fromisoformat(finished) - began).total_seconds() if finished else None
    return executor_of(backend), max(0.0, wait), None if run is None else max(0.0, run)


def _add(target: _Buckets, executor: str, value: float) -> None:
    """Count ``value`` in its own bucket (``_gauge_histogram`` makes the counts cumulative)."""
    counts, total = target.get(executor) or ([0.0] * (len(BUCKETS) + 1), 0.0)
    counts[bisect.bisect_left(BUCKETS, value)] += 1
    target[executor] = (counts, total + value)


def _gauge_histogram(name: str, doc: str, samples: _Buckets) -> Metric:
    family = GaugeHistogramMetricFamily(name, doc, labels=["executor"])
    bounds = [_bound(b) for b in BUCKETS] + ["+Inf"]
    for executor, (counts, total) in sorted(samples.items()):
        cumulative = list(itertools.accumulate(counts))
        family.add_metric([executor], list(zip(bounds, cumulative, strict=True)), total)
    return family


def _bound(value: float) -> str:
    return repr(value) if not value.is_integer() else f"{value:.1f}"


class _State:
    def __init__(self, engine: Any, token: str | None) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(StoreCollector(engine))
        self.requests = Counter(
            "qhost_http_requests", "HTTP requests answered, by door and status", ["door", "status"],
            registry=self.registry,
        )  # fmt: skip
        self.token = token


def register_metrics(app: Flask) -> None:
    """Serve ``GET /metrics`` and count requests (nothing when ``settings.metrics_enabled`` is off)."""
    ctx = app.extensions["qhost"]
    if not ctx.settings.metrics_enabled:
        return
    ensure_read_indexes(ctx.engine.store)  # (status, backend): the per-scrape GROUP BY reads the index only
    app.extensions[_EXTENSION] = _State(ctx.engine, ctx.settings.metrics_token)
    app.after_request(_count_request)
    app.register_blueprint(metrics_bp)


def _count_request(response: Response) -> Response:
    state: _State = current_app.extensions[_EXTENSION]
    door = _DOORS.get(request.blueprint or "", "other")
    state.requests.labels(door, str(response.status_code)).inc()
    return response


@metrics_bp.get("/metrics")
def scrape() -> Response | tuple[Response, int]:
    state: _State = current_app.extensions[_EXTENSION]
    ctx = current_app.extensions["qhost"]
    if state.token is not None or ctx.settings.auth_enabled:  # open only with no keys and no token
        scheme, _, credential = (request.headers.get("Authorization") or "").partition(" ")
        credential = credential.strip() if scheme.lower() in ("bearer", "apikey") else ""
        token_ok = state.token is not None and key_matches(credential, (state.token,))
        if not token_ok and ctx.keys.owner(credential) is None:
            message = "GET /metrics needs 'Authorization: Bearer <token>': the server's --metrics-token" + (
                " or one of its API keys" if ctx.settings.auth_enabled else ""
            )
            return jsonify({"error": "unauthorized", "message": message}), 401
    return Response(generate_latest(state.registry), mimetype=CONTENT_TYPE_LATEST)
