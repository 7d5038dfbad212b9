"""P3/P3b: the stock qiskit-ibm-runtime client against qhost's IBM Runtime door.

P3   GHZ-5, ``--shots`` shots on fake_sherbrooke@aer, ``--repeat`` runs (after one warm-up):
     server-side time (worker: running -> finished from ``job.metrics()``, and the executor's own time
     from ``result.metadata["simulator"]["execution_seconds"]``) and end-to-end time through the stock
     client (``SamplerV2.run(...).result()``), side by side with IBM's local testing mode
     (``SamplerV2(mode=FakeSherbrooke())``, in this process). Target: <= 50 ms server-side.
P3b  ``--jobs`` small noisy Sampler jobs (Bell, 100 shots) on fake_manila@aer, all submitted then all
     awaited, in job mode and in a Batch: jobs/s end to end, and server-side seconds per job (the stock
     client polls every 0.5 s, so end-to-end throughput is bounded by polling, not by the server).
     Target: >= 250 jobs/s with noise.

The server runs as a ``qhost serve`` subprocess on a free loopback port (its own data dir in a temp dir).

Usage::

    python benchmarks/p3_runtime.py [--repeat 20] [--shots 1000] [--jobs 100] [--workers 2] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from typing import Any

__all__ = ["main"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(data_dir: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "QHOST_PROCESS_WORKERS": str(workers), "QHOST_EXECUTORS": "aer"}
    cmd = [
        sys.executable,
        "-m",
        "qhost",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        data_dir,
        "--log-level",
        "WARNING",
    ]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    _stop(proc)
    raise RuntimeError("qhost serve did not start")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def _ghz(n: int) -> Any:
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure_all()
    return qc


def _isa(circuit: Any, backend: Any) -> Any:
    from qiskit.transpiler import generate_preset_pass_manager

    return generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=1).run(circuit)


def _span(job: Any) -> float:
    stamps = job.metrics()["timestamps"]
    start, end = (datetime.fromisoformat(stamps[k].replace("Z", "+00:00")) for k in ("running", "finished"))
    return (end - start).total_seconds()


def _ms(values: list[float]) -> dict[str, float]:
    return {"median_ms": round(1000 * statistics.median(values), 2), "min_ms": round(1000 * min(values), 2)}


def p3(service: Any, repeat: int, shots: int) -> dict[str, Any]:
    """GHZ-5 on fake_sherbrooke@aer through qhost vs. local testing mode."""
    from qiskit_ibm_runtime import SamplerV2
    from qiskit_ibm_runtime.fake_provider import FakeSherbrooke

    backend = service.backend("fake_sherbrooke@aer")
    circuit = _isa(_ghz(5), backend)
    sampler = SamplerV2(mode=backend)
    e2e, worker, executor = [], [], []
    for i in range(repeat + 1):
        start = time.perf_counter()
        job = sampler.run([(circuit, None, shots)])
        result = job.result()
        if i:  # the first run warms the worker (device, noise model)
            e2e.append(time.perf_counter() - start)
            worker.append(_span(job))
            executor.append(result.metadata["simulator"]["execution_seconds"])
    local = SamplerV2(mode=FakeSherbrooke())
    local_times = []
    for i in range(repeat + 1):
        start = time.perf_counter()
        local.run([(circuit, None, shots)]).result()
        if i:
            local_times.append(time.perf_counter() - start)
    return {
        "qhost_end_to_end": _ms(e2e),
        "qhost_server_worker": _ms(worker),
        "qhost_executor": _ms(executor),
        "local_testing_mode": _ms(local_times),
    }


def _throughput(sampler: Any, circuit: Any, jobs: int) -> dict[str, float]:
    start = time.perf_counter()
    submitted = [sampler.run([(circuit, None, 100)]) for _ in range(jobs)]
    for job in submitted:
        job.result()
    elapsed = time.perf_counter() - start
    per_job = [_span(job) for job in submitted]
    return {
        "jobs_per_s_end_to_end": round(jobs / elapsed, 1),
        "elapsed_s": round(elapsed, 3),
        "server_seconds_per_job_median": round(statistics.median(per_job), 4),
        "server_jobs_per_s_per_worker": round(1 / max(statistics.median(per_job), 1e-9), 1),
    }


def p3b(service: Any, jobs: int) -> dict[str, Any]:
    """Many small noisy Sampler jobs on fake_manila@aer, job mode and Batch."""
    from qiskit_ibm_runtime import Batch, SamplerV2

    backend = service.backend("fake_manila@aer")
    circuit = _isa(_ghz(2), backend)
    SamplerV2(mode=backend).run([(circuit, None, 100)]).result()  # warm-up
    out = {"job_mode": _throughput(SamplerV2(mode=backend), circuit, jobs)}
    with Batch(backend=backend) as batch:
        out["batch"] = _throughput(SamplerV2(mode=batch), circuit, jobs)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=None, help="also write the JSON result here")
    args = parser.parse_args(argv)
    from qhost.client.runtime import connect

    with tempfile.TemporaryDirectory() as data_dir:
        proc, url = _start_server(data_dir, args.workers)
        try:
            service = connect(url)
            report = {
                "p3": p3(service, args.repeat, args.shots),
                "p3b": p3b(service, args.jobs),
                "args": vars(args),
            }
        finally:
            _stop(proc)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(text + "\n")
    return report


if __name__ == "__main__":
    main()
