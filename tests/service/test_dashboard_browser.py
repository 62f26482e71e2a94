"""The dashboard in a real browser (headless Chromium via Playwright): sign in with a token,
submit a job, watch its trials appear without reloading, open a trial's learning curve."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.service.conftest import LiveService

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright = pytest.importorskip("playwright.sync_api")


@pytest.mark.slow
def test_sign_in_submit_watch_trials_and_open_a_curve(
    live_service: LiveService, adult_csv: Path, tmp_path: Path
) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install chromium (.ci/run installs it)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(live_service.url)
        page.fill("#token-input", "not-a-token")
        page.click("#login-button")
        page.wait_for_selector("#login-error:has-text('invalid API token')")

        page.fill("#token-input", live_service.token)
        page.click("#login-button")
        page.wait_for_selector("#jobs-view:not([hidden])")
        page.set_input_files("#file-input", str(adult_csv))
        page.fill("#target-input", "income")
        page.fill("#time-input", "20")
        page.click("#submit-button")

        page.wait_for_selector("#job-view:not([hidden])")
        page.wait_for_selector("#trial-table tr.trial-row", timeout=60_000)
        first_count = page.locator("#trial-table tr.trial-row").count()
        page.wait_for_function(  # more trials arrive while the page stays open (no reload)
            f"document.querySelectorAll('#trial-table tr.trial-row').length > {first_count}",
            timeout=60_000,
        )
        assert page.locator("#best-time .main-svg").count() > 0  # plotly drew the chart

        boosted = "#trial-table tr.trial-row:has-text('lightgbm')"  # reports boosting rounds
        page.wait_for_selector(boosted, timeout=60_000)
        page.locator(boosted).first.click()
        page.wait_for_selector("#trial-detail:not([hidden])")
        page.wait_for_selector("#trial-curve .scatterlayer .trace path.js-line")
        assert "config" in page.locator("#trial-config").inner_text()
        page.screenshot(path=str(tmp_path / "job.png"), full_page=True)
        browser.close()
