"""``BackendClient``: Qrisp's REST client, fixed (one session, timeouts, long-poll, real errors).

Talks to a qhost server and to Qrisp 0.4 – 0.8.2's own ``BackendServer``. On first use it asks
``GET /version`` once: a qhost server answers ``{"name": "qhost", ...}``, and the client then submits with
inline ``programs`` and ``?wait=`` (one round trip for a short job). Anything else gets Qrisp's sequence
(deploy, submit, poll ``GET /jobs/<id>/`` with back-off).
"""

from __future__ import annotations

import os
import sys
import threading
import time
import warnings
from typing import Any

import requests

from qhost.client.progress_bar import ProgressBar
from qhost.errors import ServerError, TransportError
from qhost.protocols.qrisp import program_entry

__all__ = ["DEFAULT_PORT", "DEFAULT_TIMEOUT", "DEFAULT_WAIT", "PROGRESS_POLL_S", "BackendClient", "to_qasm"]

DEFAULT_PORT = 9010
"""Port Qrisp's BackendClient and BackendServer default to."""

DEFAULT_TIMEOUT = 30.0
"""Seconds to wait for the server to answer one request (on top of any long-poll wait)."""

DEFAULT_WAIT = 10.0
"""Seconds one long-poll request asks the server to hold the answer until the job is final."""

PROGRESS_POLL_S = 1.0
"""Longest long-poll while a progress bar is shown (so the bar moves at least this often)."""

_BACKOFF = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)


def to_qasm(circuit: Any) -> str:
    """OpenQASM text of a Qiskit ``QuantumCircuit``, a QASM string, or any object with ``.qasm()``."""
    if isinstance(circuit, str):
        return circuit
    if hasattr(circuit, "qasm"):
        return str(circuit.qasm())
    try:
        from qiskit import QuantumCircuit, qasm2
    except ImportError:  # pragma: no cover - qiskit is a dependency
        QuantumCircuit = None  # type: ignore[assignment,misc]  # noqa: N806
    if QuantumCircuit is not None and isinstance(circuit, QuantumCircuit):
        return qasm2.dumps(circuit)
    raise TypeError(
        f"Cannot turn {type(circuit).__name__} into OpenQASM; pass a QuantumCircuit, a string or "
        "an object with .qasm()"
    )


