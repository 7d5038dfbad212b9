"""Heavy imports done once, in one thread, before the server answers anything that needs them.

Qiskit, Aer and the IBM runtime client are imported lazily (so ``import qhost`` stays cheap). Served
lazily, the first requests imported them from several request threads at once, and Python's import
locks can then refuse one import with ``_DeadlockError`` (two threads each holding a module lock the
other needs, e.g. on ``qiskit.providers.exceptions``): about 1 in 500 jobs sent while the server
started failed with 503 ``executor_unavailable``. ``import_heavy_modules`` runs under a lock
in one background thread that ``create_app`` starts (:class:`BackgroundImports`); every request except
the cheap status pages (``GET /``, ``GET /version``, which import nothing heavy) waits for it first, so
no request ever triggers those imports, while the server answers its first ``GET /`` without waiting
for them (issue 16: the first answer within 1.5 s of start instead of after 2-3 s of imports).
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Iterable

from qhost.engine.local.worker_process import freeze_heap

__all__ = ["HEAVY_MODULES", "LIGHT_MODULES", "BackgroundImports", "import_heavy_modules"]

log = logging.getLogger(__name__)

HEAVY_MODULES: tuple[str, ...] = (
    "numpy",
    "qiskit",
    "qiskit.providers.exceptions",
    "qiskit.qpy",
    "qiskit.primitives",
    "qiskit.quantum_info",
    "qiskit_ibm_runtime",
    "qiskit_ibm_runtime.fake_provider",
    "qhost.catalog",
    "qhost.protocols.ibm_runtime",
    "qhost.protocols.ibm_executor",
)
"""Modules a request may need that take long to import (the executors' modules are added per server)."""

LIGHT_MODULES: tuple[str, ...] = ("qhost.catalog", "qhost.devices.index")
"""What the status page needs: imported synchronously by ``create_app`` (tens of milliseconds), so that the
status page never imports while the background thread does."""

_lock = threading.Lock()
_done: set[str] = set()


def import_heavy_modules(executors: Iterable[str] | None = None) -> float:
    """Import ``HEAVY_MODULES`` and the configured executors' modules; returns the seconds it took.

    A module that cannot be imported (an optional executor's package missing) is skipped: the catalog
    reports it as unavailable, as before.
    """
    from qhost.executors import EXECUTORS

    names = [*HEAVY_MODULES]
    for name in EXECUTORS if executors is None else executors:
        target = EXECUTORS.get(name)
        if target:
            names.append(target.partition(":")[0])
    start = time.perf_counter()
    with _lock:
        for module in names:
            if module in _done:
                continue
            try:
                importlib.import_module(module)
            except Exception as exc:  # optional packages: the catalog says why later
                log.debug("warm-up: cannot import %s: %s", module, exc)
            _done.add(module)
    return time.perf_counter() - start


class BackgroundImports:
    """``import_heavy_modules(executors)`` in a daemon thread; ``wait()`` blocks until it is done."""

    def __init__(self, executors: Iterable[str] | None = None) -> None:
        for module in LIGHT_MODULES:
            importlib.import_module(module)
        self._done = threading.Event()
        self._executors = None if executors is None else tuple(executors)
        self._thread = threading.Thread(target=self._run, args=(True,), name="qhost-imports", daemon=True)

    def start(self) -> BackgroundImports:
        """Import in a daemon thread (``qhost serve``: the process is ours, so its heap is frozen after)."""
        self._thread.start()
        return self

    def run_now(self) -> BackgroundImports:
        """Do the imports in the calling thread (for an app embedded in a program whose own threads go on
        importing: two threads importing qiskit's extension modules at once can crash the process)."""
        self._run()
        return self

    def _run(self, freeze: bool = False) -> None:
        try:
            seconds = import_heavy_modules(self._executors)
            log.debug("warm-up: heavy imports took %.2f s", seconds)
            if freeze:  # what the imports built lives as long as the process: keep the GC off it
                freeze_heap()  # (never in a program that embeds us: its heap is not ours to freeze)
        finally:
            self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the imports are done (True), or ``timeout`` seconds passed (False)."""
        return self._done.wait(timeout)

    @property
    def done(self) -> bool:
        return self._done.is_set()
