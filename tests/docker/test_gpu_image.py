"""The GPU image builds, imports qhost and the GPU packages, and without a GPU lists cuStateVec unavailable.

Its GPU code cannot run in CI (no GPU); the build (about 3 minutes, 2 GB of CUDA wheels) is what this pins.
``QHOST_SKIP_GPU_IMAGE=1`` skips it; ``QHOST_GPU_IMAGE`` reuses an image already built.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow]


def test_gpu_packages_import(gpu_image, run_podman):
    done = run_podman("run", "--rm", gpu_image, "python", "-c", "import qhost, cuquantum, cupy; print('ok')")
    assert done.stdout.strip().endswith("ok")


def test_custatevec_listed_unavailable_without_gpu(gpu_image, run_podman):
    done = run_podman("run", "--rm", gpu_image, "qhost", "backends", "--executors", "custatevec", timeout=300)
    rows = [line for line in done.stdout.splitlines() if line.startswith("ideal@custatevec")]
    assert rows and "no:" in rows[0]


def test_gpu_image_serves_the_custatevec_port(gpu_image, run_podman):
    env = run_podman("image", "inspect", gpu_image, "--format", "{{json .Config.Env}}").stdout
    assert "ideal@custatevec=8095" in env
