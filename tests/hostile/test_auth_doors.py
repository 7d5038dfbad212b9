"""Auth with no side doors (issue 21, item 4), against real servers on real sockets.

Each test starts its own server (its login throttle and keys must not touch the session's ``server``):

- an admin key alone closes every door (Qrisp, IBM, Thrift), and opens each;
- deployments have owners: another owner's jobs cannot use them; a keyless upload (Qrisp <= 0.8.2) is
  claimed by the first keyed job;
- with keys on, ``/`` names only the server and its version and ``/metrics`` needs a key or the token;
- owner ids are HMACs under the install secret, and rows of the old unsalted ids are moved on start-up;
- failed logins are throttled per address (``/identity/token`` and the console), 429 with Retry-After;
- ``private`` IBM jobs: the console shows neither params nor results; Qrisp and Thrift return the result
  once;
- with keys off, a Qrisp ``token`` reaches ``run_func`` but is stored nowhere and shown nowhere;
- Thrift answers an unexpected error with a generic message and an error id that is in the log;
- a non-loopback bind with no key refuses to start unless ``no_auth`` says so.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from qhost.backend_server import BackendServer
from qhost.client.thrift_client import ThriftBackendClient
from qhost.errors import ConfigurationError, QhostError
from qhost.jobs.spec import JobSpec

from .conftest import BELL_QASM

ALICE, BOB, ADMIN = "alice-key", "bob-key", "admin-key"
IBM_VERSION = {"IBM-API-Version": "2026-04-15"}
TOKENS_SEEN: list[str] = []


def _counts(qasm: str, shots: int | None, token: str) -> dict[str, int]:
    TOKENS_SEEN.append(token)
    n = shots or 100
    return {"00": n // 2, "11": n - n // 2}


def _start(data_dir: Path, **settings: Any) -> BackendServer:
    settings.setdefault("thrift_port", 0)
    return BackendServer(
        _counts, port=0, data_dir=data_dir, worker_mode="thread", process_workers=1, thread_workers=2,
        executors=("aer",), **settings,
    ).start()  # fmt: skip


@pytest.fixture
def keyed(tmp_path: Path) -> Iterator[BackendServer]:
    server = _start(tmp_path / "keyed", api_keys=(ALICE, BOB), admin_keys=(ADMIN,))
    try:
        yield server
    finally:
        server.stop()


def _job(server: BackendServer, token: str | None, **body: Any) -> requests.Response:
    if "deploymentId" not in body:
        body["programs"] = [{"quantumCircuit": BELL_QASM}]
    if token is not None:
        body["token"] = token
    return requests.post(server.url + "/jobs?wait=20", json=body, timeout=30)


def _thrift(server: BackendServer, token: str) -> ThriftBackendClient:
    return ThriftBackendClient("127.0.0.1", int(server.thrift_port or 0), token=token)


def test_an_admin_key_alone_closes_every_door_and_opens_each(tmp_path: Path) -> None:
    server = _start(tmp_path / "admin", admin_keys=(ADMIN,))
    try:
        assert _job(server, None).status_code == 401  # Qrisp door (was 201 with only --admin-key)
        assert _job(server, "guess").status_code == 401
        ibm = requests.get(server.url + "/api/v1/jobs", headers=IBM_VERSION, timeout=30)
        assert ibm.status_code == 401, ibm.text
        with _thrift(server, "") as anonymous, pytest.raises(QhostError) as info:
            anonymous.submit(BELL_QASM, 10, backend="ideal@aer")
        assert getattr(info.value, "status_code", None) == 401
        assert _job(server, ADMIN).status_code in (200, 201)
        ibm = requests.get(
            server.url + "/api/v1/jobs",
            headers={**IBM_VERSION, "Authorization": f"apikey {ADMIN}"},
            timeout=30,
        )
        assert ibm.status_code == 200, ibm.text
        with _thrift(server, ADMIN) as admin:
            assert admin.ping()["online"] is True
            assert admin.submit(BELL_QASM, 10, backend="ideal@aer")["id"]
    finally:
        server.stop()


def test_deployments_belong_to_their_owner(keyed: BackendServer) -> None:
    url = keyed.url + "/deployments"
    upload = {"programs": [{"quantumCircuit": BELL_QASM}]}
    assert (
        requests.post(url, json=upload, headers={"Authorization": "Bearer wrong"}, timeout=30).status_code
        == 401
    )
    alices = requests.post(url, json=upload, headers={"Authorization": f"Bearer {ALICE}"}, timeout=30).json()[
        "id"
    ]
    assert _job(keyed, BOB, deploymentId=alices).status_code == 404  # was 201: any owner used any upload
    assert _job(keyed, ALICE, deploymentId=alices).status_code == 201
    keyless = requests.post(url, json=upload, timeout=30).json()["id"]  # what Qrisp <= 0.8.2 sends
    assert _job(keyed, ALICE, deploymentId=keyless).status_code == 201  # the first keyed job claims it
    assert _job(keyed, BOB, deploymentId=keyless).status_code == 404


def test_status_says_name_and_version_only_and_metrics_need_a_key(keyed: BackendServer) -> None:
    status = requests.get(keyed.url + "/", timeout=30)
    assert status.status_code == 200 and set(status.json()) == {"name", "version"}, status.text
    assert requests.get(keyed.url + "/metrics", timeout=30).status_code == 401
    wrong = requests.get(keyed.url + "/metrics", headers={"Authorization": "Bearer nope"}, timeout=30)
    assert wrong.status_code == 401
    scrape = requests.get(keyed.url + "/metrics", headers={"Authorization": f"Bearer {BOB}"}, timeout=30)
    assert scrape.status_code == 200 and "qhost_jobs" in scrape.text


def test_redact_url_hides_a_password_in_the_query() -> None:
    from qhost.engine.distributed.common import redact_url

    shown = redact_url("redis://broker.example:6379/0?password=s3cret-pw&db=1")
    assert "s3cret-pw" not in shown and "broker.example" in shown and "db=1" in shown
    assert "pw2" not in redact_url("redis://:pw2@broker.example:6379/0?password=pw2")


def test_owner_ids_are_hmacs_and_old_rows_move_to_them(tmp_path: Path) -> None:
    from qhost.doorway.keys import legacy_owner_of_key
    from qhost.store import SqlStore

    data_dir = tmp_path / "old"
    data_dir.mkdir()
    store = SqlStore(f"sqlite:///{data_dir / 'qhost.db'}")
    old_owner = legacy_owner_of_key(ALICE)  # what qhost <= 1847a13 stored: sha256(key)[:16]
    inputs = json.dumps({"qasm": BELL_QASM, "shots": 10, "seed": None})
    record, _ = store.insert_job(
        JobSpec(program="counts", inputs=inputs, backend="ideal@aer", owner=old_owner)
    )
    store.close()
    server = _start(data_dir, api_keys=(ALICE, BOB), thrift_port=None)
    try:
        seen = requests.get(
            server.url + f"/jobs/{record.id}", headers={"Authorization": f"Bearer {ALICE}"}, timeout=30
        )
        assert seen.status_code == 201, seen.text  # the old job is still Alice's
        other = requests.get(
            server.url + f"/jobs/{record.id}", headers={"Authorization": f"Bearer {BOB}"}, timeout=30
        )
        assert other.status_code == 404
        assert server.app is not None
        owner = server.app.extensions["qhost"].engine.get(record.id).spec.owner
        assert owner != old_owner and re.fullmatch(r"key-[0-9a-f]{24}", owner), owner
    finally:
        server.stop()
    with sqlite3.connect(data_dir / "qhost.db") as db:
        assert db.execute("SELECT count(*) FROM jobs WHERE owner = ?", (old_owner,)).fetchone()[0] == 0


def test_failed_logins_are_throttled_per_address(keyed: BackendServer) -> None:
    from qhost.doorway.throttle import LOGIN_FAILURES

    token_url = keyed.url + "/identity/token"
    assert requests.post(token_url, data={"apikey": ALICE}, timeout=30).status_code == 200  # not slowed
    for _ in range(LOGIN_FAILURES):
        assert requests.post(token_url, data={"apikey": "guess"}, timeout=30).status_code == 401
    refused = requests.post(token_url, data={"apikey": "guess"}, timeout=30)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0, refused.text
    right = requests.post(token_url, data={"apikey": ALICE}, timeout=30)  # even the right key, while locked
    assert right.status_code == 429
    console = requests.Session()
    page = console.get(keyed.url + "/console/login", timeout=30)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert csrf is not None
    answer = console.post(
        keyed.url + "/console/login", data={"key": "guess", "csrf_token": csrf.group(1)}, timeout=30,
        allow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 429 and "Retry-After" in answer.headers


def test_the_throttle_table_is_bounded_and_forgets_on_success() -> None:
    from qhost.doorway.throttle import LoginThrottle

    now = [0.0]
    throttle = LoginThrottle(failures=3, window=60.0, max_clients=100, clock=lambda: now[0])
    for i in range(10_000):
        throttle.failed(f"10.0.{i // 256}.{i % 256}")
    assert len(throttle) == 100
    for _ in range(2):
        throttle.failed("198.51.100.7")
    throttle.succeeded("198.51.100.7")
    throttle.failed("198.51.100.7")
    assert throttle.retry_after("198.51.100.7") == 0.0  # a success forgot the earlier failures
    throttle.failed("198.51.100.7")
    throttle.failed("198.51.100.7")
    assert throttle.retry_after("198.51.100.7") == 60.0
    now[0] = 61.0
    assert throttle.retry_after("198.51.100.7") == 0.0


def test_private_jobs_stay_private_on_every_door(keyed: BackendServer) -> None:
    assert keyed.app is not None
    ctx = keyed.app.extensions["qhost"]
    owner = ctx.engine.get(_job(keyed, ALICE).json()["id"]).spec.owner  # Alice's owner id, as a door sets it
    inputs = json.dumps({"qasm": BELL_QASM, "shots": 64, "seed": 7})
    spec = JobSpec(program="counts", inputs=inputs, backend="ideal@aer", owner=owner, meta={"private": True})
    jobs = [ctx.engine.submit(spec).id for _ in range(2)]
    for job in jobs:
        assert ctx.engine.wait(job, 60).status.value == "completed"
    console = requests.Session()
    page = console.get(keyed.url + "/console/login", timeout=30)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert csrf is not None
    console.post(keyed.url + "/console/login", data={"key": ALICE, "csrf_token": csrf.group(1)}, timeout=30)
    shown = console.get(keyed.url + f"/console/jobs/{jobs[0]}", timeout=30)
    assert shown.status_code == 200 and "private" in shown.text
    assert '"shots": 64' not in shown.text and "<svg" not in shown.text  # neither params nor the result chart
    with _thrift(keyed, ALICE) as thrift:
        first = thrift.result(jobs[0])
        assert first is not None and sum(first.values()) == 64
        with pytest.raises(QhostError, match="already read"):
            thrift.result(jobs[0])  # was: the same counts again
    auth = {"Authorization": f"Bearer {ALICE}"}
    assert requests.get(keyed.url + f"/jobs/{jobs[1]}", headers=auth, timeout=30).status_code == 201
    assert requests.get(keyed.url + f"/jobs/{jobs[1]}", headers=auth, timeout=30).status_code == 404


def test_a_qrisp_token_reaches_run_func_but_is_stored_nowhere(tmp_path: Path) -> None:
    secret = "downstream-credential-5f1c"
    server = _start(tmp_path / "open", thrift_port=None)  # keys off: the token is run_func's business
    try:
        TOKENS_SEEN.clear()
        done = _job(server, secret)
        assert done.status_code == 201 and done.json()["state"] == "finished", done.text
        assert TOKENS_SEEN == [secret]
        job = done.json()["id"]
        page = requests.get(server.url + f"/console/jobs/{job}", timeout=30)
        ibm = requests.get(server.url + f"/api/v1/jobs/{job}", headers=IBM_VERSION, timeout=30)
        assert page.status_code == 200 and secret not in page.text
        assert ibm.status_code == 200 and secret not in ibm.text
    finally:
        server.stop()
    stored = (tmp_path / "open" / "qhost.db").read_bytes()
    wal = tmp_path / "open" / "qhost.db-wal"
    assert secret.encode() not in stored + (wal.read_bytes() if wal.exists() else b"")


def test_thrift_hides_an_unexpected_error_behind_an_id_in_the_log(
    keyed: BackendServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert keyed.app is not None
    engine = keyed.app.extensions["qhost"].engine

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("SELECT secret_column FROM jobs WHERE path='/srv/qhost/data'")

    monkeypatch.setattr(engine, "get", broken)
    with caplog.at_level(logging.ERROR, logger="qhost.thrift.handler"):
        with _thrift(keyed, ALICE) as thrift, pytest.raises(QhostError) as info:
            thrift.status("some-job")
    message = str(info.value)
    assert "SELECT" not in message and "/srv" not in message, message
    found = re.search(r"error id ([0-9a-f]{12})", message)
    assert found, message
    assert found.group(1) in caplog.text and "SELECT secret_column" in caplog.text


def test_a_non_loopback_bind_needs_a_key_or_no_auth(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="--no-auth"):
        BackendServer(_counts, "0.0.0.0", 0, data_dir=tmp_path / "a").start()
    for settings in ({"no_auth": True}, {"api_keys": (ALICE,)}):
        server = BackendServer(_counts, "0.0.0.0", 0, data_dir=tmp_path / "b", **settings).start()
        server.stop()
    BackendServer(_counts, "127.0.0.1", 0, data_dir=tmp_path / "c").start().stop()  # loopback: no key needed


def test_qhost_serve_refuses_0_0_0_0_with_no_key(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "qhost", "serve", "--host", "0.0.0.0", "--port", "0"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QHOST_", "QRS_"))}
    env["QHOST_DATA_DIR"] = str(tmp_path / "d")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail("qhost serve --host 0.0.0.0 with no key started serving instead of refusing")
    assert done.returncode != 0 and "--no-auth" in done.stderr, done.stderr[-2000:]
