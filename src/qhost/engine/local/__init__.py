"""The local worker pool: warm worker processes (``workers``, ``worker_process``), the bounded thread pool for
user ``run_func``s (``thread_pool``) and the workers' address-space cap (``memory_floor``).

May import ``qhost.engine`` (the pool interface, run_func), ``qhost.store``, ``qhost.jobs``, programs (by
name), executors and ``qhost.errors``; never the distributed mode, a front door or HTTP.
"""
