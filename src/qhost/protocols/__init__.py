"""Pure protocol translation (no I/O): foreign wire formats ⇄ ``JobSpec`` / ``JobRecord``.
May import engine.spec / engine.status (the job types), config (defaults and limits) and errors; used by
the doors and by programs.
"""

from __future__ import annotations

__all__: list[str] = []
