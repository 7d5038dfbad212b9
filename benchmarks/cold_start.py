"""Cold paths: a server's first answer, and the first job on a device, side by side with local testing mode.

serve   ``qhost serve`` from process start to its first ``200`` on ``GET /`` (wall time, and the CPU the
        server process itself used), ``--runs`` times on a data dir whose per-install cache is built
        (after one start that builds it), and once on an empty data dir (the very first start of an
        install). Target: <= 1.5 s.
first   The first GHZ-5 Sampler job (1000 shots, ISA-transpiled in this process beforehand) on each device
        not used since the server started, through the stock qiskit-ibm-runtime client: server-side
        (``execution_seconds`` the executor reports, and the worker's running -> finished span from
        ``job.metrics()``) and end to end (``SamplerV2.run(...).result()``); then the median of three more
        jobs on it (warm). The server's workers are warmed on ``ideal@aer`` first, and the calibration
        cache of the data dir is built beforehand (a per-install cost, reported by ``serve``'s first
        start). Targets: first job <= 150 ms server-side on every device, <= 300 ms end to end.
local   IBM's local testing mode, ``SamplerV2(mode=FakeX())``, first and second job, for ``--devices``.
sweep   (``--sweep``) the first-job server-side and end-to-end time on every fake device, each GHZ transpiled
        for the target the stock client builds from qhost (as a user would); the worst is reported.

With ``--baseline-src DIR`` (the ``src`` directory of another checkout, e.g. a ``git worktree`` of the
commit before) ``serve`` and ``first`` also run that tree's server in the same run, for before/after
ratios.

Usage::

    python benchmarks/cold_start.py [--devices fake_manila,fake_sherbrooke,fake_torino,fake_fez]
        [--runs 3] [--sweep] [--baseline-src DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from p3_runtime import _ghz, _isa, _span  # noqa: E402

__all__ = ["main"]

DEVICES = "fake_manila,fake_sherbrooke,fake_torino,fake_fez"
SHOTS = 1000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(src: str | None) -> dict[str, str]:
    env = {**os.environ, "QHOST_EXECUTORS": "aer", "QHOST_PROCESS_WORKERS": "2"}
    env.pop("QHOST_CACHE_DIR", None)
    if src:
        env["PYTHONPATH"] = src
    return env


class Server:
    """``qhost serve`` in a subprocess on a free port, started from ``src`` (None: this checkout)."""

    def __init__(self, data_dir: str, src: str | None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "qhost", "serve", "--port", str(self.port), "--data-dir", data_dir]
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [*cmd, "--log-level", "WARNING"],
            env=_env(src),
            start_new_session=True,
            stderr=subprocess.DEVNULL,
        )

    def first_200(self, timeout: float = 120.0) -> tuple[float, float]:
        """Seconds from process start to the first 200 on ``GET /``, and the server process's CPU seconds."""
        import psutil

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=5) as answer:
                    if answer.status == 200:
                        wall = time.perf_counter() - self.started
                        cpu = psutil.Process(self.proc.pid).cpu_times()
                        return wall, cpu.user + cpu.system
            except OSError:
                time.sleep(0.002)
        raise RuntimeError("qhost serve did not answer")

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)


def serve_start(src: str | None, runs: int) -> dict[str, Any]:
    """First start on an empty data dir, then ``runs`` starts on the same (now cached) data dir."""
    with tempfile.TemporaryDirectory() as data_dir:
        out: dict[str, Any] = {}
        for i in range(runs + 1):
            server = Server(data_dir, src)
            try:
                wall, cpu = server.first_200()
            finally:
                server.stop()
            if i == 0:
                out["first_start_of_install"] = {"wall_s": round(wall, 3), "server_cpu_s": round(cpu, 3)}
            else:
                out.setdefault("walls", []).append(round(wall, 3))
                out.setdefault("cpus", []).append(round(cpu, 3))
        out["median_wall_s"] = statistics.median(out["walls"])
        out["median_server_cpu_s"] = statistics.median(out["cpus"])
        return out


