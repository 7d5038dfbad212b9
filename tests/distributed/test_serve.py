"""``qhost serve --broker`` as a real process: the Qrisp door unchanged; ``--gpus`` workers; the CLI views."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest
from dist_helpers import QHOST, Procs, until, worker_env
from dist_services import free_port
from qhost_testkit import assert_split, bell_split
from qiskit import QuantumCircuit

from qhost.client.backend_client import BackendClient
from qhost.jobs import JobSpec, JobStatus
from qhost.store import SqlStore

pytestmark = pytest.mark.slow


def test_qrisp_door_and_gpu_workers_through_the_broker(
    redis_url: str, database_url: str, procs: Procs, tmp_path: Any
) -> None:
    port = free_port()
    procs.start(
        "serve",
        "--broker",
        redis_url,
        "--database-url",
        database_url,
        "--port",
        str(port),
        "--executors",
        "aer,ddsim",
    )
    procs.worker(redis_url, database_url, "--queue", "aer", "--gpus", "3,5")  # one worker per (pretend) GPU
    client = BackendClient(api_endpoint="127.0.0.1", port=port)
    until(
        lambda: _status(client, port)["dispatch"]["queues"].get("aer", {}).get("workers") == 2,
        90,
        "2 workers",
    )
    status = _status(client, port)
    assert status["dispatch"]["queues"]["ddsim"]["state"] == "no worker online"

    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    counts = client.run(qc, 200)  # the Qrisp door, unchanged
    assert sum(counts.values()) == 200
    assert_split(counts, bell_split())

    store = SqlStore(database_url)
    try:
        from qhost.engine.distributed.engine import RqJobEngine
        from qhost.programs import PROGRAMS, register_program

        register_program("env", "dist_progs:env")
        engine = RqJobEngine(store, redis_url)
        engine.start()
        try:
            jobs = [engine.submit(JobSpec(program="env", backend="ideal@aer", inputs="{}")) for _ in range(4)]
            seen = {json.loads(engine.wait(j.id, 60).result)["cuda"] for j in jobs}
            assert seen <= {"3", "5"} and seen
            assert sorted(s["gpu"] for s in engine.worker_snapshots()) == ["3", "5"]
            assert all(engine.get(j.id).status is JobStatus.COMPLETED for j in jobs)
        finally:
            engine.stop()
            PROGRAMS.pop("env", None)
    finally:
        store.close()

    out = subprocess.run(
        [*QHOST, "backends", "--executors", "aer,ddsim", "--broker", redis_url],
        capture_output=True, text=True, timeout=120, env=worker_env(), check=True,
    )  # fmt: skip
    assert re.search(r"ideal@aer\s.*\s2$", out.stdout, re.M)
    assert re.search(r"ideal@ddsim\s.*no worker online$", out.stdout, re.M)


def _status(client: BackendClient | None, port: int) -> dict[str, Any]:
    import requests

    try:
        return requests.get(f"http://127.0.0.1:{port}/", timeout=10).json()  # type: ignore[no-any-return]
    except requests.ConnectionError:
        return {"dispatch": {"queues": {}}}


@pytest.mark.interop
def test_stock_ibm_client_through_the_broker(redis_url: str, database_url: str, procs: Procs) -> None:
    """SamplerV2 of qiskit-ibm-runtime, in a dedicated Session, against ``qhost serve --broker``."""
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_ibm_runtime import SamplerV2, Session

    from qhost.client.runtime import connect

    port = free_port()
    procs.start(
        "serve",
        "--broker",
        redis_url,
        "--database-url",
        database_url,
        "--port",
        str(port),
        "--executors",
        "aer",
    )
    procs.worker(redis_url, database_url, "--queue", "aer", "-n", "2")
    until(lambda: _status(None, port)["dispatch"]["queues"].get("aer", {}).get("workers") == 2, 90, "workers")
    backend = connect(f"http://127.0.0.1:{port}").backend("fake_manila@aer")
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    circuit = generate_preset_pass_manager(backend=backend, optimization_level=1).run(qc)
    with Session(backend=backend) as session:
        sampler = SamplerV2(mode=session)
        jobs = [sampler.run([(circuit, None, 300)]) for _ in range(3)]
        results = [job.result()[0].data.meas.get_counts() for job in jobs]
    assert all(sum(c.values()) == 300 for c in results)
    assert all(c.get("00", 0) + c.get("11", 0) > 240 for c in results)  # noisy Bell pair on fake_manila
    store = SqlStore(database_url)
    try:
        records = [store.get(job.job_id()) for job in jobs]
    finally:
        store.close()
    assert all(r.spec.serial_key for r in records)  # a dedicated session: one at a time, in order
    for before, after in zip(records, records[1:], strict=False):
        assert after.started_at >= before.finished_at
