"""``docker/compose.distributed.yaml``: resolved by ``podman-compose config``, then brought up for real.

The ``config`` checks run everywhere: podman-compose's ``--dry-run`` resolves the file (variables, anchors,
profiles) with its own code and never calls podman, so they need no container tools.

The images are built here on the Debian base (no registry): qhost with the distributed extra, Redis and
PostgreSQL from Debian packages (``scripts/container_build.sh build distributed|redis|postgres``); their
tags are the ones the compose file names, so ``up`` builds nothing. podman runs through
``scripts/container_build.sh podman`` (CI's runtime flags); service names resolve through CNI's dnsname
plugin (Debian: golang-github-containernetworking-plugin-dnsname). The stack is driven by real clients:
the stock qiskit-ibm-runtime SamplerV2, qhost's Qrisp-style ``BackendClient`` and the Qrisp 0.8.2 client.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import yaml
from qhost_testkit import assert_split, bell_split
from qiskit import QuantumCircuit, transpile

from qhost.client.backend_client import BackendClient

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker" / "compose.distributed.yaml"
CPU_QUEUES = ("aer", "aer_mps", "aer_stabilizer", "aer_density_matrix", "ddsim", "stim", "qulacs")
QRISP_082_CLIENT = """
import json, sys
from qrisp import QuantumVariable, h, cx
from qrisp.interface import BackendClient
qv = QuantumVariable(2)
h(qv[0])
cx(qv[0], qv[1])
print(json.dumps(qv.get_measurement(backend=BackendClient(api_endpoint="127.0.0.1", port=int(sys.argv[1])))))
"""


def _config(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``podman-compose --dry-run … config``: the resolved file, without podman (``--dry-run`` skips its
    ``podman --version`` probe); the variables are ``env`` only, whatever this shell has set."""
    cmd = [sys.executable, "-m", "podman_compose", "--dry-run", *args, "-f", str(COMPOSE), "config"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QHOST_")}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env={**clean, **env})


def test_resolved_services() -> None:
    plain = _config(QHOST_REDIS_PASSWORD="r-pw", QHOST_PG_PASSWORD="p-pw")
    assert plain.returncode == 0, plain.stderr
    assert "worker-gpu" not in yaml.safe_load(plain.stdout)["services"]  # only with --profile gpu
    done = _config("--profile", "gpu", QHOST_REDIS_PASSWORD="r-pw", QHOST_PG_PASSWORD="p-pw")
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    assert set(services) == {"redis", "postgres", "server", "worker-cpu-1", "worker-cpu-2", "worker-gpu"}
    assert services["redis"]["image"] == "localhost/qhost:redis"
    assert services["redis"]["build"]["dockerfile"] == "docker/Dockerfile.redis"
    assert services["redis"]["environment"]["REDIS_PASSWORD"] == "r-pw"
    assert services["postgres"]["image"] == "localhost/qhost:postgres"
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "p-pw"
    assert "ports" not in services["redis"] and "ports" not in services["postgres"]  # never published
    assert services["server"]["ports"] == ["127.0.0.1:8000:8000"]
    for name in ("server", "worker-cpu-1", "worker-cpu-2", "worker-gpu"):
        env = services[name]["environment"]
        assert env["QHOST_BROKER_URL"] == "redis://:r-pw@redis:6379/0"
        assert env["QHOST_DATABASE_URL"] == "postgresql+psycopg://qhost:p-pw@postgres:5432/qhost"
    for name in ("worker-cpu-1", "worker-cpu-2"):
        command = services[name]["command"]
        assert command[:2] == ["qhost", "worker"] and command[command.index("-n") + 1] == "2"
    assert services["worker-gpu"]["profiles"] == ["gpu"]
    assert services["worker-gpu"]["command"][-2:] == ["--gpus", "0"]


def test_port_and_worker_processes_are_variables() -> None:
    done = _config(QHOST_REDIS_PASSWORD="r", QHOST_PG_PASSWORD="p", QHOST_HTTP_PORT="18001",
                   QHOST_WORKER_PROCESSES="3")  # fmt: skip
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    assert services["server"]["ports"] == ["127.0.0.1:18001:8000"]
    assert services["worker-cpu-2"]["command"][-2:] == ["-n", "3"]


def test_passwords_are_required() -> None:
    done = _config()
    assert done.returncode != 0
    assert "QHOST_REDIS_PASSWORD" in done.stderr + done.stdout


# ---- brought up for real ------------------------------------------------------------------------------


@dataclass
class Stack:
    """A running ``compose.distributed.yaml`` project: its server URL and podman-compose's environment."""

    project: str
    url: str
    port: int
    env: dict[str, str]
    wrapper: Path

    def compose(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "podman_compose", "--podman-path", str(self.wrapper), "-f", str(COMPOSE),
               "-p", self.project, *args]  # fmt: skip
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, env=self.env)

    def container(self, service: str) -> str:
        return f"{self.project}_{service}_1"

    def logs(self) -> str:
        return "".join(self.compose("logs", "--tail", "15", timeout=60).stdout[-6000:])


