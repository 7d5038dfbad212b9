"""P3b restated: the server's capacity for the stock client's exact request mix, without the client's CPU.

1. Capture: the second of two small noisy Sampler jobs (GHZ-2, 100 shots, ``fake_manila@aer``) is run
   through the stock qiskit-ibm-runtime client against a ``qhost serve`` subprocess while every request
   its ``requests`` session sends is recorded (method, path and query, headers, body bytes).
2. Replay: ``--jobs`` jobs from one keep-alive ``http.client`` connection: per job the captured requests
   up to and including ``POST /jobs`` (the captured body, byte for byte); then per job the captured status
   poll until the job is final (as often as needed) and the captured requests after it (results …),
   with the job id substituted. Reported: jobs/s, polls per job, and the server's CPU per job (its whole
   process tree, ``psutil``).
3. Beside it, the same jobs end to end through the stock client (all submitted, then all awaited).

Target: >= 250 jobs/s replayed with the noise applied. With ``--baseline-src DIR`` the same is measured on
another checkout's server in the same run.

Usage::

    python benchmarks/p3b_replay.py [--jobs 100] [--baseline-src DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cold_start import Server  # noqa: E402
from p3_runtime import _Cpu, _ghz, _isa, _throughput  # noqa: E402

__all__ = ["main"]

BACKEND = "fake_manila@aer"
FINAL = {"Completed", "Failed", "Cancelled", "DONE", "ERROR", "CANCELLED"}


def capture(service: Any, circuit: Any) -> list[dict[str, Any]]:
    """The requests the stock client sends for one Sampler job (submit, polls, results)."""
    import requests
    from qiskit_ibm_runtime import SamplerV2

    recorded: list[dict[str, Any]] = []
    original = requests.Session.send

    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        parts = urlsplit(request.url)
        body = request.body.encode() if isinstance(request.body, str) else request.body
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = dict(request.headers)
        recorded.append({"method": request.method, "path": path, "headers": headers, "body": body})
        return original(self, request, **kwargs)

    sampler = SamplerV2(mode=service.backend(BACKEND))
    sampler.run([(circuit, None, 100)]).result()  # the backend's one-off requests (properties) go here
    requests.Session.send = send  # type: ignore[method-assign]
    try:
        job = sampler.run([(circuit, None, 100)])
        job.result()
    finally:
        requests.Session.send = original  # type: ignore[method-assign]
    for req in recorded:
        req["path"] = req["path"].replace(job.job_id(), "{id}")
    return recorded


Request = dict[str, Any]


def _split(recorded: list[Request]) -> tuple[list[Request], Request, list[Request]]:
    """(requests up to and including POST /jobs, the status poll, the requests after the last poll)."""
    post = next(i for i, r in enumerate(recorded) if r["method"] == "POST" and r["path"].endswith("/jobs"))
    polls = [
        i
        for i, r in enumerate(recorded)
        if r["method"] == "GET" and r["path"].split("?")[0].endswith("/{id}")
    ]
    if not polls:
        raise RuntimeError(f"no status poll captured: {[r['path'] for r in recorded]}")
    after = [r for r in recorded[polls[-1] + 1 :] if "{id}" in r["path"]]
    return recorded[: post + 1], recorded[polls[0]], after


def replay(url: str, recorded: list[dict[str, Any]], jobs: int, server_pid: int) -> dict[str, Any]:
    """Send the captured mix for ``jobs`` jobs from one keep-alive connection."""
    submit, poll, after = _split(recorded)
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port)
    skip = {"content-length", "host", "connection", "accept-encoding"}

    def call(req: dict[str, Any], job_id: str | None = None) -> Any:
        path = req["path"] if job_id is None else req["path"].replace("{id}", job_id)
        headers = {k: v for k, v in req["headers"].items() if k.lower() not in skip}
        conn.request(req["method"], path, body=req["body"], headers=headers)
        answer = conn.getresponse()
        text = answer.read()
        if answer.status >= 300:
            raise RuntimeError(f"{req['method']} {path}: {answer.status} {text[:200]!r}")
        return json.loads(text) if text else None

    cpu = _Cpu(server_pid)
    start = time.perf_counter()
    ids = []
    for _ in range(jobs):
        for req in submit:
            answer = call(req)
        ids.append(str(answer["id"]))
    polls = 0
    for job_id in ids:
        while True:
            polls += 1
            status = call(poll, job_id)
            state = status.get("status") or status.get("state", {}).get("status")
            if state in FINAL:
                break
        for req in after:
            call(req, job_id)
    elapsed = time.perf_counter() - start
    conn.close()
    return {
        "jobs_per_s": round(jobs / elapsed, 1),
        "elapsed_s": round(elapsed, 3),
        "polls_per_job": round(polls / jobs, 2),
        "requests_per_job_besides_polls": len(submit) + len(after),
        **cpu.per_job_ms(jobs),
    }


def measure(src: str | None, jobs: int) -> dict[str, Any]:
    from qiskit_ibm_runtime import SamplerV2

    from qhost.client.runtime import connect

    with tempfile.TemporaryDirectory() as data_dir:
        server = Server(data_dir, src)
        try:
            server.first_200()
            service = connect(server.url)
            backend = service.backend(BACKEND)
            circuit = _isa(_ghz(2), backend)
            warm = SamplerV2(mode=backend)
            for job in [warm.run([(circuit, None, 100)]) for _ in range(8)]:  # every worker warm
                job.result()
            recorded = capture(service, circuit)
            out = {
                "captured": [f"{r['method']} {r['path']}" for r in recorded],
                "replay": replay(server.url, recorded, jobs, server.proc.pid),
                "stock_client": _throughput(SamplerV2(mode=backend), circuit, jobs, server.proc.pid),
            }
            out["replay_again"] = replay(server.url, recorded, jobs, server.proc.pid)
            return out
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--baseline-src", default=None, help="src dir of a baseline checkout, run alongside")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "args": vars(args)}
    report["after"] = measure(None, args.jobs)
    if args.baseline_src:
        report["before"] = measure(args.baseline_src, args.jobs)
    text = json.dumps(report, indent=2, default=str)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
