"""IBM Runtime door fixtures: params built with the stock client's encoder, apps on tmp stores."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from qiskit import QuantumCircuit


def bell(measure: bool = True) -> QuantumCircuit:
    """A Bell circuit in fake_manila's ISA (rz/sx/x/cx) on qubits 0-1."""
    qc = QuantumCircuit(2)
    qc.x(0)
    qc.cx(0, 1)
    if measure:
        qc.measure_all()
    return qc


def params_json(pubs: list[list[Any]], options: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """Params as ``qiskit-ibm-runtime`` sends them (RuntimeEncoder), parsed back to plain JSON."""
    from qiskit_ibm_runtime import RuntimeEncoder

    body = {"pubs": pubs, "options": options or {}, "version": 2, "support_qiskit": True, **extra}
    return json.loads(json.dumps(body, cls=RuntimeEncoder))


def sampler_params(shots: int | None = None, **options: Any) -> dict[str, Any]:
    return params_json([[bell(), np.zeros((0,)), shots]], options)


class Wire:
    """The helpers above, handed to tests as the ``wire`` fixture (conftest is not importable)."""

    bell = staticmethod(bell)
    params_json = staticmethod(params_json)
    sampler_params = staticmethod(sampler_params)


@pytest.fixture
def wire() -> type[Wire]:
    return Wire


@pytest.fixture
def app(tmp_path: Any) -> Iterator[Any]:
    """A qhost app with the IBM door, thread workers, a SQLite store under tmp_path, no API keys."""
    from qhost.config import Settings
    from qhost.server.app import create_app

    settings = Settings(
        data_dir=tmp_path / "data", worker_mode="thread", process_workers=1, executors=("aer",)
    )
    application = create_app(settings, test_config={"TESTING": True})
    yield application
    application.extensions["qhost"].close()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def keyed_app(tmp_path: Any) -> Iterator[Any]:
    """Like ``app`` with two API keys configured (``alice-key``, ``bob-key``)."""
    from qhost.config import Settings
    from qhost.server.app import create_app

    settings = Settings(
        data_dir=tmp_path / "kdata",
        worker_mode="thread",
        process_workers=1,
        executors=("aer",),
        api_keys=("alice-key", "bob-key"),
    )
    application = create_app(settings, test_config={"TESTING": True})
    yield application
    application.extensions["qhost"].close()
