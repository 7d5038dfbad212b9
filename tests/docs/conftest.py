"""Fixtures for the docs area: one real qhost server on a loopback port, jobs in a tmp SQLite file."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests

from qhost.backend_server import BackendServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    """A running server (all doors, auth off, in-thread workers) for the whole module."""
    srv = BackendServer(None, port=0, data_dir=tmp_path_factory.mktemp("qhost"), worker_mode="thread")
    srv.start()
    yield srv
    srv.stop()


# --- the docs runner: blocks of README.md and interface_docs/, and the servers they talk to ---------------


def _load_doc_blocks() -> ModuleType:
    path = Path(__file__).with_name("doc_blocks.py")
    spec = importlib.util.spec_from_file_location("qhost_doc_blocks", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


doc_blocks = _load_doc_blocks()
KIND_OF_FIXTURE = {"runnable_block": ("python", "shell"), "qrisp_block": ("qrisp",)}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``runnable_block`` / ``qrisp_block`` with the docs' blocks, ids ``file:line``."""
    for name, kinds in KIND_OF_FIXTURE.items():
        if name in metafunc.fixturenames:
            blocks = [b for b in doc_blocks.collect() if b.kind in kinds]
            metafunc.parametrize(name, blocks, ids=[b.where for b in blocks])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def user_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: this venv's ``bin`` first, no QHOST_/QRS_/QISKIT_IBM_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QHOST_", "QRS_", "QISKIT_IBM_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


@dataclass(frozen=True)
class DocServer:
    """A real ``qhost serve`` (HTTP and Thrift) started for the examples."""

    http_port: int
    thrift_port: int

    def script(self, block: Any) -> str:
        return str(doc_blocks.substitute(block.script, self.http_port, self.thrift_port))


@pytest.fixture(scope="module")
def doc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocServer]:
    """``qhost serve`` on free loopback ports, data in a temp dir, no keys, two worker processes."""
    data = tmp_path_factory.mktemp("doc-server")
    http, thrift = _free_port(), _free_port()
    argv = ["qhost", "serve", "--port", str(http), "--thrift-port", str(thrift), "--data-dir", str(data)]
    env = user_env(QHOST_PROCESS_WORKERS="2", QHOST_LOG_LEVEL="WARNING")
    log = (data / "serve.log").open("w")
    proc = subprocess.Popen(argv, cwd=data, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, f"qhost serve exited: {(data / 'serve.log').read_text()[-3000:]}"
            assert time.monotonic() < deadline, "qhost serve did not answer GET / within 120 s"
            try:
                if requests.get(f"http://127.0.0.1:{http}/", timeout=10).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)  # polling for the socket, not waiting for an event
        yield DocServer(http, thrift)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def run_script(
    argv: list[str], code: str, workdir: Path, env: dict[str, str], timeout: float
) -> tuple[int, str]:
    """Write ``code`` to ``workdir``, run ``argv + [file]`` there: (exit status or -1 on timeout, output)."""
    workdir.mkdir(parents=True, exist_ok=True)
    script = workdir / ("example.sh" if argv[0] == "bash" else "example.py")
    script.write_text(code, encoding="utf-8")
    proc = subprocess.Popen(
        [*argv, script.name], cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    try:
        out, _ = proc.communicate(timeout=timeout)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        status = -1
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # and whatever the example left running
    if status == -1:
        out, _ = proc.communicate()
        out += f"\n[timed out after {timeout:.0f} s]"
    return status, out


BLOCK_TIMEOUT_S = 90  # per block: a hanging example fails its test instead of hanging the suite


@pytest.fixture(scope="module")
def all_doc_blocks() -> list[Any]:
    """Every fenced block of the docs (``doc_blocks.Block``), in file order."""
    return list(doc_blocks.collect())


@pytest.fixture(scope="module")
def block_runs(
    doc_server: DocServer, all_doc_blocks: list[Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[tuple[int | None, str]]]]:
    """Every python and shell block started on a pool of three: ``file:line`` → future (status, output)."""
    pool = ThreadPoolExecutor(max_workers=3)
    runs: dict[str, Future[tuple[int | None, str]]] = {}
    for block in all_doc_blocks:
        if block.kind in ("python", "shell") and (missing := doc_blocks.missing_tools(block)):
            runs[block.where] = Future()
            runs[block.where].set_result((None, "; ".join(missing)))  # the test skips, naming the tools
        elif block.kind in ("python", "shell"):
            argv = ["bash", "-euo", "pipefail"] if block.kind == "shell" else [sys.executable]
            workdir = tmp_path_factory.mktemp("block")
            code = doc_server.script(block)
            runs[block.where] = pool.submit(run_script, argv, code, workdir, user_env(), BLOCK_TIMEOUT_S)
    yield runs
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture
def run_block(doc_server: DocServer) -> Any:
    """``run_block(argv, block, workdir, **env)``: one block against the module's server, now."""

    def run(argv: list[str], block: Any, workdir: Path, **env: str) -> tuple[int, str]:
        return run_script(argv, doc_server.script(block), workdir, user_env(**env), BLOCK_TIMEOUT_S)

    return run


@pytest.fixture
def script_runner() -> Any:
    """``run_script`` itself, for the runner's own tests."""
    return run_script
