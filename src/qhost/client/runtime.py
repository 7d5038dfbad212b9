"""Connect the stock ``qiskit-ibm-runtime`` client to a qhost server, without patching it.

``connect(url, token)`` returns an ordinary ``QiskitRuntimeService``. It uses only public knobs of
the client: ``url_resolver=`` (so requests go to ``<url>/api/v1``) and, while the service is being
built, the environment variables the client and ibm-cloud-sdk-core read at that moment: ``IAM_URL``
(the token exchange, answered by the server's ``/identity/token``) and ``GLOBAL_SEARCH_URL`` /
``GLOBAL_CATALOG_URL`` (the instance lookup, answered by the server's stand-ins). They are restored
afterwards; the objects built with them keep their URLs.

For a zero-code setup use the variables printed by ``qhost env`` instead (recipe B).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from qhost.protocols.ibm_runtime import INSTANCE_CRN

if TYPE_CHECKING:
    from qiskit_ibm_runtime import QiskitRuntimeService

__all__ = ["INSTANCE_CRN", "connect", "connection_env"]

_ENV_LOCK = threading.Lock()


def connection_env(url: str, token: str = "qhost", *, experimental: bool = True) -> dict[str, str]:
    """Environment variables that point a stock client at ``url`` with no code (recipe B).

    Args:
        url: the server's base URL, e.g. ``http://127.0.0.1:8000``.
        token: the API key (any text when the server has no keys configured).
        experimental: use the ``/experimental/api/v1`` mount, which the client's default URL
            resolver leaves unchanged; required when no ``url_resolver`` can be passed.
    """
    base = url.rstrip("/")
    return {
        "QISKIT_IBM_CHANNEL": "ibm_quantum_platform",
        "QISKIT_IBM_TOKEN": token,
        "QISKIT_IBM_INSTANCE": INSTANCE_CRN,
        "QISKIT_IBM_URL": f"{base}/experimental/api/v1" if experimental else f"{base}/api/v1",
        "IAM_URL": base,
        "GLOBAL_SEARCH_URL": f"{base}/global-search",
        "GLOBAL_CATALOG_URL": f"{base}/global-catalog",
    }


@contextmanager
def _temporary_env(values: dict[str, str]) -> Iterator[None]:
    with _ENV_LOCK:
        saved = {name: os.environ.get(name) for name in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for name, old in saved.items():
                if old is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = old


def connect(url: str, token: str = "qhost", **kwargs: Any) -> QiskitRuntimeService:
    """A stock ``QiskitRuntimeService`` talking to the qhost server at ``url``.

    Args:
        url: the server's base URL, e.g. ``http://127.0.0.1:8000``.
        token: the API key (any text when the server has no keys configured).
        **kwargs: passed on to ``QiskitRuntimeService`` (``verify``, ``proxies`` …).
    """
    from qiskit_ibm_runtime import QiskitRuntimeService

    base = url.rstrip("/")
    env = {k: v for k, v in connection_env(base, token).items() if not k.startswith("QISKIT_IBM_")}

    def resolver(
        _url: str, _instance: str, _private: bool | None = False, _channel: str | None = None
    ) -> str:
        return f"{base}/api/v1"

    with _temporary_env(env):
        return QiskitRuntimeService(
            channel="ibm_quantum_platform",
            token=token,
            instance=kwargs.pop("instance", INSTANCE_CRN),
            url=base,
            url_resolver=resolver,
            **kwargs,
        )
