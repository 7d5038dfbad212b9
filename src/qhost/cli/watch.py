"""``qhost watch JOB_ID``: follow one job on a running server with a progress bar until it is final.

It reads the job through the IBM Runtime door (``GET /api/v1/jobs/<id>?exclude_params=true``, which
long-polls while the job is pending and carries qhost's ``progress`` object), so it works for every
program (counts, sampler, estimator, executor). A queued job no worker can take shows the server's
reason ("no worker online …") in the bar. Exit status: 0 completed, 1 failed or cancelled, 2 the
job or server could not be read (unknown id, wrong key, no server).
"""

from __future__ import annotations

import sys
import time
from typing import Any

import click

__all__ = ["register", "watch_job"]

_FINAL_EXIT = {"completed": 0, "failed": 1, "cancelled": 1}
_POLL_FLOOR_S = 0.2  # a server that answers at once (hold disabled) is polled no faster than this


class WatchError(Exception):
    """The job or server could not be read (message for the user)."""


def _fetch(session: Any, url: str, headers: dict[str, str], timeout: float) -> dict[str, Any]:
    import requests

    try:
        response = session.get(url, params={"exclude_params": "true"}, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        raise WatchError(f"cannot reach {url}: {exc}") from None
    try:
        doc = response.json()
    except ValueError:
        raise WatchError(f"HTTP {response.status_code} from {url}, not JSON") from None
    if response.status_code != 200:
        errors = doc.get("errors") if isinstance(doc, dict) else None
        message = errors[0].get("message") if errors and isinstance(errors[0], dict) else None
        raise WatchError(f"HTTP {response.status_code} from {url}: {message or doc}")
    return doc  # type: ignore[no-any-return]


def watch_job(
    url: str, job_id: str, api_key: str | None, *, timeout: float = 60.0
) -> tuple[str, dict[str, Any]]:
    """Poll the job until it is final, drawing a bar on stderr; returns ``(state, last job JSON)``.

    Raises:
        WatchError: the server could not be reached or refused (unknown job, bad key).
    """
    import requests

    from qhost.client.progress_bar import ProgressBar

    job_url = f"{url.rstrip('/')}/api/v1/jobs/{job_id}"
    headers = {"Authorization": f"apikey {api_key}"} if api_key else {}
    bar = ProgressBar(sys.stderr)
    with requests.Session() as session:
        while True:
            started = time.monotonic()
            doc = _fetch(session, job_url, headers, timeout)
            state = str(doc.get("status", "")).lower()
            note = (doc.get("state") or {}).get("reason") if state == "queued" else None
            bar.update(state, doc.get("progress"), note=note)
            if state in _FINAL_EXIT:
                bar.close()
                return state, doc
            time.sleep(max(0.0, _POLL_FLOOR_S - (time.monotonic() - started)))


def register(main: click.Group) -> None:
    """Add ``qhost watch`` to the ``qhost`` command group."""

    @main.command()
    @click.argument("job_id")
    @click.option(
        "--url", default="http://127.0.0.1:8000", show_default=True, envvar="QHOST_URL",
        help="Base URL of the qhost server [env QHOST_URL].",
    )  # fmt: skip
    @click.option("--api-key", default=None, envvar="QHOST_API_KEY", help="API key [env QHOST_API_KEY].")
    def watch(job_id: str, url: str, api_key: str | None) -> None:
        """Show a job's progress until it is final; exit 0 when completed, 1 when failed or cancelled."""
        try:
            state, doc = watch_job(url, job_id, api_key)
        except WatchError as exc:
            click.echo(f"qhost watch: {exc}", err=True)
            sys.exit(2)
        reason = (doc.get("state") or {}).get("reason")
        click.echo(f"job {job_id}: {state}" + (f": {reason}" if reason else ""))
        sys.exit(_FINAL_EXIT[state])
