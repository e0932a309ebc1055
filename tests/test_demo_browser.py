"""A public demo in a real Chromium, as two strangers use it: `streamlit run app.py` with demo
mode on and two browser contexts (two visitors, each with their own cookies).

Visitor A starts a job; visitor B watches it but cannot stop, pause or steer it; A still can after
reloading the tab (the visitor token lives in a cookie, never in the URL). A link over the demo's
budget is refused with what to lower, and one visitor cannot hold more than their share of jobs.
"""

from __future__ import annotations

import re

import pytest

from servers import kill_jobs, streamlit_server
from test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS, no_exception, screenshot, settled, wait_until

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium)"),
    pytest.mark.slow,
]

COSTLY_LINK = ("train?model.g_hidden=1024,1024,1024&model.d_hidden=1024,1024,1024"
               "&train.checkpoint_every=1&train.keep_checkpoints=0")


def button(page, name: str):
    # the page's own buttons: while a script runs, Streamlit's header shows a "Stop" button of its own
    return page.get_by_test_id("stMain").get_by_role("button", name=name, exact=True)


def test_two_visitors_a_budget_and_a_share_each(tmp_path):
    from playwright.sync_api import sync_playwright

    runs = tmp_path / "runs"
    try:
        # the Quick start keeps its 6,000 steps (not the demo's 2,000): a job that ends before its
        # Pause button is reached (two test files run at once) would leave nothing to pause
        with streamlit_server(tmp_path, GANPLAY_RUNS=str(runs), GANPLAY_DEMO="1",
                              GANPLAY_DEMO_MAX_STEPS="6000") as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            a = browser.new_context(viewport={"width": 1400, "height": 1600}).new_page()
            b = browser.new_context(viewport={"width": 1400, "height": 1600}).new_page()

            # A starts the Quick start and pauses it, so it holds the server's one slot
            a.goto(url)
            settled(a)
            a.get_by_role("button", name="Quick start: ring8-gan").click()
            wait_until(lambda: a.evaluate("location.pathname").endswith("/train"), 30, "A on the Train page")
            wait_until(lambda: button(a, "Pause").count() and button(a, "Pause").is_enabled(), 90,
                       "A's Pause button enabled once the job runs")
            button(a, "Pause").click()
            wait_until(lambda: button(a, "Resume").count() == 1, 30, "A's job paused")
            assert "visitor" not in a.url and "token" not in a.url

            # B watches the same job: every control is disabled, no steering form
            b.goto(f"{url}/train")
            wait_until(lambda: b.get_by_text("Another visitor started this job").count() == 1, 60,
                       "B told the job is someone else's")
            assert button(b, "Resume").is_disabled() and button(b, "Stop").is_disabled()
            assert b.get_by_text("Steer the running job").count() == 0
            no_exception(b)
            screenshot(b, "demo-other-visitor")

            # A reloads the tab: still their job (the cookie), controls enabled
            a.reload()
            wait_until(lambda: button(a, "Resume").count() == 1 and button(a, "Resume").is_enabled(), 60,
                       "A's controls after a reload")
            assert a.get_by_text("Another visitor started this job").count() == 0

            # a link over the budget is refused, with what to lower, and cannot be started
            b.goto(f"{url}/{COSTLY_LINK}")
            wait_until(lambda: b.get_by_text(re.compile("this job would write about")).count() >= 1, 60,
                       "the disk budget's message")
            text = b.locator("[data-testid='stMain']").inner_text()
            assert "train.keep_checkpoints" in text and "this demo allows 200.0 MB per job" in text, text
            assert button(b, "Start training").is_disabled()
            screenshot(b, "demo-over-budget")

            # A's share: one paused and one queued job; a third is refused with the reason
            a.goto(f"{url}/train")
            wait_until(lambda: button(a, "Start training").count() and button(a, "Start training").is_enabled(),
                       60, "A's Start button")
            button(a, "Start training").click()
            wait_until(lambda: a.get_by_text(re.compile(r"1 job waiting")).count() >= 1, 60, "A's second job queued")
            button(a, "Start training").click()
            wait_until(lambda: a.get_by_text(re.compile(r"you already have 2 jobs running or waiting")).count() >= 1,
                       60, "A's third job refused")
            no_exception(a)
            browser.close()
    finally:
        kill_jobs(runs)
