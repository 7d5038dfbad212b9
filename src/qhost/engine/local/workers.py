"""Where claimed jobs run: warm worker processes, or bounded thread pools.

Both kinds implement ``WorkerPool``, the small dispatch interface the engine codes against
(``start``, ``reserve`` a free slot, ``Slot.run`` a task, ``kill`` a running job, ``stop``). A later
distributed backend implements the same interface and the front doors never notice.

``ProcessPool`` keeps ``size`` long-lived worker processes, each a fresh interpreter
(``worker_process.bootstrap_command``: never a fork, so the server process never initialises CUDA for a
child; never ``multiprocessing``'s ``spawn``, which re-imports the user's script in every child). Each
worker answers ``("hello", pid)`` within ``START_TIMEOUT_S`` (else it counts as failed to start, is retried
with backoff, and ``ProcessPool.start_failure`` says why), imports the simulator stack once and then serves
jobs over a socket pair, so executors, devices and noise models stay cached between jobs. One parent
thread per worker sends a task and waits for the answer. Cancel SIGKILLs the worker's process group
and starts a fresh worker. A worker that dies (segfault, ``os._exit``, the kernel's out-of-memory
killer) fails its job with "worker terminated unexpectedly (…)" and is replaced.

``ThreadPool`` runs tasks in a bounded ``ThreadPoolExecutor`` (no thread per job). Python threads cannot
be interrupted, so ``kill`` returns False: the engine marks the job cancelled and discards what the
thread returns when it ends.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from qhost.engine.local.thread_pool import ThreadPool
from qhost.engine.local.worker_process import (
    HELLO,
    PROGRESS,
    bootstrap_command,
    describe_exception,
    worker_main,
)
from qhost.engine.pool import (
    HEARTBEAT_S,
    DoneCallback,
    NextCallback,
    ProgressCallback,
    Slot,
    Task,
    WorkerPool,
    describe_exit,
    iso_now,
    snapshot,
)
from qhost.errors import WorkerStartError

__all__ = [
    "DEFAULT_WARM_MODULES",
    "START_TIMEOUT_S",
    "ProcessPool",
    "ProgressCallback",
    "Slot",
    "Task",
    "ThreadPool",
    "WorkerPool",
    "describe_exception",
    "describe_exit",
    "snapshot",
    "worker_main",
]

log = logging.getLogger(__name__)

DEFAULT_WARM_MODULES: tuple[str, ...] = (
    "qiskit",
    "qiskit_aer",
    "qhost.programs.counts",
    "qhost.programs.primitives",
    "qiskit_aer.primitives",
    "qiskit_ibm_runtime.fake_provider",
    "qhost.executors.aer",
    "qhost.devices.warm",
)
"""Modules each worker process imports before its first job (missing ones are skipped): the counts
path, the IBM primitives with the fake devices and the Aer executor, so no job pays for an import; and
``qhost.devices.warm``, which primes the noise-building code a device's first job runs."""

START_TIMEOUT_S = 60.0
"""Seconds a new worker process has to answer its first message (interpreter start and qhost's import,
before the warm-up); past that, or when it exits first, the start failed."""

_RETRY_MAX_S = 30.0  # backoff between failed starts of a worker: 1, 2, 4 … 30 s

# -- processes ----------------------------------------------------------------------------------


class _Child:
    """A worker process started by ``subprocess``, with the ``multiprocessing.Process`` calls we use."""

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self._popen = popen
        self.pid: int | None = popen.pid

    @property
    def exitcode(self) -> int | None:
        return self._popen.poll()  # negative: killed by that signal, as multiprocessing reports it

    def is_alive(self) -> bool:
        return self._popen.poll() is None

    def join(self, timeout: float | None = None) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._popen.wait(timeout)

    def kill(self) -> None:
        if self._popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self._popen.kill()


