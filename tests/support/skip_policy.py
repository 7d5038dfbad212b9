"""Skips are visible and, in CI, reviewed: the end-of-run summary and the allow-list check.

A pytest plugin, loaded by the root ``conftest.py`` (``pytest_plugins``); one :class:`SkipPolicy` per run.

- Every run that skipped something ends with one paragraph: how many tests were skipped, grouped by what they
  lacked (the part of the reason before its first ``:``), and how to run them all (``bash .ci/run`` as root,
  or the apt-get line ``.ci/run`` uses).
- **Strict mode** (``CI=true``, as CI runs; or ``QHOST_STRICT_SKIPS=1``; or ``--strict-skips``;
  ``QHOST_STRICT_SKIPS=0`` turns it off): a skip that matches no entry of ``tests/skip_allowlist.txt``
  fails the session (exit status 1) and is named in the summary, so a missing service never turns into a
  silent green.

Allow-list entries, one a line (``#`` starts a comment; say why the entry is there):
``marker <name>`` (the test carries that marker), ``id <glob>`` (``fnmatch`` on the node id),
``reason <glob>`` (``fnmatch`` on the skip reason). ``--skip-allowlist FILE`` reads another file.
"""

from __future__ import annotations

import fnmatch
import os
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "ALLOWLIST",
    "Allowed",
    "Skip",
    "SkipLog",
    "SkipPolicy",
    "apt_line",
    "load_allowlist",
    "strict_mode",
]

TESTS = Path(__file__).resolve().parents[1]
ALLOWLIST = TESTS / "skip_allowlist.txt"
CI_RUN = TESTS.parent / ".ci" / "run"
KINDS = ("marker", "id", "reason")


@dataclass(frozen=True)
class Skip:
    nodeid: str
    reason: str
    markers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Allowed:
    kind: str
    pattern: str

    def matches(self, skip: Skip) -> bool:
        if self.kind == "marker":
            return self.pattern in skip.markers
        if self.kind == "id":
            return fnmatch.fnmatchcase(skip.nodeid, self.pattern)
        return fnmatch.fnmatchcase(skip.reason, self.pattern)


def load_allowlist(path: Path = ALLOWLIST) -> list[Allowed]:
    """The entries of ``path`` (none when it does not exist); a malformed line raises ``ValueError``."""
    if not path.is_file():
        return []
    entries = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        kind, _, pattern = line.partition(" ")
        if kind not in KINDS or not pattern.strip():
            raise ValueError(f"{path}:{number}: expected '<{'|'.join(KINDS)}> <pattern>', got {raw!r}")
        entries.append(Allowed(kind, pattern.strip()))
    return entries


def strict_mode(option: bool) -> bool:
    """Whether unexpected skips fail the run: ``--strict-skips``, ``QHOST_STRICT_SKIPS``, else ``CI``."""
    if option:
        return True
    explicit = os.environ.get("QHOST_STRICT_SKIPS")
    if explicit is not None:
        return explicit.strip().lower() in ("1", "true", "yes")
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def apt_line(ci_run: Path = CI_RUN) -> str:
    """``apt-get install -y <packages>`` as ``.ci/run`` installs them (one place names the packages)."""
    try:
        text = ci_run.read_text(encoding="utf-8")
    except OSError:
        return "apt-get install -y <the packages listed in .ci/run>"
    match = re.search(r"apt-get install((?:[^\n]*\\\n)*[^\n]*)", text)
    words = match.group(1).replace("\\\n", " ").split() if match else []
    packages = [w for w in words if not w.startswith(("-", ">"))]
    return "apt-get install -y " + " ".join(packages)


def _reason(longrepr: Any) -> str:
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        text = str(longrepr[2])
    else:
        text = str(longrepr)
    return text.removeprefix("Skipped: ").strip()


@dataclass
class SkipLog:
    """The skips of one session and the verdict on them."""

    strict: bool
    allowed: list[Allowed]
    skips: list[Skip] = field(default_factory=list)

    def record(self, report: Any) -> None:
        """Note a skipped test or collector report (xfail is not a skip)."""
        if not report.skipped or hasattr(report, "wasxfail"):
            return
        keywords = getattr(report, "keywords", {}) or {}
        self.skips.append(Skip(report.nodeid, _reason(report.longrepr), frozenset(keywords)))

    def unexpected(self) -> list[Skip]:
        return [s for s in self.skips if not any(a.matches(s) for a in self.allowed)]

    def failed(self) -> bool:
        return self.strict and bool(self.unexpected())

    def summary(self) -> list[str]:
        """The closing paragraph (empty without skips), then in strict mode one line per unexpected skip."""
        if not self.skips:
            return []
        groups: dict[str, int] = {}
        for skip in self.skips:
            head = skip.reason.split(":", 1)[0].strip() or "no reason given"
            groups[head] = groups.get(head, 0) + 1
        listed = "; ".join(f"{head} ({n})" for head, n in sorted(groups.items(), key=lambda g: -g[1]))
        others = len(self.unexpected())
        text = (
            f"{_n(len(self.skips), 'test')} skipped: {listed}. "
            f"On the CI allow-list (tests/skip_allowlist.txt: GPU, opt-in): {len(self.skips) - others}."
        )
        if others:
            text += (
                f" To run the other {others}, run 'bash .ci/run' as root (installs the system packages, then "
                f"runs this suite), or install them: {apt_line()}."
            )
        text += " The SKIPPED lines above name each test."
        lines = textwrap.wrap(text, 110, break_on_hyphens=False, break_long_words=False)
        if self.strict:
            bad = self.unexpected()
            if bad:
                lines.append(
                    f"STRICT SKIPS (CI): {len(bad)} skips are not on tests/skip_allowlist.txt; the run fails:"
                )
                lines += [f"  unexpected skip: {s.nodeid}: {s.reason}" for s in bad]
        return lines


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


class SkipPolicy:
    """The plugin of one run: records skips, fails a strict run on unexpected ones, prints the summary."""

    def __init__(self, log: SkipLog) -> None:
        self.log = log

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.log.record(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self.log.record(report)  # a module-level pytest.skip(allow_module_level=True)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.log.failed() and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> Any:
        """After every other summary (``-ra``'s list included), just above the final counts line."""
        result = yield
        lines = self.log.summary()
        if lines:
            failed = self.log.failed()
            terminalreporter.section("skipped tests", sep="-", yellow=not failed, red=failed)
            for line in lines:
                terminalreporter.write_line(line)
        return result


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("qhost skips")
    group.addoption(
        "--strict-skips",
        action="store_true",
        help="fail the run on a skip not on the allow-list (the default under CI=true; QHOST_STRICT_SKIPS=0 "
        "turns it off)",
    )
    group.addoption(
        "--skip-allowlist", default=str(ALLOWLIST), help="the allow-list file (tests/skip_allowlist.txt)"
    )


def pytest_configure(config: pytest.Config) -> None:
    strict = strict_mode(bool(config.getoption("--strict-skips")))
    log = SkipLog(strict, load_allowlist(Path(config.getoption("--skip-allowlist"))))
    config.pluginmanager.register(SkipPolicy(log), "qhost-skip-policy")
