"""Bad configuration gets a clear error at start, naming the URL without its password."""

from __future__ import annotations

import subprocess

import pytest
from dist_helpers import QHOST, worker_env
from dist_services import Redis, free_port

from qhost.engine.distributed.common import connect_broker, redact_url
from qhost.engine.distributed.launcher import check_database, check_versions
from qhost.errors import ConfigurationError


def test_unreachable_broker_names_the_url_without_password() -> None:
    url = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    with pytest.raises(ConfigurationError) as err:
        connect_broker(url)
    assert "Cannot reach the broker" in err.value.message
    assert f"redis://:***@127.0.0.1:{url.rsplit(':', 1)[1]}" in err.value.message
    assert "s3cret" not in err.value.message


def test_wrong_and_missing_broker_password() -> None:
    server = Redis(password="right-pw").start()
    try:
        bad = server.url.replace("right-pw", "wrong-pw")
        with pytest.raises(ConfigurationError) as err:
            connect_broker(bad)
        assert "refused the credentials" in err.value.message and "wrong-pw" not in err.value.message
        with pytest.raises(ConfigurationError) as err:
            connect_broker(server.url.replace(":right-pw@", ""))
        assert "add the password to the URL" in err.value.message
        assert connect_broker(server.url).ping()
    finally:
        server.close()


def test_database_errors(postgres: object, database_url: str) -> None:
    wrong = database_url.replace(":pw-", ":nope-")
    with pytest.raises(ConfigurationError) as err:
        check_database(wrong)
    assert "password authentication failed" in err.value.message
    assert redact_url(wrong) in err.value.message and "nope-" not in err.value.message
    closed = f"postgresql+psycopg://u:pw@127.0.0.1:{free_port()}/db"
    with pytest.raises(ConfigurationError, match="Cannot use the database postgresql"):
        check_database(closed)
    check_database(database_url)  # the right one passes


def test_version_mismatch_refused_naming_both(redis_url: str) -> None:
    conn = connect_broker(redis_url)
    assert check_versions(conn) == []  # no server registered yet: nothing to compare
    conn.hset("qhost:server", mapping={"qhost_version": "0.0.1", "qiskit_version": "1.0.0"})
    with pytest.raises(ConfigurationError) as err:
        check_versions(conn)
    assert "qhost" in err.value.message and "0.0.1 on the server" in err.value.message
    assert "qiskit 1.0.0" not in err.value.message and "1.0.0 on the server" in err.value.message
    assert len(check_versions(conn, strict=False)) == 2  # --ignore-version-mismatch: warn only


def test_worker_cli_exits_with_the_reason(database_url: str) -> None:
    url = f"redis://:pw@127.0.0.1:{free_port()}/0"
    cmd = [*QHOST, "worker", "--broker", url, "--database-url", database_url, "--queue", "aer"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=worker_env())
    assert out.returncode == 1
    assert "Cannot reach the broker redis://:***@127.0.0.1" in out.stderr


def test_serve_broker_without_database_url(redis_url: str, tmp_path: object) -> None:
    from qhost.config import Settings
    from qhost.server.engine_factory import make_engine

    with pytest.raises(ConfigurationError, match="--broker needs --database-url"):
        make_engine(Settings(broker_url=redis_url))


def test_worker_configs_one_per_gpu_and_bad_combinations() -> None:
    from qhost.engine.distributed.launcher import worker_configs
    from qhost.engine.distributed.worker import WorkerConfig

    base = WorkerConfig("redis://h/0", "postgresql+psycopg://u:p@h/d", ("custatevec",))
    assert [c.gpu for c in worker_configs(base, 1, ["0", "1"])] == ["0", "1"]
    assert [c.gpu for c in worker_configs(base, 3, None)] == [None, None, None]
    with pytest.raises(ConfigurationError, match="not both"):
        worker_configs(base, 2, ["0"])
    with pytest.raises(ConfigurationError, match="twice"):
        worker_configs(base, 1, ["0", "0"])
    with pytest.raises(ConfigurationError, match="at least 1"):
        worker_configs(base, 0, None)
