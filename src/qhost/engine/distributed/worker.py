"""One ``qhost worker`` process: an RQ worker that runs qhost jobs in a warm child process.

RQ's default ``Worker`` forks a fresh *work horse* per job, which would pay the simulator imports and
rebuild every cached device and noise model on each job. ``QhostWorker`` is an RQ ``SimpleWorker`` (no
fork per job) whose "horse" is the embedded mode's own warm worker process (``ProcessPool`` of one, spawn
start method): imports, executors, devices and noise models stay cached across jobs, exactly as in
``qhost serve`` without a broker. RQ's ``stop-job`` command (``send_stop_job_command``) reaches
``kill_horse``, which SIGKILLs that child's process group and starts a fresh one; the worker goes on with
its next job. The child dies with this process (``PR_SET_PDEATHSIG``), so no orphan keeps running.

The worker registers with RQ (and so takes jobs and shows as online) only once its child has finished
its warm-up imports. Per job (``run_job``, called by RQ with the job id): claim it in SQL (QUEUED ->
RUNNING; a job that is no longer queued is skipped, so a duplicate delivery never runs twice), hand the
program to the child, send heartbeats to SQL and to RQ's started registry while it runs, write the
outcome to SQL (the transition RUNNING -> COMPLETED/FAILED is conditional there too) and publish the
id on ``DONE_CHANNEL``.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from rq.serializers import JSONSerializer
from rq.worker import SimpleWorker

from qhost.engine.distributed.common import (
    DONE_CHANNEL,
    SafeJob,
    connect_broker,
    host_name,
    make_queue,
    software_versions,
)
from qhost.engine.local.worker_process import READY_TARGET
from qhost.engine.local.workers import DEFAULT_WARM_MODULES, ProcessPool, Task
from qhost.errors import ConfigurationError, InputError, JobNotFound
from qhost.jobs.status import JobStatus
from qhost.programs import resolve_program
from qhost.store.claims import RunInfo, claim, finish
from qhost.store.sql_store import SqlStore

__all__ = ["DEFAULT_HEARTBEAT_S", "QhostWorker", "WorkerConfig", "WorkerJob", "run_job", "worker_process"]

log = logging.getLogger(__name__)

DEFAULT_HEARTBEAT_S = 10.0
"""Seconds between a running job's heartbeats (SQL ``heartbeat_at`` and RQ's started registry)."""

_WARM_UP_ID = "warm-up"
_WARM_UP_TIMEOUT_S = 600.0

_WORKER_TTL_S = 20
"""RQ worker TTL: an idle worker re-registers every 5 s (TTL - 15) and vanishes 80 s after it died."""


@dataclass(frozen=True)
class WorkerConfig:
    """What one worker process needs (picklable: it crosses the spawn boundary)."""

    broker_url: str
    database_url: str
    queues: tuple[str, ...]
    gpu: str | None = None
    heartbeat_s: float = DEFAULT_HEARTBEAT_S
    memory_limit_mb: int | None = None
    warm_modules: tuple[str, ...] = DEFAULT_WARM_MODULES
    log_level: str = "INFO"
    extra_env: dict[str, str] = field(default_factory=dict)


class StoppedOnRequest(Exception):
    """Raised out of ``run_job`` when the job was stopped (cancelled); RQ then marks it ``stopped``."""


class WorkerJob(SafeJob):
    """The worker's job class: resolves to ``run_job`` once ``check_call`` accepted the job."""

    @property
    def func(self) -> Any:
        self.check_call()
        return run_job


