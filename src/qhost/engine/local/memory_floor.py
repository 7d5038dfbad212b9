"""The memory floor under every job: how large a worker process's address space may grow.

Every worker process (the embedded ``ProcessPool`` and ``qhost worker``'s children) sets
``RLIMIT_AS`` on itself before it imports anything, so a job that allocates past it gets ``MemoryError``
(or a simulator's ``std::bad_alloc``) and fails with "out of memory: …"; the worker then retires and a
fresh one takes its place. Without the cap such a job grows until the kernel's out-of-memory killer
picks a victim, which may be the server itself.

``Settings.worker_memory_mb`` (``QHOST_WORKER_MEMORY_MB``, ``--worker-memory-mb``): ``None``/``auto``
(default) sizes the cap as below, a number of MiB sets it, ``0``/``off`` removes it.

The automatic size: three quarters of physical memory (or of the container's cgroup memory limit, when
that is smaller) shared among the worker processes of this
machine (``workers``), plus ``address_space_overhead_mb()`` per worker. Shared, so that all workers at
their caps at once still leave a quarter of the machine to the server and the system; the overhead,
because ``RLIMIT_AS`` counts address space a warm worker reserves but never touches (shared libraries,
and per thread a stack and a malloc arena: a warm worker that ran Aer jobs maps 1.8 GiB while it uses
230 MiB, measured on a 2-core VM; Aer starts one OpenMP thread per core).
A worker also exports its cap minus the overhead as ``QHOST_MAX_MEMORY_MB`` when that is unset, so the
executors' own estimate (``qhost.executors.limits``) refuses a circuit that cannot fit before it runs.
"""

from __future__ import annotations

import os

__all__ = [
    "MIN_WORKER_MEMORY_MB",
    "address_space_overhead_mb",
    "auto_worker_memory_mb",
    "physical_memory_mb",
    "worker_memory_mb",
]

MIN_WORKER_MEMORY_MB = 1024
"""The smallest automatic share of memory per worker, in MiB (on top of the overhead)."""


_CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
"""Where a container's memory limit is (cgroup v2, then v1): a container sees the host's physical memory."""


def physical_memory_mb() -> int:
    """This machine's physical memory in MiB, or the container's memory limit when that is smaller."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        total = 0
    for path in _CGROUP_LIMITS:
        try:
            with open(path, encoding="ascii") as handle:
                text = handle.read().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = int(text)
        break
    return total >> 20


def address_space_overhead_mb() -> int:
    """Address space a warm worker maps without using it, in MiB: 2 GiB of libraries and heap, and
    128 MiB per core (a thread's stack and malloc arena)."""
    return 2048 + 128 * (os.cpu_count() or 1)


def auto_worker_memory_mb(workers: int) -> int:
    """The automatic cap: ¾ of physical memory over ``workers`` (at least ``MIN_WORKER_MEMORY_MB``), plus
    ``address_space_overhead_mb()``."""
    share = physical_memory_mb() * 3 // 4 // max(1, workers)
    return max(MIN_WORKER_MEMORY_MB, share) + address_space_overhead_mb()


def worker_memory_mb(setting: int | None, workers: int) -> int | None:
    """The cap each of ``workers`` worker processes runs with: ``None`` for none (``setting`` 0)."""
    if setting == 0:
        return None
    if setting is None:
        return auto_worker_memory_mb(workers)
    return setting
