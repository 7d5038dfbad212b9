"""Named clients for the simulators of qhost's Docker image, one port each (like Qrisp's ``docker_backends``).

Start the image (see ``interface_docs/docker.md``), then::

    >>> from qhost.client.docker_backends import MQTSim
    >>> MQTSim().run(qc, 1000)                # BackendClient("127.0.0.1", 8085) -> ideal@ddsim

Ports follow Qrisp's simulator collection where the simulator matches (MQT DDSIM 8085, Stim 8087,
Qulacs 8088, Qiskit Aer 8090, Qiskit MPS 8092); simulators Qrisp's image did not carry get new ports
from 8093. ``DOCKER_PORTS`` is the one table; the image's ``QHOST_QRISP_PORTS`` is built from the same
numbers (a test checks they agree).
"""

from __future__ import annotations

from qhost.client.backend_client import BackendClient

# Qrisp's helper names are CamelCase functions returning a fresh client; kept for familiarity.

__all__ = [
    "AerDensityMatrixSim",
    "AerStabilizerSim",
    "CuStateVecSim",
    "DOCKER_HOST",
    "DOCKER_PORTS",
    "GPU_PORTS",
    "MQTSim",
    "PyTketStimSim",
    "QiskitMPS",
    "QiskitSim",
    "QulacsSim",
    "StimSim",
    "docker_backend",
    "qrisp_ports_value",
]

DOCKER_HOST = "127.0.0.1"
"""Host the helpers connect to (Qrisp's helpers hard-coded it too; use ``docker_backend(host=...)``)."""

DOCKER_PORTS: dict[str, int] = {
    "ideal@ddsim": 8085,
    "ideal@stim": 8087,
    "ideal@qulacs": 8088,
    "ideal@aer": 8090,
    "ideal@aer_mps": 8092,
    "ideal@aer_stabilizer": 8093,
    "ideal@aer_density_matrix": 8094,
}
"""Backend → port of the CPU image (``docker/Dockerfile``)."""

GPU_PORTS: dict[str, int] = {**DOCKER_PORTS, "ideal@custatevec": 8095}
"""Backend → port of the GPU image (``docker/Dockerfile.gpu``): the CPU ports plus cuStateVec."""


def qrisp_ports_value(ports: dict[str, int]) -> str:
    """The ``QHOST_QRISP_PORTS`` value serving ``ports`` (``"ideal@ddsim=8085 …"``)."""
    return " ".join(f"{backend}={port}" for backend, port in ports.items())


def docker_backend(backend: str, host: str = DOCKER_HOST, **kwargs: object) -> BackendClient:
    """A ``BackendClient`` for ``backend``'s port in the image (``KeyError`` lists the valid names)."""
    if backend not in GPU_PORTS:
        raise KeyError(f"No Docker port for backend {backend!r}; valid: {sorted(GPU_PORTS)}")
    return BackendClient(host, GPU_PORTS[backend], **kwargs)  # type: ignore[arg-type]


def MQTSim() -> BackendClient:
    """MQT DDSIM (decision diagrams) on port 8085, as in Qrisp's collection."""
    return BackendClient(DOCKER_HOST, DOCKER_PORTS["ideal@ddsim"])


def StimSim() -> BackendClient:
    """Stim (Clifford circuits only) on port 8087."""
    return BackendClient(DOCKER_HOST, DOCKER_PORTS["ideal@stim"])


PyTketStimSim = StimSim
"""Qrisp's name for port 8087 (it was Stim behind pytket)."""


def QulacsSim() -> BackendClient:
    """Qulacs (statevector, terminal measurements) on port 8088, as in Qrisp's collection."""
    return BackendClient(DOCKER_HOST, DOCKER_PORTS["ideal@qulacs"])


def QiskitSim() -> BackendClient:
    """Qiskit Aer (automatic method) on port 8090, as in Qrisp's collection."""
    return BackendClient(DOCKER_HOST, DOCKER_PORTS["ideal@aer"])


def QiskitMPS() -> BackendClient:
    """Qiskit Aer matrix_product_state on port 8092, as in Qrisp's collection."""
    return BackendClient(DOCKER_HOST, DOCKER_PORTS["ideal@aer_mps"])


def AerStabilizerSim() -> BackendClient:
    """Qiskit Aer stabilizer (Clifford circuits only) on port 8093."""
    return BackendClient(DOCKER_HOST, DOCKER_PORTS["ideal@aer_stabilizer"])


def AerDensityMatrixSim() -> BackendClient:
    """Qiskit Aer density_matrix on port 8094."""
    return BackendClient(DOCKER_HOST, DOCKER_PORTS["ideal@aer_density_matrix"])


def CuStateVecSim() -> BackendClient:
    """cuStateVec on port 8095 (GPU image only)."""
    return BackendClient(DOCKER_HOST, GPU_PORTS["ideal@custatevec"])
