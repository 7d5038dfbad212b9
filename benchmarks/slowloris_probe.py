"""Latency of a fresh call while many connections stall (slowloris), on the Thrift and HTTP doors.

Starts a ``BackendServer`` (HTTP + Thrift) on loopback, opens ``--stalled`` connections per door that each
send part of a request and stop, then times a fresh Thrift ``ping()`` and a fresh ``GET /version``
(median of 20). Run: ``python benchmarks/slowloris_probe.py [--stalled 120]``.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import time

import requests

from qhost.backend_server import BackendServer
from qhost.client.thrift_client import ThriftBackendClient


def _stall(port: int, count: int, payload: bytes) -> list[socket.socket]:
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(payload)
        socks.append(sock)
    return socks


def _median_ms(call: object, runs: int = 20) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stalled", type=int, default=120)
    args = parser.parse_args()
    server = BackendServer(
        lambda q, s, t: {"0": 1}, port=0, thrift_port=0, data_dir=tempfile.mkdtemp(), worker_mode="thread"
    ).start()
    try:
        client = ThriftBackendClient("127.0.0.1", int(server.thrift_port or 0), timeout=10)
        http = requests.Session()
        quiet = (_median_ms(client.ping), _median_ms(lambda: http.get(server.url + "/version", timeout=10)))
        socks = _stall(int(server.thrift_port or 0), args.stalled, b"\x80\x01\x00")
        socks += _stall(
            server.port, args.stalled, b"POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 99\r\n\r\n{"
        )
        time.sleep(0.5)
        loaded = (
            _median_ms(client.ping),
            _median_ms(lambda: http.get(server.url + "/version", timeout=10)),
        )
        print(f"thrift ping: {quiet[0]:.2f} ms quiet, {loaded[0]:.2f} ms with {args.stalled} stalled")
        print(f"GET /version: {quiet[1]:.2f} ms quiet, {loaded[1]:.2f} ms with {args.stalled} stalled")
        for sock in socks:
            sock.close()
        client.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
