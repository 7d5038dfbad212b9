"""The skip policy itself (tests/support/skip_policy.py): the end-of-run summary, and under CI a skip not on
the allow-list fails the run and is named, while an allowed one passes."""

from __future__ import annotations

import pytest
from skip_policy import Allowed, Skip, apt_line, load_allowlist

pytest_plugins = ("pytester",)

TESTS = """
import pytest

def test_runs():
    assert True

@pytest.mark.gpu
def test_needs_a_gpu():
    pytest.skip("no CUDA device visible")

def test_needs_redis():
    pytest.skip("redis-server not found: apt-get install redis-server (or run 'bash .ci/run' as root)")
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("CI", "QHOST_STRICT_SKIPS"):
        monkeypatch.delenv(name, raising=False)
    pytester.makeini("[pytest]\nmarkers =\n    gpu: needs a GPU\n")
    pytester.makeconftest("pytest_plugins = ('skip_policy',)\n")
    pytester.makepyfile(test_things=TESTS)
    pytester.path.joinpath("allow.txt").write_text("marker gpu  # no GPU in CI\n")
    return pytester


def _run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest("-p", "no:cacheprovider", "--skip-allowlist", "allow.txt", *args)


def test_a_plain_run_passes_and_ends_with_the_summary(project: pytest.Pytester) -> None:
    result = _run(project)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*skipped tests*", "2 tests skipped: *"])
    text = " ".join(result.stdout.str().split())
    assert "redis-server not found (1)" in text and "bash .ci/run" in text and "apt-get install -y" in text
    assert "unexpected skip" not in text


def test_under_ci_a_skip_not_on_the_list_fails_the_run_and_is_named(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    result = _run(project)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*unexpected skip: test_things.py::test_needs_redis: redis-server not found*"]
    )
    assert "unexpected skip: test_things.py::test_needs_a_gpu" not in result.stdout.str()


def test_under_ci_allowed_skips_pass(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    project.path.joinpath("allow.txt").write_text(
        "marker gpu  # no GPU in CI\nreason redis-server not found:*  # for this test only\n"
    )
    assert _run(project).ret == pytest.ExitCode.OK


def test_the_option_and_the_explicit_variable(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _run(project, "--strict-skips").ret == pytest.ExitCode.TESTS_FAILED
    monkeypatch.setenv("QHOST_STRICT_SKIPS", "1")
    assert _run(project).ret == pytest.ExitCode.TESTS_FAILED
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("QHOST_STRICT_SKIPS", "0")  # an explicit no wins over CI
    assert _run(project).ret == pytest.ExitCode.OK


def test_a_module_level_skip_counts(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    skip = "pytest.skip('chromium not found: apt-get install chromium', allow_module_level=True)"
    project.makepyfile(test_browser=f"import pytest\n{skip}\n")
    monkeypatch.setenv("CI", "true")
    result = _run(project, "test_browser.py")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*unexpected skip: test_browser.py: chromium not found*"])


def test_the_allowlist_of_the_repository() -> None:
    entries = load_allowlist()
    assert Allowed("marker", "gpu") in entries
    fuzz = Skip("tests/docs/test_fuzz.py::test_explore_with_random_inputs", "randomised exploration")
    assert any(a.matches(fuzz) for a in entries)
    redis = Skip(
        "tests/distributed/test_serve.py::test_x", "redis-server not found: apt-get install redis-server"
    )
    assert not any(a.matches(redis) for a in entries)
    assert len(entries) <= 5  # short, reviewed


def test_the_apt_line_is_the_one_ci_runs() -> None:
    line = apt_line()
    assert line.startswith("apt-get install -y ") and "redis-server" in line and "postgresql" in line
    assert "-qq" not in line and "/dev/null" not in line


def test_a_malformed_allowlist_line_is_refused(tmp_path: pytest.TempPathFactory) -> None:
    bad = tmp_path / "allow.txt"  # type: ignore[operator]
    bad.write_text("gpu\n")
    with pytest.raises(ValueError, match="expected"):
        load_allowlist(bad)
