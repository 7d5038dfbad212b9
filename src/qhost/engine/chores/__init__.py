"""The engine's chores: periodic housekeeping run by the engine (``schedule``) and job retention
(``retention``).

May import: qhost.engine, qhost.store, qhost.jobs, qhost.errors.
"""
