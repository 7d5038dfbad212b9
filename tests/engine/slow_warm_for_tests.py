"""A warm-up module that takes a minute to import (``warm_modules`` of a test engine): a worker still warming
up is then unmistakable from one that is ready."""

from __future__ import annotations

import time

time.sleep(60)
