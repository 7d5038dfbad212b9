"""The distributed mode: RQ on Redis carries job ids only, SQL stays the truth.

``engine`` (``RqJobEngine``), ``worker`` (``qhost worker``), ``launcher`` (warm child processes), ``common``,
``status`` and ``snapshots`` (workers seen through Redis). May import ``qhost.engine`` and its ``local`` pool,
``qhost.store``, ``qhost.jobs``, programs, executors and ``qhost.errors``; never a front door or HTTP.
"""
