"""The local worker pool: warm worker processes (``workers``, ``worker_process``), the bounded thread pool for
user ``run_func``s (``thread_pool``) and the workers' address-space cap (``memory_floor``).

It uses ``qhost.engine`` for the pool interface and run_func, and runs programs by name; never the
distributed mode, a front door or HTTP.

May import: qhost.engine, qhost.store, qhost.jobs, qhost.programs, qhost.executors, qhost.errors.
"""
