"""The warm counts path used by the ``counts`` program and by ``ExecutorRunFunc``.

Per process it caches the catalog, devices (with noise models), executors and an LRU of
QASM text → parsed and prepared circuit (Qrisp clients resend the same circuit), so a warm call
costs little more than the simulation itself.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qhost.catalog import default_catalog
from qhost.executors import get_executor
from qhost.executors.circuits import parse_qasm
from qhost.executors.limits import check_shots

if TYPE_CHECKING:
    from qhost.executors.aer.executor import CountsResult

__all__ = [
    "CIRCUIT_CACHE_SIZE",
    "ExecutorRunFunc",
    "clear_circuit_cache",
    "run_ideal_group",
    "run_qasm",
    "warm_up",
]

CIRCUIT_CACHE_SIZE = 256
_circuits: OrderedDict[tuple[str, str], Any] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True)
class ExecutorRunFunc:
    """A picklable Qrisp ``run_func(qasm, shots, token) -> counts`` bound to ``device@executor``.

    It runs in-process through the cached counts path (:func:`run_qasm`).
    The Qrisp helper reads ``.executor`` / ``.device`` to route such jobs to warm worker processes
    (program ``"counts"`` on backend ``f"{device}@{executor}"``) instead of the thread pool.
    """

    executor: str
    device: str

    @property
    def backend(self) -> str:
        return f"{self.device}@{self.executor}"

    def __call__(self, qasm: str, shots: int | None = None, token: str = "") -> dict[str, int]:
        return run_qasm(self.backend, qasm, shots).counts


def clear_circuit_cache() -> None:
    """Forget every cached prepared circuit (tests, memory pressure)."""
    with _lock:
        _circuits.clear()


def run_qasm(backend: str, qasm: str, shots: int | None, seed: int | None = None) -> CountsResult:
    """Run OpenQASM ``qasm`` on ``backend`` (``"fake_manila@aer"``) and return counts + metadata.

    Raises:
        UnknownBackend / ExecutorUnavailable: bad backend name or executor not usable here.
        InvalidCircuit: unparsable QASM or an unsupported gate.
        InvalidOption: shots out of range (the message names the limit).
        CircuitTooLarge: the circuit does not fit the method's memory limit.
    """
    entry = default_catalog().resolve(backend)
    if not isinstance(qasm, str):
        parse_qasm(qasm)  # raises InvalidCircuit
    shots = check_shots(shots)
    executor = get_executor(entry.executor)
    device = default_catalog().device(entry.device)
    prepare = getattr(executor, "prepare", None)
    if prepare is None or not hasattr(executor, "run_counts"):
        from qhost.executors.aer.executor import CountsResult

        start = time.perf_counter()
        counts = executor.counts(parse_qasm(qasm), shots, device, seed=seed)
        return CountsResult(counts, executor.name, not device.is_ideal, shots, time.perf_counter() - start)
    key = (backend, hashlib.blake2b(qasm.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest())
    prepared = _circuits.get(key)
    if prepared is None:
        prepared = prepare(parse_qasm(qasm), device)
        with _lock:
            _circuits[key] = prepared
            while len(_circuits) > CIRCUIT_CACHE_SIZE:
                _circuits.popitem(last=False)
    else:
        with _lock:
            if key in _circuits:
                _circuits.move_to_end(key)
    return executor.run_counts(prepared, shots, device, seed=seed)


def run_ideal_group(backend: str, qasms: list[str], shots: int | None) -> list[CountsResult] | None:
    """Run circuits of one batch with the same ``shots`` in **one** Aer call, when that gives what
    :func:`run_qasm` would: an ``aer`` backend on a noise-free device, no fixed seed. ``None`` otherwise
    (the caller then runs them one by one). Saves Aer's per-run set-up for many small circuits.

    Raises: as :func:`run_qasm`.
    """
    entry = default_catalog().resolve(backend)
    device = default_catalog().device(entry.device)
    executor = get_executor(entry.executor)
    if entry.executor != "aer" or not device.is_ideal or executor.options.get("seed_simulator") is not None:
        return None
    shots = check_shots(shots)
    prepared = [_prepared(backend, qasm, executor, device) for qasm in qasms]
    by_method: dict[tuple[str, str], list[int]] = {}
    for i, circuit in enumerate(prepared):
        by_method.setdefault(executor.choose_method(circuit, False, shots), []).append(i)  # type: ignore[attr-defined]
    results: list[Any] = [None] * len(prepared)
    for (aer_method, assumed), indices in by_method.items():
        for i, result in zip(
            indices,
            _one_call(executor, [prepared[i] for i in indices], shots, aer_method, assumed),
            strict=True,
        ):
            results[i] = result
    return results


def _one_call(
    executor: Any, prepared: list[Any], shots: int, aer_method: str, assumed: str
) -> list[CountsResult]:
    from qhost.errors import InvalidCircuit
    from qhost.executors.aer.executor import CountsResult
    from qhost.executors.aer.in_thread import execute
    from qhost.executors.circuits import format_counts
    from qhost.executors.errors import map_executor_errors

    widest = max(len(p.active) for p in prepared)
    executor.check_fits(assumed, widest)
    start = time.perf_counter()
    with map_executor_errors():
        result = execute(
            executor.simulator(aer_method),
            [p.circuit for p in prepared],
            shots=shots,
            max_parallel_threads=executor.threads_for(widest),
        )
        if not result.success:
            raise InvalidCircuit(f"Simulation failed: {result.status}")
        each = (time.perf_counter() - start) / len(prepared)
        return [
            CountsResult(
                format_counts(result.get_counts(i)) if p.circuit.clbits else {},
                result.results[i].metadata.get("method", assumed),
                False,
                shots,
                each,
            )
            for i, p in enumerate(prepared)
        ]


def _prepared(backend: str, qasm: str, executor: Any, device: Any) -> Any:
    """The prepared circuit of ``qasm`` for ``backend``, from the LRU (prepared and kept when missing)."""
    key = (backend, hashlib.blake2b(qasm.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest())
    with _lock:
        prepared = _circuits.get(key)
        if prepared is not None:
            _circuits.move_to_end(key)
            return prepared
    prepared = executor.prepare(parse_qasm(qasm), device)
    with _lock:
        _circuits[key] = prepared
        while len(_circuits) > CIRCUIT_CACHE_SIZE:
            _circuits.popitem(last=False)
    return prepared


def warm_up(backends: Iterable[str]) -> None:
    """Build executors and device calibrations for ``backends`` now (worker start-up); noise models are
    built per job for the qubits and gates it uses, so none is built here.

    Unknown or unavailable backends are skipped silently; a warm-up must never kill a worker.
    """
    for backend in backends:
        try:
            entry = default_catalog().resolve(backend)
            get_executor(entry.executor)
            default_catalog().device(entry.device).noise_builder()
        except Exception:  # noqa: BLE001 - best effort by design
            continue
