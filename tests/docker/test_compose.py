"""``docker/compose.yaml`` brought up for real with podman-compose on the CPU image built for CI.

The steps are docker.md's, for podman without a registry: the CPU image built by
``scripts/container_build.sh build cpu``, tagged ``localhost/qhost:latest`` (the name the compose file
gives), then ``podman-compose --podman-path scripts/podman-ci.sh … up -d`` (CI's runtime flags). The
published ports are the file's own, fixed on the host's loopback: they must be free here.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from qhost_testkit import assert_split, bell_split, run_on_port
from qiskit import QuantumCircuit

from qhost.client.docker_backends import DOCKER_PORTS
from qhost.client.thrift_client import ThriftBackendClient

pytestmark = [pytest.mark.slow, pytest.mark.interop]

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker" / "compose.yaml"
PROJECT = "qhost-compose-test"


def _host_ports(service: dict[str, Any]) -> list[int]:
    """Host ports of ``127.0.0.1:A-B:C-D`` / ``127.0.0.1:A:C`` entries."""
    ports = []
    for entry in service["ports"]:
        host = entry.split(":")[1]
        first, _, last = host.partition("-")
        ports.extend(range(int(first), int(last or first) + 1))
    return ports


def _in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _compose(wrapper: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "podman_compose", "--podman-path", str(wrapper), "-f", str(COMPOSE),
           "-p", PROJECT, *args]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def service() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())["services"]["qhost"]


@pytest.fixture(scope="module")
def compose_up(image: str, run_podman: Any, service: dict[str, Any]) -> Iterator[None]:
    taken = [p for p in _host_ports(service) if _in_use(p)]
    assert not taken, f"compose.yaml publishes fixed host ports; these are in use here: {taken}"
    run_podman("tag", image, "localhost/qhost:latest")
    wrapper = REPO / "scripts" / "podman-ci.sh"  # the documented --podman-path (docker.md, deployment.md)
    up = _compose(wrapper, "up", "-d")
    try:
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-2000:]
        _wait_ready("http://127.0.0.1:8000/", timeout=180)
        for port in _host_ports(service):  # `qhost serve` opens the Qrisp ports just after the main one
            if port not in (8000, 9090):
                _wait_ready(f"http://127.0.0.1:{port}/version", timeout=60)
        yield
    finally:
        down = _compose(wrapper, "down", "-v")
        run_podman("rmi", "localhost/qhost:latest", check=False)
        assert down.returncode == 0, down.stderr[-2000:]


def _wait_ready(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout}s after compose up")


def _bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def test_compose_serves_all_doors_on_8000(compose_up: None) -> None:
    info = requests.get("http://127.0.0.1:8000/", timeout=10).json()
    assert info["doors"] == {"qrisp": True, "ibm_runtime": True, "thrift": True}


def test_compose_publishes_every_qrisp_port(compose_up: None, service: dict[str, Any]) -> None:
    backends = {port: backend for backend, port in DOCKER_PORTS.items()}
    for port in _host_ports(service):  # compose.yaml publishes each container port on the same host port
        if port in (8000, 9090):
            continue
        counts, ran_on = run_on_port(port, _bell(), 200)
        assert ran_on == backends[port], (port, ran_on)  # the port's own simulator
        assert sum(counts.values()) == 200
        assert_split(counts, bell_split())


def test_compose_publishes_the_thrift_port(compose_up: None) -> None:
    with ThriftBackendClient("127.0.0.1", 9090, timeout=10) as client:
        assert client.ping()["online"] is True


def test_compose_keeps_the_store_in_a_named_volume(compose_up: None, run_podman: Any) -> None:
    assert run_podman("volume", "exists", f"{PROJECT}_qhost-data", check=False).returncode == 0
