"""Every table name of the store, defined once (the rest of qhost names tables only through these).

The ``jobs`` and ``job_progress`` tables are defined with each ``SqlStore`` (``schema.define_jobs``,
``progress.define_progress``); the others when the room that uses them first asks (``sessions``,
``deployments``, ``keys``, ``logins``, ``claims``). ``RETENTION_COLUMN`` is the ``Table.info`` key by which
a table says which column makes its rows old (retention deletes them after ``QHOST_RETENTION_DAYS``).
"""

from __future__ import annotations

__all__ = [
    "CONSOLE_LOGINS",
    "IBM_SESSIONS",
    "INSTALL_SECRETS",
    "JOBS",
    "JOB_PROGRESS",
    "JOB_RUNS",
    "QRISP_DEPLOYMENTS",
    "RETENTION_COLUMN",
]

JOBS = "jobs"
"""Every job: spec, status, times, result (``schema.define_jobs``)."""
JOB_PROGRESS = "job_progress"
"""How far a running job has got (``progress.define_progress``)."""
JOB_RUNS = "job_runs"
"""Where a job ran in distributed mode (``claims.runs_table``)."""
IBM_SESSIONS = "ibm_sessions"
"""IBM Runtime sessions and batches (``sessions.SessionRows``)."""
QRISP_DEPLOYMENTS = "qrisp_deployments"
"""Circuits Qrisp clients upload before a job (``deployments.DeploymentRows``)."""
INSTALL_SECRETS = "qhost_install_secrets"
"""Install secrets, e.g. the one owner ids are derived with (``keys.install_secret``)."""
CONSOLE_LOGINS = "console_logins"
"""Console sign-ins kept server-side (``logins.LoginRows``)."""
RETENTION_COLUMN = "qhost_retention_column"
"""``Table.info`` key: the column whose time makes a row old (its rows go after ``days``, like jobs; the
table needs an ``id`` primary key, by which the rows are deleted in batches)."""
