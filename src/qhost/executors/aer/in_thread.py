"""Run Aer jobs and Aer's V2 primitives in the calling thread, not through Aer's and qiskit's job threads.

``AerSimulator.run`` hands every job to a shared one-thread executor and the caller then blocks on its
future; ``SamplerV2.run`` / ``EstimatorV2.run`` wrap that in a ``PrimitiveJob`` that starts a *new*
thread per call. For the small jobs qhost mostly serves, those thread hand-offs cost about as much as the
simulation (a new thread plus two wake-ups per job on busy cores). Here the same functions those threads
would run are called directly: ``AerBackend._execute_circuits_job`` and the primitive's ``_run``. Against an
Aer version without them, everything falls back to the public ``run().result()``.

May import: qiskit / qiskit-aer (lazily, through the objects it is given).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from typing import Any

__all__ = ["InThreadBackend", "execute", "run_primitive"]

_RUN_LOCK = threading.Lock()  # one Aer run at a time per process, as Aer's own one-thread job executor does


def execute(sim: Any, circuits: Any, parameter_binds: Any = None, **run_options: Any) -> Any:
    """``sim.run(circuits, parameter_binds, **run_options).result()``, run in the calling thread."""
    run = getattr(sim, "_execute_circuits_job", None)
    if run is None:
        return sim.run(circuits, parameter_binds=parameter_binds, **run_options).result()
    if not isinstance(circuits, list):
        circuits = [circuits]
    with _RUN_LOCK:
        return run(circuits, parameter_binds, run_options, str(uuid.uuid4()))


class _Done:
    """A finished job: what ``AerJob.result()`` would have returned."""

    def __init__(self, result: Any) -> None:
        self._result = result

    def result(self) -> Any:
        return self._result


class InThreadBackend:
    """Stands in for an ``AerSimulator`` inside an Aer primitive: ``run`` executes before it returns."""

    def __init__(self, sim: Any) -> None:
        self.sim = sim

    def run(self, circuits: Any, parameter_binds: Any = None, **run_options: Any) -> _Done:
        return _Done(execute(self.sim, circuits, parameter_binds, **run_options))


def run_primitive(primitive: Any, pubs: Sequence[Any]) -> Any:
    """``primitive.run(pubs).result()`` for an Aer ``SamplerV2`` / ``EstimatorV2``, in this thread.

    ``pubs`` must already be coerced (``SamplerPub`` / ``EstimatorPub``), as ``run`` would make them.
    """
    run = getattr(primitive, "_run", None)
    sim = getattr(primitive, "_backend", None)
    if isinstance(sim, InThreadBackend):
        sim = sim.sim  # a primitive reused from a cache: already switched over
    if run is None or sim is None or not hasattr(sim, "_execute_circuits_job"):
        return primitive.run(list(pubs)).result()
    validate = getattr(primitive, "_validate_pubs", None)
    if validate is not None:
        validate(list(pubs))
    primitive._backend = InThreadBackend(sim)
    return run(list(pubs))
