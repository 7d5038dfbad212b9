"""The Qrisp recipes of ``interface_docs/clients/qrisp.md`` run as written, with and without API keys.

The client blocks are read from the page; only the port (and, for a server with keys, the ``token=`` the
page tells users to add) is changed. Qrisp 0.8.2 and 0.9 run in their own venvs
(``scripts/interop_env.sh``; the 0.9 venv gets qhost from ``src/`` on ``PYTHONPATH``, as the page's
``pip install -e '.[qrisp]'`` would). The server is a catalog ``BackendServer`` (worker processes).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from qhost.backend_server import BackendServer

pytestmark = [pytest.mark.interop, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "interface_docs" / "clients" / "qrisp.md"
KEY = "newcomer-key"


def _block(containing: str) -> str:
    for block in re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S):
        if containing in block:
            return str(block)
    raise AssertionError(f"qrisp.md has no python block containing {containing!r}")


def _venv(name: str) -> str:
    done = subprocess.run(
        [str(ROOT / "scripts" / "interop_env.sh"), name], capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        pytest.fail(f"could not build the {name} venv: {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module", params=[False, True], ids=["no-keys", "keys"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[int, bool]]:
    keys = (KEY,) if request.param else ()
    with BackendServer(port=0, api_keys=keys, process_workers=1) as srv:
        yield srv.port, bool(request.param)


def _run(python: str, code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "client.py"
    script.write_text(code)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([python, str(script)], capture_output=True, text=True, timeout=300, env=env)


def _bell_probabilities(done: subprocess.CompletedProcess[str], *, noisy: bool) -> None:
    assert done.returncode == 0, done.stderr[-3000:]
    probs = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert abs(sum(probs.values()) - 1) < 1e-9
    correlated = probs.get("00", 0) + probs.get("11", 0)
    assert (0.8 <= correlated < 1) if noisy else correlated == 1, probs
    assert abs(probs.get("00", 0) - probs.get("11", 0)) < 0.2, probs


@pytest.mark.parametrize("with_token", [True, False], ids=["token", "no-token"])
def test_qrisp_082_recipe(server: tuple[int, bool], with_token: bool, tmp_path: Path) -> None:
    port, keys = server
    code = _block("from qrisp.interface import BackendClient").replace("port=8000", f"port={port}")
    if with_token:
        code = code.replace(f"port={port})", f'port={port}, token="{KEY}")')
    done = _run(_venv("qrisp-0.8.2"), code, tmp_path)
    if keys and not with_token:  # the page's promise: the hint, not KeyError: 'id'
        assert done.returncode != 0
        assert "Quantum circuit execution failed: Unknown or missing API key" in done.stderr
        assert "token=" in done.stderr and "KeyError" not in done.stderr
    else:
        _bell_probabilities(done, noisy=False)  # the server's default Qrisp backend: ideal@aer


@pytest.mark.parametrize("with_token", [True, False], ids=["token", "no-token"])
def test_qrisp_09_recipe(server: tuple[int, bool], with_token: bool, tmp_path: Path) -> None:
    port, keys = server
    code = _block("QrispBackend(").replace('"127.0.0.1", 8000,', f'"127.0.0.1", {port},')
    if with_token:
        code = code.replace(f'"127.0.0.1", {port},', f'"127.0.0.1", {port}, token="{KEY}",')
    done = _run(_venv("qrisp-0.9"), code, tmp_path)
    if keys and not with_token:
        assert done.returncode != 0
        assert "ServerError" in done.stderr and "Unknown or missing API key" in done.stderr
    else:
        _bell_probabilities(done, noisy=True)  # the page's device_name: fake_manila@aer
