"""P3/P3b: the stock qiskit-ibm-runtime client against qhost's IBM Runtime door.

P3   GHZ-5, ``--shots`` shots on fake_sherbrooke@aer, ``--repeat`` runs (after one warm-up):
     server-side time (worker: running -> finished from ``job.metrics()``, and the executor's own time
     from ``result.metadata["simulator"]["execution_seconds"]``) and end-to-end time through the stock
     client (``SamplerV2.run(...).result()``), side by side with IBM's local testing mode
     (``SamplerV2(mode=FakeSherbrooke())``, in this process). Target: <= 50 ms server-side.
P3b  ``--jobs`` small noisy Sampler jobs (Bell, 100 shots) on fake_manila@aer, all submitted then all
     awaited, in job mode and in a Batch: jobs/s end to end, and server-side seconds per job (the stock
     client polls every 0.5 s, so end-to-end throughput is bounded by polling, not by the server).
     Target: >= 250 jobs/s with noise. Each run also reports where the time goes: the stock client's own
     CPU per job (``getrusage`` of this process) and the ceiling it sets for one client process
     (``client_bound_ceiling_jobs_per_s`` = 1000 / client CPU ms per job), and the server's CPU per job
     (``psutil`` over the server's process tree: the HTTP process and the workers). A third variant
     submits the same jobs from ``--threads`` client threads (one SamplerV2 each, one service):
     ``jobs_per_s_end_to_end_4_threads``, the server's capacity with the stock client; ``raw_http_client``
     sends the stock client's requests for the same jobs from a bare keep-alive HTTP connection, which
     shows the server's capacity once the client's own CPU is out of the way.

The server runs as a ``qhost serve`` subprocess on a free loopback port (its own data dir in a temp dir).

Usage::

    python benchmarks/p3_runtime.py [--repeat 20] [--shots 1000] [--jobs 100] [--workers 2] [--threads 4]
        [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


class _Cpu:
    """CPU seconds used since construction: this process (the stock client) and the server's process tree."""

    def __init__(self, server_pid: int | None) -> None:
        self.server = _server_tree(server_pid)
        self.client0, self.server0 = _client_cpu(), self._server_cpu()

    def _server_cpu(self) -> dict[int, float]:
        out = {}
        for proc in self.server:
            try:
                times = proc.cpu_times()
                out[proc.pid] = times.user + times.system
            except Exception:  # a worker that was replaced: its CPU is lost to the count
                out[proc.pid] = 0.0
        return out

    def per_job_ms(self, jobs: int) -> dict[str, float]:
        client = _client_cpu() - self.client0
        now = self._server_cpu()
        server_total = sum(max(now[pid] - self.server0.get(pid, 0.0), 0.0) for pid in now)
        main = self.server[0].pid if self.server else None
        server_main = max(now.get(main, 0.0) - self.server0.get(main, 0.0), 0.0) if main else 0.0
        client_ms = 1000 * client / jobs
        return {
            "client_cpu_ms_per_job": round(client_ms, 3),
            "client_bound_ceiling_jobs_per_s": round(1000 / max(client_ms, 1e-9), 1),
            "server_cpu_ms_per_job": round(1000 * server_total / jobs, 3),
            "server_http_process_cpu_ms_per_job": round(1000 * server_main / jobs, 3),
            "server_workers_cpu_ms_per_job": round(1000 * (server_total - server_main) / jobs, 3),
        }


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _server_tree(pid: int | None) -> list[Any]:
    if pid is None:
        return []
    import psutil

    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def _throughput(sampler: Any, circuit: Any, jobs: int, server_pid: int | None = None) -> dict[str, float]:
    cpu = _Cpu(server_pid)
    start = time.perf_counter()
    submitted = [sampler.run([(circuit, None, 100)]) for _ in range(jobs)]
    for job in submitted:
        job.result()
    elapsed = time.perf_counter() - start
    return {**_summary(submitted, jobs, elapsed), **cpu.per_job_ms(jobs)}


def _summary(submitted: list[Any], jobs: int, elapsed: float) -> dict[str, float]:
    per_job = [_span(job) for job in submitted]
    return {
        "jobs_per_s_end_to_end": round(jobs / elapsed, 1),
        "elapsed_s": round(elapsed, 3),
        "server_seconds_per_job_median": round(statistics.median(per_job), 4),
        "server_jobs_per_s_per_worker": round(1 / max(statistics.median(per_job), 1e-9), 1),
    }


