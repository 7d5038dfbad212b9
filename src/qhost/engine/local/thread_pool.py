"""``ThreadPool``: tasks in a bounded ``ThreadPoolExecutor`` (no thread per job).

Python threads cannot be interrupted, so ``kill`` returns False: the engine marks the job cancelled and
discards what the thread returns when it ends.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from qhost.engine.local.worker_process import describe_exception
from qhost.engine.pool import DoneCallback, Slot, Task, WorkerPool, iso_now, snapshot

__all__ = ["ThreadPool"]

log = logging.getLogger(__name__)


class _ThreadSlot(Slot):
    def __init__(self, pool: ThreadPool) -> None:
        self._pool = pool
        self.pid = os.getpid()

    def run(self, task: Task) -> None:
        self._pool._executor.submit(self._pool._run, task)

    def release(self) -> None:
        self._pool._release(notify=False)


class ThreadPool(WorkerPool):
    """``size`` threads calling ``fn(task) -> str``.

    Args:
        size: the number of threads (and so of tasks at once).
        fn: runs one task and returns its result text; exceptions fail the job.
        on_done: called with ``(job_id, ok, text)`` when a task ends.
        on_free: called after a slot became free.
        name: thread name prefix.
    """

    def __init__(
        self,
        size: int,
        fn: Callable[[Task], str],
        on_done: DoneCallback,
        on_free: Callable[[], None],
        name: str = "qhost-thread",
    ) -> None:
        self.size = max(1, size)
        self._fn, self._on_done, self._on_free = fn, on_done, on_free
        self._lock = threading.Lock()
        self._free = self.size
        self._stopping = False
        self._idle = threading.Condition(self._lock)
        self._executor = ThreadPoolExecutor(self.size, thread_name_prefix=name)
        self._threads: dict[str, list[Any]] = {}  # thread name -> [current job, jobs done, last beat]

    def snapshots(self) -> list[dict[str, Any]]:
        """The pool's threads that have run a job so far (threads start on first use)."""
        with self._lock:
            rows = sorted(self._threads.items())
            return [snapshot(name, os.getpid(), "run_func", *state) for name, state in rows]

    def start(self) -> None:
        return None

    def reserve(self) -> Slot | None:
        with self._lock:
            if self._stopping or self._free == 0:
                return None
            self._free -= 1
        return _ThreadSlot(self)

    def kill(self, job_id: str) -> bool:
        return False

    def stop(self, timeout: float) -> None:
        with self._lock:
            self._stopping = True
            self._idle.wait_for(lambda: self._free == self.size, timeout=timeout)
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _run(self, task: Task) -> None:
        name = threading.current_thread().name
        with self._lock:
            state = self._threads.setdefault(name, [None, 0, None])
            state[0], state[2] = task.job_id, iso_now()
        try:
            ok, text = True, self._fn(task)
        except BaseException as exc:  # noqa: B036 - a job's failure, whatever it is, must not kill the pool
            ok, text = False, describe_exception(exc)
        with self._lock:
            state[0], state[1], state[2] = None, state[1] + 1, iso_now()
        try:
            self._on_done(task.job_id, ok, text)
        finally:
            self._release()

    def _release(self, notify: bool = True) -> None:
        with self._lock:
            self._free += 1
            self._idle.notify_all()
        if notify:
            self._on_free()