class BackendClient:
    """Run circuits on a Qrisp-style REST server (a qhost server or Qrisp's own ``BackendServer``).

    Args:
        api_endpoint: host name or IP (``"127.0.0.1"``), or a base URL (``"https://host:8443"``).
        port: TCP port (default 9010 like Qrisp; ignored when ``api_endpoint`` already has one).
        token: sent with each job (an API key when the server has keys configured).
        timeout: seconds per request, excluding long-poll time.
        wait: seconds per long-poll request.
        device_name: virtual backend to run on (``"fake_manila@aer"``); ``""`` = the server's default.

    Raises (from ``run`` and friends):
        ServerError: the server answered with an error, or the job failed (``.status_code``, ``.url``).
        TransportError: no connection, or no answer within the timeout.
    """

    def __init__(
        self,
        api_endpoint: str,
        port: int | None = None,
        token: str = "",
        *,
        timeout: float = DEFAULT_TIMEOUT,
        wait: float = DEFAULT_WAIT,
        device_name: str = "",
    ) -> None:
        self.api_endpoint = _base_url(api_endpoint, port)
        self.token = token
        self.timeout = timeout
        self.wait = wait
        self.device_name = device_name
        self._session = _session_for(self.api_endpoint)
        self._qhost: bool | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> BackendClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections (safe to call twice)."""
        self._session.close()

    def run(self, qc: Any, shots: int | None = None, *, progress: bool = False) -> dict[str, int | float]:
        """Run one circuit and return its counts (bitstrings without spaces, clbit 0 rightmost).

        With ``progress=True`` a text progress bar on stderr shows the job's state, elapsed time and (from
        a qhost server) its progress while it waits, polling at least every ``PROGRESS_POLL_S`` seconds.
        """
        if not progress:
            job_id, doc = self._submit(qc, shots, self.wait, self.device_name)
            return self.result(job_id, _first=doc)
        bar = ProgressBar(sys.stderr)
        job_id, doc = self._submit(qc, shots, min(self.wait, PROGRESS_POLL_S), self.device_name)
        try:
            counts = self.result(job_id, _first=doc, _bar=bar)
        except (ServerError, TransportError) as exc:
            bar.close(f"job {job_id}: {exc}")
            raise
        bar.close(f"job {job_id}: finished")
        return counts

    def submit(self, qc: Any, shots: int | None = None, *, device_name: str | None = None) -> str:
        """Submit one circuit and return its job id at once (``device_name`` overrides the client's)."""
        return self._submit(qc, shots, 0.0, self.device_name if device_name is None else device_name)[0]

    def submit_batch(
        self, circuits: list[Any], shots: list[int | None], *, device_name: str | None = None
    ) -> str:
        """Submit ``circuits`` as **one** job (qhost servers only) and return its id at once.

        Raises:
            ServerError: the server is not a qhost server (Qrisp's own runs one program per job), or it
                refused the batch (too many circuits, a circuit too wide, …).
        """
        if not self.is_qhost:
            raise ServerError(f"{self.api_endpoint} is not a qhost server: it takes one circuit per job")
        device = self.device_name if device_name is None else device_name
        programs = [program_entry(to_qasm(qc)) for qc in circuits]
        return str(self._post("/jobs", self._job_body(shots, device, programs=programs))["id"])

    def results(self, job_id: str, timeout: float | None = None) -> list[dict[str, int | float]]:
        """Block until the job is final and return the counts of each of its circuits (see ``result``)."""
        doc = self._final(job_id, timeout, None, None)
        return [_counts(job_id, {"results": [entry]}) for entry in doc.get("results") or [{}]]

    def job(self, job_id: str) -> dict[str, Any]:
        """The job's document now (``GET /jobs/<id>/``; a failed job's too): ``state``, and from a qhost
        server ``qhostStatus``, ``qhostCircuits``, ``qhostProgress``.

        Raises:
            ServerError: no such job (404), or another error answer.
        """
        return self._get_job(job_id, wait=0)[1]

    def metadata(self, device_name: str | None = None) -> dict[str, Any] | None:
        """The backend metadata of a qhost server (``GET /qrisp/backend``), ``None`` from another server."""
        if not self.is_qhost:
            return None
        device = self.device_name if device_name is None else device_name
        url = f"{self.api_endpoint}/qrisp/backend"
        response = self._request("GET", url, params={"deviceName": device}, timeout=self.timeout)
        doc = _json(response, url)
        if response.status_code != 200:
            raise _server_error(response, doc, url)
        return doc

    def status(self, job_id: str) -> str:
        """The job's state: ``queued`` (qhost only), ``running``, ``finished``, ``failed``, ``cancelled``."""
        doc = self._get_job(job_id, wait=0)[1]
        return str(doc.get("qhostStatus") or doc.get("state") or "failed").replace("completed", "finished")

    def cancel(self, job_id: str) -> bool:
        """Cancel a job that is not final yet (qhost servers only); ``False`` when it already was."""
        if not self.is_qhost:
            return False
        try:
            doc = self._post(f"/jobs/{job_id}/cancel", {})
        except ServerError as exc:
            if exc.status_code == 409:
                return False
            raise
        return doc.get("state") == "cancelled"

    def result(
        self,
        job_id: str,
        timeout: float | None = None,
        *,
        _first: dict[str, Any] | None = None,
        _bar: ProgressBar | None = None,
    ) -> dict[str, int | float]:
        """Block until the job is final and return its counts.

        While the server says the job cannot start (``qhostMessage``, e.g. "no worker online for queue
        'aer'"), a ``RuntimeWarning`` with that text is issued once per job (and the progress bar shows
        it); the call keeps waiting, up to ``timeout`` when given.

        Raises:
            ServerError: the job failed or was cancelled (with the server's message).
            TransportError: ``timeout`` seconds passed first, or the connection failed.
        """
        return _counts(job_id, self._final(job_id, timeout, _first, _bar))

    def _final(
        self,
        job_id: str,
        timeout: float | None,
        _first: dict[str, Any] | None,
        _bar: ProgressBar | None,
    ) -> dict[str, Any]:
        """The job's document once it is finished (see ``result`` for the errors)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        doc, polls, warned = _first, 0, False
        most = self.wait if _bar is None else min(self.wait, PROGRESS_POLL_S)
        while doc is None or doc.get("state") != "finished":
            note = doc.get("qhostMessage") if doc is not None else None
            if note and not warned:  # e.g. "no worker online for queue 'aer': ..." (once per job)
                warnings.warn(f"Job {job_id} is waiting: {note}", RuntimeWarning, stacklevel=2)
                warned = True
            if _bar is not None and doc is not None:
                state = str(doc.get("qhostStatus") or doc.get("state"))
                _bar.update(state, doc.get("qhostProgress"), note=note)
            if doc is not None and doc.get("state") in ("failed", "cancelled"):
                raise ServerError(
                    str(doc.get("message") or f"Job {job_id} {doc['state']}"),
                    status_code=200,
                    url=self._job_url(job_id),
                )
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TransportError(f"Job {job_id} not finished within {timeout} s")
            wait = most if left is None else min(most, left)
            started = time.monotonic()
            doc = self._poll(job_id, wait)
            if doc.get("state") == "running" and time.monotonic() - started < wait / 2:
                time.sleep(_BACKOFF[min(polls, len(_BACKOFF) - 1)])  # the server does not long-poll
                polls += 1
        if _bar is not None:
            _bar.update("completed", doc.get("qhostProgress"))
        return doc

    def _submit(
        self, qc: Any, shots: int | None, wait: float, device: str
    ) -> tuple[str, dict[str, Any] | None]:
        qasm = to_qasm(qc)
        if self.is_qhost:
            body = self._job_body(shots, device, programs=[program_entry(qasm)])
            doc = self._post("/jobs", body, wait=wait)
            return str(doc["id"]), doc if "state" in doc and "jobState" not in doc else None
        deployment = self._post("/deployments", {"programs": [program_entry(qasm)], "name": ""})
        job = self._post("/jobs", self._job_body(shots, device, deployment_id=deployment["id"]))
        return str(job["id"]), None

    @property
    def is_qhost(self) -> bool:
        """Whether the server is a qhost server (asked once with ``GET /version``)."""
        with self._lock:
            if self._qhost is None:
                self._qhost = self._probe()
            return self._qhost

    def _probe(self) -> bool:
        try:
            response = self._session.get(self.api_endpoint + "/version", timeout=self.timeout)
            return response.status_code == 200 and response.json().get("name") == "qhost"
        except requests.RequestException as exc:
            raise _transport_error(self.api_endpoint + "/version", exc) from exc
        except ValueError:
            return False

    def _poll(self, job_id: str, wait: float) -> dict[str, Any]:
        status_code, doc = self._get_job(job_id, wait)
        if status_code != 201 and doc.get("state") not in ("failed", "cancelled"):
            message = doc.get("message") or f"Job {job_id} failed (HTTP {status_code})"
            raise ServerError(str(message), status_code=status_code, url=self._job_url(job_id))
        return doc

    def _get_job(self, job_id: str, wait: float) -> tuple[int, dict[str, Any]]:
        url = self._job_url(job_id)
        params = {"wait": f"{wait:g}"} if wait and self.is_qhost else None
        response = self._request("GET", url, params=params, timeout=self.timeout + (wait or 0))
        doc = _json(response, url)
        if response.status_code not in (200, 201):
            raise _server_error(response, doc, url)
        return response.status_code, doc

    def _job_url(self, job_id: str) -> str:
        return f"{self.api_endpoint}/jobs/{job_id}/"

    def _job_body(
        self,
        shots: int | None | list[int | None],
        device: str,
        *,
        programs: list[dict[str, str]] | None = None,
        deployment_id: Any = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": "",
            "providerName": "",
            "deviceName": device,
            "shots": shots,
            "token": self.token,
            "type": "RUNNER",
            "deploymentId": deployment_id,
        }
        if programs is not None:
            body["programs"] = programs
        return body

    def _post(self, path: str, body: dict[str, Any], *, wait: float = 0) -> dict[str, Any]:
        url = self.api_endpoint + path
        params = {"wait": f"{wait:g}"} if wait else None
        response = self._request("POST", url, json=body, params=params, timeout=self.timeout + wait)
        doc = _json(response, url)
        if response.status_code not in (200, 201) or "id" not in doc:
            raise _server_error(response, doc, url)
        return doc

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
        try:
            return self._session.request(method, url, headers=headers, **kwargs)
        except requests.RequestException as exc:
            raise _transport_error(url, exc) from exc


def _session_for(base_url: str) -> requests.Session:
    """A ``requests.Session`` with the environment's settings for ``base_url`` resolved once.

    With ``trust_env`` requests re-reads them on every request (proxy variables and the no-proxy check,
    ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE``, ``~/.netrc``): about 0.15 ms of client CPU per job.
    The same settings, read when the client is made, then apply to every request.
    """
    session = requests.Session()
    proxies = requests.utils.get_environ_proxies(base_url)  # empty when no_proxy covers the host
    verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    auth = requests.utils.get_netrc_auth(base_url)
    session.trust_env = False
    session.proxies.update(proxies)
    if verify:
        session.verify = verify
    if auth:
        session.auth = auth
    return session


def _base_url(api_endpoint: str, port: int | None) -> str:
    if "://" in api_endpoint:
        base = api_endpoint.rstrip("/")
        has_port = ":" in base.split("://", 1)[1].split("/", 1)[0].rsplit("]", 1)[-1]
        return base if has_port or port is None else f"{base}:{port}"
    host = f"[{api_endpoint}]" if ":" in api_endpoint and not api_endpoint.startswith("[") else api_endpoint
    return f"http://{host}:{port or DEFAULT_PORT}"


def _json(response: requests.Response, url: str) -> dict[str, Any]:
    try:
        doc = response.json()
    except ValueError:
        text = response.text.strip().replace("\n", " ")[:200]
        raise ServerError(
            f"HTTP {response.status_code} from {url}, not JSON: {text!r}",
            status_code=response.status_code,
            url=url,
        ) from None
    return doc if isinstance(doc, dict) else {"value": doc}


def _server_error(response: requests.Response, doc: dict[str, Any], url: str) -> ServerError:
    message = doc.get("message") or doc.get("error") or f"HTTP {response.status_code} from {url}"
    return ServerError(str(message), status_code=response.status_code, url=url)


def _transport_error(url: str, exc: requests.RequestException) -> TransportError:
    kind = "timed out" if isinstance(exc, requests.Timeout) else "failed"
    return TransportError(f"Request to {url} {kind}: {exc}")


def _counts(job_id: str, doc: dict[str, Any]) -> dict[str, int | float]:
    results = doc.get("results") or []
    if not results or not isinstance(results[0], dict) or "results" not in results[0]:
        raise ServerError(
            f"Job {job_id} finished without results (the server's run function probably raised)"
        )
    return {str(k).replace(" ", ""): v for k, v in results[0]["results"].items()}
