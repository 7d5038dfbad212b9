"""The job model every room shares: ``JobSpec`` and ``JobRecord`` (what a job is) and ``JobStatus``
(its states and the transition table ``ALLOWED``, the set ``FINAL``); ``records`` holds the other records
several rooms share (``SessionRecord``, ``Deployment``).

Doors, protocols, the engine and the store all import it downward.

May import: qhost.errors.
"""

from __future__ import annotations

from qhost.jobs.spec import JobRecord, JobSpec
from qhost.jobs.status import ALLOWED, FINAL, JobStatus

__all__ = ["ALLOWED", "FINAL", "JobRecord", "JobSpec", "JobStatus"]
