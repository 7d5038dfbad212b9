"""The shared test helpers (tests/support/qhost_testkit.py): the distribution check and the skip wording."""

from __future__ import annotations

import pytest
from qhost_testkit import assert_split, bell_split, ghz_split, missing_tool, needs


def test_an_even_bell_pair_passes() -> None:
    assert_split({"00": 489, "11": 511}, bell_split())
    assert_split({"0 0": 52, "1 1": 48}, bell_split())  # register separators are ignored
    assert_split({"000": 0.5, "111": 0.5}, ghz_split(3), shots=100)  # probabilities with their shots


def test_a_backend_answering_00_every_time_fails() -> None:
    with pytest.raises(AssertionError, match="expected 0.5000"):
        assert_split({"00": 1000}, bell_split())  # passed `set(counts) <= {"00", "11"}`


@pytest.mark.parametrize(
    "counts",
    [
        {"00": 700, "11": 300},  # 12 sigma off
        {"00": 499, "11": 500, "01": 1},  # an outcome a Bell pair never gives
    ],
)
def test_a_skewed_or_leaking_distribution_fails(counts: dict[str, int]) -> None:
    with pytest.raises(AssertionError):
        assert_split(counts, bell_split())


def test_stray_allows_a_noisy_devices_leak() -> None:
    noisy = {"00": 470, "11": 480, "01": 30, "10": 20}
    with pytest.raises(AssertionError):
        assert_split(noisy, bell_split())
    assert_split(noisy, bell_split(), stray=0.08)


def test_one_wording_for_a_missing_tool() -> None:
    reason = needs("redis-server", "apt-get install redis-server")
    assert reason == "redis-server not found: apt-get install redis-server (or run 'bash .ci/run' as root)"
    assert missing_tool("sh", "apt-get install dash") is None
    assert missing_tool("no-such-tool-here", "apt-get install x") == needs(
        "no-such-tool-here", "apt-get install x"
    )
    assert needs("CuPy", "pip install 'qhost[gpu]'", ci=False) == "CuPy not found: pip install 'qhost[gpu]'"
