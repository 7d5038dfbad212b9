"""The web console at ``/console``: devices, workloads, jobs and workers, served by qhost itself.

A front door like the REST blueprints: it reads the engine's store and the catalog and calls
``engine.cancel``; it never talks to workers directly, so it is right in the embedded and the distributed
mode alike. Everything it needs ships in this package (Jinja templates, one stylesheet, one small
script); nothing is fetched from a CDN.

It uses ``qhost.server`` (the context, the Flask login throttle) and ``qhost.doorway`` (keys, token secret);
nothing in qhost imports it but ``qhost.server.app`` (and ``qhost.server.metrics``, for the job listing).

May import: qhost.server, qhost.doorway, qhost.engine, qhost.store, qhost.catalog, qhost.protocols,
qhost.executors, qhost.jobs, qhost.config, qhost.errors.

Example:
    >>> app = create_app()        # registers the console (``register_console``)
    >>> # open http://127.0.0.1:8000/console
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qhost.server.console.access import configure_sessions, no_framing
from qhost.server.console.listing import ensure_indexes
from qhost.server.console.views import console_bp

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["console_bp", "register_console"]


def register_console(app: Flask) -> None:
    """Mount the console on ``app`` (needs ``app.extensions["qhost"]``)."""
    from qhost.server.console.logins import ConsoleLogins

    ctx = app.extensions["qhost"]
    configure_sessions(app, ctx.settings, ConsoleLogins(ctx.engine.store), ctx.keys)
    app.after_request(no_framing)
    ensure_indexes(ctx.engine.store)
    app.register_blueprint(console_bp)
