"""Qrisp-door jobs carry a run-time estimate (``qhostEstimatedSeconds``; the console shows it) from the
OpenQASM pre-scan's sizes, on the model the IBM door uses; a ``run_func`` server's jobs carry none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from qhost.catalog import Catalog
from qhost.executors.qasm_limits import check_qasm, qasm_row

GHZ3 = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\n'
    "h q[0];\ncx q[0],q[1];\ncx q[1],q[2];\nmeasure q -> c;\n"
)


def test_a_device_job_carries_an_estimate_that_grows_with_its_shots(
    make_app: Callable[..., Flask], run_job: Callable[..., tuple[int, dict[str, Any]]]
) -> None:
    client = make_app(None, qrisp_backend="fake_manila@aer").test_client()
    _, few = run_job(client, {"shots": 100}, qasm=GHZ3)
    _, many = run_job(client, {"shots": 5000}, qasm=GHZ3)
    assert 0 < few["qhostEstimatedSeconds"] < many["qhostEstimatedSeconds"]


def test_a_run_func_job_carries_no_estimate(
    make_app: Callable[..., Flask], run_job: Callable[..., tuple[int, dict[str, Any]]], fixed_run_func: Any
) -> None:
    _, doc = run_job(make_app(fixed_run_func).test_client(), qasm=GHZ3)
    assert doc["qhostEstimatedSeconds"] is None


def test_the_pre_scan_counts_statements_outside_comments() -> None:
    sizes = check_qasm(GHZ3 + "// x q[0]; y q[1];\n/* z q[2]; */\n")
    assert (sizes.qubits, sizes.clbits, sizes.statements) == (3, 3, 8)


def test_noise_and_width_raise_the_catalog_estimate() -> None:
    catalog = Catalog(executors=["aer"])
    row = qasm_row(check_qasm(GHZ3), 100)
    wide = {**row, "qubits": 20}  # noisy: one trajectory per shot; ideal: one pass, then sampling
    ideal, noisy = (catalog.estimated_seconds(f"{d}@aer", [wide]) for d in ("ideal", "fake_sherbrooke"))
    narrow = catalog.estimated_seconds("ideal@aer", [row])
    assert ideal is not None and noisy is not None and narrow is not None
    assert narrow < ideal < noisy
    assert catalog.estimated_seconds("no_such_device@aer", [row]) is None
