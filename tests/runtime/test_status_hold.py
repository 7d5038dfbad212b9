"""The IBM door's status hold: a poll of an unfinished job waits for it, while a hold slot is free."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

H = {"IBM-API-Version": "2026-04-15"}
MANILA = "fake_manila@aer"


@pytest.fixture
def held_app(tmp_path: Any) -> Iterator[Any]:
    """One hold slot (``max_holds``, shared by every door) and a 3 s hold."""
    from qhost.config import Settings
    from qhost.server.app import create_app

    settings = Settings(
        data_dir=tmp_path / "data",
        worker_mode="thread",
        process_workers=1,
        executors=("aer",),
        http_threads=4,
        max_holds=1,
    )
    app = create_app(settings, test_config={"TESTING": True, "IBM_STATUS_HOLD_SECONDS": 3.0})
    yield app
    app.extensions["qhost"].close()


def _submit(client: Any, wire: Any, shots: int, session_id: str | None = None) -> str:
    body = {"program_id": "sampler", "backend": MANILA, "params": wire.sampler_params(shots=shots)}
    if session_id:
        body["session_id"] = session_id
    return client.post("/api/v1/jobs", json=body, headers=H).get_json()["id"]


def _poll(client: Any, job_id: str) -> tuple[str, float]:
    start = time.perf_counter()
    doc = client.get(f"/api/v1/jobs/{job_id}?exclude_params=true", headers=H).get_json()
    return doc["status"], time.perf_counter() - start


def test_a_poll_of_a_short_job_answers_its_final_state(held_app: Any, wire: Any) -> None:
    client = held_app.test_client()
    status, _ = _poll(client, _submit(client, wire, 5))
    assert status == "Completed"


def test_a_poll_finding_every_hold_slot_taken_answers_at_once(held_app: Any, wire: Any) -> None:
    client = held_app.test_client()
    session = client.post("/api/v1/sessions", json={"mode": "dedicated", "backend": MANILA}, headers=H)
    session_id = session.get_json()["id"]
    for _ in range(3):  # a million noisy shots each, run one at a time ahead of the polled job
        _submit(client, wire, 1_000_000, session_id)
    job_id = _submit(client, wire, 5, session_id)
    first = threading.Thread(target=_poll, args=(held_app.test_client(), job_id))
    first.start()
    time.sleep(0.3)  # the first poll now holds the only slot
    status, seconds = _poll(client, job_id)
    first.join()
    assert status in ("Queued", "Running") and seconds < 1.0
