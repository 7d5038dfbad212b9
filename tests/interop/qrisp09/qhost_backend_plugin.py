"""pytest plugin for Qrisp's own interface tests: ``QrispSimulatorBackend`` becomes a qhost ``QrispBackend``.

Loaded with ``-p qhost_backend_plugin`` (this folder on ``PYTHONPATH``) in the Qrisp 0.9 venv, before the
test modules are imported, so ``from qrisp.default_backend import QrispSimulatorBackend`` in them (and
Qrisp's default backend, ``def_backend``) get a ``QrispBackend`` talking to the qhost server on
``127.0.0.1:$QHOST_QRISP_PORT``. Its default options are the simulator's (``{"shots": None}``: the server
then runs its default 1000 shots).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import qrisp.default_backend
import qrisp.interface

from qhost.client.qrisp_adapter import QrispBackend

PORT = int(os.environ["QHOST_QRISP_PORT"])


class QhostSimulatorBackend(QrispBackend):
    """``QrispSimulatorBackend(pm=None)``'s signature, served by qhost."""

    def __init__(self, pm: Any = None, *, name: str | None = None, options: Mapping[str, Any] | None = None):
        super().__init__("127.0.0.1", PORT, name=name, options=options)

    @classmethod
    def _default_options(cls) -> Mapping[str, Any]:
        return {"shots": None}


qrisp.default_backend.QrispSimulatorBackend = QhostSimulatorBackend  # type: ignore[misc]
qrisp.interface.QrispSimulatorBackend = QhostSimulatorBackend  # type: ignore[misc]
qrisp.default_backend.def_backend = QhostSimulatorBackend()
