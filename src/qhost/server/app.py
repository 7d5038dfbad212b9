"""The Flask app factory: settings, engine and catalog wired together, one blueprint per wire protocol.

``create_app`` layers configuration (``qhost.config`` defaults, environment, ``settings``, ``test_config``),
builds or adopts the ``JobEngine`` and starts it, and stores ``QhostContext`` in ``app.extensions["qhost"]``.
Serve it with waitress: ``qhost serve`` or ``waitress-serve --call qhost.server.app:create_app``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, jsonify, request
from flask.json.provider import DefaultJSONProvider

from qhost.config import Settings
from qhost.engine.chores.retention import Retention
from qhost.protocols.json_input import check_depth
from qhost.server.access_log import install_access_log
from qhost.server.browser import install_browser_guard
from qhost.server.console import register_console
from qhost.server.context import QhostContext, qhost_version
from qhost.server.errors import register_error_handlers
from qhost.server.metrics import register_metrics
from qhost.server.openapi import register_openapi
from qhost.server.qrisp_api import qrisp_bp
from qhost.server.throttle import install_login_throttle
from qhost.server.warm import BackgroundImports

if TYPE_CHECKING:
    from flask import Response

    from qhost.catalog import Catalog
    from qhost.engine import JobEngine

__all__ = ["BoundedJSONProvider", "QhostContext", "create_app", "qhost_version"]

log = logging.getLogger(__name__)


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that ``request.get_json()`` refuses deep nesting (``InputError``) first."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        check_depth(s)
        return super().loads(s, **kwargs)


def create_app(
    settings: Settings | None = None,
    *,
    engine: JobEngine | None = None,
    catalog: Catalog | None = None,
    test_config: dict[str, Any] | None = None,
    background_imports: bool = False,
) -> Flask:
    """Build the qhost WSGI app and start its engine.

    Args:
        settings: base settings (default ``Settings.from_env()``).
        engine: a ready engine to adopt (default: a ``JobEngine`` on ``settings.store_url``).
        catalog: a catalog to adopt (default: built on first use from ``settings.executors``).
        test_config: overrides; keys naming ``Settings`` fields (any case) replace them, other keys go to
            ``app.config`` (``TESTING`` …).
        background_imports: do the heavy imports in a background thread that requests wait for (``qhost
            serve``: its first answer comes sooner). Default: in the calling thread, before returning, so an
            embedding program's own imports never run beside them (see :mod:`qhost.server.warm`).
    """
    settings, flask_config = _layer(settings, test_config)
    _use_cache_dir(settings)
    # heavy imports in one thread; requests that may need them wait for it (see warm.py)
    imports = BackgroundImports(settings.executors)
    imports = imports.start() if background_imports else imports.run_now()
    app = Flask("qhost")
    app.json = BoundedJSONProvider(app)
    app.config.from_mapping(MAX_CONTENT_LENGTH=settings.max_body_bytes, QHOST_SETTINGS=settings)
    app.config.from_mapping(flask_config)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    engine = engine if engine is not None else _make_engine(settings)
    engine.start()
    Retention(settings.retention_days, settings.retention_params_days).install(engine)
    app.extensions["qhost"] = context = QhostContext(settings, engine, catalog)
    context.deployments  # noqa: B018 - its table now, so that retention finds it before the first upload
    context.keys  # noqa: B018 - the install secret now, and rows of old (unsalted) owner ids moved
    install_login_throttle(app)
    app.extensions["qhost_imports"] = imports
    register_error_handlers(app)
    install_access_log(app)
    install_browser_guard(app)  # Host and Content-Type checks before anything else looks at a request
    app.before_request(_await_imports)
    app.add_url_rule("/", "status", _status)
    app.add_url_rule("/version", "version", _version)
    app.register_blueprint(qrisp_bp)
    _register_runtime(app)
    register_openapi(app)
    register_console(app)
    register_metrics(app)
    return app


def _layer(settings: Settings | None, test_config: dict[str, Any] | None) -> tuple[Settings, dict[str, Any]]:
    settings = settings if settings is not None else Settings.from_env()
    names = set(Settings.model_fields)
    config = test_config or {}
    overrides = {key.lower(): value for key, value in config.items() if key.lower() in names}
    flask_config = {key: value for key, value in config.items() if key.lower() not in names}
    return settings.replace(**overrides), flask_config


def _use_cache_dir(settings: Settings) -> None:
    """Per-install caches (device calibrations, the device index) for this process and the workers it spawns.

    An explicit ``QHOST_CACHE_DIR`` wins; else the user's cache directory (``$XDG_CACHE_HOME/qhost``, default
    ``~/.cache/qhost``), so that every data dir (``BackendServer``'s temporary ones too) shares what one
    install computed; else, where that cannot be written, ``<data dir>/cache``.
    """
    from qhost.devices.calibration import set_cache_dir, user_cache_dir

    if user_cache_dir() is None:
        set_cache_dir(_writable(_user_cache_root()) or settings.data_dir / "cache")


def _user_cache_root() -> Path:
    from qhost.config import from_environment

    xdg = from_environment("xdg_cache_home")
    return (xdg or Path.home() / ".cache") / "qhost"


def _writable(path: Path) -> Path | None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".probe-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError:
        return None
    return path


def _make_engine(settings: Settings) -> JobEngine:
    from qhost.server.engine_factory import make_engine

    return make_engine(settings)


def _register_runtime(app: Flask) -> None:
    """The IBM Runtime door (RUNTIME helper): registered when ``qhost.server.runtime_api`` is present."""
    try:
        from qhost.server.runtime_api import register_runtime
    except ImportError as exc:
        if exc.name not in ("qhost.server.runtime_api",):
            raise
        return
    register_runtime(app)
    app.extensions["qhost"].doors["ibm_runtime"] = True


def _version() -> tuple[Response, int]:
    """Cheap identification (clients probe it once; ``GET /`` may build the catalog first)."""
    return jsonify({"name": "qhost", "version": qhost_version()}), 200


def _dispatch(ctx: QhostContext) -> dict[str, Any]:
    """Embedded or distributed; per executor queue, how many workers serve it ("no worker online")."""
    try:  # every device has every executor: no need to build the devices (``entries()``) to name them
        executors = sorted(set(ctx.catalog.executors))
    except Exception:  # the status page must answer even when the catalog cannot be built
        executors = []
    return ctx.engine.dispatch_report(executors)


_NO_WAIT = frozenset({"status", "version"})


def _await_imports() -> None:
    """Before a request that may import qiskit & co.: wait for the background imports (``warm.py``)."""
    if request.endpoint not in _NO_WAIT:
        current_app.extensions["qhost_imports"].wait()


def _status() -> tuple[Response, int]:
    ctx: QhostContext = current_app.extensions["qhost"]
    if ctx.settings.auth_enabled:  # nothing about queues, backends, doors or worker hosts for strangers
        return _version()
    from qhost.devices.index import cached_device_sizes

    if cached_device_sizes() is None:  # the first start of an install: listing imports the fake provider
        current_app.extensions["qhost_imports"].wait()
    try:
        backends: int | None = ctx.catalog.count()
    except Exception:  # the status page must answer even when the catalog cannot be built
        log.exception("catalog unavailable")
        backends = None
    return jsonify(
        {
            "name": "qhost",
            "version": qhost_version(),
            "backends": backends,
            "queue_length": ctx.engine.queue_length(),
            "dispatch": _dispatch(ctx),
            "doors": ctx.doors,
            "auth": ctx.settings.auth_enabled,
        }
    ), 200
