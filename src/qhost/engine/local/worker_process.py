"""What runs inside a worker process: warm up, then run programs sent over a pipe until EOF.

The parent side (pools, slots, cancellation) is in ``workers.py``; this module is all a worker imports
from the engine, so workers never load SQLAlchemy or the server.

A worker is a fresh interpreter started as ``python -c BOOTSTRAP ...`` (``bootstrap_command``), not a
``multiprocessing`` child: multiprocessing's ``spawn`` re-imports the parent's ``__main__`` (a user's
script) in every child, so a script without ``if __name__ == "__main__":`` started servers recursively
and hung. Workers run catalog programs by name and never need the user's script.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Sequence
from multiprocessing.connection import Connection

from qhost.errors import QhostError

__all__ = [
    "HELLO",
    "PROGRESS",
    "READY_TARGET",
    "bootstrap_command",
    "describe_exception",
    "freeze_heap",
    "ready",
    "serve_fd",
    "worker_main",
]

log = logging.getLogger(__name__)


def describe_exception(exc: BaseException) -> str:
    """The failure reason a job records for an exception its program raised."""
    if isinstance(exc, QhostError):
        return exc.message
    if isinstance(exc, MemoryError):
        detail = str(exc) or "the job needed more memory than the worker may use"
        return f"out of memory: {detail}"
    return f"{type(exc).__name__}: {exc}"


def _warm_up(modules: Sequence[str]) -> None:
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:  # a missing optional module must not stop the worker
            log.debug("worker warm-up: cannot import %s: %s", name, exc)


def freeze_heap() -> None:
    """Collect once, then exempt every object alive now from later garbage collections (``gc.freeze``).

    Call it when a process is warm (qiskit, Aer and friends imported: millions of objects that live as
    long as the process). Otherwise every full collection walks them all: a job that allocates many
    containers (decoding a 156-qubit device's calibration, say) triggers one and pays 100+ ms for it.
    """
    import gc

    gc.collect()
    gc.freeze()


def _limit_memory(limit_bytes: int | None) -> None:
    """Cap this process's address space (``qhost.engine.local.memory_floor``) before it imports anything.

    The executors' own estimate gets the cap less the unused address space a warm worker maps
    (``QHOST_MAX_MEMORY_MB``, unless set), so a circuit that cannot fit is refused before it runs.
    """
    if not limit_bytes:
        return
    import resource

    from qhost.engine.local.memory_floor import MIN_WORKER_MEMORY_MB, address_space_overhead_mb

    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    usable = max(MIN_WORKER_MEMORY_MB // 4, (limit_bytes >> 20) - address_space_overhead_mb())
    os.environ.setdefault("QHOST_MAX_MEMORY_MB", str(usable))


def ready(backend: str | None, inputs: str) -> str:
    """A no-op program: its answer tells the parent that this worker has finished warming up."""
    return "{}"


READY_TARGET = f"{__name__}:ready"
"""Target of ``ready``, for a parent that waits until its worker is warm (``qhost worker``)."""

PROGRESS = "progress"
"""First item of a progress message ``("progress", done, total, unit)`` sent before a task's answer."""


def _serve_one(msg: tuple[str, str | None, str], conn: Connection) -> tuple[str, str, bool]:
    from qhost.programs import run_target
    from qhost.programs.progress import Throttle, listening

    target, backend, inputs = msg
    throttle = Throttle(lambda done, total, unit: conn.send((PROGRESS, done, total, unit)))
    try:
        with listening(throttle):
            out = run_target(target, backend, inputs)
        throttle.finish()
        return "ok", out, False
    except MemoryError as exc:
        return "err", describe_exception(exc), True  # retire: the heap may be fragmented or half-freed
    except BaseException as exc:  # noqa: B036 - report every failure of the job, keep serving
        return "err", describe_exception(exc), False
    finally:
        throttle.close()  # no held report may reach the pipe after the answer


HELLO = "hello"
"""First message a worker sends, ``("hello", pid)``, once its interpreter runs (before the warm-up)."""

_BOOTSTRAP = (
    "import sys, json; sys.path[:] = json.loads(sys.argv[1]); "
    "from qhost.engine.local.worker_process import serve_fd; serve_fd(sys.argv[2:])"
)


def bootstrap_command(
    executable: str,
    fd: int,
    warm_modules: Sequence[str],
    memory_limit_bytes: int | None,
    sys_path: Sequence[str],
) -> list[str]:
    """The command line of a worker process serving the socket ``fd`` (inherited through ``pass_fds``).

    The worker gets the parent's ``sys.path`` (so programs a user registered from modules beside the
    script resolve) but never imports the parent's ``__main__``.
    """
    import json

    return [
        executable,
        "-c",
        _BOOTSTRAP,
        json.dumps(list(sys_path)),
        str(fd),
        str(os.getpid()),
        str(memory_limit_bytes or 0),
        *warm_modules,
    ]


def serve_fd(argv: Sequence[str]) -> None:
    """``bootstrap_command``'s entry: ``fd parent_pid memory_limit_bytes warm_module...``."""
    conn = Connection(int(argv[0]))
    worker_main(conn, tuple(argv[3:]), int(argv[2]) or None, parent_pid=int(argv[1]))


def _die_with_parent(parent_pid: int | None = None) -> None:
    """On Linux, have the kernel SIGKILL this worker when the server dies (even by ``kill -9``)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - no glibc: workers still exit on EOF
        return
    if parent_pid is None:
        parent = multiprocessing.parent_process()
        parent_pid = parent.pid if parent is not None else None
    if parent_pid is not None and os.getppid() != parent_pid:  # the server died before prctl took effect
        os._exit(0)  # (not ``getppid() == 1``: in a container the server itself may be PID 1)


def worker_main(
    conn: Connection,
    warm_modules: Sequence[str],
    memory_limit_bytes: int | None,
    parent_pid: int | None = None,
) -> None:
    """Entry point of a worker process: warm up, then run tasks from ``conn`` until EOF or ``None``.

    Before its answer a task may send progress messages ``("progress", done, total, unit)``
    (throttled, see ``qhost.programs.progress``). Each answer is ``(kind, text, retire)`` with kind
    ``"ok"`` or ``"err"``; ``retire`` means the worker exits after answering and the parent starts a
    fresh one. The very first message is ``("hello", pid)``: the parent waits a bounded time for it.
    """
    if hasattr(os, "setpgrp"):
        os.setpgrp()  # its own process group, so a kill also reaches anything the program started
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server; workers end on EOF
    try:
        conn.send((HELLO, os.getpid()))
    except OSError:
        return
    _limit_memory(memory_limit_bytes)
    _warm_up(warm_modules)
    freeze_heap()
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        answer = _serve_one(msg, conn)
        try:
            conn.send(answer)
        except (BrokenPipeError, OSError):
            return
        if answer[2]:
            os._exit(0)
