"""P2 CPU split: where the CPU time of one Qrisp-door job goes (client, server process, each worker).

Starts ``qhost serve`` as a subprocess on a free port with a temporary data dir (default backend
``ideal@aer``), warms it up, then runs ``--jobs`` random 5-qubit circuits from ``--threads`` threads of
our ``BackendClient``. Prints jobs/s, the load average, and CPU milliseconds per job for this client
process, the server process and each of its worker processes (psutil). CPU time per job is much less
sensitive to other load on the machine than jobs/s.

    python benchmarks/profile_p2_cpu.py                  # 400 jobs, 8 threads
    python benchmarks/profile_p2_cpu.py --jobs 800 --repeat 3
    python benchmarks/profile_p2_cpu.py --hold 10        # keep serving 10 s more (attach py-spy to the pids)
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import psutil

__all__ = ["main"]

BELL = 'OPENQASM 2.0;include "qelib1.inc";qreg q[1];creg c[1];measure q[0]->c[0];'


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _circuits(n: int, offset: int) -> list[str]:
    from qiskit import qasm2
    from qiskit.circuit.random import random_circuit

    return [qasm2.dumps(random_circuit(5, 5, measure=True, seed=offset + i)) for i in range(n)]


def _round(server: psutil.Process, clients: list, circuits: list[str], threads: int, shots: int) -> None:
    procs = [server, *server.children(recursive=True)]
    before = {p.pid: _cpu(p) for p in procs}
    c0, t0 = _self_cpu(), time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda i: clients[i % threads].run(circuits[i], shots), range(len(circuits))))
    elapsed, c1 = time.perf_counter() - t0, _self_cpu()
    n = len(circuits)
    load = os.getloadavg()[0]
    print(f"{n} jobs in {elapsed:.2f} s: {n / elapsed:.0f} jobs/s (load avg {load:.2f})")
    total = (c1 - c0) / n * 1e3
    print(f"  client            {total:6.2f} ms/job")
    for proc in [server, *server.children(recursive=True)]:
        ms = (_cpu(proc) - before.get(proc.pid, 0.0)) / n * 1e3
        total += ms
        role = "server" if proc.pid == server.pid else "worker"
        print(f"  {role} {proc.pid:<8}   {ms:6.2f} ms/job")
    print(f"  sum               {total:6.2f} ms/job")


def main(argv: list[str] | None = None) -> int:
    """Run the measurement; returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=400)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--shots", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=1, help="measured rounds (new circuits each round)")
    ap.add_argument("--hold", type=float, default=0.0, help="seconds to keep running jobs after the rounds")
    args = ap.parse_args(argv)

    from qhost import BackendClient

    port = _free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        cmd = [sys.executable, "-m", "qhost", "serve", "--port", str(port), "--data-dir", data_dir]
        server = subprocess.Popen([*cmd, "--log-level", "WARNING"])
        try:
            client = BackendClient("127.0.0.1", port)
            for _ in range(150):
                try:
                    client.run(BELL, 10)
                    break
                except Exception:  # noqa: BLE001 - not up yet
                    time.sleep(0.2)
            else:
                raise SystemExit("qhost serve did not answer within 30 s")
            proc = psutil.Process(server.pid)
            print(f"server pid {server.pid}; workers {[p.pid for p in proc.children(recursive=True)]}")
            for qasm in _circuits(40, 100_000):
                client.run(qasm, args.shots)
            clients = [BackendClient("127.0.0.1", port) for _ in range(args.threads)]
            for r in range(args.repeat):
                _round(proc, clients, _circuits(args.jobs, r * args.jobs), args.threads, args.shots)
            end = time.monotonic() + args.hold
            batch = _circuits(64, 200_000)
            while time.monotonic() < end:
                with ThreadPoolExecutor(args.threads) as pool:
                    list(pool.map(lambda i: clients[i % args.threads].run(batch[i], args.shots), range(64)))
        finally:
            server.terminate()
            server.wait(timeout=15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
