"""The web page in headless Chromium (Debian ``chromium`` driven by Playwright, loopback only)."""
from __future__ import annotations

import os
import re

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download needed)")
if not os.path.exists(CHROMIUM):
    if os.environ.get("CI"):  # CI installs Chromium (make browser): a missing browser is a failure there
        raise RuntimeError(f"no Chromium at {CHROMIUM}: run `make browser`")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

from utils.serving import build_tiny_classifier, start_background  # noqa: E402

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-dev-shm-usage", "--no-first-run"]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
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
            tab.wait_for_function("document.getElementById('model-version').textContent.includes('@')")
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
