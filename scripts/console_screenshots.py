"""Refresh the console screenshots in ``interface_docs/img/console-*.png``.

Usage::

    python scripts/console_screenshots.py [--out interface_docs/img]

Starts a qhost server on a free loopback port (temporary data dir, two worker processes, no keys), runs a
few jobs through the stock qiskit-ibm-runtime client (Sampler and Estimator on fake devices, one that
fails, one cancelled), then photographs the main pages with Debian's headless Chromium
(``/usr/bin/chromium`` + ``/usr/bin/chromedriver``; Selenium Manager is never used).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _driver(width: int, height: int) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--force-color-profile=srgb",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(executable_path="/usr/bin/chromedriver"))


def _jobs(url: str) -> dict[str, str]:
    """Run a handful of jobs through the stock client; returns ids of the ones worth a screenshot."""
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import SparsePauliOp
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_ibm_runtime import EstimatorV2, SamplerV2

    from qhost.client.runtime import connect

    service = connect(url)
    ids: dict[str, str] = {}
    for name in ("fake_manila@aer", "fake_lima@aer", "fake_sherbrooke@aer"):
        backend = service.backend(name)
        qc = QuantumCircuit(3)
        qc.h(0)
        qc.cx(0, 1)
        qc.cx(1, 2)
        qc.measure_all()
        pm = generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=1)
        job = SamplerV2(mode=backend).run([(pm.run(qc), None, 4000)])
        job.result()
        ids.setdefault("sampler", job.job_id())
    backend = service.backend("fake_manila@aer")
    pm = generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=1)
    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    isa = pm.run(bell)
    observables = [SparsePauliOp(p).apply_layout(isa.layout) for p in ("ZZ", "XX", "YY", "ZI", "IZ")]
    job = EstimatorV2(mode=backend).run([(isa, observables)])
    job.result()
    ids["estimator"] = job.job_id()
    wide = QuantumCircuit(7)
    wide.h(0)
    wide.measure_all()
    failing = SamplerV2(mode=backend)
    try:
        failing.run([wide]).result()
    except Exception as exc:  # the server refuses a 7-qubit circuit on a 5-qubit device: that is the point
        print("refused as expected:", type(exc).__name__)
    long = SamplerV2(mode=backend).run([(pm.run(QuantumCircuit(5).compose(_ghz(5))), None, 1_000_000)] * 30)
    time.sleep(1.0)
    long.cancel()
    return ids


def _ghz(n: int) -> Any:
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure_all()
    return qc


def _shoot(url: str, out: Path, ids: dict[str, str]) -> None:
    pages = {
        "workloads": "/console/workloads",
        "job-sampler": f"/console/jobs/{ids['sampler']}",
        "job-estimator": f"/console/jobs/{ids['estimator']}",
        "devices": "/console/devices",
        "device-manila": "/console/devices/fake_manila",
        "device-sherbrooke": "/console/devices/fake_sherbrooke",
        "device-fez": "/console/devices/fake_fez",
        "workers": "/console/workers",
    }
    driver = _driver(1280, 900)
    try:
        for name, path in pages.items():
            driver.get(url + path)
            time.sleep(0.5)
            height = driver.execute_script("return Math.min(document.body.scrollHeight, 1600);")
            driver.set_window_size(1280, max(600, height + 140))
            driver.save_screenshot(str(out / f"console-{name}.png"))
            driver.set_window_size(1280, 900)
    finally:
        driver.quit()
    phone = _driver(390, 844)
    try:
        phone.get(url + "/console/workloads")
        time.sleep(0.5)
        phone.save_screenshot(str(out / "console-phone-workloads.png"))
    finally:
        phone.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "interface_docs" / "img")
    args = parser.parse_args()
    from waitress.server import create_server

    from qhost.config import Settings
    from qhost.server.app import create_app

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings.from_env(data_dir=tmp, process_workers=2, executors=("aer",)))
        server = create_server(app, host="127.0.0.1", port=0, threads=8)
        threading.Thread(target=server.run, daemon=True).start()
        url = f"http://127.0.0.1:{server.effective_port}"
        try:
            _shoot(url, args.out, _jobs(url))
        finally:
            server.close()
            app.extensions["qhost"].close()
    print("screenshots in", args.out)


if __name__ == "__main__":
    main()
