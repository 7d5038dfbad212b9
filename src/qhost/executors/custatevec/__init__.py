"""The NVIDIA cuStateVec executor (GPU): the executor class and the binding-level state it drives.

It uses :mod:`qhost.executors.aer` for transpiling to a device's target; imports CuPy / cuquantum only
lazily, so this package imports without the ``gpu`` extra.

May import: qhost.executors, qhost.executors.statevector, qhost.executors.aer, qhost.devices, qhost.config,
qhost.errors.
"""

from __future__ import annotations

from qhost.executors.custatevec.executor import CuStateVecExecutor

__all__ = ["CuStateVecExecutor"]
