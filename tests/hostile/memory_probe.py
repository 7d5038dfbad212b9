"""How much a request grows the server's process tree: resident bytes sampled while it runs."""

from __future__ import annotations

import threading
from types import TracebackType

import psutil


def tree_rss(root: psutil.Process | None = None) -> int:
    """Resident bytes of ``root`` (default: this process, where the suite's server runs) and its children."""
    root = root or psutil.Process()
    total = root.memory_info().rss
    for child in root.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


class PeakGrowth:
    """``with PeakGrowth() as probe: …`` then ``probe.growth``: the highest tree RSS seen, less the start.

    A thread samples every 2 ms, so memory a request allocates and frees before answering still counts.
    """

    def __init__(self, root: psutil.Process | None = None) -> None:
        self.root = root or psutil.Process()
        self.start = self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    @property
    def growth(self) -> int:
        return self.peak - self.start

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, tree_rss(self.root))
            if self._done.wait(0.002):
                return

    def __enter__(self) -> PeakGrowth:
        self.start = self.peak = tree_rss(self.root)
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss(self.root))
