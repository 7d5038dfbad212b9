"""Heavy imports done once, in one thread, before the server answers anything.

Qiskit, Aer and the IBM runtime client are imported lazily (so ``import qhost`` stays cheap). Served
lazily, the first requests imported them from several request threads at once, and Python's import
locks can then refuse one import with ``_DeadlockError`` (two threads each holding a module lock the
other needs, e.g. on ``qiskit.providers.exceptions``): about 1 in 500 jobs sent while the server
started failed with 503 ``executor_unavailable``. ``import_heavy_modules`` runs in ``create_app``, under
a lock, before the app exists, so no request ever triggers those imports.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Iterable

__all__ = ["HEAVY_MODULES", "import_heavy_modules"]

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
