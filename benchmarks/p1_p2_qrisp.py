"""P1/P2: qhost's Qrisp door against Qrisp 0.8.2's own BackendServer/BackendClient, side by side.

P1  Bell-pair round trip, one client, ``--shots`` shots: median of ``--iterations`` runs (ms).
P2  throughput: ``--threads`` client threads run ``--jobs`` random 5-qubit circuits (jobs/s).

Both servers run as subprocesses on loopback. qhost: ``qhost serve`` (default backend ideal@aer, warm worker
processes) driven by our ``BackendClient`` in this process. Qrisp: its ``BackendServer`` (run_func: the
same Aer simulator, after ``transpile`` as Qrisp's own ``QiskitBackend`` did) driven by its
``BackendClient``, both in the Qrisp 0.8.2 venv that ``scripts/interop_env.sh`` builds. Prints a markdown
table with the machine and the date.

    python benchmarks/p1_p2_qrisp.py                       # full run (use a quiet machine)
    python benchmarks/p1_p2_qrisp.py --iterations 3 --jobs 16 --threads 2   # smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
TARGET_P1_MS = 10.0
TARGET_P2_JOBS_S = 300.0

QRISP_SERVER = """
import sys, time
from qiskit import QuantumCircuit, transpile
from qiskit_aer import AerSimulator
from qrisp.interface import BackendServer
SIM = AerSimulator(max_parallel_threads=1)
def run_func(qasm, shots, token):  # the usual Qrisp-style Aer server: parse, transpile, run
    circuit = transpile(QuantumCircuit.from_qasm_str(qasm), SIM)
    counts = SIM.run(circuit, shots=shots or 1000).result().get_counts()
    return {k.replace(" ", ""): v for k, v in counts.items()}
BackendServer(run_func, "127.0.0.1", int(sys.argv[1])).start()
print("ready", flush=True)
while True:
    time.sleep(1)
"""

QRISP_CLIENT = """
import json, statistics, sys, threading, time
from qrisp.interface import BackendClient
port, mode, n, threads, shots, path = sys.argv[1:7]
n, threads, shots = int(n), int(threads), int(shots)
circuits = json.load(open(path))
class Q:
    def __init__(self, text): self.text = text
    def qasm(self): return self.text
client = BackendClient("127.0.0.1", int(port))
if mode == "p1":
    bell = Q(circuits[0])
    client.run(bell, shots)
    times = []
    for _ in range(n):
        t = time.perf_counter(); client.run(bell, shots); times.append(time.perf_counter() - t)
    print(json.dumps({"median_ms": statistics.median(times) * 1000}))
else:
    todo = list(range(n)); lock = threading.Lock()
    def work():
        c = BackendClient("127.0.0.1", int(port))
        while True:
            with lock:
                if not todo: return
                i = todo.pop()
            c.run(Q(circuits[1 + i % (len(circuits) - 1)]), shots)
    pool = [threading.Thread(target=work) for _ in range(threads)]
    t = time.perf_counter()
    for th in pool: th.start()
    for th in pool: th.join()
    print(json.dumps({"jobs_per_s": n / (time.perf_counter() - t)}))
