"""HTTP front doors (Flask blueprints), the app factory and the embeddable ``BackendServer``.
A front door: it never imports another door (``qhost.thrift``, ``qhost.client``); what the doors share is
``qhost.doorway``. Only ``qhost.backend_server``, the CLI and the public API import it.

May import: qhost.server.console, qhost.doorway, qhost.engine.*, qhost.store, qhost.programs, qhost.catalog,
qhost.protocols, qhost.executors, qhost.devices, qhost.jobs, qhost.config, qhost.errors.
"""

from __future__ import annotations

__all__: list[str] = []
