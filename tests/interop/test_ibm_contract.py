"""Contract gaps the stock qiskit-ibm-runtime 0.51 client exposes (issue 12, item 6), against a real server.

Idle-qubit observables on a 127-qubit device, Estimator ``shots`` metadata, ``private`` jobs, unknown
``calibration_id``, ``/instances/usage`` and the ``mock_*`` dry-run twins.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from .conftest import qhost_server

pytestmark = [pytest.mark.interop, pytest.mark.slow]

MANILA = "fake_manila@aer"
SHERBROOKE = "fake_sherbrooke@aer"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """``(url, app)`` of a qhost server with one worker process on a free loopback port."""
    with qhost_server(tmp_path_factory.mktemp("contract"), process_workers=1, threads=8) as pair:
        yield pair


def ghz_on(backend: Any, n: int = 3, measure: bool = False) -> Any:
    from qiskit import QuantumCircuit
    from qiskit.transpiler import generate_preset_pass_manager

    qc = QuantumCircuit(n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    if measure:
        qc.measure_all()
    pm = generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=1)
    return pm.run(qc)


def test_estimator_observable_over_all_127_qubits_reduces_to_the_active_ones(service: Any) -> None:
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_ibm_runtime import EstimatorV2

    backend = service.backend(SHERBROOKE)
    circuit = ghz_on(backend)
    n = circuit.num_qubits
    assert n == 127
    all_x = SparsePauliOp("X" * n)
    all_z = SparsePauliOp("Z" * n)
    layout = circuit.layout.final_index_layout()
    ghz_zz = SparsePauliOp.from_sparse_list([("ZZ", layout[:2], 1.0)], num_qubits=n)
    x_on_idle = SparsePauliOp.from_sparse_list([("X", [max(set(range(n)) - set(layout))], 1.0)], n)
    job = EstimatorV2(mode=backend).run([(circuit, [all_x, all_z, ghz_zz, x_on_idle])], precision=0.02)
    evs = job.result()[0].data.evs
    # X^127 has X on idle qubits: exactly 0; Z^127 = Z on the 3 GHZ qubits (odd parity): about 0;
    # ZZ on two GHZ qubits: close to 1 under device noise.
    assert abs(evs[0]) < 0.1 and abs(evs[1]) < 0.15 and evs[2] > 0.8 and abs(evs[3]) < 0.1, evs


def test_estimator_reports_ibm_shots_per_pub(service: Any) -> None:
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_ibm_runtime import EstimatorV2

    backend = service.backend(MANILA)
    circuit = ghz_on(backend, 2)
    observable = SparsePauliOp("ZZ").apply_layout(circuit.layout)
    default = EstimatorV2(mode=backend).run([(circuit, observable)]).result()
    assert default[0].metadata["shots"] == 4096
    estimator = EstimatorV2(mode=backend)
    estimator.options.twirling.enable_gates = True
    estimator.options.twirling.num_randomizations = 10
    estimator.options.twirling.shots_per_randomization = 100
    twirled = estimator.run([(circuit, observable)], precision=0.05).result()
    assert twirled[0].metadata["shots"] == 1000


def test_private_job_hides_params_and_results_read_once(service: Any) -> None:
    from qiskit_ibm_runtime import SamplerV2

    backend = service.backend(MANILA)
    sampler = SamplerV2(mode=backend)
    sampler.options.environment.private = True
    job = sampler.run([(ghz_on(backend, 2, measure=True), None, 50)])
    assert job.result()[0].data.meas.num_shots == 50
    again = service.job(job.job_id())
    assert again.private is True
    assert not again.result()  # IBM's contract: read once, then an empty answer (the client gives None)
    assert not job.result()
    raw = service._active_api_client._api.program_job(job.job_id()).get()  # the GET /jobs/{id} body
    assert "params" not in raw and raw["private"] is True


def test_unknown_calibration_id_is_backend_not_found(service: Any) -> None:
    from qiskit.providers.exceptions import QiskitBackendNotFoundError

    with pytest.raises(QiskitBackendNotFoundError):
        service.backend(MANILA, calibration_id="no-such-calibration")
    assert service.backend(MANILA, calibration_id="latest").num_qubits == 5


def test_usage_remaining_is_an_integer(service: Any) -> None:
    usage = service.usage()
    remaining = usage["usage_remaining_seconds"]
    assert isinstance(remaining, int) and not isinstance(remaining, bool), repr(remaining)
    assert usage["usage_remaining_seconds"] > 0 and usage["usage_limit_reached"] is False


def test_mock_twins_serve_dry_run(service: Any) -> None:
    from qiskit_ibm_runtime import SamplerV2

    names = {b.name for b in service.backends()}
    assert MANILA in names and not any(n.startswith("mock_") for n in names)
    mock = service.backend("mock_manila@aer")
    assert mock.num_qubits == 5
    backend = service.backend(MANILA)
    job = SamplerV2(mode=backend).run([(ghz_on(backend, 2, measure=True), None, 30)], dry_run=True)
    assert job.result()[0].data.meas.num_shots == 30


def test_job_properties_return_the_calibration_it_ran_with(service: Any) -> None:
    from qiskit_ibm_runtime import SamplerV2

    backend = service.backend(MANILA)
    job = SamplerV2(mode=backend).run([(ghz_on(backend, 2, measure=True), None, 20)])
    job.result()
    recorded = job._api_client.job_get(job.job_id())["calibration_id"]
    props = job.properties()  # GET /jobs/{id}/metrics, then /properties?updated_before=<when it ran>
    assert props is not None and props.backend_name == MANILA
    # the client keeps the snapshot's wall-clock time and labels it local (it drops the -03:00)
    wall_clock = datetime.fromisoformat(recorded).replace(tzinfo=None)
    assert props.last_update_date.replace(tzinfo=None) == wall_clock
    assert recorded == "2024-05-27T15:27:23-03:00"


def test_calibration_history_before_the_snapshot_is_a_clear_404(service: Any) -> None:
    from qiskit_ibm_runtime.api.exceptions import RequestsApiError

    backend = service.backend(MANILA)
    later = backend.properties(datetime=datetime(2025, 1, 1, tzinfo=UTC))
    assert later is not None and later.last_update_date == backend.properties().last_update_date
    with pytest.raises(RequestsApiError, match="No calibration of backend fake_manila@aer was in force"):
        backend.properties(datetime=datetime(2020, 1, 1, tzinfo=UTC))


def test_jobs_carry_a_running_time_estimate_dry_run_included(service: Any) -> None:
    from qiskit_ibm_runtime import SamplerV2

    backend = service.backend(MANILA)
    circuit = ghz_on(backend, 3, measure=True)
    job = SamplerV2(mode=backend).run([(circuit, None, 100)])
    estimate = job.usage_estimation["quantum_seconds"]
    assert isinstance(estimate, float) and estimate > 0
    dry = SamplerV2(mode=backend).run([(circuit, None, 100)], dry_run=True)
    result = dry.result()
    assert dry.usage_estimation["quantum_seconds"] == estimate
    assert result.metadata["estimated_running_time_seconds"] == estimate
    assert "estimated_running_time_seconds" not in job.result().metadata
