"""The web app in a real browser: Voilà serves notebooks/app.ipynb on 127.0.0.1, Debian's
chromium (driven by the playwright package, never `playwright install`) fills the setup form
for the simulator's healthy account, sends, and sees the success card; sends the regular
password and sees the diagnosis pointing to the App Password step; loads the sample log and
sees the charts. Screenshots go to test-artifacts/screenshots/ (git ignores it).

Under CI (the CI environment variable set) a missing chromium or playwright fails the test;
elsewhere it skips with the reason.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from outlook_kit.simulator import default_roster

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "notebooks" / "app.ipynb"
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HEALTHY = next(a for a in default_roster() if a.scenario == "healthy")
START_S = 90.0  # how long Voilà may take to answer at all (a slow CI machine)
WAIT_MS = 60_000  # how long a page element may take to appear


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser test (.ci/run installs chromium)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    """Whether Voilà answers HTTP; /voila/static/ starts no kernel (a page GET would)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/voila/static/")
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


@pytest.fixture(scope="module")
def voila_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the Voilà server and its kernels may write (home, data, runtime, the log)."""
    return tmp_path_factory.mktemp("voila")


@pytest.fixture(scope="module")
def voila(voila_home: Path) -> Iterator[str]:
    """Voilà serving the app on a free port of 127.0.0.1, with a kernel of this Python."""
    if not Path(CHROMIUM).exists():
        _missing(f"Debian's chromium is not at {CHROMIUM} (apt-get install -y chromium)")
    try:
        import voila  # noqa: F401
    except ImportError:
        _missing("voila is not installed (pip install -e .)")
    base = voila_home
    spec = base / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "outlook-kit test kernel",
                "language": "python",
            }
        )
    )
    home = base / "home"
    home.mkdir()
    env = {
        **os.environ,
        "JUPYTER_PATH": str(base / "jupyter"),
        "HOME": str(home),
        "JUPYTER_DATA_DIR": str(base / "data"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "TMPDIR": str(base / "tmp"),
        "IPYTHONDIR": str(base / "ipython"),
        "MPLCONFIGDIR": str(base / "mpl"),
        "MPLBACKEND": "Agg",
    }
    (base / "tmp").mkdir()
    port = _free_port()
    log = (base / "voila.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "voila",
            str(APP),
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
            "--show_tracebacks=False",
            "--strip_sources=True",
        ],
        cwd=APP.parent,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + START_S
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"Voilà did not start:\n{(base / 'voila.log').read_text()[-3000:]}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).exists():
        _missing(f"Debian's chromium is not at {CHROMIUM} (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, voila: str) -> Iterator[Any]:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(WAIT_MS)
    page.goto(voila, wait_until="domcontentloaded")
    yield page
    page.close()


def shot(page: Any, name: str, show: Any) -> Path:
    """A screenshot of the page, scrolled so that `show` is in view."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    show.scroll_into_view_if_needed()
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def test_the_setup_wizard_sends_then_points_the_regular_password_to_step_3(page: Any) -> None:
    page.get_by_text("Step 4: Connect and send a test \u2014").click()
    page.get_by_label("Email address").fill("healthy@@outlook.com")
    page.get_by_label("App Password").fill(HEALTHY.app_passwords[0])
    page.get_by_role("button", name="Send test").click()
    error = page.locator(".ok-error")
    error.wait_for()
    assert "Email address:" in error.inner_text()  # a mistake, said in plain words
    assert "show_tracebacks" not in page.content() and "Traceback" not in page.content()

    page.get_by_label("Email address").fill(HEALTHY.address)
    page.get_by_role("button", name="Send test").click()
    success = page.locator(".ok-success")
    success.wait_for()
    assert "Sent: the test message was accepted" in success.inner_text()
    assert page.locator(".ok-stage-passed").count() >= 10
    assert page.get_by_label("App Password").input_value() == ""  # cleared after the send
    assert HEALTHY.app_passwords[0] not in page.content()
    shot(page, "app-success", success)

    page.get_by_role("button", name="My regular password").click()
    page.get_by_label("Password", exact=True).fill(HEALTHY.password)
    page.get_by_role("button", name="Send test").click()
    # the new send's card, not the first send's arrival card that may still be on its way
    diagnosis = page.locator(".ok-diagnosis", has_text="The regular password was refused")
    diagnosis.wait_for()
    text = diagnosis.inner_text()
    assert "The regular password was refused: use an App Password" in text
    assert page.get_by_text("All set: the setup works").count() == 0  # the old result is gone
    assert "Step 3: Create an App Password" in text
    shot(page, "app-diagnosis", diagnosis)
    page.get_by_role("button", name="Back to Step 3: Create an App Password").click()
    page.get_by_text("Step 3 needs another look").wait_for()
    assert page.get_by_text("Where to click").nth(2).is_visible()


def test_the_log_analysis_loads_the_sample_log_and_draws_the_charts(page: Any) -> None:
    page.get_by_role("tab", name="Daily cap").click()
    page.get_by_role("button", name="Load the sample log").click()
    charts = page.locator(".ok-chart img")
    charts.first.wait_for()
    assert charts.count() >= 2
    assert "rows" in page.locator(".ok-load-report").inner_text()
    shot(page, "app-log-analysis", charts.first)


def test_nothing_the_app_wrote_holds_the_passwords_typed_into_it(
    voila: str, voila_home: Path
) -> None:
    """Runs after the page tests (the module's order): the server's and kernels' files."""
    from outlook_kit.secret import base64_forms

    typed = (HEALTHY.app_passwords[0], HEALTHY.password)
    needles = {form for secret in typed for form in (secret, *base64_forms(secret.encode()))}
    files = [p for p in voila_home.rglob("*") if p.is_file()]
    assert files  # the log, at least
    for path in files:
        data = path.read_bytes()
        assert not [n for n in needles if n.encode() in data], path
