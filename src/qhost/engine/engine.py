"""The job engine: submit, run, wait for, cancel and list jobs.

``JobEngine`` joins three parts: the ``SqlStore`` (the truth about every job), one dispatcher thread
that claims queued jobs whenever a worker slot is free, and the worker pools (``workers.py``): warm
processes for programs, a bounded thread pool for the user ``run_func``. A worker process that finishes
a job claims the next one from its own parent thread (``_take_next``), without a round trip through the
dispatcher; a new job wakes the dispatcher only when a slot may be free. It is safe to call from many
threads at once (the WSGI server's request threads).

Cancelling a RUNNING job kills its worker process and starts a fresh one. With ``worker_mode="thread"``
(and for ``run_func`` jobs, which always run in threads) a running job cannot be interrupted: it is marked
cancelled at once and whatever its thread returns later is discarded.

One engine serves one database at a time (the embedded default); jobs queued in the database by
other processes are picked up within a second.

Restart behaviour (see ``recovery.py``): finished results stay, queued jobs run again after
``start()``, jobs that were running are failed with "server restarted: job was running when the
server stopped" (never re-run silently: programs may have side effects).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from qhost.engine.chores.schedule import Chore, run_due
from qhost.engine.local.workers import (
    DEFAULT_WARM_MODULES,
    HEARTBEAT_S,
    ProcessPool,
    Slot,
    Task,
    ThreadPool,
    WorkerPool,
)
from qhost.engine.notifier import Notifier
from qhost.engine.outcomes import RETRY_EVERY_S, UnsavedOutcomes
from qhost.engine.pool import NO_WORKER
from qhost.engine.recovery import LOST_REASON, recover
from qhost.engine.repeats import RepeatingFailure
from qhost.engine.run_func import run_func_counts
from qhost.errors import (
    ConfigurationError,
    InputError,
    InvalidJobTransition,
    InvalidOption,
    QueueFull,
)
from qhost.executors.base import RunFunc
from qhost.jobs.spec import JobRecord, JobSpec
from qhost.jobs.status import JobStatus
from qhost.programs import RUN_FUNC, resolve_program, run_target
from qhost.programs.progress import Throttle, listening
from qhost.store.sql_store import SqlStore

__all__ = ["JobEngine"]

log = logging.getLogger(__name__)

_WORKER_MODES = ("process", "thread")
_IDLE_S = 1.0  # the dispatcher also looks for work this often (jobs queued by another process)
_RECOVER_EVERY_S = 60.0
_WAIT_RECHECK_S = 1.0


class JobEngine:
    """Runs jobs from a store on bounded workers.

    Args:
        store: where jobs live.
        process_workers: worker processes (or threads, in thread mode) for programs.
        thread_workers: threads for ``run_func`` jobs.
        max_queued: ``submit`` raises ``QueueFull`` once this many jobs are queued.
        run_func: the callable behind program ``"run_func"`` (``run_func(qasm, shots, token) -> counts``).
        worker_mode: ``"process"`` (warm spawned processes) or ``"thread"`` (in-process threads; running
            jobs cannot be interrupted).
        warm_modules: modules each worker process imports before its first job.
        memory_limit_mb: per worker process address-space cap; None for none.
    """

    def __init__(
        self,
        store: SqlStore,
        process_workers: int = 2,
        thread_workers: int = 8,
        max_queued: int = 1000,
        run_func: RunFunc | None = None,
        worker_mode: str = "process",
        *,
        warm_modules: Iterable[str] = DEFAULT_WARM_MODULES,
        memory_limit_mb: int | None = None,
    ) -> None:
        if worker_mode not in _WORKER_MODES:
            raise ConfigurationError(f"Unknown worker_mode {worker_mode!r}; valid: {list(_WORKER_MODES)}")
        self.store = store
        self.process_workers, self.thread_workers = process_workers, thread_workers
        self.max_queued, self.run_func, self.worker_mode = max_queued, run_func, worker_mode
        self.warm_modules, self.memory_limit_mb = tuple(warm_modules), memory_limit_mb
        self._lock = threading.Lock()
        self._cv = threading.Condition()
        self._wake = False
        self._running = False
        self._dispatcher: threading.Thread | None = None
        self._routes: list[tuple[WorkerPool, bool]] = []  # (pool, runs run_func jobs)
        self._inflight: dict[str, tuple[WorkerPool, int]] = {}  # job id -> (pool, route index)
        self._pending = [True, True]  # per route: may the store hold a job for it? (saves empty claims)
        self._notifier = Notifier()
        self._recovery = Chore(self._recover_lost, _RECOVER_EVERY_S)
        self._unsaved = UnsavedOutcomes(store)
        self._claim_failures = RepeatingFailure(log, "dispatcher: error while claiming jobs")
        self._chores: tuple[Chore, ...] = (  # replaced, never mutated: read without the lock
            self._recovery,
            Chore(lambda: self._unsaved.retry(self._notifier.notify), RETRY_EVERY_S),
        )

    def __repr__(self) -> str:
        return f"JobEngine({self.store!r}, worker_mode={self.worker_mode!r}, running={self._running})"

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Recover jobs a previous process left RUNNING, start the workers and the dispatcher (idempotent)."""
        with self._lock:
            if self._running:
                return
            self._recover_at_start()
            self._recovery.last = time.monotonic()
            self._routes = [(self._program_pool(), False), (self._run_func_pool(), True)]
            for pool, _ in self._routes:
                pool.start()
            self._running = True
            self._dispatcher = threading.Thread(
                target=self._dispatch_loop, name="qhost-dispatcher", daemon=True
            )
            self._dispatcher.start()
        self._poke(0, 1)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop claiming jobs, give running ones up to ``timeout`` seconds, then kill and fail the rest.

        Jobs still queued stay queued and run after the next ``start()``.
        """
        with self._lock:
            if not self._running:
                return
            self._running = False
            dispatcher, routes = self._dispatcher, self._routes
        self._poke()
        if dispatcher is not None:
            dispatcher.join(timeout=5.0)
        end = time.monotonic() + timeout
        for pool, _ in routes:
            pool.stop(max(0.0, end - time.monotonic()))
        with self._lock:
            leftovers, self._inflight = list(self._inflight), {}
        for job_id in leftovers:
            self.store.finish(
                job_id, JobStatus.FAILED, error="server stopped: job was running when the server stopped"
            )
            self._notifier.notify(job_id)

    def __enter__(self) -> JobEngine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _program_pool(self) -> WorkerPool:
        if self.worker_mode == "thread":
            return ThreadPool(
                self.process_workers, self._run_task, self._on_done, self._poke, name="qhost-program"
            )
        return ProcessPool(
            self.process_workers,
            self._on_done,
            self._poke,
            self._on_heartbeat,
            warm_modules=self.warm_modules,
            memory_limit_mb=self.memory_limit_mb,
            take_next=self._take_next,
            on_progress=self.store.set_progress,
        )

    def _run_func_pool(self) -> WorkerPool:
        return ThreadPool(
            self.thread_workers, self._run_func_task, self._on_done, self._poke, name="qhost-run-func"
        )

    # -- front-door API --------------------------------------------------------------------------

    def submit(self, spec: JobSpec) -> JobRecord:
        """Queue a job (or return the job an earlier submit with the same idempotency key created).

        Raises:
            InvalidOption: unknown program, or ``run_func`` without a configured run_func.
            QueueFull: ``max_queued`` jobs are already waiting.
        """
        self._check_program(spec.program)
        try:
            record, created = self.store.insert_job(spec, max_queued=self.max_queued)
        except OverflowError as exc:
            raise QueueFull(
                f"Cannot accept the job: the queue is full ({exc.args[0]} jobs queued); retry later"
            ) from None
        if created:
            self._queued(record)
        return record

    def _queued(self, record: JobRecord) -> None:
        """A new job is in the store: tell whoever runs jobs of its kind (here: the local pools)."""
        self._offer(int(record.spec.program == RUN_FUNC))

    def get(self, job_id: str, owner: str | None = None) -> JobRecord:
        """One job; ``JobNotFound`` when missing or owned by someone other than ``owner``."""
        return self.store.get(job_id, owner)

    def wait(
        self, job_id: str, timeout: float, owner: str | None = None, *, stuck_s: float | None = None
    ) -> JobRecord:
        """The job as soon as it is final, or as it is when ``timeout`` seconds have passed.

        ``stuck_s``: also return after that many seconds when the job has a ``wait_reason`` (no worker
        online), so a long-polling client learns it soon, without polling in a tight loop.
        """
        started = time.monotonic()
        deadline = started + max(0.0, timeout)
        while True:
            with self._notifier.watch(job_id) as watch:
                record = self.store.get(job_id, owner)
                if stuck_s is not None and self.wait_reason(record) is not None:
                    deadline = min(deadline, started + stuck_s)
                left = deadline - time.monotonic()
                if record.status.is_final or left <= 0:
                    return record
                watch.event.wait(min(left, _WAIT_RECHECK_S))
                final = watch.record
                if final is not None and (owner is None or final.spec.owner == owner):
                    return final

    def cancel(self, job_id: str, owner: str | None = None) -> JobRecord:
        """Cancel a queued or running job.

        Raises:
            JobNotFound: no such job (for this owner).
            InvalidJobTransition: the job is already final.
        """
        record = self.store.get(job_id, owner)
        if record.status.is_final:
            raise InvalidJobTransition(f"Cannot cancel job {job_id}: already {record.status}")
        try:
            self.store.set_status(
                job_id, JobStatus.CANCELLED, allowed_from=(JobStatus.QUEUED, JobStatus.RUNNING)
            )
        except InvalidJobTransition:
            now = self.store.get(job_id).status
            raise InvalidJobTransition(f"Cannot cancel job {job_id}: already {now}") from None
        with self._lock:
            pool, _ = self._inflight.get(job_id, (None, 0))
        if pool is not None and pool.kill(job_id):
            with self._lock:
                self._inflight.pop(job_id, None)
        self._notifier.notify(job_id)
        self._poke(0, 1)
        return self.store.get(job_id)

    def list_jobs(
        self,
        owner: str | None = None,
        *,
        statuses: Iterable[JobStatus | str] | None = None,
        backend: str | None = None,
        program: str | None = None,
        session_id: str | None = None,
        tags: Iterable[str] | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        limit: int = 50,
        offset: int = 0,
        descending: bool = True,
    ) -> tuple[list[JobRecord], int]:
        """A page of jobs (newest first unless ``descending=False``) and how many match in all.

        Every given filter must match; ``tags`` matches jobs carrying all of them.
        """
        return self.store.list(
            owner,
            statuses=statuses,
            backend=backend,
            program=program,
            session_id=session_id,
            tags=tags,
            created_after=created_after,
            created_before=created_before,
            limit=limit,
            offset=offset,
            descending=descending,
        )

    def delete(self, job_id: str, owner: str | None = None) -> None:
        """Delete a job (cancelling it first when it is not final)."""
        record = self.store.get(job_id, owner)
        if not record.status.is_final:
            try:
                self.cancel(job_id, owner)
            except InvalidJobTransition:
                pass
        self.store.delete(job_id)

    def take_result(self, job_id: str, owner: str | None = None) -> str | None:
        """A finished job's result, erased as it is returned (``None`` once taken): read-once results."""
        self.store.get(job_id, owner)
        return self.store.take_result(job_id)

    def set_tags(self, job_id: str, tags: Iterable[str], owner: str | None = None) -> JobRecord:
        """Replace a job's tags and return the job."""
        self.store.get(job_id, owner)
        self.store.set_tags(job_id, tags)
        return self.store.get(job_id)

    def worker_snapshots(self) -> list[dict[str, Any]]:
        """The workers serving this engine, one dict each, for the console and ``/metrics``.

        Keys: ``id``, ``kind`` (``"local"`` here; ``"rq"`` for remote workers), ``host``, ``pid``,
        ``queues`` (list of str), ``gpu`` (str or None), ``state`` (``"idle"``/``"busy"``),
        ``current_job`` (job id or None), ``jobs_done`` (int), ``last_heartbeat`` (ISO text or None).
        """
        with self._lock:
            routes = list(self._routes)
        return [row for pool, _ in routes for row in pool.snapshots()]

    def queue_length(self, backend: str | None = None) -> int:
        """Jobs queued or running (on ``backend`` if given)."""
        return self.store.count((JobStatus.QUEUED, JobStatus.RUNNING), backend)

    # -- dispatch --------------------------------------------------------------------------------

    def _check_program(self, program: str) -> None:
        if program == RUN_FUNC:
            if self.run_func is None:
                raise InvalidOption(f"Program {RUN_FUNC!r} is not available: this engine has no run_func")
            return
        resolve_program(program)

    def _poke(self, *routes: int) -> None:
        """Wake the dispatcher; ``routes`` may have new work (a slot freeing up passes none)."""
        with self._cv:
            for route in routes:
                self._pending[route] = True
            self._wake = True
            self._cv.notify()

    def _offer(self, route: int) -> None:
        """A new job for ``route``: wake the dispatcher only when one of its slots may be free.

        When all are busy, the next slot to free up looks for work itself (``on_free`` pokes the
        dispatcher, ``take_next`` claims directly), and both read ``_pending`` after freeing: the flag
        is set here before the slots are looked at, so one of the two sides always sees the other.
        """
        with self._cv:
            self._pending[route] = True
        routes = self._routes
        if not routes or routes[route][0].may_have_free_slot():
            self._poke(route)

    def _dispatch_loop(self) -> None:
        while True:
            with self._cv:
                if not self._wake and self._running and not self._cv.wait(timeout=_IDLE_S):
                    self._pending[:] = [True, True]  # idle tick: look for jobs queued elsewhere
                self._wake = False
            if not self._running:
                return
            try:
                self._fill()
            except Exception:  # keep dispatching whatever the database said this time
                self._claim_failures.failed()
            else:
                self._claim_failures.succeeded()
            self._run_chores()

    def _fill(self) -> None:
        for route, (pool, runs_run_func) in enumerate(self._routes):
            while self._running and self._pending[route]:
                slot = pool.reserve()
                if slot is None:
                    break
                self._pending[route] = False  # cleared before the claim reads: a later submit sets it again
                try:
                    job = self._claim(slot.pid, runs_run_func)
                except BaseException:
                    slot.release()
                    self._pending[route] = True
                    raise
                if job is None:
                    slot.release()
                    break
                self._pending[route] = True
                self._hand_over(pool, route, slot, job)

    def _take_next(self, slot: Slot) -> Task | None:
        """Claim the next program job for a process worker that just finished one (route 0)."""
        while self._running and self._pending[0]:
            self._pending[0] = False  # cleared before the claim reads: a later submit sets it again
            try:
                job = self._claim(slot.pid, False)
            except BaseException:
                self._pending[0] = True
                raise
            if job is None:
                return None
            self._pending[0] = True
            task = self._task_for(job)
            if task is None:
                continue  # failed at once (its program no longer resolves): try the next job
            with self._lock:
                self._inflight[job.id] = (self._routes[0][0], 0)
            return task
        return None

    def _task_for(self, job: JobRecord) -> Task | None:
        """The task for a claimed job; None (and the job failed) when its program no longer resolves."""
        try:
            target = RUN_FUNC if job.spec.program == RUN_FUNC else resolve_program(job.spec.program)
        except InputError as exc:
            self._finish(job.id, False, exc.message)
            return None
        return Task(job.id, job.spec.program, target, job.spec.backend, job.spec.inputs)

    def _claim(self, pid: int | None, runs_run_func: bool) -> JobRecord | None:
        if runs_run_func:
            return self.store.claim_next(pid, programs=(RUN_FUNC,))
        return self.store.claim_next(pid, exclude_programs=(RUN_FUNC,))

    def _hand_over(self, pool: WorkerPool, route: int, slot: Any, job: JobRecord) -> None:
        task = self._task_for(job)
        if task is None:
            slot.release()
            return
        with self._lock:
            self._inflight[job.id] = (pool, route)
        slot.run(task)

    def every(self, seconds: float, chore: Callable[[], object]) -> None:
        """Run ``chore`` from the dispatcher thread about every ``seconds`` while the engine runs.

        For housekeeping that must happen whether or not anybody asks (session expiry, say); an
        exception is logged and the chore runs again next time.
        """
        with self._lock:
            self._chores = (*self._chores, Chore(chore, seconds))

    def _run_chores(self) -> None:
        run_due(self._chores)

    def wait_reason(self, record: JobRecord) -> str | None:
        """Why a queued job will not start however long it waits (``"no worker online: …"``); else None.

        The doors show it beside the job's state (Qrisp ``qhostMessage``, IBM ``state.reason``).
        """
        if record.status is not JobStatus.QUEUED:
            return None
        return self.offline_reason(record.spec.backend, record.spec.program)

    def offline_reason(self, backend: str | None, program: str = "sampler") -> str | None:
        """Why a job of ``program`` on ``backend`` would not start now: no worker can take it; else None."""
        with self._lock:
            routes = list(self._routes)
        for pool, runs_run_func in routes:
            if runs_run_func == (program == RUN_FUNC):
                why = pool.unavailable()
                return None if why is None else f"{NO_WORKER}: {why}"
        return None

    def dispatch_report(self, queues: Iterable[str] = ()) -> dict[str, Any]:
        """The status page's ``dispatch`` entry: embedded (local worker processes) here."""
        return {"mode": "embedded", "process_workers": self.process_workers}

    def _recover_at_start(self) -> None:
        """Jobs a previous process left RUNNING are failed (``recovery.py``)."""
        recover(self.store)

    def _recover_lost(self) -> None:
        with self._lock:
            live = set(self._inflight) | self._unsaved.ids()
        cutoff = datetime.now(UTC) - timedelta(seconds=6 * HEARTBEAT_S)
        recover(self.store, live_job_ids=live, heartbeat_before=cutoff, reason=LOST_REASON)

    # -- callbacks from the pools ----------------------------------------------------------------

    def _on_done(self, job_id: str, ok: bool, text: str) -> None:
        with self._lock:
            _, route = self._inflight.pop(job_id, (None, 0))
        self._finish(job_id, ok, text)
        self._pending[route] = True  # its serial key is free now; the pool's on_free wakes the dispatcher

    def _finish(self, job_id: str, ok: bool, text: str) -> None:
        record = None
        try:
            record = self._unsaved.record(job_id, ok, text)  # a full disk: kept and retried, not lost
        except Exception:  # the periodic recover() fails the job later; keep the worker serving
            log.exception("could not record the outcome of job %s", job_id)
        if record is not None or job_id not in self._unsaved.ids():
            self._notifier.notify(job_id, record)

    def _on_heartbeat(self, job_id: str) -> None:
        try:
            self.store.heartbeat([job_id])
        except Exception:
            log.exception("heartbeat for job %s failed", job_id)

    def _run_func_task(self, task: Task) -> str:
        if self.run_func is None:
            raise InvalidOption(f"Program {RUN_FUNC!r} is not available: this engine has no run_func")
        run_func = self.run_func

        def cancelled() -> bool:
            return self.store.get(task.job_id).status is JobStatus.CANCELLED

        return self._reporting(task, lambda: run_func_counts(run_func, task.inputs, cancelled))

    def _run_task(self, task: Task) -> str:
        """Thread-mode program runner (the call a worker process makes; progress goes to the store)."""
        return self._reporting(task, lambda: run_target(task.target, task.backend, task.inputs))

    def _reporting(self, task: Task, call: Callable[[], str]) -> str:
        throttle = Throttle(partial(self.store.set_progress, task.job_id))
        try:
            with listening(throttle):
                out = call()
            throttle.finish()
        finally:
            throttle.close()
        return out
