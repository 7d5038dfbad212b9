"""The public API: ``qhost.__all__`` is sorted, complete, and every name resolves."""

from __future__ import annotations

import subprocess
import sys

import qhost

EXPECTED = [
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


def test_all_is_the_sorted_public_names() -> None:
    assert qhost.__all__ == EXPECTED == sorted(EXPECTED)


def test_every_public_name_resolves() -> None:
    assert all(getattr(qhost, name) is not None for name in qhost.__all__)


def test_unknown_attribute_raises_attribute_error() -> None:
    assert not hasattr(qhost, "NoSuchThing")


def test_import_qhost_is_lazy() -> None:
    code = "import sys, qhost; print('flask' in sys.modules, 'qiskit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_client_connect_is_the_stock_runtime_connector() -> None:
    import qhost.client
    from qhost.client.runtime import connect

    assert qhost.client.connect is connect
    assert "connect" in qhost.client.__all__
