"""The Qrisp blocks of the docs, each run by the Qrisp version its ``<!-- qrisp: V -->`` marker names.

Qrisp is not in the server's venv (Qrisp 0.9 pins an older qiskit; 0.8.2 needs its own Flask): the blocks run
in the interop venvs that ``scripts/interop_env.sh`` builds under ``.cache/venvs/`` (as the interop tests
do), with ``src/`` on ``PYTHONPATH`` for qhost's adapter, against the module's ``qhost serve``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.interop, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
VENV_OF = {"0.8.2": "qrisp-0.8.2", "0.9": "qrisp-0.9"}


@pytest.fixture(scope="module")
def qrisp_pythons() -> dict[str, str]:
    """Qrisp version → the interpreter of its cached venv (built on first use)."""
    pythons = {}
    for version, name in VENV_OF.items():
        done = subprocess.run(
            [str(ROOT / "scripts" / "interop_env.sh"), name], capture_output=True, text=True, timeout=900
        )
        if done.returncode != 0:
            pytest.fail(f"could not build the {name} venv: {done.stderr[-2000:]}")
        pythons[version] = done.stdout.strip().splitlines()[-1]
    return pythons


def test_qrisp_block_runs_as_written(
    qrisp_block: Any, qrisp_pythons: dict[str, str], doc_server: Any, tmp_path: Path, run_block: Any
) -> None:
    assert qrisp_block.note in VENV_OF, f"{qrisp_block.where}: Qrisp version {qrisp_block.note!r} has no venv"
    python = qrisp_pythons[qrisp_block.note]
    status, output = run_block([python], qrisp_block, tmp_path, PYTHONPATH=str(ROOT / "src"))
    assert status == 0, f"{qrisp_block.where} (Qrisp {qrisp_block.note}) exited {status}:\n{output[-4000:]}"
