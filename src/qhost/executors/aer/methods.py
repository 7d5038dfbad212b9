"""Aer executors with the simulation method pinned: one executor name per Aer method.

- ``aer_mps`` — ``matrix_product_state``: low-entanglement circuits at hundreds of qubits.
- ``aer_stabilizer`` — ``stabilizer``: Clifford circuits at thousands of qubits (others are refused).
- ``aer_density_matrix`` — ``density_matrix``: exact noisy simulation (memory grows as 4^n).

They take every :class:`~qhost.executors.aer.AerExecutor` option except ``method``, and honour device
noise the same way (``fake_manila@aer_density_matrix`` is noisy; ``ideal@aer_mps`` is not).
"""

from __future__ import annotations

from typing import Any, ClassVar

from qhost.executors.aer.executor import AerExecutor
from qhost.executors.base import Option

__all__ = ["AerDensityMatrixExecutor", "AerMpsExecutor", "AerStabilizerExecutor", "PinnedAerExecutor"]


class PinnedAerExecutor(AerExecutor):
    """An :class:`AerExecutor` whose ``method`` is fixed by the class (``METHOD``), not an option."""

    METHOD: ClassVar[str] = "statevector"
    OPTIONS: ClassVar[dict[str, Option]] = {k: v for k, v in AerExecutor.OPTIONS.items() if k != "method"}

    @classmethod
    def resolve_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        """The base resolution (``method`` is an unknown option here), then the pinned method."""
        merged = super().resolve_options(options)
        merged["method"] = cls.METHOD
        return merged


class AerMpsExecutor(PinnedAerExecutor):
    """Aer ``matrix_product_state``; options as :class:`AerExecutor` without ``method``."""

    name: ClassVar[str] = "aer_mps"
    METHOD: ClassVar[str] = "matrix_product_state"


class AerStabilizerExecutor(PinnedAerExecutor):
    """Aer ``stabilizer`` (Clifford circuits only); options as :class:`AerExecutor` without ``method``."""

    name: ClassVar[str] = "aer_stabilizer"
    METHOD: ClassVar[str] = "stabilizer"


class AerDensityMatrixExecutor(PinnedAerExecutor):
    """Aer ``density_matrix``; options as :class:`AerExecutor` without ``method``."""

    name: ClassVar[str] = "aer_density_matrix"
    METHOD: ClassVar[str] = "density_matrix"
