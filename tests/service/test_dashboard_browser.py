"""The dashboard in a real browser (headless Chromium via Playwright): sign in with a token,
submit a job, watch its trials appear without reloading, follow a running trial in the trial
panel, then check that every chart of the finished job has data and that a stopped trial says
why it stopped, with no error in the browser's console."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.service.conftest import LiveService

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright = pytest.importorskip("playwright.sync_api")
DRAWN = "(id) => document.querySelectorAll(`#${id} .point, #${id} .bars path`).length"


@pytest.mark.slow
def test_sign_in_submit_watch_trials_and_read_every_chart(
    live_service: LiveService, adult_csv: Path, tmp_path: Path
) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install chromium (.ci/run installs it)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(live_service.url)
        page.fill("#token-input", "not-a-token")
        page.click("#login-button")
        page.wait_for_selector("#login-error:has-text('invalid API token')")
        errors.clear()  # the refused sign-in's 401 is logged by the browser, as it should be

        page.fill("#token-input", live_service.token)
        page.click("#login-button")
        page.wait_for_selector("#jobs-view:not([hidden])")
        page.wait_for_selector("#who:has-text('signed in as alice')")
        page.wait_for_selector("#jobs-empty:not([hidden])")  # no jobs yet: says what to do
        strategies = page.locator("#strategy-input option").all_inner_texts()
        assert {"auto", "nsga2", "grid", "pbt"} <= set(strategies)

        page.set_input_files("#file-input", str(adult_csv))
        page.fill("#target-input", "income")
        page.fill("#time-input", "12")
        page.select_option("#strategy-input", "asha")  # stops trials early: some have reasons
        page.fill("#space-input", "lightgbm,linear")  # rounds, and parameters not always set
        page.click("#submit-button")
        page.wait_for_selector("#job-view:not([hidden])")
        page.wait_for_selector("#trial-table tr.trial-row", timeout=60_000)
        first_count = page.locator("#trial-table tr.trial-row").count()
        page.wait_for_function(  # more trials arrive while the page stays open (no reload)
            f"document.querySelectorAll('#trial-table tr.trial-row').length > {first_count}",
            timeout=60_000,
        )

        # The trial panel follows a running trial until it ends, as the table does.
        running = "#trial-table tr.trial-row:has(.trial-state.running)"
        page.wait_for_selector(running, timeout=60_000)
        number = page.locator(running).first.get_attribute("data-number")
        page.locator(running).first.click()
        page.wait_for_selector(f"#trial-number:has-text('{number}: ')")
        assert page.locator("#trial-config tr").count() > 0  # its parameters, running or not
        page.wait_for_selector("#job-state:has-text('succeeded')", timeout=90_000)
        page.wait_for_function(
            "(n) => !document.querySelector('#trial-number').textContent.includes(n + ': running')",
            arg=number,
        )
        job_id = page.evaluate("location.hash").split("/")[-1]
        trial = httpx.get(
            f"{live_service.url}/api/jobs/{job_id}/trials/{number}",
            headers={"Authorization": f"Bearer {live_service.token}"},
        ).json()
        ended = "cut short" if trial["cut_short"] else trial["state"]
        assert f"{number}: {ended}" in page.inner_text("#trial-number")

        charts = _charts(page)
        assert charts["history"] > 0 and charts["curves"] > 0 and charts["slice"] > 0, charts
        assert charts["importance"] > 0, charts
        assert charts["curves_axis"] not in ("", "step"), charts  # a labelled fidelity axis
        assert charts["parallel_axes"] >= 3 and charts["parallel_complete"], charts
        assert "Validation roc_auc of the model" in page.inner_text("#model-summary")
        assert page.locator("#events-table tbody tr").count() >= 3

        page.select_option("#trial-state", "pruned")
        stopped = "#trial-table tr.trial-row:has(.trial-state.pruned)"
        page.wait_for_selector(stopped)
        page.locator(stopped).first.click()
        page.wait_for_selector("#trial-reason:has-text('Stopped early:')")
        assert "Stopped early: " in page.inner_text("#trial-reason")
        page.screenshot(path=str(tmp_path / "job.png"), full_page=True)
        browser.close()
    assert errors == []


def _charts(page: Any) -> dict[str, Any]:
    page.wait_for_selector("#importance .bars path", state="attached", timeout=30_000)
    page.locator("#parallel").scroll_into_view_if_needed()  # drawn once in view (WebGL)
    page.wait_for_function(  # the chosen parameters and the score, one axis each
        "() => document.querySelectorAll('#parallel .y-axis').length >= 3", timeout=30_000
    )
    return {
        "history": page.evaluate(DRAWN, "best-time"),
        "curves": page.evaluate(DRAWN, "curves"),
        "importance": page.evaluate(DRAWN, "importance"),
        "slice": page.evaluate(DRAWN, "slice"),
        "curves_axis": page.text_content("#curves .xtitle"),
        "parallel_axes": page.locator("#parallel .y-axis").count(),
        # every trial's line is drawn: no axis has a missing value (a parameter that another
        # family's trials lack is "not set", a tick of its own)
        "parallel_complete": page.evaluate(
            "() => document.getElementById('parallel').data[0].dimensions"
            ".every((d) => d.values.every((v) => Number.isFinite(v)))"
        ),
    }