def _prime_calibrations(data_dir: str, src: str | None, devices: list[str]) -> float:
    """Build the per-install calibration cache of ``devices`` (what a first job would otherwise build)."""
    code = (
        "import sys\nfrom qhost.devices.calibration import set_cache_dir\nfrom qhost.catalog import Catalog\n"
        f"set_cache_dir({str(Path(data_dir) / 'cache')!r})\n"
        "for name in sys.argv[1:]:\n    Catalog().device(name).calibration()\n"
    )
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *devices], env=_env(src), check=True)
    return time.perf_counter() - start


def _isa_circuits(devices: list[str]) -> dict[str, Any]:
    """GHZ-5 (GHZ-n on devices with n < 5 qubits) transpiled for each device."""
    from qiskit.transpiler import generate_preset_pass_manager

    from qhost.devices import fake_device_classes

    out = {}
    for name in devices:
        backend = fake_device_classes()[name]()
        pm = generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=1)
        try:
            out[name] = pm.run(_ghz(min(5, backend.num_qubits)))
        except Exception as exc:  # noqa: BLE001 - a device qiskit cannot transpile GHZ for is skipped
            print(f"skipping {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
    return out


def _client_isa(service: Any, name: str, backend: Any) -> tuple[Any, Any]:
    """(backend, GHZ-5 transpiled for the target the stock client built for it).

    The client drops "fractional" gates from a backend unless asked (``use_fractional_gates``); on the
    oldest devices that includes u2/u3, leaving no way to write an H. Those are asked for again with
    the fractional gates kept, as a user of such a device would.
    """
    circuit = _ghz(min(5, backend.num_qubits))
    try:
        return backend, _isa(circuit, backend)
    except Exception:  # noqa: BLE001 - e.g. "Unable to translate ... to the target basis {u1, id, cx}"
        backend = service.backend(f"{name}@aer", use_fractional_gates=True)
        backend.target  # noqa: B018 - built before the job, as for the others
        return backend, _isa(circuit, backend)


def _one_job(backend: Any, circuit: Any) -> dict[str, float]:
    """One Sampler job through the stock client (its backend object, and so its target, built before)."""
    from qiskit_ibm_runtime import SamplerV2

    sampler = SamplerV2(mode=backend)
    start = time.perf_counter()
    job = sampler.run([(circuit, None, SHOTS)])
    result = job.result()
    e2e = time.perf_counter() - start
    return {
        "end_to_end_ms": round(1000 * e2e, 1),
        "worker_span_ms": round(1000 * _span(job), 1),
        "execution_ms": round(1000 * result.metadata["simulator"]["execution_seconds"], 1),
    }


def first_jobs(
    src: str | None, devices: list[str], circuits: dict[str, Any], warm: int = 3
) -> dict[str, Any]:
    """Per device: the first job after the server started, then the median of ``warm`` more."""
    from qhost.client.runtime import connect

    with tempfile.TemporaryDirectory() as data_dir:
        prime_s = _prime_calibrations(data_dir, src, devices) if src is None else None
        server = Server(data_dir, src)
        try:
            server.first_200()
            service = connect(server.url)
            backends = {name: service.backend(f"{name}@aer") for name in ["ideal", *devices]}
            for backend in backends.values():
                backend.target  # noqa: B018 - the client builds it once per backend object, not per job
            ideal = _ghz(5)
            for _ in range(4):  # warm both workers (imports, executors) on a device we do not measure
                _one_job(backends["ideal"], ideal)
            out: dict[str, Any] = {"calibration_prime_s": prime_s, "devices": {}}
            for name in devices:
                try:
                    if name not in circuits:  # transpiled against the target the client built from qhost
                        backends[name], circuits[name] = _client_isa(service, name, backends[name])
                except Exception as exc:  # noqa: BLE001 - a device qiskit cannot transpile GHZ for
                    out.setdefault("skipped", {})[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
                    continue
                try:
                    first = _one_job(backends[name], circuits[name])
                except Exception as exc:  # noqa: BLE001 - e.g. the client's target refuses the circuit
                    out.setdefault("failed", {})[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
                    continue
                later = [_one_job(backends[name], circuits[name]) for _ in range(warm)]
                out["devices"][name] = {"first": first}
                if later:
                    median = {k: statistics.median(r[k] for r in later) for k in first}
                    out["devices"][name]["warm_median"] = median
            return out
        finally:
            server.stop()


def local_mode(devices: list[str], circuits: dict[str, Any]) -> dict[str, Any]:
    """IBM local testing mode: a new fake backend, its first and second job (end to end, this process)."""
    from qiskit_ibm_runtime import SamplerV2

    from qhost.devices import fake_device_classes

    out = {}
    for name in devices:
        sampler = SamplerV2(mode=fake_device_classes()[name]())
        times = []
        for _ in range(2):
            start = time.perf_counter()
            sampler.run([(circuits[name], None, SHOTS)]).result()
            times.append(round(1000 * (time.perf_counter() - start), 1))
        out[name] = {"first_ms": times[0], "second_ms": times[1]}
    return out


def _worst(result: dict[str, Any], key: str) -> tuple[str, float]:
    name, rows = max(result["devices"].items(), key=lambda item: item[1]["first"][key])
    return name, rows["first"][key]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", default=DEVICES, help="comma-separated fake devices")
    parser.add_argument("--runs", type=int, default=3, help="serve starts on a cached data dir")
    parser.add_argument("--sweep", action="store_true", help="also the first job on every fake device")
    parser.add_argument("--baseline-src", default=None, help="src dir of a baseline checkout, run alongside")
    parser.add_argument("--out", default=None, help="also write the JSON report here")
    parser.add_argument("--sweep-only", action="store_true", help="only the sweep (implies --sweep)")
    args = parser.parse_args(argv)
    devices = [d for d in args.devices.split(",") if d]
    circuits = {} if args.sweep_only else _isa_circuits(devices)
    trees = {"after": None, **({"before": args.baseline_src} if args.baseline_src else {})}
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "args": vars(args)}

    def save() -> None:
        if args.out:
            Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    for label, src in ({} if args.sweep_only else trees).items():
        report[f"serve_{label}"] = serve_start(src, args.runs)
        report[f"first_{label}"] = first_jobs(src, devices, circuits)
        report[f"first_{label}"]["worst_execution"] = _worst(report[f"first_{label}"], "execution_ms")
        report[f"first_{label}"]["worst_worker_span"] = _worst(report[f"first_{label}"], "worker_span_ms")
        report[f"first_{label}"]["worst_end_to_end"] = _worst(report[f"first_{label}"], "end_to_end_ms")
        save()
    if not args.sweep_only:
        report["local_testing_mode"] = local_mode(devices, circuits)
        save()
    if args.sweep or args.sweep_only:
        from qhost.devices.index import device_sizes

        every = sorted(device_sizes())
        sweep = first_jobs(None, every, {}, warm=0)  # each GHZ transpiled for the client's own target
        report["sweep_after"] = {
            "devices": len(sweep["devices"]),
            "skipped": sweep.get("skipped", {}),
            "failed": sweep.get("failed", {}),
            "worst_execution": _worst(sweep, "execution_ms"),
            "worst_worker_span": _worst(sweep, "worker_span_ms"),
            "worst_end_to_end": _worst(sweep, "end_to_end_ms"),
            "per_device_execution_ms": {n: r["first"]["execution_ms"] for n, r in sweep["devices"].items()},
            "per_device_end_to_end_ms": {n: r["first"]["end_to_end_ms"] for n, r in sweep["devices"].items()},
        }
    save()
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