class _Runtime:
    """The worker process's state: store, broker, the warm child, and the job being run."""

    def __init__(self, cfg: WorkerConfig, store: SqlStore, conn: Any) -> None:
        self.cfg, self.store, self.conn = cfg, store, conn
        self.info = RunInfo(worker="", host=host_name(), pid=os.getpid(), gpu=cfg.gpu)
        self.worker: QhostWorker | None = None
        self._lock = threading.Lock()
        self._current: str | None = None
        self._ended = threading.Event()
        self._outcome: tuple[bool, str] | None = None
        self._stopped: set[str] = set()
        self.pool = ProcessPool(
            1,
            self._on_done,
            lambda: None,
            lambda _job_id: None,
            warm_modules=cfg.warm_modules,
            memory_limit_mb=cfg.memory_limit_mb,
            on_progress=store.set_progress,
        )

    # -- pool callbacks (from the pool's thread) ---------------------------------------------------

    def _on_done(self, job_id: str, ok: bool, text: str) -> None:
        with self._lock:
            if job_id != self._current:
                return
            self._outcome = (ok, text)
        self._ended.set()

    # -- stop (from RQ's pub/sub thread, or a signal) ------------------------------------------------

    def stop(self, job_id: str | None) -> None:
        """Kill the child running ``job_id`` (None: whatever runs) and end that job's wait."""
        with self._lock:
            job_id = job_id or self._current
            if job_id is None:
                return
            self._stopped.add(job_id)
            running = job_id == self._current
        if running and self.pool.kill(job_id):
            self._ended.set()

    # -- warm-up --------------------------------------------------------------------------------

    def warm_up(self, timeout_s: float = _WARM_UP_TIMEOUT_S) -> bool:
        """Wait until the child has imported its warm modules (it answers a no-op task after them).

        Called before the worker registers with RQ: a worker that is still importing would take a job
        and make it wait seconds, while a warm worker of the same queue idles, and would show as idle
        where it cannot run anything yet. False (logged) when the child failed or took too long.
        """
        slot = self._reserve()
        with self._lock:
            self._current, self._outcome = _WARM_UP_ID, None
            self._ended = ended = threading.Event()
        try:
            slot.run(Task(_WARM_UP_ID, _WARM_UP_ID, READY_TARGET, None, "{}"))
            done = ended.wait(timeout_s)
        finally:
            with self._lock:
                self._current, outcome = None, self._outcome
        if not done or outcome is None or not outcome[0]:
            reason = "timed out" if not done else (outcome[1] if outcome else "no answer")
            log.warning("worker warm-up did not finish (%s); serving jobs anyway", reason)
            return False
        return True

    # -- one job --------------------------------------------------------------------------------

    def run(self, job_id: str) -> dict[str, str]:
        record = claim(self.store, job_id, self.info)
        if record is None:
            try:
                status = self.store.get(job_id).status.value
            except JobNotFound:
                status = "deleted"
            log.info("job %s skipped: it is %s (or waits for its session)", job_id, status)
            return {"skipped": status}
        try:
            target = resolve_program(record.spec.program)
        except InputError as exc:
            self._finish(job_id, False, exc.message)
            return {"status": JobStatus.FAILED.value}
        slot = self._reserve()
        with self._lock:
            self._current, self._outcome = job_id, None
            self._ended = ended = threading.Event()
        try:
            slot.run(Task(job_id, record.spec.program, target, record.spec.backend, record.spec.inputs))
            if job_id in self._stopped:
                self.stop(job_id)
            self._wait(job_id, ended)
        except BaseException:  # a job timeout (RQ's SIGALRM) or a cold shutdown: kill the child
            self.pool.kill(job_id)
            self._finish(job_id, False, _interrupted_reason(sys.exc_info()[1]))
            raise
        finally:
            with self._lock:
                self._current = None
                outcome, stopped = self._outcome, job_id in self._stopped
                self._stopped.discard(job_id)
        if outcome is None or stopped:
            self._publish(job_id)  # the canceller wrote CANCELLED; wake the server's waiters anyway
            raise StoppedOnRequest(f"job {job_id} stopped on request")
        self._finish(job_id, outcome[0], outcome[1])
        return {"status": (JobStatus.COMPLETED if outcome[0] else JobStatus.FAILED).value}

    def _reserve(self) -> Any:
        while True:  # free between jobs, except while a killed child is being replaced
            slot = self.pool.reserve()
            if slot is not None:
                return slot
            time.sleep(0.01)

    def _wait(self, job_id: str, ended: threading.Event) -> None:
        while not ended.wait(self.cfg.heartbeat_s):
            try:
                self.store.heartbeat([job_id])
                worker = self.worker
                if worker is not None and worker.execution is not None:
                    job = worker.get_current_job()
                    if job is not None:
                        worker.maintain_heartbeats(job, worker.execution)
            except Exception:  # a missed heartbeat is survivable; the job is not
                log.exception("heartbeat for job %s failed", job_id)

    def _finish(self, job_id: str, ok: bool, text: str) -> None:
        finish(self.store, job_id, ok, text)  # RUNNING -> final only: a cancel that came first stands
        try:
            with self.conn.pipeline(transaction=False) as pipe:
                if self.worker is not None:
                    pipe.hincrby(self.worker.key, "qhost_jobs_done", 1)
                pipe.publish(DONE_CHANNEL, job_id)
                pipe.execute()
        except Exception:  # the server also looks at SQL every second
            log.warning("could not announce the end of job %s", job_id)

    def _publish(self, job_id: str) -> None:
        try:
            self.conn.publish(DONE_CHANNEL, job_id)
        except Exception:  # the server also looks at SQL every second
            log.warning("could not announce the end of job %s", job_id)


