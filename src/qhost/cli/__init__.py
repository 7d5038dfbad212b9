"""The ``qhost`` command, one module per command group: ``main`` (the click group), ``serve``, ``backends``,
``worker`` (``qhost worker``), ``jobs`` (``qhost jobs``), ``watch``, ``env``; ``util`` (logging, tables).

The top of the tree: may import any room of ``qhost``; nothing imports it.
"""
