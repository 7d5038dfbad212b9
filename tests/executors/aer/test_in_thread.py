"""Aer primitives run in the calling thread: same results as Aer's public path, no thread per job."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.primitives.containers.sampler_pub import SamplerPub
from qiskit.quantum_info import SparsePauliOp
from qiskit_aer import AerSimulator
from qiskit_aer.primitives import EstimatorV2, SamplerV2

from qhost.executors.aer.in_thread import execute, run_primitive


def _bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


@pytest.fixture
def thread_starts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    started: list[str] = []
    original = threading.Thread.start

    def start(self: threading.Thread) -> None:
        started.append(self.name)
        original(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    yield started


def test_sampler_in_thread_matches_public_run() -> None:
    pub = SamplerPub.coerce((_bell(), None, 300))
    public = SamplerV2(seed=5).run([pub]).result()[0].data.c.get_counts()
    here = run_primitive(SamplerV2(seed=5), [pub])[0].data.c.get_counts()
    assert here == public and sum(here.values()) == 300


def test_sampler_in_thread_starts_no_thread(thread_starts: list[str]) -> None:
    sampler = SamplerV2(seed=5)
    run_primitive(sampler, [SamplerPub.coerce((_bell(), None, 50))])
    assert thread_starts == []


def test_estimator_in_thread_matches_public_run(thread_starts: list[str]) -> None:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    pub = EstimatorPub.coerce((qc, SparsePauliOp(["ZZ", "XX", "ZI"])), 0.0)
    public = EstimatorV2().run([pub]).result()[0].data.evs
    thread_starts.clear()
    here = run_primitive(EstimatorV2(), [pub])[0].data.evs
    np.testing.assert_allclose(here, public)
    assert thread_starts == []


def test_execute_runs_a_circuit_in_this_thread(thread_starts: list[str]) -> None:
    result = execute(AerSimulator(), _bell(), shots=64, seed_simulator=3)
    assert sum(result.get_counts(0).values()) == 64
    assert thread_starts == []


class _PublicOnly:
    """A primitive without Aer's private ``_run``: the public ``run().result()`` is used."""

    def __init__(self) -> None:
        self.calls: list[Any] = []

    def run(self, pubs: list[Any]) -> Any:
        self.calls.append(pubs)
        return self

    def result(self) -> str:
        return "public"


def test_primitive_without_private_run_falls_back_to_public_run() -> None:
    primitive = _PublicOnly()
    assert run_primitive(primitive, ["pub"]) == "public" and primitive.calls == [["pub"]]


def test_executor_reuses_its_sampler_for_the_same_settings(aer: Any, manila: Any) -> None:
    qc = QuantumCircuit(5, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    pubs = [SamplerPub.coerce((qc, None, 200))]
    first = aer.sample(pubs, manila, seed=9)[0].data.c.get_counts()
    cached = len(aer._samplers)
    again = aer.sample(pubs, manila, seed=9)[0].data.c.get_counts()
    assert again == first and sum(again.values()) == 200
    assert len(aer._samplers) == cached  # the second job found the first one's sampler
    aer.sample(pubs, manila, seed=10)
    assert len(aer._samplers) == cached + 1  # another seed is another sampler
