"""A one-line text progress bar for a job, redrawn in place on a terminal (``\\r``), plain lines elsewhere.

Used by ``BackendClient.run(..., progress=True)`` and ``qhost watch``. It draws from what the server's job
JSON says: the state, the ``progress`` object (``done``, ``total``, ``unit``, ``eta_s``) when the
server sends one, and why a queued job does not start (``state.reason`` / ``qhostMessage``) when it says.
"""

from __future__ import annotations

import time
from typing import Any, TextIO

__all__ = ["ProgressBar", "render"]

WIDTH = 24
_NOUNS = {"pubs": ("PUB", "PUBs"), "shots": ("shot", "shots"), "circuits": ("circuit", "circuits")}


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def render(state: str, progress: dict[str, Any] | None, elapsed_s: float, note: str | None = None) -> str:
    """``[#########...............] 2/5 PUBs  40%  running 3.1 s, about 4.6 s left``.

    ``note``: why a queued job does not start (the server's reason), shown after the state.
    """
    state = state.lower()
    if note:
        state = f"{state} ({note})"
    if not progress:
        return f"[{'.' * WIDTH}] {state} {_seconds(elapsed_s)}"
    done, total = int(progress.get("done", 0)), max(1, int(progress.get("total", 1)))
    filled = min(WIDTH, WIDTH * done // total)
    one, many = _NOUNS.get(str(progress.get("unit")), (str(progress.get("unit")),) * 2)
    line = f"[{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total} {one if total == 1 else many}"
    line += f" {100 * done // total:3d}%  {state} {_seconds(elapsed_s)}"
    eta = progress.get("eta_s")
    if isinstance(eta, (int, float)) and state == "running":
        line += f", about {_seconds(float(eta))} left"
    return line


class ProgressBar:
    """Draws ``render(...)`` on ``stream``; on a terminal each update overwrites the previous line."""

    def __init__(self, stream: TextIO) -> None:
        self._stream, self._start = stream, time.monotonic()
        self._tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last = ""
        self._width = 0

    def update(self, state: str, progress: dict[str, Any] | None, note: str | None = None) -> None:
        """Show the job's state, progress and ``note`` (a line equal to the last one is not drawn again)."""
        line = render(state, progress, time.monotonic() - self._start, note)
        key = line if self._tty else render(state, progress, 0.0, note)  # off a terminal: only on change
        if key == self._last:
            return
        self._last = key
        if self._tty:
            self._stream.write("\r" + line.ljust(self._width))
            self._width = len(line)
        else:
            self._stream.write(line + "\n")
        self._stream.flush()

    def close(self, final: str | None = None) -> None:
        """End the bar (a newline on a terminal), then print ``final`` on its own line if given."""
        if self._tty and self._width:
            self._stream.write("\n")
        if final:
            self._stream.write(final + "\n")
        self._stream.flush()
