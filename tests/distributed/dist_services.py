"""Real Redis and PostgreSQL servers for the distributed-mode tests, started and stopped by PID.

Redis: ``redis-server`` on a free loopback port, ``appendonly yes`` (AOF, fsync every second), data in a
temporary directory. PostgreSQL: ``initdb``/``pg_ctl`` found on ``PATH``, in ``pg_config --bindir`` or
under Debian's ``/usr/lib/postgresql/*/bin`` (newest first); as root they refuse to run, so they run as the
``postgres`` user through ``runuser``; password (scram) authentication on a free loopback port, the socket
directory inside the temporary directory.

A test that starts a service this machine lacks is skipped (``start()`` calls ``pytest.skip`` with the shared
wording of ``qhost_testkit``); tests that start none run everywhere.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from qhost_testkit import missing_tool

__all__ = ["PG_BIN", "Postgres", "Redis", "find_pg_bin", "free_port", "missing_binaries", "missing_postgres"]

PG_TOOLS = ("initdb", "pg_ctl", "postgres")


def _pg_config_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    try:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out.stdout.strip())


def find_pg_bin() -> Path | None:
    """The directory holding PostgreSQL's server binaries: ``PATH``, ``pg_config --bindir``, then Debian's
    ``/usr/lib/postgresql/<version>/bin`` (newest first); None when none has them all."""
    on_path = shutil.which("initdb")
    candidates = [Path(on_path).parent] if on_path else []
    candidates.append(_pg_config_bindir())
    debian = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(
        debian, key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()], reverse=True
    )
    return next((c for c in candidates if c and all((c / t).exists() for t in PG_TOOLS)), None)


PG_BIN = find_pg_bin()
SUPERUSER_PASSWORD = "pg-super-pw"
REDIS_INSTALL = "apt-get install redis-server"
PG_INSTALL = "apt-get install postgresql"


def missing_binaries() -> str | None:
    """Why the services cannot start here (None when they can), in the shared wording."""
    return missing_tool("redis-server", REDIS_INSTALL) or missing_postgres()


def missing_postgres() -> str | None:
    return missing_tool("PostgreSQL (initdb, pg_ctl)", PG_INSTALL, found=PG_BIN is not None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


@dataclass
class Redis:
    """One ``redis-server`` with AOF; ``kill()`` is ``kill -9``; ``start()`` again reuses the data dir."""

    password: str | None = None
    port: int = field(default_factory=free_port)
    dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="qhost-redis-")))
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> Redis:
        reason = missing_tool("redis-server", REDIS_INSTALL)
        if reason:
            pytest.skip(reason)
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir)]
        args += ["--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no"]
        if self.password:
            args += ["--requirepass", self.password]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port, 10, self.proc)
        return self

    def kill(self) -> None:
        """SIGKILL (no shutdown save): what survives is what the AOF holds."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Postgres:
    """One PostgreSQL cluster in a temporary directory, password authentication on loopback."""

    port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="qhost-pg-")))
    pid: int | None = None

    def _as_postgres(self, *args: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)

    def start(self) -> Postgres:
        if PG_BIN is None:
            pytest.skip(missing_postgres() or "PostgreSQL not found")
        data, sockets = self.root / "data", self.root / "sockets"
        self.root.chmod(0o755)
        sockets.mkdir()
        pwfile = self.root / "pw"
        pwfile.write_text(SUPERUSER_PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(sockets, "postgres")
            shutil.chown(pwfile, "postgres")
        initdb = [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--pwfile", str(pwfile)]
        initdb += ["--auth", "scram-sha-256", "-E", "UTF8", "--no-sync"]
        subprocess.run(self._as_postgres(*initdb), check=True, capture_output=True, timeout=120)
        options = f"-p {self.port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        ctl = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.root / "log"), "-w"]
        subprocess.run(self._as_postgres(*ctl, "start"), check=True, capture_output=True, timeout=60)
        self.pid = int((data / "postmaster.pid").read_text().split()[0])
        _wait_port(self.port, 30)
        return self

    def url(self, user: str = "postgres", password: str = SUPERUSER_PASSWORD, db: str = "postgres") -> str:
        return f"postgresql+psycopg://{user}:{password}@127.0.0.1:{self.port}/{db}"

    def new_database(self) -> str:
        """A fresh database owned by a fresh role with a password; returns its SQLAlchemy URL."""
        import psycopg

        name = "q" + uuid.uuid4().hex[:12]
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres password={SUPERUSER_PASSWORD} dbname=postgres",
            autocommit=True,
        ) as conn:
            conn.execute(f"CREATE ROLE {name} LOGIN PASSWORD 'pw-{name}'")
            conn.execute(f"CREATE DATABASE {name} OWNER {name}")
        return self.url(name, f"pw-{name}", name)

    def stop(self) -> None:
        """SIGINT to the postmaster (fast shutdown), by PID; wait until it is gone."""
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGINT)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        self.pid = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
