"""Issue 24 items 3-5 on the IBM door, in process: private results read twice, usage in whole seconds,
calibration history (``properties?updated_before=``, the calibration each job records) and the run-time
estimate every job carries (job JSON, console job page, ``dry_run`` results)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

H = {"IBM-API-Version": "2026-04-15"}
MANILA = "fake_manila@aer"
MANILA_CALIBRATION = datetime(2024, 5, 27, 18, 27, 23, tzinfo=UTC)  # props' 2024-05-27T15:27:23-03:00


def _submit(client: Any, app: Any, params: dict[str, Any], backend: str = MANILA, **extra: Any) -> Any:
    body = {"program_id": "sampler", "backend": backend, "params": params, **extra}
    resp = client.post("/api/v1/jobs", json=body, headers=H)
    assert resp.status_code == 200, resp.get_json()
    job_id = resp.get_json()["id"]
    app.extensions["qhost"].engine.wait(job_id, timeout=120)
    return job_id


def test_private_results_read_a_second_time_are_empty_not_404(app: Any, client: Any, wire: Any) -> None:
    job_id = _submit(client, app, wire.sampler_params(40), private=True)
    first = client.get(f"/api/v1/jobs/{job_id}/results", headers=H)
    assert first.status_code == 200 and "PrimitiveResult" in first.get_data(as_text=True)
    second = client.get(f"/api/v1/jobs/{job_id}/results", headers=H)
    assert (second.status_code, second.get_data(as_text=True)) == (200, "")


def test_usage_is_in_whole_seconds(client: Any) -> None:
    usage = client.get("/api/v1/instances/usage", headers=H).get_json()
    for key in ("usage_consumed_seconds", "usage_limit_seconds", "usage_remaining_seconds"):
        assert type(usage[key]) is int, (key, usage[key])
    assert usage["usage_remaining_seconds"] == usage["usage_limit_seconds"] - usage["usage_consumed_seconds"]


def test_properties_updated_before_answers_the_snapshot_in_force(client: Any) -> None:
    url = f"/api/v1/backends/{MANILA}/properties"
    for when in ("2024-05-27T18:27:23+00:00", "2026-01-01T00:00:00", "2030-06-01T12:00:00.123456+02:00"):
        resp = client.get(url, query_string={"updated_before": when}, headers=H)
        assert resp.status_code == 200, (when, resp.get_json())
        assert resp.get_json()["last_update_date"] == "2024-05-27T15:27:23-03:00"


def test_properties_updated_before_the_snapshot_is_a_clear_404(client: Any) -> None:
    url = f"/api/v1/backends/{MANILA}/properties"
    resp = client.get(url, query_string={"updated_before": "2024-05-27T18:27:22+00:00"}, headers=H)
    assert resp.status_code == 404
    message = resp.get_json()["errors"][0]["message"]
    assert "No calibration of backend fake_manila@aer was in force at 2024-05-27T18:27:22.000Z" in message
    assert "2024-05-27T18:27:23.000Z" in message
    bad = client.get(url, query_string={"updated_before": "yesterday"}, headers=H)
    assert bad.status_code == 400 and "updated_before" in bad.get_json()["errors"][0]["message"]


def test_each_job_records_its_calibration(app: Any, client: Any, wire: Any) -> None:
    job_id = _submit(client, app, wire.sampler_params(20))
    doc = client.get(f"/api/v1/jobs/{job_id}", headers=H).get_json()
    assert doc["calibration_id"] == "2024-05-27T15:27:23-03:00"
    recorded = datetime.fromisoformat(doc["calibration_id"])
    assert recorded == MANILA_CALIBRATION
    url = f"/api/v1/backends/{MANILA}/properties"
    # the id a job records is a calibration_id the device answers to, and the snapshot in force then
    by_id = client.get(url, query_string={"calibration_id": doc["calibration_id"]}, headers=H)
    by_time = client.get(url, query_string={"updated_before": doc["calibration_id"]}, headers=H)
    assert by_id.status_code == by_time.status_code == 200
    assert (
        by_id.get_json()["last_update_date"]
        == by_time.get_json()["last_update_date"]
        == doc["calibration_id"]
    )
    ideal = _submit(client, app, wire.sampler_params(20), backend="ideal@aer")
    assert client.get(f"/api/v1/jobs/{ideal}", headers=H).get_json()["calibration_id"] is None


def _chain(n: int) -> QuantumCircuit:
    """X then a CX chain: in fake_manila's ISA (a line) and on ideal."""
    qc = QuantumCircuit(n)
    qc.x(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure_all()
    return qc


def test_every_job_carries_an_estimate_that_grows_with_the_work(app: Any, client: Any, wire: Any) -> None:
    def estimate(qubits: int, shots: int, backend: str) -> float:
        params = wire.params_json([[_chain(qubits), np.zeros((0,)), shots]])
        job_id = _submit(client, app, params, backend=backend)
        value = client.get(f"/api/v1/jobs/{job_id}?exclude_params=true", headers=H).get_json()[
            "estimated_running_time_seconds"
        ]
        assert isinstance(value, float) and value > 0, value
        listed = client.get("/api/v1/jobs", headers=H).get_json()["jobs"]
        assert next(j for j in listed if j["id"] == job_id)["estimated_running_time_seconds"] == value
        return value

    small = estimate(2, 100, "ideal@aer")
    wide = estimate(20, 100, "ideal@aer")
    more_shots_noisy = estimate(3, 4000, MANILA)
    fewer_shots_noisy = estimate(3, 100, MANILA)
    assert wide > small and more_shots_noisy > fewer_shots_noisy


def test_console_job_page_shows_the_estimate(app: Any, client: Any, wire: Any) -> None:
    job_id = _submit(client, app, wire.sampler_params(20))
    page = client.get(f"/console/jobs/{job_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="job-estimate"' in text and "Estimated running time" in text
    assert "device calibration of 2024-05-27T15:27:23-03:00" in text


def test_dry_run_results_carry_the_estimate(app: Any, client: Any, wire: Any) -> None:
    job_id = _submit(client, app, wire.sampler_params(30), backend="mock_manila@aer")
    doc = client.get(f"/api/v1/jobs/{job_id}", headers=H).get_json()
    text = client.get(f"/api/v1/jobs/{job_id}/results", headers=H).get_data(as_text=True)
    metadata = json.loads(text)["__value__"]["metadata"]
    assert metadata["estimated_running_time_seconds"] == doc["estimated_running_time_seconds"] > 0
    plain = _submit(client, app, wire.sampler_params(30))
    plain_text = client.get(f"/api/v1/jobs/{plain}/results", headers=H).get_data(as_text=True)
    assert "estimated_running_time_seconds" not in json.loads(plain_text)["__value__"]["metadata"]
