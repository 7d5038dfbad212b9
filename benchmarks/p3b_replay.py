"""P3b restated: the server's capacity for the stock client's exact request mix, without the client's CPU.

1. Capture: the second of two small noisy Sampler jobs (GHZ-2, 100 shots, ``fake_manila@aer``) is run
   through the stock qiskit-ibm-runtime client against a ``qhost serve`` subprocess while every request
   its ``requests`` session sends is recorded (method, path and query, headers, body bytes).
2. Replay: ``--jobs`` jobs from one keep-alive ``http.client`` connection: per job the captured requests
   up to and including ``POST /jobs`` (the captured body, byte for byte); then per job the captured status
   poll until the job is final (as often as needed) and the captured requests after it (results …),
   with the job id substituted. Reported: jobs/s, polls per job, and the server's CPU per job (its whole
   process tree, ``psutil``). One connection means client and server take turns: the figure includes
   the client's own time between requests.
3. The same ``--jobs`` jobs split over ``--clients`` processes, each replaying on its own connection at
   once: the server's capacity when requests wait for it.
4. Beside it, the same jobs end to end through the stock client (all submitted, then all awaited).

With ``--latency`` each tree also reports, for one connection, every request's round trip by kind
(median, p95), the submit requests timed while the jobs run beside them and the rest after they are done.

Steps 2 and 3 run ``--rounds`` times (medians and best reported). With ``--baseline-src DIR`` another
checkout's server is started beside this one and the rounds alternate between the two (same minutes).

Target: >= 250 jobs/s replayed with the noise applied. Step 3 is the server's capacity (requests wait for
the server); step 2 adds each round trip's latency, the client's turn included, to every request.

Usage::

    python benchmarks/p3b_replay.py [--jobs 100] [--rounds 5] [--clients 2] [--baseline-src DIR] [--latency]
        [--out FILE]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
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


class _Connection:
    """One keep-alive ``http.client`` connection sending captured requests (job id substituted)."""

    SKIP = frozenset({"content-length", "host", "connection", "accept-encoding"})

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port)

    def call(self, req: Request, job_id: str | None = None) -> Any:
        path = req["path"] if job_id is None else req["path"].replace("{id}", job_id)
        headers = {k: v for k, v in req["headers"].items() if k.lower() not in self.SKIP}
        self.conn.request(req["method"], path, body=req["body"], headers=headers)
        answer = self.conn.getresponse()
        text = answer.read()
        if answer.status >= 300:
            raise RuntimeError(f"{req['method']} {path}: {answer.status} {text[:200]!r}")
        return json.loads(text) if text else None


def _run_jobs(conn: _Connection, recorded: list[Request], jobs: int) -> int:
    """Submit ``jobs`` jobs, then poll each until final and fetch what follows; returns the polls sent."""
    submit, poll, after = _split(recorded)
    ids = []
    for _ in range(jobs):
        for req in submit:
            answer = conn.call(req)
        ids.append(str(answer["id"]))
    polls = 0
    for job_id in ids:
        while True:
            polls += 1
            status = conn.call(poll, job_id)
            state = status.get("status") or status.get("state", {}).get("status")
            if state in FINAL:
                break
        for req in after:
            conn.call(req, job_id)
    return polls


def replay(url: str, recorded: list[dict[str, Any]], jobs: int, server_pid: int) -> dict[str, Any]:
    """Send the captured mix for ``jobs`` jobs from one keep-alive connection."""
    submit, _, after = _split(recorded)
    conn = _Connection(url)
    cpu = _Cpu(server_pid)
    start = time.perf_counter()
    polls = _run_jobs(conn, recorded, jobs)
    elapsed = time.perf_counter() - start
    conn.conn.close()
    return {
        "jobs_per_s": round(jobs / elapsed, 1),
        "elapsed_s": round(elapsed, 3),
        "polls_per_job": round(polls / jobs, 2),
        "requests_per_job_besides_polls": len(submit) + len(after),
        **cpu.per_job_ms(jobs),
    }


def _quantiles(samples: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(samples) * 1000, 3),
        "p95_ms": round(statistics.quantiles(samples, n=20)[-1] * 1000, 3),
    }


def latency(url: str, recorded: list[Request], jobs: int) -> dict[str, Any]:
    """Each request's round trip from one connection: submits while jobs run, the rest once they are done."""
    submit, poll, after = _split(recorded)
    conn, times = _Connection(url), dict[str, list[float]]()
    ids: list[str] = []
    started = time.perf_counter()

    def timed(req: Request, label: str, job_id: str | None = None) -> Any:
        begin = time.perf_counter()
        answer = conn.call(req, job_id)
        times.setdefault(label, []).append(time.perf_counter() - begin)
        return answer

    for _ in range(jobs):
        for req in submit:
            answer = timed(req, f"submit: {req['method']} {req['path']}")
        ids.append(str(answer["id"]))
    submit_ms = (time.perf_counter() - started) * 1000 / jobs
    time.sleep(1.0)  # every job done: what follows runs with no job beside it
    for job_id in ids:
        timed(poll, f"after: {poll['method']} {poll['path']}", job_id)
        for req in after:
            timed(req, f"after: {req['method']} {req['path']}", job_id)
    conn.conn.close()
    return {"submit_ms_per_job": round(submit_ms, 3), **{k: _quantiles(v) for k, v in times.items()}}


