"""Console pages over a real engine: workloads, job page, devices, workers, the JSON the pages poll."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from console_helpers import counts_spec, csrf_of, gated_spec, until

from qhost.jobs import JobSpec


def _run(app: Any, spec: JobSpec) -> Any:
    engine = app.extensions["qhost"].engine
    return engine.wait(engine.submit(spec).id, timeout=60)


def test_workloads_lists_jobs_newest_first(app: Any) -> None:
    first, second = _run(app, counts_spec()), _run(app, counts_spec(shots=100))
    page = app.test_client().get("/console/workloads").text
    assert page.index(second.id[:12]) < page.index(first.id[:12])
    assert 'data-live="/console/api/jobs"' in page and ">2</span> jobs" in page


def test_live_endpoint_returns_rows_and_total(app: Any) -> None:
    job = _run(app, counts_spec())
    data = app.test_client().get("/console/api/jobs?state=completed").get_json()
    assert data["total"] == 1 and data["jobs"][0]["id"] == job.id and job.id[:12] in data["html"]
    assert "inputs" not in data["jobs"][0] and "result" not in data["jobs"][0]


def test_filters_narrow_the_list(app: Any) -> None:
    done = _run(app, counts_spec())
    _run(app, counts_spec(backend="fake_manila@aer"))
    client = app.test_client()
    assert client.get("/console/api/jobs?backend=fake_manila@aer").get_json()["total"] == 1
    assert (
        client.get("/console/api/jobs?backend=ideal@aer&state=completed").get_json()["jobs"][0]["id"]
        == done.id
    )
    assert client.get("/console/api/jobs?state=active").get_json()["total"] == 0
    assert client.get("/console/api/jobs?program=sampler").get_json()["total"] == 0


def test_paging_walks_fifty_at_a_time(app: Any) -> None:
    store = app.extensions["qhost"].engine.store
    for _ in range(55):
        store.insert_job(JobSpec(program="counts", inputs="{}", backend="nowhere@none"))
    client = app.test_client()
    first = client.get("/console/api/jobs?backend=nowhere@none").get_json()
    second = client.get("/console/api/jobs?backend=nowhere@none&page=2").get_json()
    assert first["total"] == 55 and len(first["jobs"]) == 50 and len(second["jobs"]) == 5
    assert not {j["id"] for j in first["jobs"]} & {j["id"] for j in second["jobs"]}
    assert "page=2" in client.get("/console/workloads?backend=nowhere@none").text


def test_job_page_shows_timeline_inputs_and_counts_histogram(aer_app: Any) -> None:
    """A Qrisp-door job: the inputs row is what the door's register scan stored (nothing is parsed here)."""
    from console_helpers import BELL

    client = aer_app.test_client()
    body = {"programs": [{"quantumCircuit": BELL}], "shots": 300, "deviceName": "ideal@aer"}
    job_id = client.post("/jobs", json=body).get_json()["id"]
    engine = aer_app.extensions["qhost"].engine
    job = engine.wait(job_id, timeout=60)
    page = client.get(f"/console/jobs/{job.id}").text
    assert "Created" in page and "Started" in page and "Completed" in page
    rows = re.findall(r"<tr><td>0</td><td>(\d+)</td><td>(.+?)</td><td>(.+?)</td><td>(\d+)</td>", page)
    assert rows == [("2", "–", "–", "300")]  # qubits, depth and gates (not parsed), shots
    counts = json.loads(job.result)["counts"]
    bars = re.findall(r"<title>([01]+): (\d+)</title>", page)
    assert {k: int(v) for k, v in bars} == counts and sum(counts.values()) == 300


def test_job_page_never_parses_a_circuit(app: Any, monkeypatch: Any) -> None:
    """The web process shows the summary stored at submit; it does not parse the stored QASM or QPY."""
    import qhost.executors.circuits as circuits
    import qhost.protocols.ibm_runtime as ibm

    def refuse(*_args: Any) -> Any:
        raise AssertionError("the console parsed a circuit")

    job = _run(app, counts_spec())
    monkeypatch.setattr(circuits, "parse_qasm", refuse)
    monkeypatch.setattr(ibm, "decode_params", refuse)
    page = app.test_client().get(f"/console/jobs/{job.id}").text
    assert "no summary was stored at submit" in page  # submitted straight to the engine: nothing to show


def test_failed_job_shows_its_error(app: Any) -> None:
    bad = json.dumps({"qasm": "OPENQASM 2.0; qreg q[1]; nonsense q[0];", "shots": 10})
    job = _run(app, JobSpec(program="counts", inputs=bad, backend="ideal@aer"))
    page = app.test_client().get(f"/console/jobs/{job.id}").text
    assert job.status.value == "failed" and 'id="job-error"' in page
    assert html.escape(job.error or "x", quote=False) in page.replace("&#39;", "'")