def _interrupted_reason(exc: BaseException | None) -> str:
    from rq.timeouts import JobTimeoutException

    if isinstance(exc, JobTimeoutException):
        return f"timed out: {exc}"
    return f"worker stopped while the job ran ({type(exc).__name__})"


_RUNTIME: _Runtime | None = None


def run_job(job_id: str) -> dict[str, str]:
    """What RQ calls for a qhost job: claim it in SQL, run it in the warm child, record the outcome."""
    if _RUNTIME is None:
        raise ConfigurationError("run_job runs only inside a `qhost worker` process")
    return _RUNTIME.run(job_id)


class QhostWorker(SimpleWorker):
    """RQ worker without a fork per job; its "horse" is the runtime's warm child process."""

    runtime: _Runtime

    def kill_horse(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """RQ's stop-job / kill-horse / cold shutdown: kill the child running the current job."""
        self.runtime.stop(self.get_current_job_id())

    def handle_exception(self, job: Any, *exc_info: Any) -> None:
        """A cancelled job is no error: one log line instead of RQ's traceback."""
        if exc_info and exc_info[0] is StoppedOnRequest:
            self.log.info("job %s stopped on request (cancelled)", job.id)
            return
        super().handle_exception(job, *exc_info)

    def get_heartbeat_ttl(self, job: Any, working_time: float = 0.0) -> int:
        """Monitoring interval + 60 s, also for jobs without a timeout (SimpleWorker would say 420 s),
        so ``StartedJobRegistry.cleanup()`` notices a dead worker's job in time."""
        return int(self.job_monitoring_interval) + 60

    def register_birth(self) -> None:
        super().register_birth()
        fields: dict[str | bytes, str] = {f"{k}_version": v for k, v in software_versions().items()}
        fields["qhost_gpu"] = self.runtime.cfg.gpu or ""
        fields["qhost_jobs_done"] = "0"
        self.connection.hset(self.key, mapping=fields)  # type: ignore[arg-type]


def _die_with_parent() -> None:
    """Have the kernel SIGKILL this process when the ``qhost worker`` launcher dies (Linux)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - no glibc
        return
    import multiprocessing

    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os._exit(0)


def worker_process(cfg: WorkerConfig) -> None:
    """Entry point of one worker process (spawned by ``qhost worker``): serve the queues until stopped."""
    global _RUNTIME
    if hasattr(os, "setpgrp"):
        os.setpgrp()  # a terminal's Ctrl-C reaches only the launcher, which stops its workers in order
    _die_with_parent()
    os.environ.update(cfg.extra_env)
    if cfg.gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = cfg.gpu  # before anything could initialise CUDA
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("qhost").setLevel(cfg.log_level)
    conn = connect_broker(cfg.broker_url)
    store = SqlStore(cfg.database_url)
    runtime = _Runtime(cfg, store, conn)
    suffix = f":gpu{cfg.gpu}" if cfg.gpu is not None else ""
    worker = QhostWorker(
        [make_queue(conn, q) for q in cfg.queues],
        connection=conn,
        name=f"{runtime.info.host}:{os.getpid()}{suffix}",
        serializer=JSONSerializer,
        job_class=WorkerJob,
        job_monitoring_interval=max(1, round(cfg.heartbeat_s)),
        worker_ttl=_WORKER_TTL_S,
    )
    worker.runtime = runtime
    runtime.worker = worker
    runtime.info = RunInfo(worker=worker.name, host=runtime.info.host, pid=os.getpid(), gpu=cfg.gpu)
    _RUNTIME = runtime
    runtime.pool.start()
    try:
        runtime.warm_up()  # only then register with RQ (``work`` does): no job waits for imports
        worker.work(logging_level=cfg.log_level if cfg.log_level == "DEBUG" else "WARNING")
    finally:
        runtime.pool.stop(2.0)
        store.close()