class _Worker(Slot):
    """One warm worker process plus the parent thread that feeds it."""

    def __init__(self, pool: ProcessPool, index: int) -> None:
        self._pool = pool
        self.index = index
        self.lock = threading.Lock()
        self.current: str | None = None
        self.killed = False
        self.busy = True  # until its process is spawned (by its own thread, see _loop)
        self.proc: _Child | None = None
        self.conn: Connection | None = None
        self.pid: int | None = None
        self.jobs_done = 0
        self.last_beat: str | None = None
        self._inbox: queue.SimpleQueue[Task | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=f"qhost-worker-{index}", daemon=True)

    def spawn(self) -> None:
        """Start a worker process and wait (bounded) for its hello; ``WorkerStartError`` if none comes."""
        parent, child = socket.socketpair()
        fd = child.fileno()
        pool = self._pool
        cmd = bootstrap_command(sys.executable, fd, pool.warm_modules, pool.memory_limit_bytes, sys.path)
        try:
            popen = subprocess.Popen(cmd, pass_fds=(fd,), stdin=subprocess.DEVNULL)
        except OSError as exc:
            parent.close()
            raise WorkerStartError(f"Cannot start a worker process ({sys.executable}): {exc}") from None
        finally:
            child.close()
        self.proc, self.conn, self.pid = _Child(popen), Connection(parent.detach()), popen.pid
        self._await_hello()

    def _await_hello(self) -> None:
        assert self.conn is not None and self.proc is not None
        try:
            if self.conn.poll(START_TIMEOUT_S) and self.conn.recv()[0] == HELLO:
                return
            why = f"did not answer within {START_TIMEOUT_S:g} s"
        except (EOFError, OSError):
            self.proc.join(timeout=5.0)
            why = "exited at start (" + describe_exit(self.proc.exitcode).partition("(")[2]
        self._kill_process()
        self.proc.join(timeout=5.0)
        self.conn.close()
        raise WorkerStartError(
            f"Worker process {self.pid} {why}; its error is in the server's stderr. "
            "Jobs stay queued until a worker starts (retried with backoff)"
        )

    def _start_child(self) -> bool:
        """Spawn until a worker process starts (backoff 1 … 30 s between tries); False: the pool stops."""
        delay = 1.0
        while not self._pool.stopping:
            try:
                self.spawn()
            except WorkerStartError as exc:
                log.error("worker %s: %s", self.index, exc.message)
                self._pool.start_failed(self.index, exc.message)
                if self._pool.stop_event.wait(delay):
                    return False
                delay = min(2 * delay, _RETRY_MAX_S)
                continue
            self._pool.start_failed(self.index, None)
            return True
        return False

    def start(self) -> None:
        self._thread.start()

    def run(self, task: Task) -> None:
        with self.lock:
            self.current = task.job_id
        self._inbox.put(task)

    def release(self) -> None:
        self.busy = False

    def kill_current(self, job_id: str) -> bool:
        with self.lock:
            if self.current != job_id:
                return False
            self.killed = True
            self._kill_process()
        return True

    def _kill_process(self) -> None:
        if self.proc is None or self.proc.pid is None or self.proc.exitcode is not None:
            return  # never started, or already reaped (its pid may belong to someone else by now)
        with contextlib.suppress(ProcessLookupError, PermissionError, AttributeError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # the worker leads its own process group
        self.proc.kill()  # covers a worker killed before it could call setpgrp (and non-POSIX)

    def _loop(self) -> None:
        # Spawned from this long-lived thread: PR_SET_PDEATHSIG fires when the spawning *thread* ends.
        if not self._start_child():
            return
        self.busy = False
        self._pool.on_free()
        while True:
            task = self._inbox.get()
            if task is None:
                return
            while task is not None:
                try:
                    self._execute(task)
                except Exception:  # the pool must survive anything
                    log.exception("worker %s: failed handling job %s", self.index, task.job_id)
                task = self._next_task()
            self.busy = False
            self._pool.on_free()

    def _next_task(self) -> Task | None:
        """The next job, claimed by this thread right away (no dispatcher round trip); None: go idle.

        Saves two thread hand-offs per job, each of which can wait a whole GIL switch interval
        while the server's request threads are busy.
        """
        take_next = self._pool.take_next
        if take_next is None or self._pool.stopping or not self._inbox.empty():
            return None  # a shutdown (or a task) is waiting in the inbox: handle it first
        try:
            task = take_next(self)
        except Exception:  # the dispatcher tries again; this worker goes idle
            log.exception("worker %s: could not claim the next job", self.index)
            return None
        if task is not None:
            with self.lock:
                self.current = task.job_id
        return task

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            current, done, beat = self.current, self.jobs_done, self.last_beat
        return snapshot(f"qhost-worker-{self.index}", self.pid, "programs", current, done, beat)

    def _execute(self, task: Task) -> None:
        self.last_beat = iso_now()
        answer = self._exchange(task)
        with self.lock:
            killed, self.killed, self.current = self.killed, False, None
            self.jobs_done += 1
            self.last_beat = iso_now()
        if killed:
            self._replace()
            return
        if answer is None:
            reason = describe_exit(self._reap())
            if self._pool.memory_limit_bytes and "memory" not in reason:  # a C library may abort instead
                cap = self._pool.memory_limit_bytes >> 20
                reason += f"; if it ran out of memory, the worker's address-space cap is {cap} MiB"
            log.warning("job %s: %s", task.job_id, reason)
            self._pool.on_done(task.job_id, False, reason)
            self._replace(reaped=True)
            return
        kind, text, retire = answer
        self._pool.on_done(task.job_id, kind == "ok", text)
        if retire:
            self._replace()

    def _exchange(self, task: Task) -> tuple[str, str, bool] | None:
        if self.proc is None or not self.proc.is_alive():  # died while idle: not this job's fault
            log.warning("worker %s: process %s died while idle; starting a new one", self.index, self.pid)
            self._replace(reaped=True)
        assert self.conn is not None
        try:
            self.conn.send((task.target, task.backend, task.inputs))
            beat = time.monotonic() + HEARTBEAT_S
            while True:
                while not wait([self.conn], timeout=max(0.0, beat - time.monotonic())):
                    self._beat(task.job_id)
                    beat = time.monotonic() + HEARTBEAT_S
                if time.monotonic() >= beat:  # progress keeps arriving: beat anyway
                    self._beat(task.job_id)
                    beat = time.monotonic() + HEARTBEAT_S
                msg = self.conn.recv()
                if msg[0] != PROGRESS:
                    return msg  # type: ignore[no-any-return]
                self._progress(task.job_id, msg)
        except (EOFError, OSError):
            return None

    def _beat(self, job_id: str) -> None:
        self.last_beat = iso_now()
        self._pool.on_heartbeat(job_id)

    def _progress(self, job_id: str, msg: tuple[str, int, int, str]) -> None:
        on_progress = self._pool.on_progress
        if on_progress is None:
            return
        try:
            on_progress(job_id, msg[1], msg[2], msg[3])
        except Exception:  # advisory: a failed progress write must not lose the job
            log.exception("worker %s: could not record progress of job %s", self.index, job_id)

    def _reap(self) -> int | None:
        assert self.proc is not None
        self.proc.join(timeout=5.0)
        return self.proc.exitcode

    def _replace(self, reaped: bool = False) -> None:
        if not reaped:
            self._kill_process()
            self._reap()
        if self.conn is not None:
            self.conn.close()
        if self._pool.stopping:
            return
        self._start_child()

    def shutdown(self) -> None:
        """Ask the process to exit after its current task and end the thread."""
        self._inbox.put(None)
        if self.conn is not None and not self.busy:
            with contextlib.suppress(OSError):
                self.conn.send(None)

    def finish(self, deadline_s: float) -> None:
        self._thread.join(timeout=deadline_s)
        with self.lock:
            if self._thread.is_alive():
                self.killed = True
        if self.proc is not None:
            self.proc.join(timeout=0.0 if self.killed else 0.5)
            if self.proc.is_alive():
                with self.lock:
                    self._kill_process()
                self.proc.join(timeout=2.0)
        self._thread.join(timeout=2.0)
        if self.conn is not None:
            self.conn.close()


class ProcessPool(WorkerPool):
    """``size`` warm worker processes (fresh interpreters, see the module docstring).

    Args:
        size: number of worker processes.
        on_done, on_free: see ``WorkerPool``; ``on_heartbeat(job_id)`` is called while a job runs.
        warm_modules: modules each worker imports before its first job.
        memory_limit_mb: per-worker address-space cap (``RLIMIT_AS``); allocations beyond it raise
            ``MemoryError`` inside the job, which then fails with "out of memory: …". None: no cap.
        take_next: called by a worker's thread when its job ended to claim the next one at once (the
            slot stays reserved meanwhile); None: the worker goes idle and ``on_free`` is called.
        on_progress: called (from the worker's thread) with each progress report a job sends.
    """

    def __init__(
        self,
        size: int,
        on_done: DoneCallback,
        on_free: Callable[[], None],
        on_heartbeat: Callable[[str], None],
        *,
        warm_modules: Sequence[str] = DEFAULT_WARM_MODULES,
        memory_limit_mb: int | None = None,
        take_next: NextCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.on_done, self.on_free, self.on_heartbeat = on_done, on_free, on_heartbeat
        self.take_next = take_next
        self.on_progress = on_progress
        self.warm_modules = tuple(warm_modules)
        self.memory_limit_bytes = memory_limit_mb * 1024 * 1024 if memory_limit_mb else None
        self.stopping = False
        self.stop_event = threading.Event()
        self._lock = threading.Lock()
        self._start_failures: dict[int, str] = {}
        self._workers = [_Worker(self, i) for i in range(max(1, size))]

    def start_failed(self, index: int, reason: str | None) -> None:
        """Record (``reason``) or clear (None) the last failed start of worker ``index``."""
        with self._lock:
            if reason is None:
                self._start_failures.pop(index, None)
            else:
                self._start_failures[index] = reason

    def unavailable(self) -> str | None:
        return self.start_failure

    @property
    def start_failure(self) -> str | None:
        """Why no worker process runs, when every worker's last start failed; None otherwise."""
        with self._lock:
            if len(self._start_failures) < len(self._workers):
                return None
            return next(iter(self._start_failures.values()))

    @property
    def pids(self) -> list[int | None]:
        """The current worker process ids (for tests and diagnostics)."""
        return [w.pid for w in self._workers]

    def start(self) -> None:
        for worker in self._workers:
            worker.start()

    def reserve(self) -> Slot | None:
        with self._lock:
            if self.stopping:
                return None
            for worker in self._workers:
                if not worker.busy:
                    worker.busy = True
                    return worker
        return None

    def kill(self, job_id: str) -> bool:
        return any(worker.kill_current(job_id) for worker in self._workers)

    def may_have_free_slot(self) -> bool:
        return self.stopping or not all(worker.busy for worker in self._workers)

    def snapshots(self) -> list[dict[str, Any]]:
        return [worker.snapshot() for worker in self._workers]

    def stop(self, timeout: float) -> None:
        with self._lock:
            self.stopping = True
        self.stop_event.set()
        for worker in self._workers:
            worker.shutdown()
        end = time.monotonic() + timeout
        for worker in self._workers:
            worker.finish(max(0.0, end - time.monotonic()))
