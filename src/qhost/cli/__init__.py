"""The ``qhost`` command, one module per command group: ``main`` (the click group), ``serve``, ``backends``,
``worker`` (``qhost worker``), ``jobs`` (``qhost jobs``), ``watch``, ``env``; ``util`` (logging, tables).

The top of the tree: nothing imports it.

May import: qhost.*.
"""
