"""The console in a real headless Chromium (Debian's ``chromium`` + ``chromium-driver``, driven by Selenium).

A real qhost server (waitress on a free loopback port, two warm worker processes, API keys for two users
and an admin) takes jobs from the stock qiskit-ibm-runtime 0.51 client; the browser signs in with a key
and must see them appear live, draw the result, cancel, and not reach the other user's jobs. The driver
path is given explicitly, so Selenium Manager never tries to download anything.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_helpers import ADMIN, ALICE, BOB
from qhost_testkit import missing_tool

pytestmark = [pytest.mark.slow, pytest.mark.interop]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
MANILA = "fake_manila@aer"

_MISSING = missing_tool(
    "chromium and chromedriver",
    "apt-get install chromium chromium-driver",
    found=CHROMIUM.exists() and CHROMEDRIVER.exists(),
)
if _MISSING:
    pytest.skip(_MISSING, allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from waitress.server import create_server

    from qhost.config import Settings
    from qhost.server.app import create_app

    settings = Settings.from_env(
        data_dir=tmp_path_factory.mktemp("browser"), process_workers=2, executors=("aer",),
        api_keys=(ALICE, BOB), admin_keys=(ADMIN,),
    )  # fmt: skip
    app = create_app(settings)
    srv = create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.effective_port}"
    srv.close()
    app.extensions["qhost"].close()
    thread.join(5)


def make_driver(width: int = 1280, height: int = 900) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={width},{height}", "--no-first-run", "--disable-extensions"):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))


@pytest.fixture
def browser() -> Iterator[Any]:
    driver = make_driver()
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def sign_in(driver: Any, url: str, key: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.get(f"{url}/console/workloads")
    assert "/console/login" in driver.current_url
    field = driver.find_element(By.ID, "key")
    field.send_keys(key, Keys.ENTER)  # keyboard only
    # the login URL itself may end with ?next=/console/workloads: wait for the workloads page's table
    wait_for(driver, lambda d: "/console/login" not in d.current_url and d.find_elements(By.ID, "job-rows"))


def wait_for(driver: Any, condition: Any, timeout: float = 60) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(condition)


def _click(driver: Any, xpath: str) -> bool:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        driver.find_element(By.XPATH, xpath).click()
    except StaleElementReferenceException:
        return False
    return True


def _cancelled(driver: Any) -> bool:
    """Click Cancel unless the page already shows the job cancelled; True once it does."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        if "cancelled" in driver.find_element(By.ID, "job-status").text:
            return True
        driver.find_element(By.ID, "cancel-job").click()
    except (NoSuchElementException, StaleElementReferenceException):
        pass
    return False


def console_errors(driver: Any) -> list[dict[str, Any]]:
    return [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]


def service_for(url: str, key: str) -> Any:
    from qhost.client.runtime import connect

    return connect(url, token=key)


def bell_job(service: Any, shots: int = 1000) -> Any:
    from qiskit import QuantumCircuit
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_ibm_runtime import SamplerV2

    backend = service.backend(MANILA)
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    isa = generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=1).run(qc)
    return SamplerV2(mode=backend).run([(isa, None, shots)])


def test_pages_load_without_console_errors(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    sign_in(browser, server, ALICE)
    for path in (
        "/console/workloads",
        "/console/devices",
        "/console/devices/fake_sherbrooke",
        "/console/workers",
    ):
        browser.get(server + path)
        assert browser.find_element(By.TAG_NAME, "h1").text
    browser.get(server + "/console/devices/fake_sherbrooke")
    nodes = browser.find_elements(By.CSS_SELECTOR, "#coupling-map g.node")
    assert len(nodes) == 127 and nodes[0].is_displayed()
    time.sleep(2.5)  # let one live poll run on the last page
    assert console_errors(browser) == []


def test_first_tab_reaches_the_skip_link(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    sign_in(browser, server, ALICE)
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    assert browser.switch_to.active_element.text == "Skip to content"


def test_a_stock_client_job_appears_live_and_its_chart_renders(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    sign_in(browser, server, ALICE)
    browser.execute_script("window.__notReloaded = true;")
    job = bell_job(service_for(server, ALICE), shots=1000)
    row = f"//tbody[@id='job-rows']//a[starts-with(@href, '/console/jobs/{job.job_id()}')]"
    wait_for(browser, lambda d: d.find_elements(By.XPATH, row))
    assert browser.execute_script("return window.__notReloaded === true;")  # updated without a reload
    job.result()
    wait_for(browser, lambda d: _click(d, row))  # the live poll may swap the row out under the click
    bars = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#result svg.bars g.bar rect"))
    assert bars and all(bar.size["height"] > 0 for bar in bars)
    titles = [b.find_element(By.TAG_NAME, "title").get_attribute("textContent") for b in bars]
    counts = {t.split(": ")[0]: int(t.split(": ")[1]) for t in titles}
    assert counts == job.result()[0].data.meas.get_counts()
    assert console_errors(browser) == []


def test_cancel_button_cancels_a_running_job(server: str, browser: Any) -> None:
    from qiskit import QuantumCircuit
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_ibm_runtime import SamplerV2
    from selenium.webdriver.common.by import By

    service = service_for(server, ALICE)
    backend = service.backend(MANILA)
    qc = QuantumCircuit(5)
    qc.h(0)
    for i in range(4):
        qc.cx(i, i + 1)
    qc.measure_all()
    isa = generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=1).run(qc)
    job = SamplerV2(mode=backend).run([(isa, None, 1_000_000)] * 40)
    sign_in(browser, server, ALICE)
    browser.get(f"{server}/console/jobs/{job.job_id()}")
    wait_for(browser, _cancelled)  # the page reloads itself when the job starts: click again if it did
    deadline = time.monotonic() + 30
    while job.status() != "CANCELLED" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert job.status() == "CANCELLED"
    assert not browser.find_elements(By.ID, "cancel-job")


def test_another_owners_job_is_not_reachable(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    bobs = bell_job(service_for(server, BOB), shots=100)
    bobs.result()
    sign_in(browser, server, ALICE)
    assert bobs.job_id()[:12] not in browser.find_element(By.ID, "job-rows").text
    browser.get(f"{server}/console/jobs/{bobs.job_id()}")
    assert f"Job {bobs.job_id()} not found" in browser.find_element(By.ID, "error-message").text
    admin = make_driver()
    try:
        sign_in(admin, server, ADMIN)
        admin.get(f"{server}/console/jobs/{bobs.job_id()}")
        assert "completed" in admin.find_element(By.ID, "job-status").text
    finally:
        admin.quit()
