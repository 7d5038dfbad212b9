"""Clients: ``BackendClient`` (Qrisp REST), ``VirtualBackend`` / ``QiskitBackend`` (in-process run funcs).

``QrispBackend`` (Qrisp >= 0.9 adapter) lives in ``qhost.client.qrisp_adapter`` and imports Qrisp, so it is
not imported here.
"""

from __future__ import annotations

from qhost.client.backend_client import BackendClient
from qhost.client.qiskit_backend import QiskitBackend
from qhost.client.thrift_client import ThriftBackendClient
from qhost.client.virtual import VirtualBackend

__all__ = ["BackendClient", "QiskitBackend", "ThriftBackendClient", "VirtualBackend"]
