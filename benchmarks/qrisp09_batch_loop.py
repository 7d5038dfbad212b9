"""Issue 25: Qrisp 0.9's ``Backend`` API through ``QrispBackend`` on a ``qhost serve``, same run throughout.

B  100 small circuits (2 qubits, 100 shots) as **one** ``backend.run(circuits)`` (one server job) against
   100 ``backend.run(qc)`` (100 jobs), alternating round by round. Target: the batch >= 10x faster.
J  the Jasp VQE of ``tests/interop/qrisp09/jasp_vqe.py`` (15 iterations, 75 ``expectation_value`` calls,
   400 shots each, ``@backend_sampler``) on the server through ``QrispBackend`` against Qrisp's default local
   simulator backend (``QrispSimulatorBackend``), alternating. Target: no slower than 2x the local one.

The server is ``qhost serve`` of this tree (default backend ideal@aer) in a subprocess; the clients run in
the Qrisp 0.9 venv that ``scripts/interop_env.sh qrisp-0.9`` builds, with this tree's ``src`` on the path.
Prints a markdown table with the machine and the date.

    python benchmarks/qrisp09_batch_loop.py                      # 5 rounds of each (use a quiet machine)
    python benchmarks/qrisp09_batch_loop.py --rounds 1 --iterations 3   # smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
VQE = ROOT / "tests" / "interop" / "qrisp09" / "jasp_vqe.py"
TARGET_BATCH_SPEEDUP = 10.0
TARGET_LOOP_RATIO = 2.0

BATCH_CLIENT = """
import json, sys, time
from qrisp import QuantumCircuit
from qhost.client.qrisp_adapter import QrispBackend
port, rounds, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
backend = QrispBackend("127.0.0.1", port)
circuits = []
for i in range(n):
    qc = QuantumCircuit(2, 2)
    qc.ry(0.01 * i, 0)
    qc.cx(0, 1)
    qc.measure(0, 0)
    qc.measure(1, 1)
    circuits.append(qc)
backend.run(circuits[:2], shots=100)  # warm: connection, probe, worker
backend.run(circuits[0], shots=100)
batch, singles = [], []
for _ in range(rounds):
    start = time.perf_counter()
    results = backend.run(circuits, shots=100)
    batch.append(time.perf_counter() - start)
    assert len(results) == n and all(sum(r.values()) == 100 for r in results)
    start = time.perf_counter()
    for qc in circuits:
        backend.run(qc, shots=100)
    singles.append(time.perf_counter() - start)
print(json.dumps({"batch": batch, "singles": singles}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def qhost_serve() -> Iterator[int]:
    port = free_port()
    data = tempfile.mkdtemp(prefix="qhost-bench-")
    cmd = [sys.executable, "-m", "qhost", "serve", "--port", str(port), "--data-dir", data]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/version", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("qhost serve did not start")
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(30)


def qrisp_python() -> str:
    done = subprocess.run(
        [str(ROOT / "scripts" / "interop_env.sh"), "qrisp-0.9"], capture_output=True, text=True, check=True
    )
    return done.stdout.strip().splitlines()[-1]


def run_json(python: str, args: list[str]) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([python, *args], capture_output=True, text=True, env=env, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} vCPU {cpu}, Python {platform.python_version()}, load {load}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--circuits", type=int, default=100)
    parser.add_argument("--iterations", type=int, default=15, help="VQE iterations (5 calls each)")
    args = parser.parse_args()
    python = qrisp_python()
    started = datetime.now(UTC)
    with qhost_serve() as port:
        b = run_json(python, ["-c", BATCH_CLIENT, str(port), str(args.rounds), str(args.circuits)])
        local, remote = [], []
        for _ in range(args.rounds):
            remote.append(run_json(python, [str(VQE), str(port), str(args.iterations), "400"]))
            local.append(run_json(python, [str(VQE), "local", str(args.iterations), "400"]))
    batch, singles = b["batch"], b["singles"]  # type: ignore[index]
    ratios = [s / t for s, t in zip(singles, batch, strict=True)]  # type: ignore[call-overload]
    loop_s = [float(r["seconds"]) for r in remote]  # type: ignore[arg-type]
    local_s = [float(r["seconds"]) for r in local]  # type: ignore[arg-type]
    loop_ratio = statistics.median(loop_s) / statistics.median(local_s)
    final = [float(r["energies"][-1]) for r in remote]  # type: ignore[index]
    calls = remote[0]["calls"]
    print(f"Machine: {machine()}; {started:%Y-%m-%d %H:%M} UTC, {args.rounds} rounds\n")
    print("| | median (range) | target |")
    print("|---|---|---|")
    print(f"| B: {args.circuits} circuits as one batch, s | {_fmt(batch)} | |")  # type: ignore[arg-type]
    print(f"| B: {args.circuits} single jobs, s | {_fmt(singles)} | |")  # type: ignore[arg-type]
    met = "met" if statistics.median(ratios) >= TARGET_BATCH_SPEEDUP else "NOT met"
    print(f"| B: speed-up of the batch, x | {_fmt(ratios, 1)} | >= {TARGET_BATCH_SPEEDUP:g} ({met}) |")
    print(f"| J: Jasp VQE loop ({calls} calls) on qhost, s | {_fmt(loop_s)} | |")
    print(f"| J: same loop on Qrisp's local simulator, s | {_fmt(local_s)} | |")
    met = "met" if loop_ratio <= TARGET_LOOP_RATIO else "NOT met"
    print(f"| J: qhost / local (medians) | {loop_ratio:.2f} | <= {TARGET_LOOP_RATIO:g} ({met}) |")
    print(f"| J: final energy on qhost (ground: -3) | {_fmt(final, 3)} | |")


def _fmt(values: list[float], digits: int = 3) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


if __name__ == "__main__":
    main()
