"""The console's progress bar in a real headless Chromium: it moves while the job runs, without a reload."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from progress_helpers import until
from qhost_testkit import missing_tool

from qhost.backend_server import BackendServer
from qhost.jobs.spec import JobSpec

pytestmark = [pytest.mark.slow, pytest.mark.interop]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

_MISSING = missing_tool(
    "chromium and chromedriver",
    "apt-get install chromium chromium-driver",
    found=CHROMIUM.exists() and CHROMEDRIVER.exists(),
)
if _MISSING:
    pytest.skip(_MISSING, allow_module_level=True)


@pytest.fixture
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,900", "--no-first-run", "--disable-extensions"):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def test_the_job_page_bar_follows_the_job_live(server: BackendServer, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    assert server.app is not None
    engine = server.app.extensions["qhost"].engine
    spec = JobSpec(
        program="stepped", backend="ideal@aer", inputs=json.dumps({"steps": 3, "gates": str(tmp_path)})
    )
    job = engine.submit(spec)
    until(lambda: engine.get(job.id).status.value == "running")
    (tmp_path / "1").touch()
    until(lambda: (engine.store.get_progress(job.id) or {}).get("done") == 1)
    browser.get(f"{server.url}/console/jobs/{job.id}")
    text = browser.find_element(By.ID, "progress-text")
    assert text.text == "1 of 3 PUBs"
    browser.execute_script("window.qhostNoReload = true;")
    (tmp_path / "2").touch()
    until(lambda: text.text == "2 of 3 PUBs", timeout=30, every=0.1)
    assert browser.execute_script("return window.qhostNoReload === true;")  # updated in place
    bar = browser.find_element(By.ID, "progress-bar")
    assert bar.get_attribute("value") == "2" and bar.get_attribute("max") == "3"
    assert "left" in browser.find_element(By.ID, "progress-eta").text
    (tmp_path / "3").touch()

    def reloaded_completed() -> bool:
        from selenium.common.exceptions import WebDriverException

        try:  # the page reloads itself when the state changes
            return "completed" in browser.find_element(By.ID, "job-status").text
        except WebDriverException:
            return False

    until(reloaded_completed, timeout=30, every=0.2)
    assert browser.find_element(By.ID, "progress-text").text == "3 of 3 PUBs"
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
