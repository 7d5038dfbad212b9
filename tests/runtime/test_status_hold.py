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


class _SignallingSlots(threading.BoundedSemaphore):
    """The hold cap's slots, telling the test when one was taken (instead of sleeping and hoping)."""

    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.taken = threading.Event()

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        got = super().acquire(blocking, timeout)
        if got:
            self.taken.set()
        return got


def test_a_poll_finding_every_hold_slot_taken_answers_at_once(held_app: Any, wire: Any) -> None:
    held_app.config["IBM_STATUS_HOLD_SECONDS"] = 60.0  # a held poll would take a minute
    from qhost.doorway.holds import hold_cap

    ctx = held_app.extensions["qhost"]
    slots = hold_cap(ctx.engine, ctx.settings)._free = _SignallingSlots(1)  # the cap every door shares
    client = held_app.test_client()
    session = client.post("/api/v1/sessions", json={"mode": "dedicated", "backend": MANILA}, headers=H)
    session_id = session.get_json()["id"]
    ahead = [_submit(client, wire, 1_000_000, session_id) for _ in range(3)]  # run one at a time, first
    job_id = _submit(client, wire, 5, session_id)
    first = threading.Thread(target=_poll, args=(held_app.test_client(), job_id))
    first.start()
    try:
        assert slots.taken.wait(30), "the first poll never took the hold slot"
        status, seconds = _poll(client, job_id)
        assert status in ("Queued", "Running")
        assert seconds < 20, f"the second poll was held {seconds:.1f} s"  # a held one takes 60 s
    finally:
        for queued in [job_id, *ahead]:  # the held poll returns once its job is final
            client.post(f"/api/v1/jobs/{queued}/cancel", headers=H)
        first.join(60)
