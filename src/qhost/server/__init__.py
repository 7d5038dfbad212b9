"""HTTP front doors (Flask blueprints), the app factory and the embeddable ``BackendServer``."""

from __future__ import annotations

__all__: list[str] = []
