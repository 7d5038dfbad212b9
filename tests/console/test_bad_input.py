"""Bad input to the console: a clear page or JSON error with the reason, never a 500."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/console/jobs/0123456789abcdef", 404, "Job 0123456789abcdef not found"),
        ("/console/jobs/" + "x" * 5000, 404, "job ids are at most 64 characters"),
        ("/console/jobs/%00%ff", 404, "not found"),
        ("/console/devices/fake_nowhere", 404, "Unknown device"),
        ("/console/devices/" + "d" * 300, 404, "Unknown device"),
        ("/console/workloads?state=exploded", 400, "valid: active, queued"),
        ("/console/workloads?page=abc", 400, "page must be a whole number"),
        ("/console/workloads?page=-1", 400, "page must be a whole number"),
        ("/console/workloads?page=99999999999999999999", 400, "page must be a whole number"),
        ("/console/workloads?backend=" + "b" * 10_000, 400, "the limit is 255"),
        ("/console/workloads?program=%00%01", 200, "No jobs match"),
        ("/console/nowhere", 404, "not_found"),
    ],
)
def test_bad_page_requests_get_a_clear_answer(app: Any, path: str, status: int, text: str) -> None:
    answer = app.test_client().get(path)
    assert answer.status_code == status and text in answer.text


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("/console/api/jobs/deadbeef", 404, "job_not_found"),
        ("/console/api/jobs?state=x", 400, "invalid_input"),
        ("/console/api/jobs?page=0", 400, "invalid_input"),
        ("/console/api/jobs?session=" + "s" * 300, 400, "invalid_input"),
    ],
)
def test_bad_api_requests_get_json_errors(app: Any, path: str, status: int, error: str) -> None:
    answer = app.test_client().get(path)
    assert answer.status_code == status and answer.get_json()["error"] == error
    assert answer.get_json()["message"]


def test_cancel_of_an_unknown_job_is_404(app: Any) -> None:
    from console_helpers import csrf_of

    client = app.test_client()
    token = csrf_of(client.get("/console/workloads").text)
    answer = client.post("/console/jobs/unknown/cancel", data={"csrf_token": token})
    assert answer.status_code == 404 and "Job unknown not found" in answer.text


def test_wrong_method_is_405_not_500(app: Any) -> None:
    assert app.test_client().delete("/console/workloads").status_code == 405


def test_a_job_whose_stored_inputs_do_not_decode_still_renders(app: Any) -> None:
    from qhost.jobs import JobSpec

    store = app.extensions["qhost"].engine.store
    record, _ = store.insert_job(JobSpec(program="sampler", inputs='{"pubs": "garbage"', backend="x@y"))
    page = app.test_client().get(f"/console/jobs/{record.id}")
    assert page.status_code == 200 and "no summary was stored at submit" in page.text  # inputs not decoded
    odd = {"summary": {"circuits": ["not a row", {"qubits": 3}], "count": "many", "options": [1]}}
    record, _ = store.insert_job(JobSpec(program="sampler", inputs="{}", backend="x@y", meta=odd))
    page = app.test_client().get(f"/console/jobs/{record.id}")
    assert page.status_code == 200 and "<td>3</td>" in page.text
