"""``python -m qhost`` runs the ``qhost`` command.

May import: qhost.cli.
"""

from __future__ import annotations

from qhost.cli.main import main

__all__: list[str] = []

if __name__ == "__main__":
    main()
