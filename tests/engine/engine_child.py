"""A server stand-in for the restart test: runs an engine on a DB file until it is killed.

Usage: ``python engine_child.py DB_URL``. It submits one quick job, one job that runs for a minute and
three queued behind it (one process worker), prints their ids as one JSON line once the quick job is
done and the long one runs, then waits to be killed.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from qhost.engine import JobEngine  # noqa: E402
from qhost.jobs import JobSpec, JobStatus
from qhost.programs import register_program  # noqa: E402
from qhost.store import SqlStore


def main() -> None:
    register_program("t_echo", "programs_for_tests:echo")
    register_program("t_sleepy", "programs_for_tests:sleepy")
    engine = JobEngine(SqlStore(sys.argv[1]), process_workers=1, warm_modules=())
    engine.start()
    done = engine.submit(JobSpec(program="t_echo", inputs='"kept"'))
    engine.wait(done.id, timeout=60)
    running = engine.submit(JobSpec(program="t_sleepy", inputs="60"))
    queued = [engine.submit(JobSpec(program="t_echo", inputs=str(i))).id for i in range(3)]
    while engine.get(running.id).status is not JobStatus.RUNNING:
        time.sleep(0.01)
    print(json.dumps({"done": done.id, "running": running.id, "queued": queued}), flush=True)
    time.sleep(120)


if __name__ == "__main__":
    main()
