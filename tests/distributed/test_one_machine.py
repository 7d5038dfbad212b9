"""deployment.md's one-machine distributed recipe, run as written: Redis + PostgreSQL on loopback, a
PostgreSQL cluster made with ``initdb``/``pg_ctl`` as the ``postgres`` user, ``qhost serve`` and one
``qhost worker``; a Bell pair through the Qrisp door; then the page's stop block.

The blocks are read from the page. Their ``apt-get install`` and ``pip install`` lines are left out (CI's
``.ci/run`` installed both); ``QHOST_DIR`` and the ports, which the page defaults, are set to a temporary
directory and free ports. Needs root (``runuser``), like the page.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from dist_helpers import until
from dist_services import PG_BIN, free_port, missing_binaries
from qiskit import QuantumCircuit

from qhost.client.backend_client import BackendClient

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "interface_docs" / "deployment.md"


def _blocks() -> list[str]:
    text = PAGE.read_text().split("## One machine, distributed mode", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 2, blocks
    return list(blocks)


def _without_installs(block: str) -> str:
    return "\n".join(line for line in block.splitlines() if not line.startswith(("apt-get ", "pip install ")))


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    missing = missing_binaries()  # the recipe's apt-get line is not run here: the services must be installed
    if missing:
        pytest.skip(missing)
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("the one-machine recipe runs PostgreSQL's tools as user postgres: needs root and runuser")
    qhost_dir = tempfile.mkdtemp(prefix="qhost-one-machine-")
    venv_bin = str(Path(sys.executable).parent)
    values = {
        "QHOST_DIR": qhost_dir,
        "REDIS_PORT": str(free_port()),
        "PG_PORT": str(free_port()),
        "HTTP_PORT": str(free_port()),
        "PG_BIN": str(PG_BIN),
        "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}",
    }
    yield {**os.environ, **values}
    for name in ("worker.pid", "serve.pid", "redis.pid"):  # whatever the stop block did not stop
        pid_file = Path(qhost_dir) / name
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
    ctl = [f"{PG_BIN}/pg_ctl", "-D", f"{qhost_dir}/pg/data", "-m", "immediate", "stop"]
    subprocess.run(["runuser", "-u", "postgres", "--", *ctl], capture_output=True, timeout=60)
    shutil.rmtree(qhost_dir, ignore_errors=True)


def test_one_machine_recipe_serves_jobs_through_redis_and_postgres(env: dict[str, str]) -> None:
    start, stop = _blocks()
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", _without_installs(start)], env=env,
                          capture_output=True, text=True, timeout=180)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    url = f"http://127.0.0.1:{env['HTTP_PORT']}"

    def aer_workers() -> int:
        try:
            doc = requests.get(url + "/", timeout=5).json()
        except (requests.RequestException, ValueError):
            return 0
        assert doc["dispatch"]["mode"] == "rq"
        return int(doc["dispatch"]["queues"].get("aer", {}).get("workers", 0))

    until(aer_workers, 120, "the recipe's worker online on queue aer")
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    counts = BackendClient("127.0.0.1", int(env["HTTP_PORT"])).run(qc, 1000)
    assert sum(counts.values()) == 1000 and set(counts) <= {"00", "11"}
    assert abs(counts.get("00", 0) - counts.get("11", 0)) < 200  # about half each (sd 16)

    done = subprocess.run(["bash", "-euo", "pipefail", "-c", stop], env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    until(
        lambda: not Path(env["QHOST_DIR"], "pg", "data", "postmaster.pid").exists(), 30, "PostgreSQL stopped"
    )
