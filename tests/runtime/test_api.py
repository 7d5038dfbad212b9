"""The IBM Runtime REST door through Flask's test client: shapes, bad input, sessions, auth."""

from __future__ import annotations

import base64
import zlib
from typing import Any

import numpy as np
import pytest
from qiskit import QuantumCircuit

from qhost.jobs.spec import JobSpec

H = {"IBM-API-Version": "2026-04-15"}
MANILA = "fake_manila@aer"


def submit(client: Any, params: dict[str, Any], **extra: Any) -> Any:
    body = {"program_id": "sampler", "backend": MANILA, "params": params, **extra}
    return client.post("/api/v1/jobs", json=body, headers=H)


def wait(app: Any, job_id: str) -> Any:
    return app.extensions["qhost"].engine.wait(job_id, timeout=120)


def test_backends_are_listed_in_ibms_summary_shape(client: Any) -> None:
    devices = client.get("/api/v1/backends", headers=H).get_json()["devices"]
    manila = next(d for d in devices if d["name"] == MANILA)
    assert (manila["status"]["name"], manila["qubits"], manila["queue_length"]) == ("online", 5, 0)


def test_experimental_mount_answers_the_same(client: Any) -> None:
    assert client.get("/experimental/api/v1/backends", headers=H).status_code == 200


def test_properties_carry_the_virtual_name(client: Any) -> None:
    props = client.get(f"/api/v1/backends/{MANILA}/properties", headers=H).get_json()
    assert props["backend_name"] == MANILA and props["qubits"]


def test_status_reports_the_queue(client: Any) -> None:
    status = client.get(f"/api/v1/backends/{MANILA}/status", headers=H).get_json()
    assert (status["status"], status["length_queue"]) == ("active", 0)


def test_usage_answers(client: Any) -> None:
    assert client.get("/api/v1/instances/usage", headers=H).get_json()["usage_limit_reached"] is False


def test_unknown_api_version_is_a_400(client: Any) -> None:
    resp = client.get("/api/v1/backends", headers={"IBM-API-Version": "2030-01-01"})
    assert resp.status_code == 400
    assert "supports 2024-01-01 to 2026-12-31" in resp.get_json()["errors"][0]["message"]


def test_unknown_backend_is_a_json_404(client: Any, wire: Any) -> None:
    resp = client.post(
        "/api/v1/jobs",
        json={"program_id": "sampler", "backend": "fake_nowhere@aer", "params": wire.sampler_params()},
        headers=H,
    )
    assert resp.status_code == 404 and "fake_nowhere" in resp.get_json()["errors"][0]["message"]


def test_unknown_program_is_a_400(client: Any, wire: Any) -> None:
    resp = client.post(
        "/api/v1/jobs",
        json={"program_id": "qaoa", "backend": MANILA, "params": wire.sampler_params()},
        headers=H,
    )
    assert resp.status_code == 400 and "Unknown program_id 'qaoa'" in resp.get_json()["errors"][0]["message"]


def test_non_isa_circuit_is_a_400_at_submit(client: Any, wire: Any) -> None:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.measure_all()
    resp = submit(client, wire.params_json([[qc, np.zeros((0,)), None]]))
    assert resp.status_code == 400 and "not ISA" in resp.get_json()["errors"][0]["message"]


def test_200_qubit_circuit_is_a_400(client: Any, wire: Any) -> None:
    qc = QuantumCircuit(200)
    qc.x(199)
    resp = submit(client, wire.params_json([[qc, np.zeros((0,)), None]]))
    assert resp.status_code == 400 and "200 qubits but backend fake_manila@aer has 5" in resp.get_data(True)


def test_broken_qpy_is_a_400(client: Any, wire: Any) -> None:
    params = wire.sampler_params()
    params["pubs"][0][0]["__value__"] = base64.b64encode(zlib.compress(b"not qpy at all")).decode()
    assert submit(client, params).status_code == 400


def test_zlib_bomb_is_a_413(client: Any, wire: Any) -> None:
    params = wire.sampler_params()
    params["pubs"][0][1]["__value__"] = base64.b64encode(zlib.compress(b"\0" * (80 * 1024 * 1024))).decode()
    resp = submit(client, params)
    assert resp.status_code == 413 and "inflates beyond the limit" in resp.get_data(True)


