"""A test program for the distributed workers: note the run in a marker file, then sleep.

Named to the workers with ``QHOST_PROGRAMS=sleep=dist_progs:sleep`` (``tests/distributed`` on ``PYTHONPATH``).
Each run appends ``<job marker> <pid>`` to the marker file *before* sleeping, so a test can count how
often a job started (never twice) and find the process that runs it.
"""

from __future__ import annotations

import json
import os
import time


def sleep(backend: str | None, inputs: str) -> str:
    args = json.loads(inputs)
    with open(args["marker"], "a", encoding="utf-8") as out:
        out.write(f"{args['tag']} {os.getpid()}\n")
    time.sleep(float(args["seconds"]))
    return json.dumps({"slept": args["seconds"], "tag": args["tag"], "pid": os.getpid()})


def env(backend: str | None, inputs: str) -> str:
    """Which GPU the job's process was given (``CUDA_VISIBLE_DEVICES``), and its pid."""
    return json.dumps({"cuda": os.environ.get("CUDA_VISIBLE_DEVICES"), "pid": os.getpid()})
