"""The console and ``/metrics`` with 100,000 jobs in the store: workloads page, job page, scrape.

Usage::

    python benchmarks/console_100k.py [--jobs 100000] [--repeat 15]

Fills a fresh SQLite store (in a temporary directory) with ``--jobs`` jobs: 10 owners, 12 backends on
three executors, states mostly completed with some failed and cancelled (none queued, so the server runs
nothing while it is measured); each row carries
a Bell-circuit ``counts`` input and result (~0.5 KiB per row, as a Qrisp job stores). One real IBM Sampler
job (GHZ-3 on fake_manila@aer, run through the sampler program) is added for the job page. Then serves the
app with waitress on a free loopback port and times HTTP GETs (``requests``, one kept-alive session): the
first request per page (cold caches: templates, the job page's decode, the metrics' duration cache), then
median and maximum of ``--repeat`` more. The console's target: each under 300 ms.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sqlite3
import statistics
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = ["fill", "main"]

BELL = 'OPENQASM 2.0;include "qelib1.inc";qreg q[2];creg c[2];h q[0];cx q[0],q[1];measure q -> c;'
OWNERS = [f"key-{i:016x}" for i in range(10)]
BACKENDS = [
    f"{d}@{e}"
    for d in ("fake_manila", "fake_lima", "fake_sherbrooke", "ideal")
    for e in ("aer", "ddsim", "stim")
]
COLUMNS = (
    "id, seq, owner, program, backend, status, inputs, result, error, session_id, serial_key, tags, "
    "idempotency_key, meta, created_at, started_at, finished_at, worker_pid, heartbeat_at"
)
INSERT = f"INSERT INTO jobs ({COLUMNS}) VALUES ({', '.join('?' * 19)})"
STATES = ["completed"] * 90 + ["failed"] * 5 + ["cancelled"] * 5


def fill(db: Path, jobs: int, seed: int = 1) -> None:
    """Insert ``jobs`` rows into the store at ``db`` (schema created by ``SqlStore``) in one transaction."""
    from qhost.store import SqlStore

    SqlStore(f"sqlite:///{db}").close()
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=30)
    inputs = json.dumps({"qasm": BELL, "shots": 1000, "seed": None})
    result = json.dumps(
        {"counts": {"00": 503, "11": 497}, "metadata": {"method": "statevector", "shots": 1000}}
    )
    rows = []
    for seq in range(1, jobs + 1):
        created = start + timedelta(seconds=seq * 20)
        state = rng.choice(STATES) if seq < jobs - 5 else "running"
        started = created + timedelta(milliseconds=rng.randint(1, 3000))
        finished = (
            started + timedelta(milliseconds=rng.randint(2, 5000))
            if state not in ("queued", "running") and started
            else None
        )
        job_id, owner, backend = f"{rng.getrandbits(128):032x}", rng.choice(OWNERS), rng.choice(BACKENDS)
        rows.append((
            job_id, seq, owner, "counts", backend, state, inputs,
            result if state == "completed" else None, "Boom: failed" if state == "failed" else None,
            None, None, "[]", None, "{}", _iso(created), _iso(started), _iso(finished), 4242,
            _iso(finished or started),
        ))  # fmt: skip
    with sqlite3.connect(db) as conn:
        conn.executemany(INSERT, rows)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="microseconds")


def sampler_row() -> tuple[str, str]:
    """``(inputs, result)`` of a real SamplerV2 job: GHZ-3, 2000 shots, on fake_manila@aer.

    Runs in a spawned process (as a worker would), so this process imports no simulator.
    """
    from qiskit import QuantumCircuit
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_ibm_runtime import RuntimeEncoder
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    from qhost.programs.primitives import run_sampler

    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.measure_all()
    isa = generate_preset_pass_manager(backend=FakeManilaV2(), optimization_level=1, seed_transpiler=1).run(
        qc
    )
    inputs = json.dumps({"pubs": [(isa, None, 2000)], "version": 2, "options": {}}, cls=RuntimeEncoder)
    return inputs, run_sampler("fake_manila@aer", inputs)


def _add_sampler_job(db: Path) -> str:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        inputs, result = pool.submit(sampler_row).result(timeout=300)
    now = datetime.now(UTC)
    job_id = "5a" * 16
    with sqlite3.connect(db) as conn:
        seq = conn.execute("SELECT max(seq) FROM jobs").fetchone()[0] + 1
        conn.execute(
            INSERT,
            (job_id, seq, OWNERS[0], "sampler", "fake_manila@aer", "completed", inputs, result, None, None,
             None, "[]", None, "{}", _iso(now), _iso(now), _iso(now + timedelta(milliseconds=40)), 1, None),
        )  # fmt: skip
    return job_id


def _time(session: Any, url: str, repeat: int) -> tuple[float, float, float, int]:
    """``(first, median, max, bytes)``: the first request (cold caches) apart, then ``repeat`` more."""
    t0 = time.perf_counter()
    session.get(url).raise_for_status()
    first = (time.perf_counter() - t0) * 1000
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        answer = session.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        answer.raise_for_status()
    return first, statistics.median(times), max(times), len(answer.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    import requests
    from waitress.server import create_server

    from qhost.config import Settings
    from qhost.server.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        fill(Path(tmp) / "qhost.db", args.jobs)
        print(f"filled {args.jobs} jobs in {time.perf_counter() - t0:.1f} s")
        sampler_id = _add_sampler_job(Path(tmp) / "qhost.db")
        settings = Settings.from_env(data_dir=tmp, worker_mode="thread", process_workers=1, max_queued=10**6)
        app = create_app(settings)  # recovery fails the 5 "running" rows; nothing is queued, so nothing runs
        with sqlite3.connect(Path(tmp) / "qhost.db") as conn:
            counts_id = conn.execute("SELECT id FROM jobs WHERE status='completed' AND seq=50000").fetchone()
            counts_id = (
                counts_id[0] if counts_id else conn.execute("SELECT id FROM jobs LIMIT 1").fetchone()[0]
            )
        server = create_server(app, host="127.0.0.1", port=0, threads=4)
        threading.Thread(target=server.run, daemon=True).start()
        base = f"http://127.0.0.1:{server.effective_port}"
        pages = {
            "workloads, page 1": "/console/workloads",
            "workloads, owner filter": f"/console/workloads?owner={OWNERS[3]}",
            "workloads, backend + state=failed": "/console/workloads?backend=fake_lima@ddsim&state=failed",
            "workloads, page 200": "/console/workloads?page=200",
            "live rows JSON (/console/api/jobs)": "/console/api/jobs",
            "job page, counts job": f"/console/jobs/{counts_id}",
            "job page, SamplerV2 job (GHZ-3, 2000 shots)": f"/console/jobs/{sampler_id}",
            "/metrics scrape": "/metrics",
        }
        print("| page | first ms | median ms | max ms | bytes |\n|---|---|---|---|---|")
        with requests.Session() as session:
            for label, path in pages.items():
                first, median, worst, size = _time(session, base + path, args.repeat)
                print(f"| {label} | {first:.1f} | {median:.1f} | {worst:.1f} | {size} |")
        time.sleep(0.5)  # let waitress finish the last response before its sockets close
        server.close()


if __name__ == "__main__":
    main()
