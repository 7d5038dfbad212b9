"""Helpers of the console tests (a unique module name: ``from conftest import`` is ambiguous)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from qhost.jobs import JobSpec
from qhost.programs import PROGRAMS, register_program

for _name in ("gated", "counts"):
    if f"t_console_{_name}" not in PROGRAMS:
        register_program(f"t_console_{_name}", f"console_programs:{_name}")

BELL = 'OPENQASM 2.0;include "qelib1.inc";qreg q[2];creg c[2];h q[0];cx q[0],q[1];measure q -> c;'
ALICE, BOB, ADMIN = "alice-key", "bob-key", "admin-key"


def owner_id(app: Any, key: str) -> str:
    """The owner id ``app`` gives ``key`` (an HMAC under the install secret of its store)."""
    owner = app.extensions["qhost"].keys.owner(key)
    assert owner is not None, "not one of the app's keys"
    return str(owner)


def counts_spec(
    owner: str = "",
    shots: int = 200,
    backend: str = "ideal@aer",
    program: str = "t_console_counts",
) -> JobSpec:
    """A Bell-circuit job; ``program="counts"`` runs it on Aer, the default a simulator-free stand-in.

    The stand-in keeps most tests free of simulator start-up; the tests that need the real simulator
    share the one session-scoped ``aer_app``.
    """
    inputs = json.dumps({"qasm": BELL, "shots": shots, "seed": 5})
    return JobSpec(program=program, inputs=inputs, backend=backend, owner=owner)


def gated_spec(owner: str = "") -> JobSpec:
    """A job that holds its worker until released (``owner``: an owner id, see ``owner_id``)."""
    return JobSpec(program="t_console_gated", inputs="{}", backend="ideal@aer", owner=owner)


def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.02)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found, "page has no CSRF token"
    return found.group(1)


def sign_in(client: Any, key: str) -> Any:
    page = client.get("/console/login")
    return client.post("/console/login", data={"key": key, "csrf_token": csrf_of(page.text)})
