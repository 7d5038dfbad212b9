"""Schema-driven fuzzing (schemathesis) of both REST doors: no 5xx, and every error is JSON.

Each operation of ``/openapi.json`` gets ``QHOST_FUZZ_EXAMPLES`` (default 60) requests that fit the schema and
as many that break it (schemathesis' positive and negative modes), about half a minute in all. Failures list
every offending request (method, path, status, body start).
"""

from __future__ import annotations

import json
import os

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="needs schemathesis (pip install schemathesis)")
from hypothesis import HealthCheck, given, settings  # noqa: E402  (after the importorskip)
from hypothesis.errors import Unsatisfiable  # noqa: E402

FUZZ_EXAMPLES = int(os.environ.get("QHOST_FUZZ_EXAMPLES", "60"))


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


def _fuzz(operation, mode, problems: list[str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=FUZZ_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def run(case) -> None:
        problem = _problem(case, case.call(timeout=30))
        if problem and problem not in problems:
            problems.append(problem)

    try:
        run()
    except Unsatisfiable:  # negative mode on an operation with nothing to break (e.g. GET /)
        assert mode == schemathesis.GenerationMode.NEGATIVE, operation.label


@pytest.mark.slow
def test_no_server_error_and_errors_are_json(server):
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    problems: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:
        for mode in schemathesis.GenerationMode:
            _fuzz(operation, mode, problems)
    assert not problems, "\n".join(problems)