def test_unexpected_type_is_a_400(client: Any, wire: Any) -> None:
    params = wire.sampler_params()
    params["options"]["evil"] = {"__type__": "Result", "__value__": {}}
    assert submit(client, params).status_code == 400


def test_negative_shots_are_a_400(client: Any, wire: Any) -> None:
    resp = submit(client, wire.sampler_params(shots=-1))
    assert resp.status_code == 400 and "shots must be positive" in resp.get_data(True)


def test_body_that_is_not_json_is_a_400(client: Any) -> None:
    resp = client.post("/api/v1/jobs", data=b"{nope", headers={**H, "Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.get_json()["errors"]


def test_sampler_job_completes_with_the_shots_asked(app: Any, client: Any, wire: Any) -> None:
    from qiskit_ibm_runtime import RuntimeDecoder

    job_id = submit(client, wire.sampler_params(shots=77, simulator={"seed_simulator": 1})).get_json()["id"]
    assert wait(app, job_id).status == "completed"
    result = RuntimeDecoder().decode(client.get(f"/api/v1/jobs/{job_id}/results", headers=H).get_data(True))
    assert result[0].data.meas.num_shots == 77


def test_job_json_uses_ibm_field_names(app: Any, client: Any, wire: Any) -> None:
    job_id = submit(client, wire.sampler_params(shots=10), tags=["t1"]).get_json()["id"]
    wait(app, job_id)
    job = client.get(f"/api/v1/jobs/{job_id}?exclude_params=true", headers=H).get_json()
    assert (job["state"]["status"], job["program"]["id"], job["tags"], "params" in job) == (
        "Completed",
        "sampler",
        ["t1"],
        False,
    )


def test_failed_jobs_results_answer_200_with_the_error(app: Any, client: Any, wire: Any) -> None:
    params = wire.sampler_params(shots=10)
    params["options"]["simulator"] = {"noise_model": {"not": "a model"}}
    import json

    rec = app.extensions["qhost"].engine.submit(JobSpec("sampler", json.dumps(params), MANILA))
    assert wait(app, rec.id).status == "failed"
    resp = client.get(f"/api/v1/jobs/{rec.id}/results", headers=H)
    assert resp.status_code == 200 and "noise_model must be a qiskit_aer NoiseModel" in resp.get_data(True)


def test_identical_submissions_are_two_jobs(client: Any, wire: Any) -> None:
    params = wire.sampler_params(shots=5)
    assert submit(client, params).get_json()["id"] != submit(client, params).get_json()["id"]


def test_fresh_requests_get_distinct_idempotency_keys() -> None:
    from qhost.server.runtime_api import IdempotencyLedger

    ledger = IdempotencyLedger()
    assert ledger.reserve("alice", b"body") != ledger.reserve("alice", b"body")


def test_handed_back_key_expires_after_the_window() -> None:
    from qhost.server.runtime_api import IdempotencyLedger

    ledger = IdempotencyLedger(window=0.0)
    first = ledger.reserve("alice", b"body")
    ledger.failed(first)
    assert ledger.reserve("alice", b"body") != first


def test_retry_after_a_5xx_reuses_the_idempotency_key() -> None:
    from qhost.server.runtime_api import IdempotencyLedger

    ledger = IdempotencyLedger()
    first = ledger.reserve("alice", b"body")
    ledger.failed(first)
    assert ledger.reserve("alice", b"body") == first


def test_validated_params_skip_only_exact_repeats_that_passed() -> None:
    from qhost.errors import InputError
    from qhost.server.runtime_api import ValidatedParams

    calls: list[str] = []

    def ok() -> None:
        calls.append("ok")

    def bad() -> None:
        calls.append("bad")
        raise InputError("no")

    seen = ValidatedParams(size=2)
    seen.check("sampler", "a", "{}", ok)
    seen.check("sampler", "a", "{}", ok)
    seen.check("sampler", "b", "{}", ok)
    for _ in range(2):
        with pytest.raises(InputError):
            seen.check("sampler", "a", '{"x":1}', bad)
    seen.check("estimator", "a", "{}", ok)  # evicts the oldest
    seen.check("sampler", "a", "{}", ok)
    assert calls == ["ok", "ok", "bad", "bad", "ok", "ok"]


def test_a_non_isa_circuit_is_refused_after_a_valid_one(client: Any, wire: Any) -> None:
    assert submit(client, wire.sampler_params(shots=5)).status_code == 200
    qc = wire.bell()
    qc.h(1)
    resp = submit(client, wire.params_json([[qc, np.zeros((0,)), 5]]))
    assert resp.status_code == 400 and "not ISA" in resp.get_data(True)


def test_list_jobs_filters_and_pages(app: Any, client: Any, wire: Any) -> None:
    ids = [submit(client, wire.sampler_params(shots=5), tags=[f"n{i}"]).get_json()["id"] for i in range(3)]
    for job_id in ids:
        wait(app, job_id)
    page = client.get("/api/v1/jobs?limit=2&offset=0&pending=false&sort=ASC", headers=H).get_json()
    assert (page["count"], [j["id"] for j in page["jobs"]]) == (3, ids[:2])


def test_cancel_of_a_finished_job_is_a_409(app: Any, client: Any, wire: Any) -> None:
    job_id = submit(client, wire.sampler_params(shots=5)).get_json()["id"]
    wait(app, job_id)
    assert client.post(f"/api/v1/jobs/{job_id}/cancel", headers=H).status_code == 409


def test_tags_and_delete(app: Any, client: Any, wire: Any) -> None:
    job_id = submit(client, wire.sampler_params(shots=5)).get_json()["id"]
    assert client.put(f"/api/v1/jobs/{job_id}/tags", json={"tags": ["x"]}, headers=H).status_code == 204
    wait(app, job_id)
    assert client.delete(f"/api/v1/jobs/{job_id}", headers=H).status_code == 204
    assert client.get(f"/api/v1/jobs/{job_id}", headers=H).status_code == 404


def open_session(client: Any, mode: str = "dedicated", **extra: Any) -> str:
    body = {"mode": mode, "backend": MANILA, **extra}
    return client.post("/api/v1/sessions", json=body, headers=H).get_json()["id"]


def test_session_details_in_ibm_shape(client: Any) -> None:
    session_id = open_session(client)
    details = client.get(f"/api/v1/sessions/{session_id}", headers=H).get_json()
    assert (details["backend_name"], details["mode"], details["state"], details["accepting_jobs"]) == (
        MANILA,
        "dedicated",
        "open",
        True,
    )


def test_job_for_a_closed_session_is_a_409(client: Any, wire: Any) -> None:
    session_id = open_session(client)
    client.patch(f"/api/v1/sessions/{session_id}", json={"accepting_jobs": False}, headers=H)
    resp = submit(client, wire.sampler_params(shots=5), session_id=session_id)
    assert resp.status_code == 409 and resp.get_json()["errors"][0]["code"] == "session_closed"


def test_dedicated_session_jobs_share_a_serial_key(app: Any, client: Any, wire: Any) -> None:
    session_id = open_session(client)
    job_id = submit(client, wire.sampler_params(shots=5), session_id=session_id).get_json()["id"]
    assert app.extensions["qhost"].engine.get(job_id).spec.serial_key == session_id


def test_batch_jobs_have_no_serial_key(app: Any, client: Any, wire: Any) -> None:
    session_id = open_session(client, "batch")
    job_id = submit(client, wire.sampler_params(shots=5), session_id=session_id).get_json()["id"]
    assert app.extensions["qhost"].engine.get(job_id).spec.serial_key is None


def test_session_past_its_max_ttl_is_closed(client: Any, wire: Any) -> None:
    import time

    session_id = open_session(client, max_ttl=1)
    time.sleep(1.1)
    assert client.get(f"/api/v1/sessions/{session_id}", headers=H).get_json()["state"] == "closed"
    assert submit(client, wire.sampler_params(shots=5), session_id=session_id).status_code == 409


def test_cancelling_a_session_cancels_its_queued_jobs(app: Any, client: Any, wire: Any) -> None:
    engine = app.extensions["qhost"].engine
    session_id = open_session(client)
    # the first job (a million noisy shots) keeps the session's one-at-a-time queue busy while the close lands
    shots = [1_000_000, 5, 5, 5]
    jobs = [submit(client, wire.sampler_params(shots=n), session_id=session_id) for n in shots]
    ids = [job.get_json()["id"] for job in jobs]
    assert client.delete(f"/api/v1/sessions/{session_id}/close", headers=H).status_code == 204
    statuses = [wait(app, i).status for i in ids]
    assert "cancelled" in statuses and engine.get(ids[-1]).status == "cancelled"


def test_unknown_session_mode_is_a_400(client: Any) -> None:
    resp = client.post("/api/v1/sessions", json={"mode": "shared", "backend": MANILA}, headers=H)
    assert resp.status_code == 400 and "valid: ['dedicated', 'batch']" in resp.get_data(True)


@pytest.mark.parametrize("path", ["/api/v1/backends", "/api/v1/jobs"])
def test_without_keys_any_token_works(client: Any, path: str) -> None:
    assert client.get(path, headers={**H, "Authorization": "Bearer whatever"}).status_code == 200


def test_list_jobs_accepts_iso_dates(app: Any, client: Any, wire: Any) -> None:
    wait(app, submit(client, wire.sampler_params(shots=5)).get_json()["id"])
    after = client.get("/api/v1/jobs?created_after=2000-01-01T00:00:00Z", headers=H).get_json()["count"]
    before = client.get("/api/v1/jobs?created_before=2000-01-01T00:00:00Z", headers=H).get_json()["count"]
    assert (after, before) == (1, 0)


def test_oversized_body_is_a_json_413(tmp_path: Any, wire: Any) -> None:
    from qhost.config import Settings
    from qhost.server.app import create_app

    settings = Settings(data_dir=tmp_path / "small", worker_mode="thread", max_body_bytes=500)
    small = create_app(settings)
    try:
        resp = submit(small.test_client(), wire.sampler_params())
        assert resp.status_code == 413 and resp.is_json
    finally:
        small.extensions["qhost"].close()


def test_qhost_env_prints_recipe_b() -> None:
    from click.testing import CliRunner

    from qhost.cli.main import main

    result = CliRunner().invoke(main, ["env", "--url", "http://127.0.0.1:9999", "--token", "k"])
    assert result.exit_code == 0
    assert "export QISKIT_IBM_URL=http://127.0.0.1:9999/experimental/api/v1" in result.output
    assert "export GLOBAL_SEARCH_URL=http://127.0.0.1:9999/global-search" in result.output


def test_deeply_nested_body_is_a_400(client: Any) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    resp = client.post("/api/v1/jobs", data=body, headers={**H, "Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.is_json


def test_server_keeps_working_after_bad_input(app: Any, client: Any, wire: Any) -> None:
    bad_pubs = {"program_id": "sampler", "backend": MANILA, "params": {"pubs": [7]}}
    for bad in ({"program_id": "sampler"}, [], bad_pubs):
        assert client.post("/api/v1/jobs", json=bad, headers=H).status_code == 400
    job_id = submit(client, wire.sampler_params(shots=5)).get_json()["id"]
    assert wait(app, job_id).status == "completed"


def test_expired_max_ttl_cancels_the_sessions_queued_jobs(app: Any, client: Any, wire: Any) -> None:
    import time

    engine = app.extensions["qhost"].engine
    # 5 s: opening the session and submitting must fit in it (opening took 2.2 s once, beside two other
    # suites on 2 cores, and a 1 s session had expired before its job came)
    session_id = open_session(client, max_ttl=5)
    engine.stop()  # nothing runs, so the session's job stays queued
    job_id = submit(client, wire.sampler_params(shots=5), session_id=session_id).get_json()["id"]
    deadline, status = time.monotonic() + 30, None
    while status != "Cancelled" and time.monotonic() < deadline:
        time.sleep(0.2)
        state = client.get(f"/api/v1/jobs/{job_id}?exclude_params=true", headers=H).get_json()["state"]
        status = state["status"]
    assert status == "Cancelled"
