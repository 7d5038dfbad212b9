"""``benchmarks/thrift_vs_rest.py`` runs end to end with tiny counts (the lead runs it for real)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "thrift_vs_rest.py"


@pytest.mark.slow
def test_benchmark_smoke(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("thrift_vs_rest", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "result.json"
    assert module.main(["--calls", "3", "--warmup", "1", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert set(report["results"]) == {"rest", "thrift_qasm", "thrift_struct"}
    assert all(r["median_ms"] > 0 for r in report["results"].values())
