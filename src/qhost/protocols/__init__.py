"""Pure protocol translation (no I/O): foreign wire formats ⇄ ``JobSpec`` / ``JobRecord``.
Used by the doors and by programs. Also the Thrift IDL (``qhost.thrift`` file, ``thrift_idl``) and the code
generated from it (``thrift_gen``), shared by the Thrift door and its client. An OpenQASM PUB circuit goes
through ``executors.qasm_limits`` (the size pre-scan) and then ``executors.circuits`` (the parser the
executors use).

May import: qhost.jobs, qhost.executors, qhost.config, qhost.errors.
"""

from __future__ import annotations

__all__: list[str] = []
