"""Clients: ``BackendClient`` (Qrisp REST), ``VirtualBackend`` / ``QiskitBackend`` (in-process run funcs),
``ThriftBackendClient``, and ``connect()`` (a stock ``QiskitRuntimeService`` pointed at a qhost server;
loaded on first use, since importing qiskit-ibm-runtime takes about a second).
Clients run in the user's process: never the engine, never another door (the Thrift client's wire is
``qhost.protocols.thrift_gen``).

May import: qhost.protocols, qhost.executors, qhost.errors.

``QrispBackend`` (Qrisp >= 0.9 adapter) lives in ``qhost.client.qrisp_adapter`` and imports Qrisp, so it is
not imported here.
"""

from __future__ import annotations

from typing import Any

from qhost.client.backend_client import BackendClient
from qhost.client.qiskit_backend import QiskitBackend
from qhost.client.thrift_client import ThriftBackendClient
from qhost.client.virtual import VirtualBackend

__all__ = ["BackendClient", "QiskitBackend", "ThriftBackendClient", "VirtualBackend", "connect"]


def __getattr__(name: str) -> Any:
    if name == "connect":
        from qhost.client.runtime import connect

        return connect
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
