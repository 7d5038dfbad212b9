"""The CPU image, built and run for real with podman: every published port answers its real client.

Order matters in this module: the last test stops the shared container and restarts the image on the
same volume (the job store must survive the restart).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import requests
from qhost_testkit import assert_split, bell_split, run_on_port
from qiskit import QuantumCircuit, transpile

from qhost.client.backend_client import BackendClient
from qhost.client.docker_backends import DOCKER_PORTS

pytestmark = [pytest.mark.slow, pytest.mark.interop]

ROOT = Path(__file__).resolve().parents[2]
QRISP_082_CLIENT = """
import json, sys
from qrisp import QuantumVariable, h, cx
from qrisp.interface import BackendClient
qv = QuantumVariable(2)
h(qv[0])
cx(qv[0], qv[1])
print(json.dumps(qv.get_measurement(backend=BackendClient(api_endpoint="127.0.0.1", port=int(sys.argv[1])))))
"""


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def test_runs_as_non_root(container, run_podman):
    assert run_podman("exec", container.name, "id", "-u").stdout.strip() == "10001"


def test_healthcheck_command_passes(container, run_podman):
    assert run_podman("healthcheck", "run", container.name, check=False).returncode == 0


def test_status_lists_all_doors(container):
    status = requests.get(container.url(), timeout=10).json()
    assert status["doors"] == {"qrisp": True, "ibm_runtime": True, "thrift": True}


def test_openapi_and_docs_served(container):
    assert "/jobs" in requests.get(f"{container.url()}/openapi.json", timeout=10).json()["paths"]
    assert requests.get(f"{container.url()}/docs", timeout=10).status_code == 200


@pytest.mark.parametrize("backend", sorted(DOCKER_PORTS))
def test_each_simulator_port_answers_backend_client(container, backend):
    counts, ran_on = run_on_port(container.ports[DOCKER_PORTS[backend]], bell(), 200)
    assert ran_on == backend  # this port's own simulator, not another port's
    assert sum(counts.values()) == 200
    assert_split(counts, bell_split())


def test_main_port_answers_backend_client(container):
    counts = BackendClient("127.0.0.1", container.ports[8000]).run(bell(), 100)
    assert sum(counts.values()) == 100


def test_qrisp_082_client_on_the_mqt_port(container):
    made = subprocess.run([str(ROOT / "scripts" / "interop_env.sh"), "qrisp-0.8.2"], capture_output=True,
                          text=True, timeout=900)  # fmt: skip
    assert made.returncode == 0, made.stderr[-2000:]
    python = made.stdout.strip().splitlines()[-1]
    done = subprocess.run([python, "-c", QRISP_082_CLIENT, str(container.ports[8085])], capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert_split(
        json.loads(done.stdout.strip().splitlines()[-1]), bell_split(), shots=100
    )  # probabilities: 100 shots = a floor


def test_thrift_port_answers_thrift_client(container):
    from qhost.client.thrift_client import ThriftBackendClient

    with ThriftBackendClient("127.0.0.1", container.ports[9090]) as client:
        counts = client.run(bell(), 100)
    assert sum(counts.values()) == 100
    assert_split(counts, bell_split())


def test_stock_ibm_client_then_restart_keeps_the_job(container, new_container, run_podman):
    from qiskit_ibm_runtime import SamplerV2

    from qhost.client.runtime import connect

    backend = connect(container.url()).backend("fake_manila@aer")
    job = SamplerV2(mode=backend).run([transpile(bell(), backend)], shots=100)
    assert sum(job.result()[0].data.c.get_counts().values()) == 100
    assert container.stop().returncode == 0
    again = new_container(container.image, container.volume).start()
    try:
        assert str(connect(again.url()).job(job.job_id()).status()) in ("DONE", "JobStatus.DONE")
    finally:
        again.stop()
