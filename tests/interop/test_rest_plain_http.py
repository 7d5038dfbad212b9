"""The IBM door driven by plain HTTP, as a client without Qiskit (curl, Julia, Rust …) drives IBM's REST API.

The client is a subprocess that has only ``requests``: an import hook refuses ``qiskit``, ``qhost`` and
``numpy`` in it. It swaps an API key for a token, lists the backends, submits Sampler and Estimator jobs
whose PUB circuits are OpenQASM 3 strings (with parameter values), polls, and reads the plain JSON results
(``support_qiskit: false``). The server is a real qhost on a loopback port with API keys.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from qhost_testkit import assert_split

pytestmark = [pytest.mark.interop]

KEY = "rest-key"

CLIENT = r'''
import json, sys, time


class NoScience:
    """Refuses the packages a plain HTTP client does not have."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("qiskit", "qiskit_ibm_runtime", "qhost", "numpy"):
            raise ImportError(f"{name} is not available to a plain HTTP client")
        return None


sys.meta_path.insert(0, NoScience())
import requests

base, key = sys.argv[1], sys.argv[2]
form = {"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": key}
token = requests.post(f"{base}/identity/token", data=form, timeout=30).json()["access_token"]
H = {"Authorization": f"Bearer {token}", "IBM-API-Version": "2026-04-15"}
devices = requests.get(f"{base}/api/v1/backends", headers=H, timeout=60).json()["devices"]
out = {"backends": [d["name"] for d in devices]}

BELL = """OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
x q[0];
cx q[0], q[1];
c = measure q;
"""
RX = """OPENQASM 3.0;
include "stdgates.inc";
input float[64] theta;
qubit[1] q;
bit[1] c;
rx(theta) q[0];
c[0] = measure q[0];
"""


def run(program, backend, params):
    body = {"program_id": program, "backend": backend, "params": {**params, "support_qiskit": False}}
    answer = requests.post(f"{base}/api/v1/jobs", json=body, headers=H, timeout=60)
    assert answer.status_code == 200, answer.text
    job_id = answer.json()["id"]
    deadline = time.monotonic() + 120
    while True:
        status = requests.get(f"{base}/api/v1/jobs/{job_id}", headers=H, timeout=30).json()["status"]
        if status in ("Completed", "Failed", "Cancelled"):
            break
        assert time.monotonic() < deadline, f"job {job_id} still {status}"
        time.sleep(0.2)  # polling the job, as a REST client does
    assert status == "Completed", status
    return requests.get(f"{base}/api/v1/jobs/{job_id}/results", headers=H, timeout=30).json()


out["bell"] = run("sampler", "fake_manila@aer", {"pubs": [[BELL, None, 1000]]})
out["rx"] = run("sampler", "ideal@aer", {"pubs": [[RX, [[1.0471975511965976], [2.0943951023931953]], 2000]]})
UNMEASURED = RX.replace("bit[1] c;", "").replace("c[0] = measure q[0];", "")
Z_PUB = [UNMEASURED, {"Z": 1.0}, [[0.0], [3.141592653589793]], 0.01]
out["z"] = run("estimator", "ideal@aer", {"pubs": [Z_PUB]})
out["modules"] = sorted(m for m in sys.modules if m.split(".")[0] in ("qiskit", "qhost", "numpy"))
print(json.dumps(out))
'''


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A qhost server with one API key on a free loopback port (``create_waitress``, as in production)."""
    from qhost.config import Settings
    from qhost.server.app import create_app
    from qhost.server.http_server import create_waitress

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("rest"), process_workers=1, executors=("aer",), api_keys=(KEY,)
    )
    app = create_app(settings)
    srv = create_waitress(app, settings, host="127.0.0.1", port=0)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.effective_port}"
    finally:
        srv.close()
        app.extensions["qhost"].close()
        thread.join(5)


@pytest.fixture(scope="module")
def plain_client(keyed_server: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the plain HTTP client saw (its JSON report)."""
    script = Path(tmp_path_factory.mktemp("client")) / "client.py"
    script.write_text(CLIENT, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-I", str(script), keyed_server, KEY], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def counts(register: dict[str, Any], index: int | None = None) -> Counter[str]:
    samples = register["samples"] if index is None else register["samples"][index]
    return Counter(format(int(s, 16), f"0{register['num_bits']}b") for s in samples)


def test_the_client_had_no_qiskit(plain_client: dict[str, Any]) -> None:
    assert plain_client["modules"] == []


def test_backends_are_listed(plain_client: dict[str, Any]) -> None:
    assert {"fake_manila@aer", "ideal@aer"} <= set(plain_client["backends"])


def test_an_openqasm3_sampler_pub_runs_on_a_device(plain_client: dict[str, Any]) -> None:
    register = plain_client["bell"]["results"][0]["data"]["c"]
    assert register["num_bits"] == 2 and len(register["samples"]) == 1000
    assert_split(counts(register), {"11": 1.0}, stray=0.12)


def test_parameter_values_give_each_set_its_distribution(plain_client: dict[str, Any]) -> None:
    register = plain_client["rx"]["results"][0]["data"]["c"]
    assert_split(counts(register, 0), {"0": 0.75, "1": 0.25})  # sin²(θ/2) at θ = π/3
    assert_split(counts(register, 1), {"0": 0.25, "1": 0.75})  # and at 2π/3


def test_estimator_expectation_values_come_back_as_numbers(plain_client: dict[str, Any]) -> None:
    evs = plain_client["z"]["results"][0]["data"]["evs"]
    assert (
        len(evs) == 2 and math.isclose(evs[0], 1.0, abs_tol=0.06) and math.isclose(evs[1], -1.0, abs_tol=0.06)
    )
