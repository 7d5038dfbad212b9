"""Start-up: heavy modules are imported once, in one thread (a background one for ``qhost serve``), and
every request that may need them waits for it, so requests never race on imports (``GET /`` answers at once).

Before: about 1 in 500 jobs sent while ``qhost serve`` started failed with 503 ``executor_unavailable …
_DeadlockError: deadlock detected by _ModuleLock('qiskit.providers.exceptions')``, and nothing was logged.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest

from qhost.errors import ExecutorUnavailable

CHECK = r"""
import json, sys, tempfile
from pathlib import Path
from qhost.config import Settings
from qhost.server.app import create_app
heavy = ["qiskit.providers.exceptions", "qiskit.qpy", "qiskit_aer", "qiskit_ibm_runtime.fake_provider"]
assert not any(m in sys.modules for m in heavy), [m for m in heavy if m in sys.modules]
settings = Settings(data_dir=Path(tempfile.mkdtemp()), worker_mode="thread", executors=("aer",))
app = create_app(settings, background_imports=True)  # as ``qhost serve`` builds it
client = app.test_client()
assert client.get("/version").status_code == 200  # answers without waiting for the imports
assert client.get("/api/v1/backends").status_code in (200, 401)  # waits for them first
print(json.dumps({m: m in sys.modules for m in heavy}))
app.extensions["qhost"].close()
"""


@pytest.mark.slow
def test_heavy_modules_are_imported_before_a_request_that_needs_them() -> None:
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert all(loaded.values()), loaded


def test_a_5xx_is_logged_with_its_traceback(caplog: pytest.LogCaptureFixture, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from qhost.config import Settings
    from qhost.server.app import create_app

    app = create_app(Settings(data_dir=tmp_path, worker_mode="thread", executors=("aer",)))
    try:

        def broken() -> None:
            raise ExecutorUnavailable("Executor 'aer' is unavailable: simulated")

        app.add_url_rule("/broken", "broken", broken)
        with caplog.at_level(logging.ERROR):
            resp = app.test_client().get("/broken")
        assert resp.status_code == 503
        records = [r for r in caplog.records if "executor_unavailable" in r.getMessage()]
        assert records and records[0].exc_info is not None, caplog.text
    finally:
        app.extensions["qhost"].close()


EMBEDDED = r"""
import json, sys, tempfile
from pathlib import Path
from qhost.config import Settings
from qhost.server.app import create_app
heavy = ["qiskit.providers.exceptions", "qiskit.qpy", "qiskit_aer", "qiskit_ibm_runtime.fake_provider"]
app = create_app(Settings(data_dir=Path(tempfile.mkdtemp()), worker_mode="thread", executors=("aer",)))
print(json.dumps({m: m in sys.modules for m in heavy}))
app.extensions["qhost"].close()
"""


@pytest.mark.slow
def test_an_embedded_app_does_its_imports_before_create_app_returns() -> None:
    # the embedding program's own imports must never run beside ours: two threads importing qiskit's
    # extension modules at once crashed test processes (segfault) while the imports ran in the background
    out = subprocess.run([sys.executable, "-c", EMBEDDED], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert all(loaded.values()), loaded


_FREEZE_CHILD = """
import gc
from qhost.server.warm import BackgroundImports
BackgroundImports(["aer"]).run_now()
embedded = gc.get_freeze_count()
imports = BackgroundImports(["aer"]).start()
imports.wait(120)
print(embedded, gc.get_freeze_count())
"""


def test_only_qhost_serve_freezes_its_heap_after_the_imports() -> None:
    out = subprocess.run([sys.executable, "-c", _FREEZE_CHILD], capture_output=True, text=True, timeout=180)
    embedded, served = (int(n) for n in out.stdout.split())
    assert embedded == 0  # an embedding program's heap is never frozen by us
    assert served > 10_000  # qhost serve's imports are kept out of every later garbage collection
