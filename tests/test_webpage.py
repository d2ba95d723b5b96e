"""The web page in a headless Chromium-family browser driven by Playwright (loopback only).

Whichever is present: ``$CHROMIUM`` if set, else Debian's ``chromium`` (this machine), else Google Chrome
(``google-chrome``, ``google-chrome-stable``, ``chrome``: what hosted Ubuntu CI runners ship, where the
``chromium`` package is missing or a snap stub). Each candidate must answer ``--version`` with a Chromium
or Chrome version, so a stub that cannot run is passed over. The browser used is printed with the results.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

CANDIDATES = ("chromium", "google-chrome", "google-chrome-stable", "chrome", "chromium-browser")
VERSION = re.compile(r"(Chromium|Google Chrome|Chrome)\s+[\d.]+")


def find_browser(candidates=CANDIDATES, env=os.environ) -> tuple[str, str] | None:
    """``(executable, version line)`` of the first working Chromium-family browser, or ``None``."""
    paths = [env["CHROMIUM"]] if env.get("CHROMIUM") else [p for p in map(shutil.which, candidates) if p]
    for path in dict.fromkeys(paths):
        try:
            result = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        match = VERSION.search(result.stdout)
        if result.returncode == 0 and match:
            return path, match.group(0)
    return None


sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download needed)")
FOUND = find_browser()
if FOUND is None:
    if os.environ.get("CI"):  # CI has a browser (Chrome on hosted runners, `make browser` here): missing is a failure
        raise RuntimeError(f"no Chromium-family browser among {CANDIDATES} (or $CHROMIUM): run `make browser`")
    pytest.skip(f"no Chromium-family browser among {CANDIDATES} (apt-get install chromium)", allow_module_level=True)
CHROMIUM, BROWSER_VERSION = FOUND

from utils.serving import build_tiny_classifier, start_background  # noqa: E402

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-dev-shm-usage", "--no-first-run"]


@pytest.fixture(scope="module")
def page(tmp_path_factory, request):
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"web-page test browser: {BROWSER_VERSION} at {CHROMIUM}")
    model_dir = build_tiny_classifier(tmp_path_factory.mktemp("models") / "tiny-web")
    with start_background(model_dir, log_level="warning", timeout=120) as service:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            context = browser.new_context()
            # Loopback only: any request leaving 127.0.0.1 fails the test.
            outside = []

            def loopback_only(route):
                if route.request.url.startswith(service.url):
                    return route.continue_()
                outside.append(route.request.url)
                return route.abort()

            context.route("**/*", loopback_only)
            tab = context.new_page()
            errors = []
            tab.on("pageerror", lambda err: errors.append(str(err)))
            tab.goto(service.url)
            # a locator assertion, not wait_for_function("…"): the page's CSP forbids evaluating strings
            sync_api.expect(tab.locator("#model-version")).to_contain_text("@", timeout=30_000)
            yield tab
            assert not errors, errors
            assert not outside, outside
            browser.close()


def test_type_review_click_and_see_label(page):
    page.fill("#text", "A wonderful film with a brilliant cast and great music.")
    page.click("#predict-button")
    label = page.locator("#result-label")
    sync_api.expect(label).to_have_text(re.compile("^(negative|positive)$"))
    assert page.locator("#bars .bar-fill").count() == 2
    widths = page.eval_on_selector_all("#bars .bar-fill", "els => els.map(e => parseFloat(e.style.width))")
    assert sum(widths) == pytest.approx(100, abs=0.5) and widths[0] >= widths[1]
    sync_api.expect(page.locator("#m-requests")).not_to_have_text("–")


def test_feedback_button_updates_monitoring(page):
    page.fill("#text", "Boring and awful.")
    page.click("#predict-button")
    page.locator("#feedback-buttons button").first.wait_for()
    page.locator("#feedback-buttons button", has_text="positive").click()
    sync_api.expect(page.locator("#feedback-note")).to_contain_text("recorded")
    sync_api.expect(page.locator("#m-feedback")).to_have_text("1")


def test_bad_input_shows_the_services_message(page):
    page.fill("#text", "     ")
    page.click("#predict-button")
    sync_api.expect(page.locator("#error")).to_contain_text("empty or only whitespace")


def test_browser_detection_skips_what_cannot_run(tmp_path, monkeypatch):
    stub = tmp_path / "chromium"
    stub.write_text("#!/bin/sh\necho 'Command requires the chromium snap to be installed.' >&2\nexit 1\n")
    chrome = tmp_path / "google-chrome"
    chrome.write_text("#!/bin/sh\necho 'Google Chrome 131.0.6778.85 '\n")
    for exe in (stub, chrome):
        exe.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_browser(env={}) == (str(chrome), "Google Chrome 131.0.6778.85")
    assert find_browser(("chromium",), env={}) is None
    assert find_browser(env={"CHROMIUM": str(stub)}) is None
