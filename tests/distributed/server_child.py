"""A distributed-mode server process for the kill -9 test: submit jobs, print their ids, wait forever.

Usage: python server_child.py REDIS_URL DATABASE_URL MARKER
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from qhost.engine.distributed.engine import RqJobEngine  # noqa: E402
from qhost.jobs import JobSpec  # noqa: E402
from qhost.programs import register_program  # noqa: E402
from qhost.store import SqlStore


def main() -> None:
    broker, database, marker = sys.argv[1:4]
    register_program("sleep", "dist_progs:sleep")
    engine = RqJobEngine(SqlStore(database), broker, lost_after_s=3.0, reconcile_every_s=0.5)
    engine.start()
    ids = []
    for tag, seconds in (("long", 3.0), ("q1", 0.2), ("q2", 0.2), ("q3", 0.2)):
        inputs = json.dumps({"marker": marker, "tag": tag, "seconds": seconds})
        ids.append(engine.submit(JobSpec(program="sleep", backend="ideal@aer", inputs=inputs)).id)
    print(json.dumps(ids), flush=True)
    while True:
        time.sleep(60)


if __name__ == "__main__":
    main()
