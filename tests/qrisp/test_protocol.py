"""Pure translation of the Qrisp wire (qhost.protocols.qrisp), tested with plain dicts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from qhost.errors import InputError, InvalidCircuit, InvalidOption
from qhost.jobs.spec import JobRecord, JobSpec
from qhost.jobs.status import JobStatus
from qhost.protocols import qrisp as proto


def _record(
    status: JobStatus, result: str | None = None, error: str | None = None, program: str = "run_func"
) -> JobRecord:
    spec = JobSpec(program=program, inputs="{}")
    now = datetime.now(UTC)
    return JobRecord("job-1", spec, status, now, now, now if status.is_final else None, result, error)


def test_parse_job_reads_qrisp_keys() -> None:
    req = proto.parse_job({"deploymentId": 0, "shots": 10, "token": "t", "deviceName": ""}, max_shots=100)
    assert req == proto.JobRequest("0", (), 10, "t", "")


def test_parse_job_accepts_null_shots() -> None:
    assert proto.parse_job({"deploymentId": "d", "shots": None, "token": ""}, max_shots=100).shots is None


@pytest.mark.parametrize("shots", [0, -1, 101, True, "10", 1.5])
def test_parse_job_refuses_bad_shots(shots: object) -> None:
    with pytest.raises(InvalidOption, match=r"'shots' must be"):
        proto.parse_job({"deploymentId": "d", "shots": shots}, max_shots=100)


def test_parse_job_needs_a_deployment_or_programs() -> None:
    with pytest.raises(InputError, match="needs a 'deploymentId'"):
        proto.parse_job({"shots": 1}, max_shots=100)


def test_parse_job_takes_inline_programs() -> None:
    req = proto.parse_job({"programs": [{"quantumCircuit": "OPENQASM 2.0;"}], "shots": 1}, max_shots=100)
    assert req.programs == ("OPENQASM 2.0;",) and req.deployment_id is None


def test_parse_job_refuses_a_non_object() -> None:
    with pytest.raises(InputError, match="must be a JSON object, got list"):
        proto.parse_job([1, 2], max_shots=100)


def test_parse_deployment_refuses_missing_programs() -> None:
    with pytest.raises(InputError, match="'programs' must be a non-empty list"):
        proto.parse_deployment({"name": ""})


def test_parse_deployment_refuses_an_empty_circuit() -> None:
    with pytest.raises(InvalidCircuit, match="non-empty OpenQASM"):
        proto.parse_deployment({"programs": [{"quantumCircuit": "  "}]})


def test_parse_deployment_takes_several_programs_up_to_the_limit() -> None:
    program = {"quantumCircuit": "OPENQASM 2.0;"}
    assert proto.parse_deployment({"programs": [program, program]}) == ("OPENQASM 2.0;",) * 2
    with pytest.raises(InputError, match=f"{proto.MAX_CIRCUITS + 1} programs in one job; the limit is"):
        proto.parse_deployment({"programs": [program] * (proto.MAX_CIRCUITS + 1)})


def test_parse_job_takes_shots_as_a_list() -> None:
    req = proto.parse_job({"programs": [{"quantumCircuit": "q"}] * 2, "shots": [5, None]}, max_shots=100)
    assert (req.shots, req.shots_for(2)) == ((5, None), [5, None])
    with pytest.raises(InvalidOption, match="'shots' has 2 entries for 3 programs"):
        req.shots_for(3)
    with pytest.raises(InvalidOption, match=r"'shots' must be in 1..100, got 101"):
        proto.parse_job({"programs": [{"quantumCircuit": "q"}], "shots": [101]}, max_shots=100)
    with pytest.raises(InvalidOption, match="needs 1..1000 entries"):
        proto.parse_job({"programs": [{"quantumCircuit": "q"}], "shots": []}, max_shots=100)


def test_batch_results_read_each_circuit() -> None:
    text = json.dumps({"batch": [{"counts": {"0 1": 2}, "metadata": {}}, {"counts": {"1": 3}}]})
    assert proto.batch_counts_from_result("counts", text) == [{"01": 2}, {"1": 3}]
    assert proto.batch_counts_from_result("run_func", text) == [{"01": 2}, {"1": 3}]
    assert proto.counts_from_result("run_func", json.dumps({"counts": 4})) == {"counts": 4}  # as before


def test_completed_document_is_201_with_counts_without_spaces() -> None:
    status, doc = proto.job_document(_record(JobStatus.COMPLETED, result=json.dumps({"0 1": 3, "01": 1})))
    assert (status, doc["state"], doc["results"][0]["results"]) == (201, "finished", {"01": 4})


def test_counts_program_result_is_unwrapped() -> None:
    record = _record(JobStatus.COMPLETED, json.dumps({"counts": {"11": 5}, "metadata": {}}), program="counts")
    assert proto.job_document(record)[1]["results"][0]["results"] == {"11": 5}


def test_pending_document_is_201_running() -> None:
    status, doc = proto.job_document(_record(JobStatus.QUEUED))
    assert (status, doc["state"], doc["results"], doc["qhostStatus"]) == (201, "running", [], "queued")


def test_failed_document_is_not_201_and_says_why() -> None:
    status, doc = proto.job_document(_record(JobStatus.FAILED, error="RuntimeError: boom"))
    assert status != 201
    assert doc["message"] == "Job job-1 failed: RuntimeError: boom"


def test_cancelled_document_says_cancelled() -> None:
    status, doc = proto.job_document(_record(JobStatus.CANCELLED))
    assert (status, doc["state"], doc["message"]) == (200, "cancelled", "Job job-1 was cancelled")


def test_run_func_inputs_carry_a_token_reference_not_the_token() -> None:
    assert json.loads(proto.job_inputs("run_func", "Q", 5, "hmac-ref")) == {
        "qasm": "Q",
        "shots": 5,
        "tokenRef": "hmac-ref",
    }


def test_counts_inputs_carry_a_seed_slot() -> None:
    assert json.loads(proto.job_inputs("counts", "Q", None, "tok")) == {
        "qasm": "Q",
        "shots": None,
        "seed": None,
    }
