"""Executors turn circuits into results; this module is their registry (names → ``"module:Class"``, lazy).
One sub-package per executor family (aer, statevector, custatevec, sims), named here by string only.

May import: qhost.devices, qhost.config, qhost.errors.

``qhost.executors`` imports nothing heavy: no qiskit-aer, no GPU packages. A registered executor whose
module cannot be imported is still listed; :func:`executor_class` then returns a stand-in class whose
``availability()`` says why (with the install command), and whose constructor raises
:class:`~qhost.errors.ExecutorUnavailable`.

Example:
    >>> from qhost.executors import EXECUTOR_NAMES, executor_class, get_executor
    >>> [n for n in EXECUTOR_NAMES if executor_class(n).availability().ok]
    ['aer']
    >>> get_executor("aer").name
    'aer'
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

from qhost.errors import ExecutorUnavailable, InvalidOption
from qhost.executors.base import Availability, Executor

__all__ = [
    "EXECUTORS",
    "EXECUTOR_NAMES",
    "executor_availability",
    "executor_class",
    "get_executor",
    "register_executor",
]

EXECUTORS: dict[str, str] = {
    "aer": "qhost.executors.aer.executor:AerExecutor",
    "custatevec": "qhost.executors.custatevec.executor:CuStateVecExecutor",
    "aer_mps": "qhost.executors.aer.methods:AerMpsExecutor",
    "aer_stabilizer": "qhost.executors.aer.methods:AerStabilizerExecutor",
    "aer_density_matrix": "qhost.executors.aer.methods:AerDensityMatrixExecutor",
    "ddsim": "qhost.executors.sims.ddsim:DdsimExecutor",
    "qulacs": "qhost.executors.sims.qulacs:QulacsExecutor",
    "stim": "qhost.executors.sims.stim:StimExecutor",
}
"""Registered executor names → ``"module:Class"`` (imported on first use)."""

EXECUTOR_NAMES: tuple[str, ...] = tuple(EXECUTORS)
"""Names registered at import time (use ``tuple(EXECUTORS)`` to see later registrations)."""

_INSTALL_HINTS = {"custatevec": "pip install -e '.[gpu]'"}
_classes: dict[str, type[Executor]] = {}
_instances: dict[str, Executor] = {}
_lock = threading.Lock()


def register_executor(name: str, target: str) -> None:
    """Register (or replace) an executor as ``"module:Class"``; it is imported on first use."""
    global EXECUTOR_NAMES
    if ":" not in target:
        raise InvalidOption(f"Executor target {target!r} must look like 'package.module:Class'")
    EXECUTORS[name] = target
    EXECUTOR_NAMES = tuple(EXECUTORS)
    _classes.pop(name, None)
    _instances.pop(name, None)


def _unavailable_class(name: str, reason: str) -> type[Executor]:
    """A stand-in executor class for a registered executor whose module cannot be imported."""

    def availability(cls: type[Executor]) -> Availability:
        return Availability(False, reason)

    def init(self: Executor, **options: Any) -> None:
        raise ExecutorUnavailable(f"Executor {name!r} is unavailable: {reason}")

    namespace = {"name": name, "availability": classmethod(availability), "__init__": init}
    namespace.update(counts=_raise_unavailable, sample=_raise_unavailable, estimate=_raise_unavailable)
    return type(f"Unavailable_{name}", (Executor,), namespace)


def _raise_unavailable(self: Executor, *args: Any, **kwargs: Any) -> Any:
    raise ExecutorUnavailable(f"Executor {self.name!r} is unavailable")


def executor_class(name: str) -> type[Executor]:
    """Return the executor class registered as ``name`` (importing its module on first use).

    Raises:
        InvalidOption: ``name`` is not registered (the message lists the registered names).
    """
    cls = _classes.get(name)
    if cls is not None:
        return cls
    target = EXECUTORS.get(name)
    if target is None:
        raise InvalidOption(f"Unknown executor {name!r}; valid: {sorted(EXECUTORS)}")
    module_name, _, attr = target.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except ImportError as exc:
        hint = _INSTALL_HINTS.get(name, "check that its package is installed")
        cls = _unavailable_class(name, f"cannot import {module_name} ({exc}); {hint}")
    except AttributeError:
        cls = _unavailable_class(name, f"{module_name} has no class {attr!r}")
    _classes[name] = cls
    return cls


def executor_availability(name: str) -> Availability:
    """``executor_class(name).availability()``, never raising for a broken optional executor."""
    try:
        return executor_class(name).availability()
    except Exception as exc:  # an optional executor's probe must not break listings
        return Availability(False, f"availability probe failed: {type(exc).__name__}: {exc}")


def get_executor(name: str) -> Executor:
    """Return the process-wide instance of executor ``name`` with default options.

    Raises:
        InvalidOption: ``name`` is not registered.
        ExecutorUnavailable: the executor cannot run here (the message says why).
    """
    executor = _instances.get(name)
    if executor is not None:
        return executor
    with _lock:
        executor = _instances.get(name)
        if executor is None:
            availability = executor_availability(name)
            if not availability.ok:
                raise ExecutorUnavailable(f"Executor {name!r} is unavailable: {availability.reason}")
            executor = executor_class(name)()
            _instances[name] = executor
    return executor
