"""Distributed mode (RQ on Redis, PostgreSQL) against the embedded default, on one machine.

Usage::

    python benchmarks/distributed.py [--jobs 50] [--spin-jobs 200] [--skip-lost] [--cpu-breakdown]
                                     [--only overhead|throughput|cancel]

Starts its own ``redis-server`` (AOF) and PostgreSQL (the helpers of ``tests/distributed``), and
``qhost worker`` processes, all on loopback. Measures:

1. dispatch overhead: one 5-qubit GHZ job (ideal@aer, 100 shots) at a time, submit -> ``wait`` returns,
   embedded engine (SQLite, 1 warm worker process) vs distributed (PostgreSQL, Redis, ``qhost worker -n 1``);
2. throughput of ``--spin-jobs`` jobs of 200 ms CPU each with ``qhost worker -n 1`` and ``-n 2``;
3. time from ``kill -9`` of a worker (mid-job) to the job FAILED, with the default heartbeat (10 s),
   ``lost_after_s`` (60 s) and housekeeping period (5 s);
4. time from ``cancel()`` of a running remote job to its process gone (5 runs).

``--cpu-breakdown`` adds, for each throughput run, the CPU time each process spent during it (worker
parents, the children running the jobs, ``redis-server``, each PostgreSQL process, this process with the
server engine) in ms per job: with both cores busy, every such millisecond outside the job children is
taken from them (``cpu_breakdown.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests" / "distributed"
sys.path[:0] = [str(HERE), str(TESTS)]

from cpu_breakdown import Breakdown, snapshot  # noqa: E402
from dist_services import Postgres, Redis  # noqa: E402

__all__ = ["main", "spin"]

GHZ5 = (
    'OPENQASM 2.0;include "qelib1.inc";qreg q[5];creg c[5];h q[0];cx q[0],q[1];cx q[1],q[2];'
    "cx q[2],q[3];cx q[3],q[4];measure q->c;"
)


def spin(backend: str | None, inputs: str) -> str:
    """Busy for ``seconds`` of this process's CPU time (a CPU-bound job of known cost)."""
    seconds = float(json.loads(inputs)["seconds"])
    end = time.process_time() + seconds
    n = 0
    while time.process_time() < end:
        n += 1
    return json.dumps({"loops": n})


def _env() -> dict[str, str]:
    path = os.pathsep.join([str(HERE), str(TESTS), os.environ.get("PYTHONPATH", "")])
    return dict(os.environ, PYTHONPATH=path, QHOST_PROGRAMS="spin=distributed:spin,sleep=dist_progs:sleep")


