"""qhost: host quantum-circuit simulators as network backends (Qrisp REST, IBM Runtime REST, Thrift).
May import: qhost.*.
It imports every part lazily: this module only re-exports the public names.

The public API, imported lazily (``import qhost`` stays cheap; the Qrisp >= 0.9 adapter can use the client
without Flask or the engine installed)::

    from qhost import BackendServer, BackendClient
    with BackendServer(run_func, port=0) as server:
        counts = BackendClient("127.0.0.1", server.port).run(qc, 1000)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qhost.backend_server import BackendServer as BackendServer
    from qhost.client.backend_client import BackendClient as BackendClient
    from qhost.client.qiskit_backend import QiskitBackend as QiskitBackend
    from qhost.client.virtual import VirtualBackend as VirtualBackend
    from qhost.config import Settings as Settings
    from qhost.errors import AuthError as AuthError
    from qhost.errors import ClientError as ClientError
    from qhost.errors import ConfigurationError as ConfigurationError
    from qhost.errors import ExecutorError as ExecutorError
    from qhost.errors import InputError as InputError
    from qhost.errors import QhostError as QhostError
    from qhost.errors import ServerError as ServerError
    from qhost.errors import TransportError as TransportError
    from qhost.executors.base import Executor as Executor
    from qhost.executors.base import RunFunc as RunFunc
    from qhost.jobs.status import JobStatus as JobStatus
    from qhost.programs.runner import ExecutorRunFunc as ExecutorRunFunc
    from qhost.server.app import create_app as create_app

__all__ = [
    "AuthError",
    "BackendClient",
    "BackendServer",
    "ClientError",
    "ConfigurationError",
    "Executor",
    "ExecutorError",
    "ExecutorRunFunc",
    "InputError",
    "JobStatus",
    "QhostError",
    "QiskitBackend",
    "RunFunc",
    "ServerError",
    "Settings",
    "TransportError",
    "VirtualBackend",
    "__version__",
    "create_app",
]

_WHERE = {
    "BackendClient": "qhost.client.backend_client",
    "BackendServer": "qhost.backend_server",
    "Executor": "qhost.executors.base",
    "ExecutorRunFunc": "qhost.programs.runner",
    "JobStatus": "qhost.jobs.status",
    "QiskitBackend": "qhost.client.qiskit_backend",
    "RunFunc": "qhost.executors.base",
    "Settings": "qhost.config",
    "VirtualBackend": "qhost.client.virtual",
    "create_app": "qhost.server.app",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("qhost")
        except PackageNotFoundError:  # a source tree without installed metadata
            return "0+unknown"
    if name in __all__:
        value = getattr(importlib.import_module(_WHERE.get(name, "qhost.errors")), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'qhost' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
