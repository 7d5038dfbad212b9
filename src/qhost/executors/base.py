"""The executor contract: turn circuits into counts or primitive results.

An executor knows nothing about jobs or HTTP. It is named (``aer``, ``custatevec`` …), declares its
options, probes once whether it can run here, and is combined with device metadata from the catalog
into virtual backends such as ``fake_manila@aer``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from qhost.errors import InvalidOption

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit.primitives import PrimitiveResult
    from qiskit.primitives.containers.estimator_pub import EstimatorPub
    from qiskit.primitives.containers.sampler_pub import SamplerPub
    from qiskit_aer.noise import NoiseModel

    from qhost.devices import Device

__all__ = ["Availability", "Executor", "Option", "RunFunc"]

RunFunc = Callable[[str, "int | None", str], dict[str, int]]
"""``run_func(qasm, shots, token) -> counts``: Qrisp's server-side contract."""


@dataclass(frozen=True)
class Availability:
    """Whether an executor can run on this machine, and if not, why (with the install command)."""

    ok: bool
    reason: str = ""


@dataclass(frozen=True)
class Option:
    """One declared executor option: its type, default and a one-line description."""

    type: type
    default: Any
    doc: str


class Executor(ABC):
    """Base class of all executors.

    Subclasses set ``name`` and ``OPTIONS`` and implement the three run methods. Options passed to
    the constructor are checked against ``OPTIONS``; unknown keys raise ``InvalidOption`` naming the
    valid ones.
    """

    name: ClassVar[str]
    OPTIONS: ClassVar[dict[str, Option]] = {}
    #: True for simulators without noise: the catalog lists ``<noisy device>@<name>`` as unavailable.
    NOISE_FREE_ONLY: ClassVar[bool] = False

    def __init__(self, **options: Any) -> None:
        self.options = self.resolve_options(options)

    @classmethod
    def resolve_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(options) - set(cls.OPTIONS))
        if unknown:
            raise InvalidOption(
                f"Unknown option {unknown[0]!r} for executor {cls.name!r}; valid: {sorted(cls.OPTIONS)}"
            )
        merged = {key: opt.default for key, opt in cls.OPTIONS.items()}
        merged.update({k: v for k, v in options.items() if v is not None})
        return merged

    @classmethod
    @abstractmethod
    def availability(cls) -> Availability:
        """Probe once (cache the answer) whether this executor can run here."""

    @abstractmethod
    def counts(
        self, circuit: QuantumCircuit, shots: int, device: Device, *, seed: int | None = None
    ) -> dict[str, int]:
        """Run one circuit and return counts keyed by bitstrings (clbit 0 rightmost, no spaces)."""

    @abstractmethod
    def sample(
        self,
        pubs: Sequence[SamplerPub],
        device: Device,
        *,
        seed: int | None = None,
        noise_model: NoiseModel | None = None,
    ) -> PrimitiveResult:
        """Run SamplerV2 PUBs (shots already resolved on each pub)."""

    @abstractmethod
    def estimate(
        self,
        pubs: Sequence[EstimatorPub],
        device: Device,
        *,
        seed: int | None = None,
        noise_model: NoiseModel | None = None,
    ) -> PrimitiveResult:
        """Run EstimatorV2 PUBs (precision already resolved on each pub)."""