def _worker(redis: Redis, db: str, n: int, *extra: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "qhost", "worker", "--broker", redis.url, "--database-url", db]
    cmd += ["--queue", "aer", "-n", str(n), "--log-level", "WARNING", *extra]
    return subprocess.Popen(cmd, env=_env(), start_new_session=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def _wait_workers(engine: Any, n: int) -> None:
    end = time.monotonic() + 120
    while time.monotonic() < end:
        if len([s for s in engine.worker_snapshots() if s["state"] == "idle"]) >= n:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{n} workers did not come up")


def _latencies(engine: Any, jobs: int) -> list[float]:
    from qhost.jobs import JobSpec, JobStatus

    spec = JobSpec(
        program="counts", backend="ideal@aer", inputs=json.dumps({"qasm": GHZ5, "shots": 100, "seed": 1})
    )
    out = []
    for i in range(jobs + 2):  # two warm-ups
        start = time.perf_counter()
        record = engine.wait(engine.submit(spec).id, 60)
        if record.status is not JobStatus.COMPLETED:
            raise RuntimeError(f"job failed: {record.error}")
        if i >= 2:
            out.append((time.perf_counter() - start) * 1000)
    return out


def _stats(values: list[float]) -> str:
    values = sorted(values)
    p90 = values[int(0.9 * (len(values) - 1))]
    return f"median {statistics.median(values):.1f} ms, p90 {p90:.1f} ms, min {values[0]:.1f} ms"


def overhead(redis: Redis, pg: Postgres, jobs: int) -> dict[str, float]:
    from qhost.engine import JobEngine
    from qhost.engine.distributed.engine import RqJobEngine
    from qhost.store import SqlStore

    with tempfile.TemporaryDirectory() as tmp:
        embedded = JobEngine(SqlStore(f"sqlite:///{tmp}/e.db"), process_workers=1)
        embedded.start()
        try:
            local = _latencies(embedded, jobs)
        finally:
            embedded.stop()
    db = pg.new_database()
    engine = RqJobEngine(SqlStore(db), redis.url)
    engine.start()
    worker = _worker(redis, db, 1)
    try:
        _wait_workers(engine, 1)
        remote = _latencies(engine, jobs)
    finally:
        _stop(worker)
        engine.stop()
    print(f"embedded    : {_stats(local)}")
    print(f"distributed : {_stats(remote)}")
    extra = statistics.median(remote) - statistics.median(local)
    print(f"extra per job (median): {extra:.1f} ms")
    return {"embedded": statistics.median(local), "distributed": statistics.median(remote)}


def throughput(redis: Redis, pg: Postgres, jobs: int, breakdown: bool = False) -> dict[int, float]:
    from qhost.engine.distributed.engine import RqJobEngine
    from qhost.jobs import JobSpec
    from qhost.programs import register_program
    from qhost.store import SqlStore

    register_program("spin", "distributed:spin")
    rates = {}
    for n in (1, 2):
        db = pg.new_database()
        engine = RqJobEngine(SqlStore(db), redis.url)
        engine.start()
        worker = _worker(redis, db, n)
        try:
            _wait_workers(engine, n)
            spec = JobSpec(program="spin", backend="ideal@aer", inputs=json.dumps({"seconds": 0.2}))
            pids = ([worker.pid], redis.proc.pid if redis.proc else None, pg.pid)
            before = snapshot(*pids) if breakdown else {}
            start = time.perf_counter()
            ids = [engine.submit(spec).id for _ in range(jobs)]
            for job_id in ids:
                engine.wait(job_id, 600)
            rates[n] = jobs / (time.perf_counter() - start)
            after = snapshot(*pids) if breakdown else {}
        finally:
            _stop(worker)
            engine.stop()
        print(f"{jobs} jobs of 200 ms CPU, {n} worker(s): {rates[n]:.2f} jobs/s")
        if breakdown:
            print("\n".join(Breakdown(before, after, jobs).lines()))
    print(f"2 workers / 1 worker: {rates[2] / rates[1]:.2f}x")
    return rates


def _sleep_job(engine: Any, marker: Path, tag: str, seconds: float) -> Any:
    from qhost.jobs import JobSpec

    inputs = json.dumps({"marker": str(marker), "tag": tag, "seconds": seconds})
    return engine.submit(JobSpec(program="sleep", backend="ideal@aer", inputs=inputs))


def _started(marker: Path, count: int) -> list[list[str]]:
    end = time.monotonic() + 60
    while time.monotonic() < end:
        lines = marker.read_text().splitlines() if marker.exists() else []
        if len(lines) >= count:
            return [line.split() for line in lines]
        time.sleep(0.01)
    raise RuntimeError("job did not start")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def cancel_and_lost(redis: Redis, pg: Postgres, measure_lost: bool) -> None:
    from qhost.engine.distributed.engine import RqJobEngine
    from qhost.jobs import JobStatus
    from qhost.programs import register_program
    from qhost.store import SqlStore
    from qhost.store.claims import run_info

    register_program("sleep", "dist_progs:sleep")
    db = pg.new_database()
    engine = RqJobEngine(SqlStore(db), redis.url)  # defaults: lost_after_s 60, housekeeping every 5 s
    engine.start()
    worker = _worker(redis, db, 1)
    with tempfile.TemporaryDirectory() as tmp:
        marker = Path(tmp) / "m"
        try:
            _wait_workers(engine, 1)
            times = []
            for i in range(5):
                job = _sleep_job(engine, marker, f"c{i}", 60)
                pid = int(_started(marker, i + 1)[i][1])
                start = time.perf_counter()
                engine.cancel(job.id)
                while _alive(pid):
                    time.sleep(0.001)
                times.append((time.perf_counter() - start) * 1000)
            print(f"cancel of a running remote job -> process gone: {_stats(times)}")
            if measure_lost:
                job = _sleep_job(engine, marker, "lost", 600)
                _started(marker, 6)
                os.kill(run_info(engine.store, [job.id])[job.id].pid, signal.SIGKILL)
                start = time.perf_counter()
                while engine.get(job.id).status is not JobStatus.FAILED:
                    time.sleep(0.2)
                took = time.perf_counter() - start
                print(f"kill -9 of the worker -> job FAILED ('worker lost'): {took:.1f} s")
        finally:
            _stop(worker)
            engine.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--spin-jobs", type=int, default=200)
    parser.add_argument("--skip-lost", action="store_true", help="skip the ~65 s lost-worker measurement")
    parser.add_argument("--cpu-breakdown", action="store_true", help="CPU ms per job of each process")
    parser.add_argument("--only", choices=("overhead", "throughput", "cancel"), help="run one part")
    args = parser.parse_args()
    redis, pg = Redis().start(), Postgres().start()
    try:
        if args.only in (None, "overhead"):
            overhead(redis, pg, args.jobs)
        if args.only in (None, "throughput"):
            throughput(redis, pg, args.spin_jobs, args.cpu_breakdown)
        if args.only in (None, "cancel"):
            cancel_and_lost(redis, pg, not args.skip_lost)
    finally:
        redis.close()
        pg.close()


if __name__ == "__main__":
    main()
