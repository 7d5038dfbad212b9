"""P6: quantum volume and QFT through the engine, ``ideal@custatevec`` vs ``ideal@aer`` (goal: ≥ 20x at 28 q).

For each size n (default 20, 22, 24, 26, 28, 30) and circuit (QV(n, depth n, seed 1234) and QFT(n)
on a random product input, both non-Clifford, with ``measure_all``), it submits a ``counts`` job
(1000 shots, fixed seed) to a ``JobEngine`` with one spawned worker process per backend and times
submit → completed (end to end, as a client sees it minus HTTP). Each backend gets a warm-up job first
(imports, CUDA context, cuStateVec handle). Aer's ``automatic`` method picks ``statevector`` for these
non-Clifford circuits, so both sides simulate the same state.

Circuits are sent as OpenQASM 2 over ``u``/``cx`` (transpiled once, optimization level 0), so both
executors see identical gates. Aer above ``--max-cpu-qubits`` (default 28) is skipped: one QV30 on a
small CPU takes minutes.

Usage::

    python benchmarks/p6_gpu_vs_cpu.py [--qubits 20 24 28] [--shots 1000] [--max-cpu-qubits 28]

Without a GPU it prints "no GPU: not run" and exits 0.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time

__all__ = ["main"]


def _header() -> dict[str, object]:
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _circuit_qasm(kind: str, n: int) -> str:
    import numpy as np
    from qiskit import QuantumCircuit, qasm2, transpile
    from qiskit.circuit.library import QFT, QuantumVolume

    if kind == "qv":
        qc = QuantumVolume(n, n, seed=1234)
    else:
        qc = QuantumCircuit(n)
        rng = np.random.default_rng(1)
        for q in range(n):
            qc.ry(float(rng.uniform(0, np.pi)), q)
        qc.compose(QFT(n), inplace=True)
    qc.measure_all()
    return qasm2.dumps(transpile(qc, basis_gates=["u", "cx"], optimization_level=0))


def _run_job(engine, backend: str, qasm: str, shots: int, timeout: float) -> tuple[float, str]:  # type: ignore[no-untyped-def]
    from qhost.jobs import JobSpec

    start = time.perf_counter()
    job = engine.submit(
        JobSpec(
            program="counts", inputs=json.dumps({"qasm": qasm, "shots": shots, "seed": 1}), backend=backend
        )
    )
    record = engine.wait(job.id, timeout=timeout)
    elapsed = time.perf_counter() - start
    return elapsed, str(record.status.value if hasattr(record.status, "value") else record.status)


def run(qubits: list[int], shots: int, max_cpu: int, timeout: float) -> list[dict[str, object]]:
    from qhost.engine import JobEngine
    from qhost.store import SqlStore

    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = JobEngine(SqlStore(f"sqlite:///{tmp}/p6.db"), process_workers=1, worker_mode="process")
        engine.start()
        try:
            warm = _circuit_qasm("qv", 10)
            for backend in ("ideal@custatevec", "ideal@aer"):
                _run_job(engine, backend, warm, shots, timeout)
            for kind in ("qv", "qft"):
                for n in qubits:
                    qasm = _circuit_qasm(kind, n)
                    gpu_t, gpu_status = _run_job(engine, "ideal@custatevec", qasm, shots, timeout)
                    row: dict[str, object] = {
                        "circuit": kind,
                        "n": n,
                        "gpu_s": round(gpu_t, 3),
                        "gpu_status": gpu_status,
                    }
                    if n <= max_cpu:
                        cpu_t, cpu_status = _run_job(engine, "ideal@aer", qasm, shots, timeout)
                        row.update(
                            cpu_s=round(cpu_t, 3), cpu_status=cpu_status, speedup=round(cpu_t / gpu_t, 1)
                        )
                    rows.append(row)
                    print(json.dumps(row), flush=True)
        finally:
            engine.stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qubits", type=int, nargs="+", default=[20, 22, 24, 26, 28, 30])
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--max-cpu-qubits", type=int, default=28)
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args(argv)
    print(json.dumps(_header()))
    from qhost.executors.custatevec.executor import CuStateVecExecutor

    availability = CuStateVecExecutor.availability()
    if not availability.ok:
        print(f"no GPU: not run ({availability.reason})")
        return 0
    print(json.dumps({"gpu": availability.reason or "available"}))
    rows = run(args.qubits, args.shots, args.max_cpu_qubits, args.timeout)
    at28 = [r["speedup"] for r in rows if r["n"] == 28 and "speedup" in r]
    print(json.dumps({"speedup_at_28": at28, "target_20x_met": bool(at28) and min(at28) >= 20}))  # type: ignore[type-var]
    return 0


if __name__ == "__main__":
    sys.exit(main())
