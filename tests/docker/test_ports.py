"""The image's port table: Dockerfiles, docker_backends and --qrisp-port agree; one engine behind all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from qhost_testkit import assert_split, bell_split, run_on_port
from qiskit import QuantumCircuit

from qhost.backend_server import BackendServer
from qhost.client.backend_client import BackendClient
from qhost.client.docker_backends import DOCKER_PORTS, GPU_PORTS, docker_backend, qrisp_ports_value
from qhost.errors import ConfigurationError, UnknownBackend
from qhost.server.qrisp_ports import QrispPorts, parse_qrisp_ports

from .conftest import free_ports

DOCKER = Path(__file__).resolve().parents[2] / "docker"


def _env_ports(dockerfile: str) -> str:
    return re.search(r'QHOST_QRISP_PORTS="([^"]+)"', (DOCKER / dockerfile).read_text()).group(1)


def _exposed(dockerfile: str) -> set[int]:
    line = re.search(r"^EXPOSE (.+)$", (DOCKER / dockerfile).read_text(), re.M).group(1)
    return {int(p) for p in line.split()}


def test_cpu_dockerfile_serves_the_docker_ports():
    assert _env_ports("Dockerfile") == qrisp_ports_value(DOCKER_PORTS)
    assert _exposed("Dockerfile") == {8000, 9090, *DOCKER_PORTS.values()}


def test_gpu_dockerfile_serves_the_gpu_ports():
    assert _env_ports("Dockerfile.gpu") == qrisp_ports_value(GPU_PORTS)
    assert _exposed("Dockerfile.gpu") == {8000, 9090, *GPU_PORTS.values()}


def test_parse_accepts_commas_and_spaces():
    assert parse_qrisp_ports(["ideal@aer=8090, ideal@stim=8087", "ideal@ddsim=8085"]) == {
        8090: "ideal@aer", 8087: "ideal@stim", 8085: "ideal@ddsim"}  # fmt: skip


@pytest.mark.parametrize("bad", ["ideal@aer", "ideal@aer=x", "=8090", "ideal@aer=70000"])
def test_parse_refuses_malformed_items(bad):
    with pytest.raises(ConfigurationError, match="expected BACKEND=PORT"):
        parse_qrisp_ports([bad])


def test_parse_refuses_a_repeated_port():
    with pytest.raises(ConfigurationError, match="Port 8090 given twice"):
        parse_qrisp_ports(["ideal@aer=8090 ideal@stim=8090"])


def test_docker_backend_names_the_valid_backends():
    with pytest.raises(KeyError, match="valid: "):
        docker_backend("nope@aer")


def test_extra_port_runs_on_its_backend_in_the_shared_store(tmp_path, free_port):
    qc = QuantumCircuit(1, 1)
    qc.x(0)
    qc.measure(0, 0)
    with BackendServer(None, port=0, data_dir=tmp_path, worker_mode="thread") as server:
        extra = QrispPorts(server.app, {free_port: "ideal@stim"}).start()
        try:
            assert BackendClient("127.0.0.1", free_port).run(qc, 10) == {"1": 10}
            jobs, _ = server.app.extensions["qhost"].engine.list_jobs()
            assert [job.spec.backend for job in jobs] == ["ideal@stim"]
            assert requests.get(f"http://127.0.0.1:{free_port}/", timeout=5).status_code == 200
        finally:
            extra.stop()


def test_unknown_backend_binds_nothing(tmp_path, free_port):
    with BackendServer(None, port=0, data_dir=tmp_path, worker_mode="thread") as server:
        with pytest.raises(UnknownBackend):
            QrispPorts(server.app, {free_port: "nowhere@aer"}).start()
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{free_port}/", timeout=2)


def test_every_docker_port_runs_its_own_simulator(tmp_path):
    """The image's port table served in-process (as ``--qrisp-port`` does in the image): each port's job
    runs on that port's backend, and its Bell pair has the right distribution."""
    ports = dict(zip(DOCKER_PORTS, free_ports(len(DOCKER_PORTS)), strict=True))
    with BackendServer(None, port=0, data_dir=tmp_path, worker_mode="thread") as server:
        extra = QrispPorts(server.app, {port: backend for backend, port in ports.items()}).start()
        try:
            for backend, port in ports.items():
                counts, ran_on = run_on_port(port, _bell(), 200)
                assert ran_on == backend, (port, ran_on)
                assert_split(counts, bell_split())
        finally:
            extra.stop()


def _bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc
