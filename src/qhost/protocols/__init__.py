"""Pure protocol translation (no I/O): foreign wire formats ⇄ ``JobSpec`` / ``JobRecord``."""

from __future__ import annotations

__all__: list[str] = []