@pytest.fixture(scope="module")
def stack(distributed_images: dict[str, str]) -> Iterator[Stack]:
    wrapper = REPO / "scripts" / "podman-ci.sh"  # the documented --podman-path (docker.md, deployment.md)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    passwords = {"QHOST_REDIS_PASSWORD": secrets.token_hex(16), "QHOST_PG_PASSWORD": secrets.token_hex(16)}
    env = {**os.environ, **passwords, "QHOST_HTTP_PORT": str(port), "QHOST_WORKER_PROCESSES": "1"}
    running = Stack(f"qhost-dist-{uuid.uuid4().hex[:8]}", f"http://127.0.0.1:{port}", port, env, wrapper)
    up = running.compose("up", "-d")
    try:
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-2000:]
        _wait_for_workers(running, timeout=180)
        yield running
    finally:
        down = running.compose("down", "-v")
        assert down.returncode == 0, down.stderr[-2000:]


def _wait_for_workers(stack: Stack, timeout: float) -> None:
    """Until GET / answers and every CPU queue is served (the server restarts until PostgreSQL is up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            queues = requests.get(stack.url + "/", timeout=3).json()["dispatch"]["queues"]
            if all(queues.get(q, {}).get("workers") == 2 for q in CPU_QUEUES):
                return
        except (requests.RequestException, ValueError, KeyError):
            pass
        time.sleep(1)
    raise AssertionError(f"the stack was not serving after {timeout}s; logs:\n{stack.logs()}")


def _bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def _podman(*args: str) -> subprocess.CompletedProcess[str]:
    """podman with CI's flags (as tests/docker/conftest.py runs it), not raising on failure."""
    command = [str(REPO / "scripts" / "container_build.sh"), "podman", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.slow
@pytest.mark.interop
def test_status_shows_two_workers_per_cpu_queue_and_no_gpu_worker(stack: Stack) -> None:
    dispatch = requests.get(stack.url + "/", timeout=10).json()["dispatch"]
    assert dispatch["mode"] == "rq" and dispatch["broker"] == "redis://:***@redis:6379/0"
    assert dispatch["queues"]["aer"] == {"workers": 2, "queued": 0, "state": "ok"}
    assert dispatch["queues"]["custatevec"]["state"] == "no worker online"  # the gpu profile is off


@pytest.mark.slow
@pytest.mark.interop
def test_stock_ibm_client_job_runs_on_a_worker_and_lands_in_postgres(stack: Stack) -> None:
    from qiskit_ibm_runtime import SamplerV2

    from qhost.client.runtime import connect

    backend = connect(stack.url).backend("fake_manila@aer")
    job = SamplerV2(mode=backend).run([transpile(_bell(), backend, seed_transpiler=1)], shots=200)
    counts = job.result()[0].data.c.get_counts()
    assert sum(counts.values()) == 200 and counts.get("00", 0) + counts.get("11", 0) > 150, counts
    listed = _podman("exec", stack.container("server"), "qhost", "jobs", "--json")  # reads PostgreSQL
    assert listed.returncode == 0, listed.stderr
    rows = {row["id"]: row for row in map(json.loads, listed.stdout.splitlines())}
    assert rows[job.job_id()]["state"] == "completed", rows[job.job_id()]
    hostname = ("inspect", "-f", "{{.Config.Hostname}}")
    worker_hosts = {_podman(*hostname, stack.container(f"worker-cpu-{n}")).stdout.strip() for n in (1, 2)}
    assert str(rows[job.job_id()]["worker"]).split(":")[0] in worker_hosts, rows[job.job_id()]  # host:pid


@pytest.mark.slow
@pytest.mark.interop
def test_qrisp_style_backend_client(stack: Stack) -> None:
    counts = BackendClient("127.0.0.1", stack.port).run(_bell(), 100)
    assert sum(counts.values()) == 100
    assert_split(counts, bell_split())


@pytest.mark.slow
@pytest.mark.interop
def test_qrisp_082_client(stack: Stack) -> None:
    made = subprocess.run([str(REPO / "scripts" / "interop_env.sh"), "qrisp-0.8.2"], capture_output=True,
                          text=True, timeout=900)  # fmt: skip
    assert made.returncode == 0, made.stderr[-2000:]
    python = made.stdout.strip().splitlines()[-1]
    done = subprocess.run([python, "-c", QRISP_082_CLIENT, str(stack.port)], capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert_split(
        json.loads(done.stdout.strip().splitlines()[-1]), bell_split(), shots=100
    )  # probabilities: 100 shots = a floor


@pytest.mark.slow
@pytest.mark.interop
def test_redis_wants_the_password_and_keeps_an_aof(stack: Stack) -> None:
    redis = stack.container("redis")
    assert "NOAUTH" in _podman("exec", redis, "redis-cli", "ping").stdout
    aof = _podman("exec", "-e", f"REDISCLI_AUTH={stack.env['QHOST_REDIS_PASSWORD']}", redis,
                  "redis-cli", "config", "get", "appendonly")  # fmt: skip
    assert aof.stdout.split() == ["appendonly", "yes"], aof.stdout + aof.stderr
    assert _podman("exec", redis, "id", "-u").stdout.strip() != "0"


@pytest.mark.slow
@pytest.mark.interop
def test_postgres_wants_the_password_over_tcp(stack: Stack) -> None:
    pg = stack.container("postgres")
    psql = ("psql", "-h", "127.0.0.1", "-U", "qhost", "-d", "qhost", "-tAc", "select 1")
    wrong = _podman("exec", "-e", "PGPASSWORD=wrong", pg, *psql)
    assert wrong.returncode != 0 and "password authentication failed" in wrong.stderr
    right = _podman("exec", "-e", f"PGPASSWORD={stack.env['QHOST_PG_PASSWORD']}", pg, *psql)
    assert right.stdout.strip() == "1", right.stderr
    assert _podman("exec", pg, "id", "-un").stdout.strip() == "postgres"
