"""The distributed mode: RQ on Redis carries job ids only, SQL stays the truth.

``engine`` (``RqJobEngine``), ``worker`` (``qhost worker``), ``launcher`` (warm child processes), ``common``,
``status`` and ``snapshots`` (workers seen through Redis). Never a front door or HTTP.

May import: qhost.engine, qhost.engine.local, qhost.store, qhost.jobs, qhost.programs, qhost.executors,
qhost.errors.
"""
