"""Pure protocol translation (no I/O): foreign wire formats ⇄ ``JobSpec`` / ``JobRecord``.
May import engine.spec / engine.status (the job types), executors.qasm_limits and executors.circuits (an
OpenQASM pub circuit: the size pre-scan, then the parser the executors use) and errors; used by the doors and
by programs.
"""

from __future__ import annotations

__all__: list[str] = []
