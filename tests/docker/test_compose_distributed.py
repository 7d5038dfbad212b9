"""``docker/compose.distributed.yaml`` as podman-compose reads it (not brought up: see deployment.md).

CI cannot pull the redis and postgres images (no registry), so this checks the file as resolved by
``podman-compose config``: Redis with AOF and a password, PostgreSQL, the server publishing only on
loopback, two CPU workers and a GPU worker under the ``gpu`` profile, all on the same broker and store.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "docker" / "compose.distributed.yaml"


def _config(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "podman_compose", *args, "-f", str(COMPOSE), "config"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env={**os.environ, **env})


def test_resolved_services() -> None:
    plain = _config(QHOST_REDIS_PASSWORD="r-pw", QHOST_PG_PASSWORD="p-pw")
    assert "worker-gpu" not in yaml.safe_load(plain.stdout)["services"]  # only with --profile gpu
    done = _config("--profile", "gpu", QHOST_REDIS_PASSWORD="r-pw", QHOST_PG_PASSWORD="p-pw")
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    assert set(services) == {"redis", "postgres", "server", "worker-cpu-1", "worker-cpu-2", "worker-gpu"}
    redis_cmd = (
        " ".join(services["redis"]["command"])
        if isinstance(services["redis"]["command"], list)
        else services["redis"]["command"]
    )
    assert "--appendonly yes" in redis_cmd and "--requirepass r-pw" in redis_cmd
    assert "ports" not in services["redis"] and "ports" not in services["postgres"]  # never published
    assert services["server"]["ports"] == ["127.0.0.1:8000:8000"]
    for name in ("server", "worker-cpu-1", "worker-cpu-2", "worker-gpu"):
        env = services[name]["environment"]
        assert env["QHOST_BROKER_URL"] == "redis://:r-pw@redis:6379/0"
        assert env["QHOST_DATABASE_URL"] == "postgresql+psycopg://qhost:p-pw@postgres:5432/qhost"
    for name in ("worker-cpu-1", "worker-cpu-2"):
        assert services[name]["command"][:2] == ["qhost", "worker"] and "-n" in services[name]["command"]
    assert services["worker-gpu"]["profiles"] == ["gpu"]
    assert services["worker-gpu"]["command"][-2:] == ["--gpus", "0"]


def test_passwords_are_required() -> None:
    done = _config()
    assert done.returncode != 0
    assert "QHOST_REDIS_PASSWORD" in done.stderr + done.stdout
