"""``RqJobEngine``: the ``JobEngine`` API, with program jobs dispatched through RQ to ``qhost worker``s.

The front doors see the same engine: ``submit`` writes the job to SQL (QUEUED) and then puts its id on
the RQ queue of its backend's executor; ``qhost worker`` processes on any machine claim it in SQL, run it
and write the outcome to SQL. ``run_func`` jobs (a Python callable of this process) still run in this
process's bounded thread pool. Housekeeping (``reconcile``, at start and every few seconds) keeps Redis
and SQL in step:

- RQ's ``StartedJobRegistry.cleanup()`` per queue (RQ only notices abandoned jobs when someone calls it);
- a RUNNING job whose worker stopped sending heartbeats for ``lost_after_s`` seconds, or that RQ reports
  failed/stopped/abandoned, ends FAILED with the reason ("worker lost: …"); it is never re-run;
- a QUEUED job that is claimable but on no RQ queue (Redis lost it: the last second before a crash with
  ``appendfsync everysec``, or a wiped Redis) is enqueued again; a duplicate is harmless, since only the
  worker whose SQL claim succeeds runs it.

Jobs of one serial key (a dedicated session) are enqueued one at a time: only the key's *head* goes to
Redis, and the next head when a worker announces the end of the previous one (``DONE_CHANNEL``, which
also wakes ``wait()`` at once).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from rq import Queue
from rq.command import send_stop_job_command
from rq.job import Job
from rq.job import JobStatus as RqStatus
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer

from qhost.engine.distributed.common import (
    DONE_CHANNEL,
    SERVER_KEY,
    SafeJob,
    connect_broker,
    enqueue,
    make_queue,
    queue_name,
    redact_url,
    software_versions,
)
from qhost.engine.distributed.status import (
    queue_report,
    responsive_workers,
    rq_worker_snapshots,
    version_mismatches,
)
from qhost.engine.engine import JobEngine
from qhost.engine.local.workers import Slot, WorkerPool
from qhost.engine.pool import NO_WORKER
from qhost.errors import ConfigurationError, QhostError
from qhost.executors.base import RunFunc
from qhost.jobs.spec import JobRecord
from qhost.jobs.status import JobStatus
from qhost.programs import RUN_FUNC
from qhost.store.claims import queued_heads, running_ids, serial_heads, stale_running
from qhost.store.sql_store import SqlStore

__all__ = ["LOST_REASON", "RqJobEngine", "make_rq_engine"]

log = logging.getLogger(__name__)

LOST_REASON = "worker lost: the job's worker stopped sending heartbeats (machine or process gone)"
_LOCAL = (RUN_FUNC,)
_ONLINE_TTL_S = 2.0  # how long a per-queue worker count is reused by wait_reason
_ENQUEUE_GRACE_S = 2.0  # a job this young may be between its SQL insert and its enqueue


class _RemotePool(WorkerPool):
    """Route 0 of the engine in distributed mode: its slots are the workers, so nothing runs here."""

    def start(self) -> None:
        return None

    def reserve(self) -> Slot | None:
        return None

    def kill(self, job_id: str) -> bool:
        return False

    def stop(self, timeout: float) -> None:
        return None

    def may_have_free_slot(self) -> bool:
        return False


class RqJobEngine(JobEngine):
    """A ``JobEngine`` whose program jobs run on ``qhost worker`` processes reached through RQ.

    Args:
        store: the store of record (PostgreSQL for several machines).
        broker_url: Redis URL (``redis://:password@host:6379/0``; ``rediss://`` for TLS).
        thread_workers, max_queued, run_func: as for ``JobEngine`` (``run_func`` jobs run here).
        job_timeout: seconds after which a worker kills a job; None (default) for no limit.
        lost_after_s: a RUNNING job whose worker sent no heartbeat for this long is failed.
        reconcile_every_s: how often housekeeping runs.
    """

    def __init__(
        self,
        store: SqlStore,
        broker_url: str,
        *,
        thread_workers: int = 8,
        max_queued: int = 1000,
        run_func: RunFunc | None = None,
        job_timeout: int | None = None,
        lost_after_s: float = 60.0,
        reconcile_every_s: float = 5.0,
    ) -> None:
        super().__init__(store, 1, thread_workers, max_queued, run_func, "thread", warm_modules=())
        self.broker_url = broker_url
        self.job_timeout, self.lost_after_s = job_timeout, lost_after_s
        self._recovery.every_s = reconcile_every_s
        self._redis: Any = None
        self._listener: threading.Thread | None = None
        self._warned: set[str] = set()
        self._online: dict[str, tuple[float, int]] = {}  # queue -> (monotonic time asked, workers)

    def __repr__(self) -> str:
        return f"RqJobEngine({self.store!r}, broker={redact_url(self.broker_url)!r}, running={self._running})"

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Reach the broker (``ConfigurationError`` naming it when that fails), reconcile, start."""
        if self._running:
            return
        self._redis = connect_broker(self.broker_url)
        self._redis.hset(SERVER_KEY, mapping={f"{k}_version": v for k, v in software_versions().items()})
        super().start()
        self._listener = threading.Thread(target=self._listen, name="qhost-rq-listener", daemon=True)
        self._listener.start()

    def stop(self, timeout: float = 5.0) -> None:
        super().stop(timeout)
        if self._listener is not None:
            self._listener.join(timeout=2.0)
            self._listener = None
        if self._redis is not None:
            self._redis.close()

    def _program_pool(self) -> WorkerPool:
        return _RemotePool()

    def _recover_at_start(self) -> None:
        self.reconcile(grace_s=0.0)

    def _recover_lost(self) -> None:
        self.reconcile()

    # -- submit / cancel -------------------------------------------------------------------------

    def _queued(self, record: JobRecord) -> None:
        if record.spec.program == RUN_FUNC:
            super()._queued(record)
            return
        key = record.spec.serial_key
        if key is None or any(job_id == record.id for job_id, _ in serial_heads(self.store, key)):
            self._enqueue(record.id, record.spec.backend)  # a session's later jobs wait for their turn

    def _enqueue(self, job_id: str, backend: str | None) -> bool:
        try:
            enqueue(self._redis, job_id, queue_name(backend), self.job_timeout)
            return True
        except QhostError as exc:
            self._finish(job_id, False, exc.message)  # a backend without an executor cannot be routed
        except Exception as exc:  # Redis down: the job stays QUEUED in SQL; reconcile enqueues it later
            log.warning("could not enqueue job %s (reconcile retries): %s", job_id, exc)
        return False

    def _finish(self, job_id: str, ok: bool, text: str) -> None:
        if not ok and self.store.get(job_id).status is JobStatus.QUEUED:
            self.store.set_status(job_id, JobStatus.FAILED, error=text, allowed_from=(JobStatus.QUEUED,))
            self._notifier.notify(job_id)
            return
        super()._finish(job_id, ok, text)

    def _kick(self, serial_key: str) -> None:
        """Enqueue the head of ``serial_key`` when none of its jobs runs and RQ does not hold it yet."""
        for job_id, backend in serial_heads(self.store, serial_key):
            try:
                status = SafeJob.fetch(job_id, connection=self._redis, serializer=JSONSerializer).get_status()
            except Exception:  # not in Redis (or Redis down: _enqueue logs it)
                status = None
            if status not in (RqStatus.QUEUED, RqStatus.STARTED):
                self._enqueue(job_id, backend)

    def cancel(self, job_id: str, owner: str | None = None) -> JobRecord:
        """Cancel in SQL first (the truth), then take the job out of RQ or stop it on its worker."""
        record = super().cancel(job_id, owner)
        if record.spec.program != RUN_FUNC:
            self._stop_remote(job_id)
            if record.spec.serial_key is not None:
                self._kick(record.spec.serial_key)
        return record

    def _stop_remote(self, job_id: str) -> None:
        try:
            job = SafeJob.fetch(job_id, connection=self._redis, serializer=JSONSerializer)
        except Exception:  # not in Redis (any more): nothing to take back
            return
        try:
            status = job.get_status()
            if status == RqStatus.STARTED:
                send_stop_job_command(self._redis, job_id, serializer=JSONSerializer)
            elif status in (RqStatus.QUEUED, RqStatus.DEFERRED, RqStatus.SCHEDULED):
                job.cancel()
                self._redis.lrem(make_queue(self._redis, job.origin).key, 0, job_id)  # and any duplicate
        except Exception as exc:  # SQL says cancelled: a worker that gets it anyway skips it
            log.warning("job %s: could not stop it in RQ: %s", job_id, exc)

    # -- finished jobs announced by workers ------------------------------------------------------

    def _listen(self) -> None:
        while self._running:
            pubsub = None
            try:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(DONE_CHANNEL)
                while self._running:
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._job_done(message["data"].decode())
            except Exception as exc:  # Redis restarting: waiters still re-read SQL every second
                log.warning("job-done listener: %s; reconnecting", exc)
                time.sleep(1.0)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:  # noqa: S110 - closing a broken connection
                        pass

    def _job_done(self, job_id: str) -> None:
        try:
            record = self.store.get(job_id)
        except QhostError:
            return
        self._notifier.notify(job_id, record if record.status.is_final else None)
        if record.spec.serial_key is not None:
            self._kick(record.spec.serial_key)

    # -- housekeeping ----------------------------------------------------------------------------

    def reconcile(self, grace_s: float = _ENQUEUE_GRACE_S) -> dict[str, list[str]]:
        """Bring SQL and Redis in step (module docstring); returns ``{"failed": ids, "enqueued": ids}``."""
        for name in self._queue_names():
            registry = StartedJobRegistry(
                name, connection=self._redis, job_class=SafeJob, serializer=JSONSerializer
            )
            registry.cleanup()
        self._warn_versions()
        failed = self._fail_lost()
        enqueued = []
        heads = queued_heads(self.store, grace_s, _LOCAL)
        present = self._ids_in_rq({queue_name(b) for _, b in heads if "@" in (b or "")})
        for job_id, backend in heads:
            if job_id not in present and self._enqueue(job_id, backend):
                enqueued.append(job_id)
        if failed or enqueued:
            log.warning("reconcile: failed %s (worker lost), enqueued %s again", failed, enqueued)
        return {"failed": failed, "enqueued": enqueued}

    def _warn_versions(self) -> None:
        """Log once per worker whose qhost or qiskit version differs from this server's."""
        for name, diffs in version_mismatches(self._redis, software_versions()).items():
            if name not in self._warned:
                self._warned.add(name)
                log.warning("worker %s runs other versions than this server: %s", name, "; ".join(diffs))

    def _fail_lost(self) -> list[str]:
        cutoff = datetime.now(UTC) - timedelta(seconds=self.lost_after_s)
        reasons = dict.fromkeys(stale_running(self.store, cutoff, _LOCAL), LOST_REASON)
        running = [j for j in running_ids(self.store, _LOCAL) if j not in reasons]
        for job_id, job in zip(running, Job.fetch_many(running, self._redis, JSONSerializer), strict=True):
            status = None if job is None else job.get_status(refresh=False)
            if status in (RqStatus.FAILED, RqStatus.STOPPED, RqStatus.CANCELED):
                reasons[job_id] = f"worker lost: RQ reports the job {status.value} ({_rq_reason(job)})"
        failed = []
        for job_id, reason in reasons.items():
            record = self.store.finish_record(job_id, JobStatus.FAILED, error=reason)
            if record is not None:
                failed.append(job_id)
                self._notifier.notify(job_id, record)
                if record.spec.serial_key is not None:
                    self._kick(record.spec.serial_key)
        return failed

    def _queue_names(self) -> list[str]:
        return [q.name for q in Queue.all(connection=self._redis, serializer=JSONSerializer)]

    def _ids_in_rq(self, names: Iterable[str]) -> set[str]:
        present: set[str] = set()
        for name in names:
            queue = Queue(name, connection=self._redis, serializer=JSONSerializer, job_class=SafeJob)
            present.update(queue.get_job_ids())
            present.update(queue.intermediate_queue.get_job_ids())
            present.update(queue.started_job_registry.get_job_ids(cleanup=False))
        return present

    # -- what the console and the status page show -----------------------------------------------

    def worker_snapshots(self) -> list[dict[str, Any]]:
        """One dict per ``qhost worker`` process registered in Redis (shape:
        ``qhost.engine.distributed.snapshots``)."""
        return rq_worker_snapshots(self._redis)

    def queue_report(self, queues: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
        """Per queue: responsive workers, jobs waiting in RQ, and ``"ok"`` or ``"no worker online"``."""
        return queue_report(self._redis, queues)

    def offline_reason(self, backend: str | None, program: str = "sampler") -> str | None:
        """No responsive worker serves the backend's queue: ``"no worker online for queue 'aer' …"``.

        Asks RQ's per-queue worker registry at most once per ``_ONLINE_TTL_S`` per queue (status polls
        are frequent); run_func jobs run here, as in the embedded engine.
        """
        if program == RUN_FUNC:
            return super().offline_reason(backend, program)
        try:
            name = queue_name(backend)
        except ConfigurationError:
            return None
        now = time.monotonic()
        cached = self._online.get(name)
        if cached is None or now - cached[0] > _ONLINE_TTL_S:
            try:
                cached = (now, responsive_workers(self._redis, name))
            except Exception as exc:  # the broker is down: say so rather than nothing
                return f"{NO_WORKER}: the broker is unreachable ({type(exc).__name__})"
            self._online[name] = cached
        if cached[1]:
            return None
        return (
            f"{NO_WORKER} for queue {name!r}: no `qhost worker --queue {name}` is registered with the "
            "broker; jobs wait until one starts"
        )

    def dispatch_report(self, queues: Iterable[str] = ()) -> dict[str, Any]:
        """The status page's ``dispatch`` entry."""
        try:
            return {"mode": "rq", "broker": redact_url(self.broker_url), "queues": self.queue_report(queues)}
        except Exception as exc:
            return {
                "mode": "rq",
                "broker": redact_url(self.broker_url),
                "error": f"broker unreachable: {exc}",
            }


def _rq_reason(job: Any) -> str:
    try:
        result = job.latest_result()
        text = (getattr(result, "exc_string", None) or "").strip()
    except Exception:
        text = ""
    if "AbandonedJobError" in text:
        return "its worker stopped sending heartbeats"
    return text.splitlines()[-1] if text else "no detail recorded"


def make_rq_engine(store: SqlStore, broker_url: str, **kwargs: Any) -> RqJobEngine:
    """Build an ``RqJobEngine`` (``ConfigurationError`` for a SQLite store shared with no one)."""
    if store.in_memory:
        raise ConfigurationError(
            "Distributed mode needs a database the workers can reach, not SQLite in memory"
        )
    return RqJobEngine(store, broker_url, **kwargs)
