"""Progress end to end: worker processes report, the store keeps it, the doors and the console show it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from progress_helpers import sampler_params, until

from qhost.backend_server import BackendServer
from qhost.jobs.spec import JobSpec

pytestmark = pytest.mark.slow


def _engine(server: BackendServer) -> Any:
    assert server.app is not None
    return server.app.extensions["qhost"].engine


def _ibm_job(server: BackendServer, job_id: str) -> dict[str, Any]:
    response = requests.get(
        f"{server.url}/api/v1/jobs/{job_id}", params={"exclude_params": "true"}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _submit_stepped(server: BackendServer, gates: Path, steps: int = 3) -> str:
    spec = JobSpec(
        program="stepped", backend="ideal@aer", inputs=json.dumps({"steps": steps, "gates": str(gates)})
    )
    return str(_engine(server).submit(spec).id)


def test_stepped_progress_is_seen_at_every_step_by_store_doors_and_console(
    server: BackendServer, tmp_path: Path
) -> None:
    job_id = _submit_stepped(server, tmp_path)
    store = _engine(server).store
    until(lambda: _ibm_job(server, job_id)["status"] == "Running")
    assert store.get_progress(job_id) is None  # nothing reported yet: no row, no write
    for step in (1, 2):
        (tmp_path / str(step)).touch()
        row = until(lambda s=step: (p := store.get_progress(job_id)) and p["done"] == s and p)
        assert (row["done"], row["total"], row["unit"]) == (step, 3, "pubs")
        until(lambda: True, timeout=0.2)  # let the worker's 0.1 s throttle window pass
    progress = _ibm_job(server, job_id)["progress"]
    assert (progress["done"], progress["total"], progress["percent"]) == (2, 3, 66.7)
    assert progress["eta_s"] is not None and progress["eta_s"] > 0
    console = requests.get(f"{server.url}/console/api/jobs/{job_id}", timeout=10).json()
    assert console["progress"]["done"] == 2 and console["status"] == "running"
    page = requests.get(f"{server.url}/console/jobs/{job_id}", timeout=10).text
    assert "2 of 3 PUBs" in page and 'id="progress-bar"' in page and "left" in page
    logs = requests.get(f"{server.url}/api/v1/jobs/{job_id}/logs", timeout=10).text
    assert logs.startswith("PUB 2/3 done after ") and logs.endswith(" s\n")
    (tmp_path / "3").touch()
    until(lambda: _ibm_job(server, job_id)["status"] == "Completed")
    final = _ibm_job(server, job_id)["progress"]
    assert (final["done"], final["total"], final["eta_s"]) == (3, 3, None)
    assert store.get_progress(job_id)["done"] == 3
    logs = requests.get(f"{server.url}/api/v1/jobs/{job_id}/logs", timeout=10).text
    assert logs.startswith("PUB 3/3 done after ")


def test_multi_pub_sampler_progress_rises_to_total(server: BackendServer) -> None:
    body = {"program_id": "sampler", "backend": "fake_manila@aer", "params": sampler_params(4, 20_000)}
    response = requests.post(f"{server.url}/api/v1/jobs", json=body, timeout=30)
    assert response.status_code == 200, response.text
    job_id = response.json()["id"]
    seen: list[int] = []

    def final() -> bool:
        doc = _ibm_job(server, job_id)
        if doc.get("progress"):
            seen.append(doc["progress"]["done"])
            assert doc["progress"]["total"] == 4
        return doc["status"] in ("Completed", "Failed", "Cancelled")

    until(final, timeout=120)
    assert _ibm_job(server, job_id)["status"] == "Completed"
    assert seen == sorted(seen) and seen[-1] == 4  # never goes back; ends at the total
    assert _engine(server).store.get_progress(job_id)["done"] == 4
    from qiskit_ibm_runtime import RuntimeDecoder

    text = requests.get(f"{server.url}/api/v1/jobs/{job_id}/results", timeout=30).text
    result = json.loads(text, cls=RuntimeDecoder)
    assert [pub.data.meas.num_shots for pub in result] == [20_000] * 4


def test_a_short_counts_job_writes_no_progress_row_but_shows_one_of_one(server: BackendServer) -> None:
    spec = JobSpec(program="counts", backend="ideal@aer", inputs=json.dumps({"qasm": _BELL, "shots": 10}))
    job = _engine(server).submit(spec)
    record = _engine(server).wait(job.id, timeout=60)
    assert record.status.value == "completed"
    assert _engine(server).store.get_progress(job.id) is None
    progress = _ibm_job(server, job.id)["progress"]
    assert (progress["done"], progress["total"], progress["unit"]) == (1, 1, "circuits")
    qrisp = requests.get(f"{server.url}/jobs/{job.id}/", timeout=10)
    assert qrisp.status_code == 201
    doc = qrisp.json()
    assert doc["progress"] == 100 and doc["qhostProgress"]["done"] == 1 and doc["state"] == "finished"


def test_a_queued_job_has_no_progress_and_a_deleted_job_loses_its_row(
    server: BackendServer, tmp_path: Path
) -> None:
    first = _submit_stepped(server, tmp_path, steps=1)
    second = _submit_stepped(server, tmp_path, steps=1)
    until(lambda: _ibm_job(server, first)["status"] == "Running")
    assert "progress" not in _ibm_job(server, second)  # queued behind the first (one worker)
    (tmp_path / "1").touch()
    until(lambda: _ibm_job(server, second)["status"] == "Completed")
    _engine(server).store.set_progress(second, 1, 1, "pubs")
    assert requests.delete(f"{server.url}/api/v1/jobs/{second}", timeout=10).status_code == 204
    assert _engine(server).store.get_progress(second) is None


_BELL = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'
)


def test_seeded_multi_pub_sampler_jobs_repeat_and_their_pubs_differ(server: BackendServer) -> None:
    from qiskit_ibm_runtime import RuntimeDecoder

    body = {"program_id": "sampler", "backend": "fake_manila@aer", "params": sampler_params(3, 200)}
    counts = []
    for _ in range(2):
        job_id = requests.post(f"{server.url}/api/v1/jobs", json=body, timeout=30).json()["id"]
        until(lambda j=job_id: _ibm_job(server, j)["status"] == "Completed", timeout=120)
        text = requests.get(f"{server.url}/api/v1/jobs/{job_id}/results", timeout=30).text
        counts.append([pub.data.meas.get_counts() for pub in json.loads(text, cls=RuntimeDecoder)])
    assert counts[0] == counts[1]  # one seed: the same job gives the same samples
    assert counts[0][0] != counts[0][1] != counts[0][2]  # but its identical PUBs are not copies of each other
