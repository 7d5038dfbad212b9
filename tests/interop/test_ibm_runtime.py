"""The stock qiskit-ibm-runtime 0.51 client against an in-process qhost server (waitress, loopback)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import qhost_server

pytestmark = [pytest.mark.interop, pytest.mark.slow]

MANILA = "fake_manila@aer"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """``(url, app)`` of a qhost server with two worker processes on a free loopback port."""
    with qhost_server(tmp_path_factory.mktemp("ibm"), process_workers=2, threads=16) as pair:
        yield pair


@pytest.fixture(scope="module")
def manila(service: Any) -> Any:
    return service.backend(MANILA)


def ghz(n: int, measure: bool = True) -> Any:
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    if measure:
        qc.measure_all()
    return qc


def isa(circuit: Any, backend: Any) -> Any:
    from qiskit.transpiler import generate_preset_pass_manager

    return generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=1).run(circuit)


def test_connect_returns_a_stock_service(service: Any) -> None:
    from qiskit_ibm_runtime import QiskitRuntimeService

    assert type(service) is QiskitRuntimeService and service.backend(MANILA).num_qubits == 5


def test_env_only_recipe_b_connects(server: tuple[str, Any], tmp_path: Any) -> None:
    from qhost.client.runtime import connection_env

    env = {**os.environ, **connection_env(server[0], "anything"), "HOME": str(tmp_path)}
    code = "from qiskit_ibm_runtime import QiskitRuntimeService as S; print(S().backend('fake_manila@aer'))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == f"<IBMBackend('{MANILA}')>", out.stderr[-2000:]


def test_backends_has_every_fake_device_for_every_available_executor(
    server: tuple[str, Any], service: Any
) -> None:
    expected = {e.name for e in server[1].extensions["qhost"].catalog.entries() if e.available}
    names = {b.name for b in service.backends()}
    assert expected <= names and any(n.startswith("fake_sherbrooke@") for n in names)


def test_target_has_the_fake_devices_coupling_map(manila: Any) -> None:
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    edges = set(manila.target.build_coupling_map().get_edges())
    assert edges == set(FakeManilaV2().coupling_map.get_edges())


def test_sampler_on_a_noisy_backend_gives_the_shots_and_noisy_counts(manila: Any) -> None:
    from qiskit_ibm_runtime import SamplerV2

    sampler = SamplerV2(mode=manila)
    sampler.options.default_shots = 2000
    result = sampler.run([isa(ghz(3), manila)]).result()
    counts = result[0].data.meas.get_counts()
    assert sum(counts.values()) == 2000
    assert set(counts) - {"000", "111"}, counts
    assert result.metadata["execution"]["execution_spans"].filter_by_pub(0)[0].size == 2000


def test_sampler_seed_makes_runs_repeatable(manila: Any) -> None:
    from qiskit_ibm_runtime import SamplerV2

    sampler = SamplerV2(mode=manila, options={"simulator": {"seed_simulator": 7}})
    circuit = isa(ghz(3), manila)
    first, second = (sampler.run([(circuit, None, 300)]).result()[0].data.meas.get_counts() for _ in range(2))
    assert first == second


def test_estimator_is_within_the_requested_precision(service: Any) -> None:
    from qiskit.quantum_info import SparsePauliOp, Statevector
    from qiskit_ibm_runtime import EstimatorV2

    backend = service.backend("ideal@aer")
    circuit = ghz(3, measure=False)
    circuit.ry(0.4, 0)
    observable = SparsePauliOp.from_list([("ZZZ", 0.5), ("XXX", 1.0), ("IZI", 0.3)])
    exact = Statevector(circuit).expectation_value(observable).real
    mapped = isa(circuit, backend)
    value = EstimatorV2(mode=backend).run([(mapped, observable.apply_layout(mapped.layout))], precision=0.01)
    assert abs(float(value.result()[0].data.evs) - exact) < 3 * 0.01


def test_session_runs_its_jobs_in_submission_order(manila: Any) -> None:
    from qiskit_ibm_runtime import SamplerV2, Session

    circuit = isa(ghz(3), manila)
    with Session(backend=manila) as session:
        sampler = SamplerV2(mode=session)
        jobs = [sampler.run([(circuit, None, 200)]) for _ in range(3)]
        for job in jobs:
            job.result()
        assert session.details()["mode"] == "dedicated"
    spans = [
        (job.metrics()["timestamps"]["running"], job.metrics()["timestamps"]["finished"]) for job in jobs
    ]
    assert all(spans[i][1] <= spans[i + 1][0] for i in range(2)), spans
    assert {job.session_id for job in jobs} == {session.session_id}


def test_batch_runs_its_jobs(manila: Any) -> None:
    from qiskit_ibm_runtime import Batch, SamplerV2

    circuit = isa(ghz(3), manila)
    with Batch(backend=manila) as batch:
        sampler = SamplerV2(mode=batch)
        jobs = [sampler.run([(circuit, None, 100)]) for _ in range(3)]
        assert [j.result()[0].data.meas.num_shots for j in jobs] == [100, 100, 100]
        assert batch.details()["mode"] == "batch"


def test_cancel_of_a_running_job(manila: Any) -> None:
    from qiskit_ibm_runtime import SamplerV2

    circuit = isa(ghz(5), manila)
    job = SamplerV2(mode=manila).run([(circuit, None, 1_000_000)] * 40)
    deadline = time.monotonic() + 60
    while job.status() != "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.1)
    job.cancel()
    deadline = time.monotonic() + 30
    while job.status() != "CANCELLED" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert job.status() == "CANCELLED"


def test_executor_sampler_program_runs_circuit_items(manila: Any) -> None:
    import numpy as np
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter
    from qiskit_ibm_runtime.executor_sampler import Sampler

    theta = Parameter("t")
    rotation = QuantumCircuit(1)
    rotation.rx(theta, 0)
    rotation.measure_all()
    pubs = [(isa(ghz(2), manila), None, 400), (isa(rotation, manila), np.array([[0.0], [np.pi]]), 400)]
    result = Sampler(mode=manila).run(pubs).result()
    assert sum(result[0].data.meas.get_counts().values()) == 400
    flipped = result[1].data.meas.get_counts(1)
    assert flipped.get("1", 0) > 300 and result[1].data.shape == (2,)
