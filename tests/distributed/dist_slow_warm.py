"""A warm-up module that takes a while to import (a worker child importing a big simulator stack).

Named in a worker's ``warm_modules``; appends ``start`` and, after ``QHOST_TEST_WARM_S`` seconds,
``done`` to the file ``QHOST_TEST_WARM_MARKER``.
"""

from __future__ import annotations

import os
import time

_MARKER = os.environ["QHOST_TEST_WARM_MARKER"]

with open(_MARKER, "a", encoding="utf-8") as _out:
    _out.write("start\n")
time.sleep(float(os.environ["QHOST_TEST_WARM_S"]))
with open(_MARKER, "a", encoding="utf-8") as _out:
    _out.write("done\n")