def _client_process(url: str, recorded: list[Request], jobs: int, go: Any, out: Any) -> None:
    conn = _Connection(url)
    conn.call(recorded[0])  # connected and warm before the start signal
    go.wait()
    polls = _run_jobs(conn, recorded, jobs)
    out.put((time.monotonic(), polls))


def replay_concurrent(
    url: str, recorded: list[Request], jobs: int, server_pid: int, clients: int
) -> dict[str, Any]:
    """The same mix from ``clients`` processes at once, each on its own connection (``jobs`` in all).

    The single connection measures the client and the server taking turns; this measures what the
    server carries when requests are waiting for it, as with several users or a threaded client.
    """
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    go, out = ctx.Event(), ctx.Queue()
    shares = [jobs // clients + (1 if i < jobs % clients else 0) for i in range(clients)]
    procs = [ctx.Process(target=_client_process, args=(url, recorded, n, go, out)) for n in shares]
    for proc in procs:
        proc.start()
    time.sleep(3.0)  # every client imported and connected
    cpu = _Cpu(server_pid)
    start = time.monotonic()
    go.set()
    ends = [out.get(timeout=300) for _ in procs]
    elapsed = max(end for end, _ in ends) - start
    for proc in procs:
        proc.join(10)
    server = cpu.per_job_ms(jobs)
    return {
        "clients": clients,
        "jobs_per_s": round(jobs / elapsed, 1),
        "elapsed_s": round(elapsed, 3),
        "polls_per_job": round(sum(p for _, p in ends) / jobs, 2),
        **{k: v for k, v in server.items() if k.startswith("server")},
    }


class _Tree:
    """A ``qhost serve`` of one source tree, warmed up, with the stock client's requests captured."""

    def __init__(self, src: str | None) -> None:
        from qiskit_ibm_runtime import SamplerV2

        from qhost.client.runtime import connect

        self.data_dir = tempfile.TemporaryDirectory()
        self.server = Server(self.data_dir.name, src)
        self.server.first_200()
        service = connect(self.server.url)
        self.backend = service.backend(BACKEND)
        self.circuit = _isa(_ghz(2), self.backend)
        warm = SamplerV2(mode=self.backend)
        for job in [warm.run([(self.circuit, None, 100)]) for _ in range(8)]:  # every worker warm
            job.result()
        self.recorded = capture(service, self.circuit)
        replay(self.server.url, self.recorded, 100, self.server.proc.pid)  # a warm-up round

    def single(self, jobs: int) -> dict[str, Any]:
        return replay(self.server.url, self.recorded, jobs, self.server.proc.pid)

    def concurrent(self, jobs: int, clients: int) -> dict[str, Any]:
        return replay_concurrent(self.server.url, self.recorded, jobs, self.server.proc.pid, clients)

    def latency(self, jobs: int) -> dict[str, Any]:
        return latency(self.server.url, self.recorded, jobs)

    def stock_client(self, jobs: int) -> dict[str, Any]:
        from qiskit_ibm_runtime import SamplerV2

        return _throughput(SamplerV2(mode=self.backend), self.circuit, jobs, self.server.proc.pid)

    def stop(self) -> None:
        self.server.stop()
        self.data_dir.cleanup()


def _summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    rates = [r["jobs_per_s"] for r in rounds]
    keys = [k for k in rounds[0] if k.endswith("_ms_per_job")]
    return {
        "jobs_per_s_median": statistics.median(rates),
        "jobs_per_s_best": max(rates),
        "jobs_per_s_all": rates,
        **{k + "_median": round(statistics.median(r[k] for r in rounds), 3) for k in keys},
    }


def measure(
    trees: dict[str, str | None], jobs: int, rounds: int, clients: int, with_latency: bool = False
) -> dict[str, Any]:
    """Alternate the trees round by round (same minutes, same load), then the stock client once each."""
    started = {label: _Tree(src) for label, src in trees.items()}
    try:
        runs: dict[str, dict[str, list[Any]]] = {t: {"single": [], "concurrent": []} for t in trees}
        for _ in range(rounds):
            for label, tree in started.items():
                runs[label]["single"].append(tree.single(jobs))
                runs[label]["concurrent"].append(tree.concurrent(jobs, clients))
        out: dict[str, Any] = {}
        for label, tree in started.items():
            out[label] = {
                "captured": [f"{r['method']} {r['path']}" for r in tree.recorded],
                "replay_one_connection": _summary(runs[label]["single"]),
                f"replay_{clients}_connections": _summary(runs[label]["concurrent"]),
                "stock_client": tree.stock_client(jobs),
            }
            if with_latency:
                out[label]["latency_one_connection"] = tree.latency(max(jobs, 200))
        return out
    finally:
        for tree in started.values():
            tree.stop()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5, help="replay rounds per tree (medians reported)")
    parser.add_argument("--clients", type=int, default=2, help="connections of the concurrent replay")
    parser.add_argument("--baseline-src", default=None, help="src dir of a baseline checkout, run alongside")
    parser.add_argument("--latency", action="store_true", help="also each request's round trip by kind")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "args": vars(args)}
    trees: dict[str, str | None] = {"after": None}
    if args.baseline_src:
        trees["before"] = args.baseline_src
    report.update(measure(trees, args.jobs, args.rounds, args.clients, args.latency))
    text = json.dumps(report, indent=2, default=str)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