def test_estimator_values_are_drawn_with_error_bars(aer_app: Any) -> None:
    from qiskit import QuantumCircuit
    from qiskit_ibm_runtime import RuntimeEncoder

    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    params = {"pubs": [(qc, [{"ZZ": 1.0}, {"XX": 1.0}, {"ZI": 1.0}])], "version": 2,
              "options": {"simulator": {"seed_simulator": 3}}}  # fmt: skip
    client = aer_app.test_client()
    body = {"program_id": "estimator", "backend": "ideal@aer", "params": params}
    answer = client.post(
        "/api/v1/jobs",
        data=json.dumps(body, cls=RuntimeEncoder),
        headers={"Content-Type": "application/json", "IBM-API-Version": "2026-04-15"},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    job = aer_app.extensions["qhost"].engine.wait(answer.get_json()["id"], timeout=60)
    assert job.status.value == "completed", job.error
    page = client.get(f"/console/jobs/{job.id}").text
    points = re.findall(r"<title>(\d+): ([-\d.e]+) ± ([-\d.e]+)</title>", page)
    values = [float(v) for _, v, _ in points]
    assert len(points) == 3 and abs(values[0] - 1) < 0.1 and abs(values[1] - 1) < 0.1 and abs(values[2]) < 0.1
    assert "simulator.seed_simulator" in page  # the options, from the summary the IBM door stored
    rows = re.findall(r"<tr><td>0</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", page)
    assert rows == [("2", "2", "2")]  # qubits, depth, gates of the decoded pub (at submit)


def test_cancel_button_cancels_a_queued_job(app: Any) -> None:
    engine = app.extensions["qhost"].engine
    engine.submit(gated_spec())  # holds the only program worker
    queued = engine.submit(gated_spec())
    client = app.test_client()
    page = client.get(f"/console/jobs/{queued.id}").text
    answer = client.post(f"/console/jobs/{queued.id}/cancel", data={"csrf_token": csrf_of(page)})
    assert answer.status_code == 303 and engine.get(queued.id).status.value == "cancelled"
    assert "cancelled" in client.get(answer.headers["Location"]).text


def test_cancel_of_a_finished_job_is_a_clear_conflict(app: Any) -> None:
    job = _run(app, counts_spec())
    client = app.test_client()
    token = csrf_of(client.get("/console/workloads").text)
    answer = client.post(f"/console/jobs/{job.id}/cancel", data={"csrf_token": token})
    assert answer.status_code == 409 and "already completed" in answer.text


def test_devices_page_lists_backends_with_queue_length(app: Any) -> None:
    engine = app.extensions["qhost"].engine
    engine.submit(gated_spec())
    until(lambda: engine.queue_length("ideal@aer") == 1)
    page = app.test_client().get("/console/devices").text
    row = r"ideal@aer</a></td>\s*<td>\d+</td><td>aer</td>\s*<td><span class=.ok.>yes</span></td>\s*<td>1</td>"
    assert re.search(row, page)
    assert "fake_sherbrooke@aer" in page


def test_device_page_draws_the_coupling_map_coloured_by_error(app: Any) -> None:
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    page = app.test_client().get("/console/devices/fake_manila").text
    edges = {tuple(sorted(map(int, e))) for e in re.findall(r"<title>(\d+)–(\d+): error", page)}
    assert edges == {tuple(sorted(e)) for e in FakeManilaV2().coupling_map.get_edges()}
    assert len(re.findall(r'<g class="node c[0-4]">', page)) == 5
    props = FakeManilaV2().properties()
    assert f"{props.t1(0) * 1e6:.3g}" in page and "Two-qubit gates" in page


def test_workers_page_shows_the_engine_workers(app: Any) -> None:
    _run(app, counts_spec())
    client = app.test_client()
    data = client.get("/console/api/workers").get_json()
    assert data["workers"] and data["workers"][0]["jobs_done"] >= 1
    assert data["workers"][0]["id"] in client.get("/console/workers").text


def test_assets_are_served_from_the_package(app: Any) -> None:
    client = app.test_client()
    page = client.get("/console/workloads").text
    assets = re.findall(r'(?:href|src)="(/console/static/[^"]+)"', page)
    assert len(assets) == 3
    for asset in assets:
        with client.get(asset) as answer:
            assert answer.status_code == 200 and len(answer.data) > 200
    assert "http://" not in page and "https://" not in page


def test_waiting_job_page_says_how_many_are_ahead_and_the_typical_run(app: Any) -> None:
    engine = app.extensions["qhost"].engine
    done = [_run(app, counts_spec(backend="ideal@aer")) for _ in range(3)]
    running = engine.submit(gated_spec())
    until(lambda: engine.get(running.id).status.value == "running")
    engine.submit(gated_spec())
    third = engine.submit(gated_spec())
    client = app.test_client()
    page = client.get(f"/console/jobs/{third.id}").text
    assert "1 job queued ahead of it." in page
    median = sorted((j.finished_at - j.started_at).total_seconds() for j in done)[1]
    assert median < 1 and f"typically run {median * 1000:.0f} ms (median of the last 3 completed)" in page
    assert "typically run" in client.get(f"/console/jobs/{running.id}").text
    assert 'id="job-progress"' not in client.get(f"/console/jobs/{done[0].id}").text
