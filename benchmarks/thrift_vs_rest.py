"""Round trip of a Bell circuit through the Thrift door vs the Qrisp REST door, same server, same run.

Usage::

    python benchmarks/thrift_vs_rest.py [--calls 200] [--warmup 20] [--backend run_func|aer] [--out FILE]

One ``BackendServer`` (REST + Thrift on one engine, SQLite in a temporary directory) serves all paths:

- ``rest``: ``qhost.client.BackendClient.run(qc, shots)`` (Qrisp REST dialect, long-poll);
- ``thrift_qasm``: ``ThriftBackendClient.run(qc, shots)`` (``run_qasm``, QASM text, i64 counts);
- ``thrift_struct``: the generated client's legacy ``run`` with Qrisp's circuit struct (what Qrisp 0.4's
  Thrift client sends; the server routes it like Qrisp's REST jobs: the run_func, else ``ideal@aer``).

``--backend run_func`` (default) serves a trivial Python ``run_func`` (program ``run_func`` in the engine's
thread pool) so the numbers are protocol + engine overhead; ``--backend aer`` runs the Bell circuit on
``ideal@aer`` in worker processes. Calls are sequential on one warm connection per client. Prints JSON:
per path the median, p95, mean and min latency in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

__all__ = ["bell_run_func", "main", "measure"]

SHOTS = 1000


def bell_run_func(qasm: str, shots: int | None, token: str) -> dict[str, int]:
    """A stand-in simulator: an even Bell distribution, no simulation cost."""
    n = shots or SHOTS
    return {"00": n // 2, "11": n - n // 2}


def measure(call: Callable[[], Any], calls: int, warmup: int) -> dict[str, float]:
    """Latency statistics of ``calls`` sequential calls after ``warmup`` unmeasured ones, in ms."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000.0)
    times.sort()
    return {
        "median_ms": statistics.median(times),
        "p95_ms": times[int(0.95 * (len(times) - 1))],
        "mean_ms": statistics.fmean(times),
        "min_ms": times[0],
        "calls": calls,
    }


def _paths(server: Any, backend: str) -> tuple[dict[str, Callable[[], Any]], list[Any]]:
    from qiskit import QuantumCircuit
    from thrift.protocol.TBinaryProtocol import TBinaryProtocolAccelerated
    from thrift.transport.TSocket import TSocket
    from thrift.transport.TTransport import TBufferedTransport

    from qhost.client import BackendClient, ThriftBackendClient
    from qhost.protocols.thrift import struct_from_circuit
    from qhost.protocols.thrift_gen import BackendService, ttypes

    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    device = "" if backend == "run_func" else "ideal@aer"
    rest = BackendClient("127.0.0.1", server.port, device_name=device)
    thrift = ThriftBackendClient("127.0.0.1", server.thrift_port, backend=device)
    sock = TSocket("127.0.0.1", server.thrift_port)
    transport = TBufferedTransport(sock)
    transport.open()
    legacy = BackendService.Client(TBinaryProtocolAccelerated(transport))
    struct = struct_from_circuit(qc, ttypes)
    paths = {
        "rest": lambda: rest.run(qc, SHOTS),
        "thrift_qasm": lambda: thrift.run(qc, SHOTS),
        "thrift_struct": lambda: legacy.run(struct, SHOTS, "", True),
    }
    return paths, [rest, thrift, transport]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--backend", choices=("run_func", "aer"), default="run_func")
    parser.add_argument("--out", default=None, help="also write the JSON here")
    args = parser.parse_args(argv)

    from qhost.backend_server import BackendServer

    run_func = bell_run_func if args.backend == "run_func" else None
    with (
        tempfile.TemporaryDirectory() as tmp,
        BackendServer(run_func, port=0, thrift_port=0, data_dir=tmp, process_workers=1) as server,
    ):
        paths, closables = _paths(server, args.backend)
        try:
            results = {name: measure(call, args.calls, args.warmup) for name, call in paths.items()}
        finally:
            for thing in closables:
                thing.close()
    report = {"backend": args.backend, "shots": SHOTS, "python": sys.version.split()[0], "results": results}
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
