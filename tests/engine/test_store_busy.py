"""A job store locked by another process past SQLite's busy timeout answers 503 ``store_busy``, not a 500.

A real second connection (as an operator's ``sqlite3`` shell would) holds ``BEGIN EXCLUSIVE`` on the file.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from qhost.config import Settings
from qhost.server.app import create_app

pytestmark = pytest.mark.slow


def test_submit_while_another_process_holds_the_lock_is_503(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, worker_mode="thread", executors=("aer",)))
    try:
        client = app.test_client()
        body = {"programs": [{"quantumCircuit": "OPENQASM 2.0;\nqreg q[1];\n"}], "shots": 1}
        assert client.post("/jobs", json=body).status_code == 201
        locker = sqlite3.connect(tmp_path / "qhost.db", isolation_level=None, check_same_thread=False)
        locker.execute("BEGIN EXCLUSIVE")
        release = threading.Timer(150, locker.rollback)  # a safety net; the test releases it itself
        release.start()
        try:
            start = time.monotonic()
            resp = client.post("/jobs", json=body)
            assert resp.status_code == 503, resp.get_data(as_text=True)
            assert resp.get_json()["error"] == "store_busy"
            assert "locked by another writer" in resp.get_json()["message"]
            assert str(tmp_path) not in resp.get_data(as_text=True)  # no server path to clients
            # one busy timeout (10 s), plus at most one more if the dispatcher's idle claim queued first;
            # a submit that waited for the lock would take the safety net's 150 s
            assert time.monotonic() - start < 90
        finally:
            release.cancel()
            locker.rollback()
            locker.close()
        assert client.post("/jobs", json=body).status_code == 201
    finally:
        app.extensions["qhost"].close()
