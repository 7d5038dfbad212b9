"""What the images say about authentication (read from the Dockerfiles; no image is built here).

The images bind 0.0.0.0 inside the container and set ``QHOST_NO_AUTH=1``, so they start with no key (a
non-loopback bind with no key is refused otherwise); ``interface_docs/docker.md`` says so and says how to
turn keys on.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _env(dockerfile: str) -> dict[str, str]:
    text = (REPO / "docker" / dockerfile).read_text().replace("\\\n", " ")
    pairs: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            pairs.update(re.findall(r'(\w+)=("[^"]*"|\S+)', line))
    return pairs


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "Dockerfile.gpu"])
def test_image_binds_all_interfaces_and_says_no_auth_explicitly(dockerfile: str) -> None:
    env = _env(dockerfile)
    assert env["QHOST_HOST"] == "0.0.0.0"
    assert env["QHOST_NO_AUTH"] == "1"  # without it `qhost serve` refuses 0.0.0.0 with no key


def test_docker_doc_names_the_no_auth_default_and_keys() -> None:
    text = (REPO / "interface_docs" / "docker.md").read_text()
    assert "QHOST_NO_AUTH=1" in text and "QHOST_API_KEYS" in text
