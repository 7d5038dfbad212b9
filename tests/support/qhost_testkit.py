"""Helpers shared by every test area (importable as ``qhost_testkit``: the root conftest puts
``tests/support/`` on ``sys.path``).

- :func:`missing_tool` / :func:`skip_without`: one wording for every test that needs a tool this machine
  lacks: ``<tool> not found: <install command> (or run 'bash .ci/run' as root)``. The end-of-run summary
  (``skip_policy``) groups skips by the part before the first ``:``, so keep the tool name first.
- :func:`assert_split`: a measured distribution against the expected one (each outcome within a binomial
  band, nothing else), instead of checking only which outcomes appear.
- :func:`run_on_port`: a circuit through one Qrisp port, with the backend that ran it (so a port routed to
  the wrong simulator is seen, not only a port that answers).
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Mapping
from typing import Any

import pytest

__all__ = [
    "CI_HINT",
    "assert_split",
    "bell_split",
    "ghz_split",
    "missing_tool",
    "needs",
    "run_on_port",
    "skip_without",
]

CI_HINT = "or run 'bash .ci/run' as root"
"""How to get every system tool at once: ``.ci/run`` installs them with apt-get, then runs the suite."""


def needs(tool: str, install: str, *, ci: bool = True) -> str:
    """The skip reason for a missing ``tool``: ``"<tool> not found: <install> (or run 'bash .ci/run' as
    root)"`` (``ci=False`` for what ``.ci/run`` does not install, such as a GPU's packages)."""
    return f"{tool} not found: {install}" + (f" ({CI_HINT})" if ci else "")


def missing_tool(tool: str, install: str, *, found: bool | None = None, ci: bool = True) -> str | None:
    """:func:`needs`' reason when ``tool`` is missing (``shutil.which``, or ``found`` if given), else None."""
    present = shutil.which(tool) is not None if found is None else found
    return None if present else needs(tool, install, ci=ci)


def skip_without(tool: str, install: str, *, found: bool | None = None, ci: bool = True) -> None:
    """``pytest.skip`` with :func:`needs`' reason when ``tool`` is missing (reported at the caller's line)."""
    __tracebackhide__ = True
    reason = missing_tool(tool, install, found=found, ci=ci)
    if reason is not None:
        pytest.skip(reason)


def assert_split(
    counts: Mapping[str, float],
    expected: Mapping[str, float],
    *,
    shots: int | None = None,
    sigmas: float = 5.0,
    stray: float = 0.0,
) -> None:
    """Assert ``counts`` (counts, or probabilities with ``shots``) match the ``expected`` probabilities.

    Each expected outcome's share lies within ``sigmas`` binomial standard deviations of its probability;
    outcomes not in ``expected`` take at most ``stray`` of the shots in all (0: none; a noisy device's
    Bell pair leaks a few percent into ``01``/``10``). A backend answering ``"00"`` every time fails.
    ``expected`` may be given without ``stray``'s share (the band is taken around ``p * (1 - stray)``
    widened by ``stray``). Keys are compared without spaces (qiskit's register separator).
    """
    got = {k.replace(" ", ""): float(v) for k, v in counts.items()}
    total = sum(got.values())
    n = int(round(total)) if shots is None else shots
    assert n > 0, f"no shots in {counts}"
    share = {k: v / total for k, v in got.items()}  # counts or probabilities alike
    outside = sum(v for k, v in share.items() if k not in expected)
    assert outside <= stray + 1e-12, f"outcomes outside {sorted(expected)} take {outside:.4f} of {counts}"
    for outcome, p in expected.items():
        sd = math.sqrt(p * (1 - p) / n)
        low, high = p * (1 - stray) - sigmas * sd, p + sigmas * sd
        assert low <= share.get(outcome, 0.0) <= high, (
            f"{outcome!r} has {share.get(outcome, 0.0):.4f} of {n} shots, expected {p:.4f} "
            f"(band {low:.4f}..{high:.4f}): {counts}"
        )


def bell_split(outcomes: tuple[str, ...] = ("00", "11")) -> dict[str, float]:
    """Equal probabilities over ``outcomes`` (Bell pair: 00/11; GHZ-n: 0…0/1…1)."""
    return {o: 1 / len(outcomes) for o in outcomes}


def ghz_split(n: int) -> dict[str, float]:
    """The ideal GHZ-``n`` distribution: half ``0``×n, half ``1``×n."""
    return bell_split(("0" * n, "1" * n))


def run_on_port(port: int, circuit: Any, shots: int, host: str = "127.0.0.1") -> tuple[dict[str, Any], str]:
    """``(counts, backend)``: ``circuit`` run through the Qrisp door on ``port`` (qhost's ``BackendClient``),
    and the virtual backend the server ran the job on (the job's ``executedOn.name``)."""
    import requests

    from qhost.client.backend_client import BackendClient

    client = BackendClient(host, port)
    try:
        job_id = client.submit(circuit, shots)
        counts = client.result(job_id, timeout=300)
    finally:
        client.close()
    doc = requests.get(f"http://{host}:{port}/jobs/{job_id}", timeout=30).json()
    return counts, str(doc["executedOn"]["name"])
