"""Fixtures for the extra simulators: an ideal device of 30 qubits."""

from __future__ import annotations

import pytest

from qhost.catalog import Device


@pytest.fixture
def ideal() -> Device:
    return Device("ideal", 30)