"""

BELL = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'
)


def main() -> None:
    args = _parse_args()
    circuits = [BELL, *_random_circuits(64)]
    with tempfile.TemporaryDirectory(prefix="qhost-bench-") as tmp:
        path = Path(tmp) / "circuits.json"
        path.write_text(json.dumps(circuits))
        ours = _measure_qhost(args, circuits, Path(tmp))
        theirs = None if args.skip_qrisp else _measure_qrisp(args, path)
    print(_report(args, ours, theirs))


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--iterations", type=int, default=50, help="P1 round trips (median of these)")
    parser.add_argument("--jobs", type=int, default=2000, help="P2 jobs in total")
    parser.add_argument("--threads", type=int, default=8, help="P2 client threads")
    parser.add_argument("--shots", type=int, default=1000, help="shots per job")
    parser.add_argument(
        "--qrisp-jobs", type=int, default=None, help="P2 jobs for Qrisp's pair (default --jobs/10)"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="qhost worker processes")
    parser.add_argument("--skip-qrisp", action="store_true", help="measure qhost only")
    return parser.parse_args()


def _random_circuits(count: int) -> list[str]:
    from qiskit import qasm2
    from qiskit.circuit.random import random_circuit

    return [qasm2.dumps(random_circuit(5, 5, measure=True, seed=i)) for i in range(count)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _subprocess(cmd: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[None]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"server {cmd[:3]} exited with {proc.returncode}")
            try:
                requests.get(f"http://127.0.0.1:{port}/jobs/0/", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _measure_qhost(args: argparse.Namespace, circuits: list[str], tmp: Path) -> dict[str, float]:
    from qhost.client.backend_client import BackendClient

    port = _free_port()
    env = {**os.environ, "QHOST_PROCESS_WORKERS": str(args.workers), "QHOST_LOG_LEVEL": "WARNING"}
    cmd = [sys.executable, "-m", "qhost", "serve", "--port", str(port), "--data-dir", str(tmp / "qhost")]
    with _subprocess(cmd, port, env):
        client = BackendClient("127.0.0.1", port)
        for _ in range(5):  # warm: connection, worker caches
            client.run(BELL, args.shots)
        times = []
        for _ in range(args.iterations):
            start = time.perf_counter()
            client.run(BELL, args.shots)
            times.append(time.perf_counter() - start)
        rate = _throughput(lambda: BackendClient("127.0.0.1", port), circuits[1:], args)
    return {"p1_ms": statistics.median(times) * 1000, "p2_jobs_s": rate}


def _throughput(make_client: object, circuits: list[str], args: argparse.Namespace) -> float:
    todo = list(range(args.jobs))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        client = make_client()  # type: ignore[operator]
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop()
            try:
                client.run(circuits[i % len(circuits)], args.shots)
            except BaseException as exc:  # report after the run
                errors.append(exc)
                return

    pool = [threading.Thread(target=work) for _ in range(args.threads)]
    start = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if errors:
        raise SystemExit(f"P2 failed: {errors[0]!r}")
    return args.jobs / (time.perf_counter() - start)


def _measure_qrisp(args: argparse.Namespace, circuits_path: Path) -> dict[str, float]:
    built = subprocess.run(
        [str(ROOT / "scripts" / "interop_env.sh"), "qrisp-0.8.2"], capture_output=True, text=True, check=True
    )
    python = built.stdout.strip().splitlines()[-1]
    port = _free_port()
    jobs = args.qrisp_jobs or max(args.threads, args.jobs // 10)
    with _subprocess([python, "-c", QRISP_SERVER, str(port)], port):
        p1 = _qrisp_client(python, port, "p1", args.iterations, 1, args.shots, circuits_path)
        p2 = _qrisp_client(python, port, "p2", jobs, args.threads, args.shots, circuits_path)
    return {"p1_ms": p1["median_ms"], "p2_jobs_s": p2["jobs_per_s"]}


def _qrisp_client(
    python: str, port: int, mode: str, n: int, threads: int, shots: int, path: Path
) -> dict[str, float]:
    cmd = [python, "-c", QRISP_CLIENT, str(port), mode, str(n), str(threads), str(shots), str(path)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=3600)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _report(args: argparse.Namespace, ours: dict[str, float], theirs: dict[str, float] | None) -> str:
    def ratio(a: float, b: float) -> str:
        return f"{a / b:.1f}x" if b else "-"

    q1 = f"{theirs['p1_ms']:.1f}" if theirs else "-"
    q2 = f"{theirs['p2_jobs_s']:.1f}" if theirs else "-"
    r1 = ratio(theirs["p1_ms"], ours["p1_ms"]) if theirs else "-"
    r2 = ratio(ours["p2_jobs_s"], theirs["p2_jobs_s"]) if theirs else "-"
    lines = [
        f"Machine: {os.cpu_count()} CPUs (nproc), {_cpu_model()}; Python {platform.python_version()}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}",
        f"Settings: shots={args.shots}, P1 median of {args.iterations}, P2 {args.jobs} jobs x {args.threads} "
        f"threads, qhost workers={args.workers}",
        "",
        "| metric | qhost | Qrisp 0.8.2 pair | qhost advantage | target |",
        "|---|---|---|---|---|",
        f"| P1 Bell round trip (ms, median) | {ours['p1_ms']:.1f} | {q1} | {r1} | <= {TARGET_P1_MS:g} |",
        f"| P2 throughput, 5-qubit random (jobs/s) | {ours['p2_jobs_s']:.1f} | {q2} | {r2} | "
        f">= {TARGET_P2_JOBS_S:g} |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
