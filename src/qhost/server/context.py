"""``QhostContext``: what every front door reads (settings, engine, catalog, deployments), and the version.

Imported by the app factory and by each blueprint, so that no blueprint imports the app module.
"""

from __future__ import annotations

import threading
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qhost.catalog import Catalog
    from qhost.config import Settings
    from qhost.doorway.keys import KeyRing
    from qhost.engine import JobEngine
    from qhost.server.deployments import DeploymentStore

__all__ = ["QhostContext", "qhost_version"]


def qhost_version() -> str:
    try:
        return version("qhost")
    except PackageNotFoundError:  # running from a source tree without metadata
        return "0+unknown"


class QhostContext:
    """What the blueprints use: ``settings``, ``engine``, ``catalog`` (built on first use), ``keys`` and Qrisp
    state."""

    def __init__(self, settings: Settings, engine: JobEngine, catalog: Catalog | None = None) -> None:
        self.settings = settings
        self.engine = engine
        self._catalog = catalog
        self._deployments: DeploymentStore | None = None
        self._keys: KeyRing | None = None
        self._lock = threading.Lock()
        self.doors: dict[str, bool] = {"qrisp": True, "ibm_runtime": False, "thrift": False}
        self._qubit_limits: dict[str, int] = {}

    @property
    def catalog(self) -> Catalog:
        with self._lock:
            if self._catalog is None:
                from qhost.server.engine_factory import make_catalog

                self._catalog = make_catalog(self.settings)
            return self._catalog

    @property
    def deployments(self) -> DeploymentStore:
        with self._lock:
            if self._deployments is None:
                from qhost.server.deployments import DeploymentStore

                self._deployments = DeploymentStore(self.engine.store)
            return self._deployments

    @property
    def keys(self) -> KeyRing:
        """The server's keys and owner ids (``qhost.doorway.keys``); built, and old owner ids moved, once."""
        with self._lock:
            if self._keys is None:
                from qhost.doorway.keys import KeyRing

                self._keys = KeyRing.for_settings(self.settings, self.engine.store)
            return self._keys

    def qrisp_target(self, device_name: str = "") -> tuple[str, str | None]:
        """``(program, backend)`` of a Qrisp job (see ``qhost.server.qrisp_api`` for the order of choice).

        Raises:
            UnknownBackend: ``device_name`` is not in the catalog.
            ExecutorUnavailable: its executor cannot run here.
        """
        if device_name:
            name = device_name if "@" in device_name else f"{device_name}@{self._default_executor()}"
            return "counts", self.catalog.resolve(name).name
        run_func = getattr(self.engine, "run_func", None)
        if run_func is not None and hasattr(run_func, "device") and hasattr(run_func, "executor"):
            return "counts", f"{run_func.device}@{run_func.executor}"
        if run_func is not None:
            return "run_func", None
        return "counts", self.settings.qrisp_backend

    def qubit_limit(self, backend: str | None) -> int:
        """Most qubits a job for ``backend`` may declare: a device's width, else ``MAX_DECLARED_QUBITS``.

        ``None`` (a plain ``run_func``) and ideal backends get ``MAX_DECLARED_QUBITS`` (the widest ideal
        method); a name the catalog cannot resolve also gets it (the job then fails with the reason).
        """
        from qhost.executors.qasm_limits import MAX_DECLARED_QUBITS

        if backend is None:
            return MAX_DECLARED_QUBITS
        limit = self._qubit_limits.get(backend)
        if limit is None:
            from qhost.catalog import parse_name
            from qhost.errors import QhostError

            try:
                device = self.catalog.device(parse_name(backend)[0])
                limit = MAX_DECLARED_QUBITS if device.is_ideal else device.num_qubits
            except QhostError:
                limit = MAX_DECLARED_QUBITS
            self._qubit_limits[backend] = limit
        return limit

    def _default_executor(self) -> str:
        return self.settings.qrisp_backend.partition("@")[2] or "aer"

    def close(self, timeout: float = 5.0) -> None:
        """Stop the engine (workers, threads). Safe to call twice."""
        self.engine.stop(timeout=timeout)
