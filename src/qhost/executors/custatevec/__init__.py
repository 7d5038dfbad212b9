"""The NVIDIA cuStateVec executor (GPU): the executor class and the binding-level state it drives.

May import the executor contract, :mod:`qhost.executors.statevector`, :mod:`qhost.executors.aer` (transpiling
to a device's target) and :mod:`qhost.devices`; imports CuPy / cuquantum only lazily, so this package imports
without the ``gpu`` extra.
"""

from __future__ import annotations

from qhost.executors.custatevec.executor import CuStateVecExecutor

__all__ = ["CuStateVecExecutor"]