def _threaded(backend: Any, circuit: Any, jobs: int, threads: int, server_pid: int | None) -> dict[str, Any]:
    """The same jobs submitted then awaited from ``threads`` client threads, one SamplerV2 each."""
    from concurrent.futures import ThreadPoolExecutor

    from qiskit_ibm_runtime import SamplerV2

    shares = [jobs // threads + (i < jobs % threads) for i in range(threads)]

    def one(share: int) -> list[Any]:
        sampler = SamplerV2(mode=backend)
        submitted = [sampler.run([(circuit, None, 100)]) for _ in range(share)]
        for job in submitted:
            job.result()
        return submitted

    cpu = _Cpu(server_pid)
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        submitted = [job for part in pool.map(one, shares) for job in part]
    elapsed = time.perf_counter() - start
    out = {**_summary(submitted, jobs, elapsed), **cpu.per_job_ms(jobs), "threads": threads}
    out[f"jobs_per_s_end_to_end_{threads}_threads"] = out["jobs_per_s_end_to_end"]
    return out


def _raw_http(url: str, circuit: Any, jobs: int, server_pid: int | None) -> dict[str, Any]:
    """The stock client's request sequence per job, sent from one keep-alive ``http.client`` connection.

    Per job ``GET /instances/usage``, ``GET /backends/{name}/status`` and ``POST /jobs`` (the body the stock
    client sends, encoded with its ``RuntimeEncoder``); then per job status polls until final and
    ``GET /results``. No client library work, so this measures the server's capacity for that request mix.
    """
    import http.client
    from urllib.parse import urlsplit

    import numpy as np
    from qiskit_ibm_runtime import RuntimeEncoder

    params = {"pubs": [[circuit, np.zeros((0,)), 100]], "options": {}, "version": 2, "support_qiskit": True}
    body = {"program_id": "sampler", "params": params, "log_level": "WARNING", "backend": "fake_manila@aer"}
    data = json.dumps(body, cls=RuntimeEncoder).encode()
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port)
    headers = {"IBM-API-Version": "2026-04-15", "Accept": "application/json", "Authorization": "Bearer x"}

    def call(method: str, path: str, payload: bytes | None = None) -> Any:
        extra = {"Content-Type": "application/json"} if payload else {}
        conn.request(method, "/api/v1" + path, body=payload, headers={**headers, **extra})
        answer = conn.getresponse()
        text = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"{method} {path}: {answer.status} {text[:200]!r}")
        return text

    def submit() -> str:
        call("GET", "/instances/usage")
        call("GET", "/backends/fake_manila@aer/status")
        return str(json.loads(call("POST", "/jobs", data))["id"])

    cpu = _Cpu(server_pid)
    start = time.perf_counter()
    ids = [submit() for _ in range(jobs)]
    for job_id in ids:
        while json.loads(call("GET", f"/jobs/{job_id}?exclude_params=true"))["status"] in (
            "Queued",
            "Running",
        ):
            pass
        call("GET", f"/jobs/{job_id}/results")
    elapsed = time.perf_counter() - start
    conn.close()
    return {
        "jobs_per_s_end_to_end": round(jobs / elapsed, 1),
        "elapsed_s": round(elapsed, 3),
        **cpu.per_job_ms(jobs),
    }


def p3b(
    service: Any, jobs: int, server_pid: int | None = None, threads: int = 4, url: str | None = None
) -> dict[str, Any]:
    """Many small noisy Sampler jobs on fake_manila@aer: job mode, Batch, ``threads`` client threads and
    (with the server's ``url``) the same requests from a bare HTTP client (the server's capacity)."""
    from qiskit_ibm_runtime import Batch, SamplerV2

    backend = service.backend("fake_manila@aer")
    circuit = _isa(_ghz(2), backend)
    warm = SamplerV2(mode=backend)
    for job in [warm.run([(circuit, None, 100)]) for _ in range(8)]:  # warm every worker (noise model)
        job.result()
    out = {"job_mode": _throughput(SamplerV2(mode=backend), circuit, jobs, server_pid)}
    with Batch(backend=backend) as batch:
        out["batch"] = _throughput(SamplerV2(mode=batch), circuit, jobs, server_pid)
    out[f"job_mode_{threads}_threads"] = _threaded(backend, circuit, jobs, threads, server_pid)
    out[f"jobs_per_s_end_to_end_{threads}_threads"] = out[f"job_mode_{threads}_threads"][
        "jobs_per_s_end_to_end"
    ]
    if url is not None:
        out["raw_http_client"] = _raw_http(url, circuit, jobs, server_pid)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="client threads of the P3b threaded variant")
    parser.add_argument("--out", default=None, help="also write the JSON result here")
    args = parser.parse_args(argv)
    from qhost.client.runtime import connect

    with tempfile.TemporaryDirectory() as data_dir:
        proc, url = _start_server(data_dir, args.workers)
        try:
            service = connect(url)
            report = {
                "p3": p3(service, args.repeat, args.shots),
                "p3b": p3b(service, args.jobs, proc.pid, args.threads, url),
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
