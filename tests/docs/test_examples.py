"""Every runnable block of README.md and interface_docs/ runs as written (rules: ``doc_blocks.py``).

Python blocks run as scripts and shell blocks with ``bash -euo pipefail``, each in a fresh process with this
venv's ``bin`` first on ``PATH``, a temp dir as cwd and a timeout (a hang fails, it does not hang the suite),
against one real ``qhost serve`` for the module. They run three at a time; each test reports its own block.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

NOT_RUN_LIST = Path(__file__).with_name("not_run.txt")


def test_block_runs_as_written(runnable_block: Any, block_runs: dict[str, Any]) -> None:
    status, output = block_runs[runnable_block.where].result()
    if status is None:  # the block calls a tool this machine lacks
        pytest.skip(output)
    assert status == 0, f"{runnable_block.where} ({runnable_block.kind}) exited {status}:\n{output[-4000:]}"


def test_blocks_that_do_not_run_are_the_reviewed_list(all_doc_blocks: list[Any]) -> None:
    marked = [b.listing() for b in all_doc_blocks if b.marker in ("not-run", "fragment")]
    print("\n".join(["blocks not run:", *marked]))
    expected = [ln for ln in NOT_RUN_LIST.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert marked == expected, "update tests/docs/not_run.txt after reviewing the list printed above"


def test_every_marker_names_its_reason_and_every_fence_its_language(all_doc_blocks: list[Any]) -> None:
    blocks = all_doc_blocks
    assert [b.where for b in blocks if b.marker in ("not-run", "fragment", "qrisp") and not b.note] == []
    assert [b.where for b in blocks if not b.lang] == []
    python_only = ("continues", "qrisp")
    assert [b.where for b in blocks if b.marker in python_only and b.lang not in ("python", "py")] == []


def test_the_runner_reports_a_failing_script(script_runner: Any, tmp_path: Path) -> None:
    status, output = script_runner([sys.executable], "raise SystemExit('broken example')\n", tmp_path, {}, 60)
    assert (status, output.strip()) == (1, "broken example")


def test_the_runner_kills_a_hanging_script_and_its_children(script_runner: Any, tmp_path: Path) -> None:
    code = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen(['sleep', '600'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    # 10 s: the script must have started its child and printed its pid before the runner's limit, which takes
    # a few seconds of interpreter start-up on a loaded 2-core machine (3 s was seen to fail there)
    status, output = script_runner([sys.executable], code, tmp_path, dict(os.environ), 10)
    assert status == -1 and "timed out after 10 s" in output
    child = int(output.split()[0])
    assert _still_running(child, b"sleep\x00600\x00") is False


def _still_running(pid: int, cmdline: bytes) -> bool:
    """Whether ``pid`` is still the live process started with ``cmdline`` (not gone, not a zombie, and not
    another process that was given the same pid since: pids are reused quickly on a busy machine)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        return state != "Z" and Path(f"/proc/{pid}/cmdline").read_bytes() == cmdline
    except (FileNotFoundError, ProcessLookupError):
        return False
