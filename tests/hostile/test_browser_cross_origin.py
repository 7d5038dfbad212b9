"""A web page in the user's real browser (Debian's headless Chromium) cannot drive a loopback qhost.

The page is served from another origin (``http://localhost:<other port>``) and tries what any page can do
without CORS: a ``fetch(..., {mode: 'no-cors'})`` with a ``text/plain`` JSON body to the Qrisp and IBM
doors, a ``text/plain`` form post whose field forms a JSON job, an ``application/json`` fetch (needs a
preflight), and, with DNS rebinding (Chromium's ``--host-resolver-rules`` maps ``rebind.test`` to
127.0.0.1), reading the job list under its own name. The server's log shows each request arrived; no job
is created and nothing is read. Before: the no-cors fetch and the form post each created a job (201), and
the rebinding page read ``/api/v1/jobs``.
"""

from __future__ import annotations

import http.server
import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the helper module beside this one
from serve_process import BELL, qhost_serve  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.interop]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(
        "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )

PAGE = """<!doctype html><html><head><title>working</title></head><body>
<iframe name="sink" id="sink"></iframe>
<form id="form" method="POST" action="TARGET/jobs" enctype="text/plain" target="sink">
<input type="hidden" name='FIELD_NAME' value='FIELD_VALUE'></form>
<script>
const target = "TARGET", job = JOB;
const outcomes = [];
function attempt(label, promise) {
  return promise.then(r => outcomes.push(label + ":" + r.type + ":" + r.status),
                      e => outcomes.push(label + ":error:" + e));
}
const plain = {method: "POST", mode: "no-cors", body: job, headers: {"Content-Type": "text/plain"}};
Promise.all([
  attempt("qrisp-no-cors", fetch(target + "/jobs", plain)),
  attempt("ibm-no-cors", fetch(target + "/api/v1/jobs", plain)),
  attempt("json-cors", fetch(target + "/jobs", {method: "POST", body: job,
                                                headers: {"Content-Type": "application/json"}})),
  new Promise(done => {
    document.getElementById("sink").onload = () => { outcomes.push("form:loaded"); done(); };
    document.getElementById("form").submit();
  }),
]).then(() => { window.outcomes = outcomes; document.title = "done"; });
</script></body></html>"""


def _page(target: str) -> bytes:
    job = json.dumps({"programs": [{"quantumCircuit": BELL}], "shots": 5})
    # a text/plain form sends name=value: a name ending in '"x":"' and a value '"}' make the body JSON
    name, value = job[:-1] + ', "x": "', '"}'
    html = PAGE.replace("TARGET", target).replace("JOB", json.dumps(job))
    return html.replace("FIELD_NAME", name.replace("'", "&#39;")).replace("FIELD_VALUE", value).encode()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with qhost_serve(tmp_path_factory.mktemp("cross-origin")) as srv:
        yield srv


@pytest.fixture(scope="module")
def attacker(served: Any) -> Iterator[str]:
    body = _page(served.url)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    page_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=page_server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{page_server.server_address[1]}/"
    page_server.shutdown()
    page_server.server_close()


@pytest.fixture
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
    flags += ["--disable-extensions", "--host-resolver-rules=MAP rebind.test 127.0.0.1"]
    for flag in flags:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def test_a_page_on_another_origin_cannot_submit_a_job(served: Any, attacker: str, browser: Any) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    before = served.job_count()
    browser.get(attacker)
    WebDriverWait(browser, 60, poll_frequency=0.2).until(lambda d: d.title == "done")
    outcomes = browser.execute_script("return window.outcomes")
    assert "form:loaded" in outcomes, outcomes
    assert "json-cors:error:TypeError: Failed to fetch" in outcomes, outcomes  # the preflight was refused
    assert served.job_count() == before
    log = (served.data_dir / "serve.log").read_text()
    assert log.count("qrisp POST /jobs 415") >= 2, log[-3000:]  # the no-cors fetch and the form arrived
    assert "ibm POST /api/v1/jobs 415" in log, log[-3000:]


def test_a_rebinding_page_cannot_read_the_server(served: Any, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"http://rebind.test:{served.port}/api/v1/jobs")
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "misdirected_request" in text, text[:500]
    assert '"jobs"' not in text
