"""Schema-driven fuzzing (schemathesis) of both REST doors: no 5xx, and every error is JSON.

Each operation of ``/openapi.json`` gets ``QHOST_FUZZ_EXAMPLES`` (default 60) requests that fit the schema and
as many that break it (schemathesis' positive and negative modes), about half a minute in all. Failures list
every offending request (method, path, status, body start).

The CI run is **derandomised** (hypothesis ``derandomize=True``: the same requests on every run and every
machine), so a green CI means a green fresh checkout. To explore with fresh random inputs (and find new
bugs), run the separate, explicitly invoked randomised test::

    QHOST_FUZZ_EXPLORE=1 QHOST_FUZZ_EXAMPLES=300 pytest tests/docs/test_fuzz.py -k explore

A failure it finds is pinned by adding the offending request to ``tests/hostile/`` before fixing it.
"""

from __future__ import annotations

import json
import os

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="needs schemathesis (pip install schemathesis)")
from hypothesis import HealthCheck, given, settings  # noqa: E402  (after the importorskip)
from hypothesis.errors import Unsatisfiable  # noqa: E402

FUZZ_EXAMPLES = int(os.environ.get("QHOST_FUZZ_EXAMPLES", "60"))
EXPLORE = os.environ.get("QHOST_FUZZ_EXPLORE") == "1"


def _problem(case, response) -> str | None:
    where = f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]!r}"
    if response.status_code >= 500:
        return where
    if response.status_code >= 400:
        if not _content_type(response).startswith("application/json"):
            return where
        try:
            json.loads(response.text)
        except ValueError:
            return where
    return None


def _content_type(response) -> str:
    headers = {key.lower(): value for key, value in response.headers.items()}
    value = headers.get("content-type", "")
    return value[0] if isinstance(value, list) and value else str(value or "")


def _fuzz(operation, mode, problems: list[str], *, derandomize: bool) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        problem = _problem(case, case.call(timeout=30))
        if problem and problem not in problems:
            problems.append(problem)

    try:
        run()
    except Unsatisfiable:  # negative mode on an operation with nothing to break (e.g. GET /)
        assert mode == schemathesis.GenerationMode.NEGATIVE, operation.label


def _fuzz_all(server, *, derandomize: bool) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    problems: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:
        for mode in schemathesis.GenerationMode:
            _fuzz(operation, mode, problems, derandomize=derandomize)
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_no_server_error_and_errors_are_json(server):
    """The reproducible run CI makes: the same inputs every time."""
    _fuzz_all(server, derandomize=True)


@pytest.mark.slow
@pytest.mark.skipif(not EXPLORE, reason="randomised exploration: run with QHOST_FUZZ_EXPLORE=1 (module doc)")
def test_explore_with_random_inputs(server):
    """Fresh random inputs each run (not in CI): finds what the fixed run does not reach."""
    _fuzz_all(server, derandomize=False)
