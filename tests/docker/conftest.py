"""Fixtures for the container tests: podman (CI flags via scripts/container_build.sh) and a running image.

The slow tests need root, podman, runc and debootstrap (CI installs them). They skip with the reason
otherwise. ``QHOST_CONTAINER_IMAGE`` reuses an image already built (skips the build step).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from qhost_testkit import needs

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "container_build.sh"
CONTAINER_PORTS = (8000, 8085, 8087, 8088, 8090, 8092, 8093, 8094, 9090)


DNS_PLUGINS = ("/usr/lib/cni/dnsname", "/usr/libexec/cni/dnsname", "/usr/lib/podman/aardvark-dns",
               "/usr/libexec/podman/aardvark-dns")  # fmt: skip
"""Where podman finds the plugin that resolves compose service names (CNI's dnsname, netavark's aardvark)."""
DNS_MISSING = needs(
    "container DNS plugin (CNI dnsname or aardvark-dns)",
    "apt-get install golang-github-containernetworking-plugin-dnsname (CNI) or aardvark-dns (netavark)",
)

BUILD_TIMEOUT = 1800
"""A first image build on a fresh machine (debootstrap, then pip inside the image) outlasts pytest's 300 s."""


BUILDING_FIXTURES = frozenset({"image", "gpu_image", "distributed_images"})
"""Fixtures whose setup may build an image (``fixturenames`` is the closure: users of them count too)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests whose setup may build an image get the build's time limit instead of the default 300 s."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents and BUILDING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.timeout(BUILD_TIMEOUT))


def podman(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run podman with the CI flags (runc, cgroupfs, docker/containers.conf)."""
    return subprocess.run([str(SCRIPT), "podman", *args], capture_output=True, text=True, check=check,
                          timeout=timeout)  # fmt: skip


def container_tools_missing() -> str | None:
    """Why the container tests cannot run here, or ``None``."""
    missing = [tool for tool in ("podman", "runc", "debootstrap") if shutil.which(tool) is None]
    if missing:
        return needs(" ".join(missing), "apt-get install podman runc debootstrap")
    if os.geteuid() != 0:
        return "root not found: the container tests run podman as root, as CI does ('bash .ci/run' as root)"
    return None


def free_ports(count: int) -> list[int]:
    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


class Container:
    """One run of the image: published ports on loopback, a named volume for /data."""

    def __init__(self, image: str, volume: str) -> None:
        self.image, self.volume = image, volume
        self.name = f"qhost-test-{uuid.uuid4().hex[:8]}"
        self.ports = dict(zip(CONTAINER_PORTS, free_ports(len(CONTAINER_PORTS)), strict=True))

    def url(self, port: int = 8000) -> str:
        return f"http://127.0.0.1:{self.ports[port]}"

    def start(self, timeout: float = 180) -> Container:
        publish = [arg for c, h in self.ports.items() for arg in ("-p", f"127.0.0.1:{h}:{c}")]
        podman("run", "-d", "--name", self.name, "-v", f"{self.volume}:/data", *publish, self.image)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url(), timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.5)
        logs = podman("logs", self.name, check=False).stderr[-3000:]
        raise AssertionError(f"container {self.name} not ready after {timeout}s; log tail:\n{logs}")

    def stop(self) -> subprocess.CompletedProcess[str]:
        stopped = podman("stop", "-t", "20", self.name, check=False)
        podman("rm", "-f", self.name, check=False)
        return stopped


@pytest.fixture(scope="session")
def image() -> str:
    """The CPU image: ``QHOST_CONTAINER_IMAGE`` or built now with scripts/container_build.sh."""
    reason = container_tools_missing()
    if reason:
        pytest.skip(reason)
    return os.environ.get("QHOST_CONTAINER_IMAGE") or build("cpu")


@pytest.fixture(scope="session")
def gpu_image() -> str:
    """The GPU image: ``QHOST_GPU_IMAGE`` or built now; ``QHOST_SKIP_GPU_IMAGE=1`` skips."""
    reason = container_tools_missing()
    if reason:
        pytest.skip(reason)
    if os.environ.get("QHOST_SKIP_GPU_IMAGE") == "1":
        pytest.skip("QHOST_SKIP_GPU_IMAGE=1")
    return os.environ.get("QHOST_GPU_IMAGE") or build("gpu")


@pytest.fixture(scope="session")
def distributed_images() -> dict[str, str]:
    """The images of docker/compose.distributed.yaml, built now (qhost with the distributed extra, Redis,
    PostgreSQL from Debian), by service kind: ``{"qhost": …, "redis": …, "postgres": …}``."""
    reason = container_tools_missing()
    if reason:
        pytest.skip(reason)
    if not any(Path(p).exists() for p in DNS_PLUGINS):
        pytest.skip(DNS_MISSING)
    return {"qhost": build("distributed"), "redis": build("redis"), "postgres": build("postgres")}


def build(flavour: str) -> str:
    """Build ``localhost/qhost:<flavour>`` with scripts/container_build.sh (the layer cache helps reruns)."""
    command = [str(SCRIPT), "build", flavour]
    done = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    if done.returncode != 0:
        raise AssertionError(
            f"building the {flavour} image failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return f"localhost/qhost:{flavour}"


@pytest.fixture(scope="module")
def volume(image: str) -> Iterator[str]:
    name = f"qhost-test-{uuid.uuid4().hex[:8]}"
    podman("volume", "create", name)
    yield name
    podman("volume", "rm", "-f", name, check=False)


@pytest.fixture(scope="module")
def container(image: str, volume: str) -> Iterator[Container]:
    running = Container(image, volume).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def run_podman():
    """The ``podman(*args, check=True, timeout=120)`` helper, for tests."""
    return podman


@pytest.fixture(scope="session")
def new_container():
    """``new_container(image, volume) -> Container`` (not started)."""
    return Container
