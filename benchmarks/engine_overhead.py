"""Per-job overhead of the job engine itself: submit -> completed for a program that does nothing.

Usage::

    python benchmarks/engine_overhead.py [--jobs 300] [--mode process|thread|both]

Prints, per worker mode, the sequential latency (one job at a time: submit, then ``wait``) and the
throughput with 4 submitting threads, on a fresh SQLite file in a temporary directory. Simulation cost
is zero here, so the numbers are what the engine adds to every job (store writes, dispatch, the pipe to
the worker process, the wake-up of the waiter).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

__all__ = ["main", "noop"]

sys.path.insert(0, str(Path(__file__).resolve().parent))


def noop(backend: str | None, inputs: str) -> str:
    """The trivial program: returns its inputs."""
    return inputs


def _engine(tmp: str, mode: str):  # type: ignore[no-untyped-def]
    from qhost.engine import JobEngine
    from qhost.programs import register_program
    from qhost.store import SqlStore

    register_program("noop", "engine_overhead:noop")
    store = SqlStore(f"sqlite:///{tmp}/{mode}.db")
    return JobEngine(store, process_workers=2, worker_mode=mode, warm_modules=())


def _sequential(engine, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    from qhost.jobs import JobSpec

    times = []
    for _ in range(n):
        start = time.perf_counter()
        job = engine.submit(JobSpec(program="noop", inputs="{}"))
        assert engine.wait(job.id, timeout=30).result == "{}"
        times.append(time.perf_counter() - start)
    return times


def _throughput(engine, n: int, threads: int = 4) -> float:  # type: ignore[no-untyped-def]
    from qhost.jobs import JobSpec

    def client() -> None:
        for _ in range(n // threads):
            job = engine.submit(JobSpec(program="noop", inputs="{}"))
            engine.wait(job.id, timeout=60)

    workers = [threading.Thread(target=client) for _ in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return (n // threads * threads) / (time.perf_counter() - start)


def run(mode: str, jobs: int) -> None:
    """Measure one worker mode and print the results."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = _engine(tmp, mode)
        engine.start()
        try:
            _sequential(engine, 20)  # warm-up: workers spawned, statements compiled
            cpu = time.process_time()
            lat = _sequential(engine, jobs)
            cpu_ms = (time.process_time() - cpu) / jobs * 1000
            rate = _throughput(engine, jobs)
        finally:
            engine.stop()
            engine.store.close()
    ms = sorted(t * 1000 for t in lat)
    print(
        f"{mode:8s} sequential: median {statistics.median(ms):.2f} ms, p90 {ms[int(0.9 * len(ms))]:.2f} ms; "
        f"server CPU {cpu_ms:.2f} ms/job; 4 submitters: {rate:.0f} jobs/s"
    )


def main() -> None:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--mode", choices=["process", "thread", "both"], default="both")
    args = parser.parse_args()
    for mode in ("process", "thread") if args.mode == "both" else (args.mode,):
        run(mode, args.jobs)


if __name__ == "__main__":
    main()
