"""Instruction names that executors and programs pass over, defined once (plain names, no qiskit import).

Three sets, each a superset of the one before, differing on purpose:

- ``DIRECTIVES`` (``barrier``, ``delay``): scheduling and timing marks that act on no qubit's state in an
  ideal simulation. ``circuits.active_qubits`` does not count a qubit they touch as used, and the samplex
  splitter (``programs.samplex_sim``) does not see them as gates of a layer. An ``id`` gate is left out on
  purpose: a qubit with only an ``id`` on it is still a qubit the circuit uses.
- ``COUNTS_NEUTRAL``: also ``global_phase``, which changes no measured distribution; the counts-only
  simulators (``sims.stim``, ``sims.qulacs``) drop these before translating a circuit.
- ``NO_OPS``: also the identity gates ``id`` and ``i``; the statevector lowering
  (``statevector.lowering``) emits no operation for any of them (the circuit's own ``global_phase``
  attribute is carried separately).
"""

from __future__ import annotations

__all__ = ["COUNTS_NEUTRAL", "DIRECTIVES", "NO_OPS"]

DIRECTIVES = frozenset({"barrier", "delay"})
"""Scheduling and timing marks: no effect on any qubit's state in an ideal simulation."""

COUNTS_NEUTRAL = DIRECTIVES | {"global_phase"}
"""Instructions that leave every measured distribution unchanged (dropped by counts-only simulators)."""

NO_OPS = COUNTS_NEUTRAL | {"id", "i"}
"""Instructions the statevector lowering turns into no operation."""
