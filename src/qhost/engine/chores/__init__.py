"""The engine's chores: periodic housekeeping run by the engine (``schedule``) and job retention
(``retention``).

May import ``qhost.engine`` (repeats), ``qhost.store``, ``qhost.jobs`` and ``qhost.errors``.
"""
