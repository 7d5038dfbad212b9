"""HTTP front doors (Flask blueprints), the app factory and the embeddable ``BackendServer``.
May import anything below (engine, programs, catalog, protocols, config, errors); only the CLI and the
public API import it.
"""

from __future__ import annotations

__all__: list[str] = []
