"""A real ``qhost serve`` in a subprocess on a free loopback port, for the browser-safety tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

IBM_VERSION = {"IBM-API-Version": "2026-04-15"}
BELL = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\n'
    "measure q[0] -> c[0];\nmeasure q[1] -> c[1];\n"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    url: str
    port: int
    data_dir: Path
    proc: subprocess.Popen[str]

    def job_count(self) -> int:
        """Jobs in the server's store (auth off: the IBM door lists every job)."""
        resp = requests.get(f"{self.url}/api/v1/jobs", headers=IBM_VERSION, timeout=30)
        resp.raise_for_status()
        return int(resp.json()["count"])


@contextmanager
def qhost_serve(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    """``qhost serve --port <free> --data-dir <data_dir> <args>`` for the block, once it answers."""
    port = free_port()
    cmd = [sys.executable, "-m", "qhost", "serve", "--port", str(port), "--data-dir", str(data_dir)]
    environ = {**os.environ, "QHOST_PROCESS_WORKERS": "1", "QHOST_EXECUTORS": "aer", **(env or {})}
    log = open(data_dir / "serve.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([*cmd, *args], env=environ, stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:  # wait for the server to answer (an event: the port opens); it may also die
            if proc.poll() is not None:
                raise RuntimeError((data_dir / "serve.log").read_text())
            try:
                if requests.get(f"{url}/version", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    "qhost serve did not answer in 120 s:\n" + (data_dir / "serve.log").read_text()
                )
            time.sleep(0.1)
        yield Served(url, port, data_dir, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()
