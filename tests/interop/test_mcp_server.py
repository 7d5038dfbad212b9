"""IBM's MCP server (``qiskit-ibm-runtime-mcp-server`` 0.6.2) against qhost, driven by the ``mcp`` client.

The MCP server is IBM's own: a stock ``QiskitRuntimeService`` behind MCP tools, started over stdio by the
``mcp`` client as an AI agent's host starts it. It reaches qhost with configuration only: the environment
``qhost env`` prints (``interface_docs/clients/ibm-runtime.md``), nothing patched. Both run in the cached
venv ``scripts/interop_env.sh mcp-0.6.2`` builds (pinned versions); qhost runs in this process on a
loopback port, with an API key.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from qhost_testkit import assert_split

pytestmark = [pytest.mark.interop, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
KEY = "agent-key"

CLIENT = r'''
import asyncio, json, os, sys, time

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

BELL = """OPENQASM 3.0;
include "stdgates.inc";
bit[2] c;
qubit[2] q;
x q[0];
cx q[0], q[1];
c[0] = measure q[0];
c[1] = measure q[1];
"""


def payload(answer):
    """A tool's answer as a dict (its structured content, else its JSON text)."""
    data = answer.structuredContent
    if data is None:
        data = json.loads(answer.content[0].text)
    if isinstance(data, dict) and set(data) == {"result"}:
        data = data["result"]
    return data


async def main():
    server = StdioServerParameters(command=sys.argv[1], args=[], env=dict(os.environ))
    out = {}
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            out["tools"] = sorted(tool.name for tool in (await session.list_tools()).tools)
            out["backends"] = payload(await session.call_tool("list_backends_tool", {}))
            submitted = payload(await session.call_tool(
                "run_sampler_tool", {"circuit": BELL, "backend_name": "fake_manila@aer", "shots": 1000}
            ))
            out["submitted"] = submitted
            job = {"job_id": submitted.get("job_id")}
            deadline = time.monotonic() + 240
            final = ("DONE", "ERROR", "CANCELLED")
            while job["job_id"]:
                status = payload(await session.call_tool("get_job_status_tool", job))
                if status.get("job_status") in final or status.get("status") == "error":
                    break
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)  # polling the job, as an agent does
            if job["job_id"]:
                out["status"] = status
                out["results"] = payload(await session.call_tool("get_job_results_tool", job))
    print(json.dumps(out, default=str))


asyncio.run(main())
'''


@pytest.fixture(scope="module")
def mcp_python() -> str:
    """The interpreter of the cached MCP venv (built on first use)."""
    script = ROOT / "scripts" / "interop_env.sh"
    done = subprocess.run([str(script), "mcp-0.6.2"], capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        pytest.fail(f"could not build the MCP venv: {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """qhost with one API key and the Aer executor (the MCP server lists every backend's status)."""
    from qhost.config import Settings
    from qhost.server.app import create_app
    from qhost.server.http_server import create_waitress

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("mcp"), process_workers=1, executors=("aer",), api_keys=(KEY,)
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
def agent(mcp_python: str, server_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the mcp client saw: tools, backends, a sampler job's submission, status and results."""
    from qhost.client.runtime import connection_env

    home = tmp_path_factory.mktemp("home")  # no saved accounts: configuration comes from the environment
    script = home / "agent.py"
    script.write_text(CLIENT, encoding="utf-8")
    venv_bin = Path(mcp_python).parent
    env = {
        "HOME": str(home),
        "PATH": f"{venv_bin}:/usr/bin:/bin",
        **connection_env(server_url, KEY),
    }
    done = subprocess.run(
        [mcp_python, str(script), str(venv_bin / "qiskit-ibm-runtime-mcp-server")],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=home,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    seen = dict(json.loads(done.stdout.strip().splitlines()[-1]))
    print(json.dumps({k: seen.get(k) for k in ("submitted", "status", "results")}, indent=1))
    return seen


def test_the_agent_sees_ibms_tools(agent: dict[str, Any]) -> None:
    assert {"list_backends_tool", "run_sampler_tool", "get_job_results_tool"} <= set(agent["tools"])


def test_qhosts_backends_are_listed(agent: dict[str, Any]) -> None:
    listing = agent["backends"]
    assert listing["status"] == "success", listing
    names = {b["name"] for b in listing["backends"]}
    assert {"fake_manila@aer", "ideal@aer"} <= names
    manila = next(b for b in listing["backends"] if b["name"] == "fake_manila@aer")
    assert (manila["num_qubits"], manila["operational"]) == (5, True)


def test_a_sampler_job_runs_and_its_counts_come_back(agent: dict[str, Any]) -> None:
    assert agent["submitted"]["status"] == "success", agent["submitted"]
    assert agent["status"]["job_status"] == "DONE", agent["status"]
    results = agent["results"]
    assert results["status"] == "success" and results["shots"] == 1000, results
    assert_split(results["counts"], {"11": 1.0}, stray=0.12)  # x then cx on a noisy 5-qubit device
