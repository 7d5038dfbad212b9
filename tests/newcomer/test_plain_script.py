"""The docs' Python examples saved as files and run with ``python script.py``, with and without a main guard.

Each runs in a fresh interpreter with a timeout (multiprocessing's ``spawn`` used to re-import the script
in every worker, which raised "An attempt has been made to start a new process before the current process
has finished its bootstrapping phase" and left the parent waiting forever). The printed counts are
checked as distributions: a Bell pair, ideal or with fake_manila's noise.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 240  # a fresh interpreter, two servers and their worker processes on a loaded 2-core machine
SHOTS = 1000


def python_block(doc: Path, containing: str) -> str:
    """The first ```python block of ``doc`` whose text contains ``containing``."""
    for block in re.findall(r"```python\n(.*?)```", doc.read_text(), flags=re.S):
        if containing in block:
            return str(block)
    raise AssertionError(f"{doc.name} has no python block containing {containing!r}")


def guarded(code: str) -> str:
    """The same script with its statements under ``if __name__ == "__main__":``."""
    lines = code.splitlines()
    imports = [line for line in lines if line.startswith(("from ", "import "))]
    body = [line for line in lines if line not in imports]
    return "\n".join(imports) + '\n\nif __name__ == "__main__":\n' + textwrap.indent("\n".join(body), "    ")


def run_script(tmp_path: Path, code: str) -> list[dict[str, int]]:
    """Run ``code`` as ``script.py`` in a fresh interpreter; the dicts it printed, one per line."""
    script = tmp_path / "script.py"
    script.write_text(code)
    env = {**os.environ, "QHOST_PROCESS_WORKERS": "1", "PYTHONUNBUFFERED": "1"}
    try:
        done = subprocess.run(
            [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=TIMEOUT_S,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"script hung for {TIMEOUT_S} s; stderr: {exc.stderr!r}") from None
    assert done.returncode == 0, done.stderr[-3000:]
    return [ast.literal_eval(line) for line in done.stdout.splitlines() if line.startswith("{")]


def assert_bell(counts: dict[str, int], *, noisy: bool) -> None:
    assert sum(counts.values()) == SHOTS
    correlated = counts.get("00", 0) + counts.get("11", 0)
    if noisy:  # fake_manila: a few percent of 01/10 from readout and gate errors, never most of them
        assert correlated >= 0.8 * SHOTS, counts
        assert correlated < SHOTS, counts  # the device's noise is really applied
    else:
        assert correlated == SHOTS, counts
    # 00 and 11 each about half (binomial sd ~16 for 1000 shots: 6 sd either side)
    assert abs(counts.get("00", 0) - counts.get("11", 0)) < 0.2 * SHOTS, counts


@pytest.mark.parametrize("guard", [False, True], ids=["plain", "main-guard"])
def test_readme_quick_start_runs_as_a_script(tmp_path: Path, guard: bool) -> None:
    code = python_block(ROOT / "README.md", "BackendServer(port=0)")
    printed = run_script(tmp_path, guarded(code) if guard else code)
    assert len(printed) == 2, printed
    assert_bell(printed[0], noisy=False)  # QiskitBackend(): ideal AerSimulator
    assert_bell(printed[1], noisy=True)  # fake_manila@aer in worker processes


@pytest.mark.parametrize("guard", [False, True], ids=["plain", "main-guard"])
def test_run_func_page_executor_run_func_runs_as_a_script(tmp_path: Path, guard: bool) -> None:
    code = python_block(ROOT / "interface_docs" / "run-func.md", "ExecutorRunFunc(")
    printed = run_script(tmp_path, guarded(code) if guard else code)
    assert len(printed) == 1, printed
    assert_bell(printed[0], noisy=True)
