"""The first run as a newcomer makes it, in a real Chromium against `streamlit run app.py`: Home's
Quick start opens the Train page, which says what the starting job is doing and then draws the
job's loss curves live. Asserts what is on the page, not how fast (`ganplay bench --first-run`
measures that)."""

from __future__ import annotations

import re

import pytest

from ganplay.train.rundir import RunDir
from servers import kill_jobs, streamlit_server
from test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS, no_exception, screenshot, wait_until

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium)"),
    pytest.mark.slow,
]

PLOT_POINTS = """() => Math.max(-1, ...[...document.querySelectorAll('.js-plotly-plot')]
  .map(p => (p.data || []).reduce((n, t) => n + (t.x ? t.x.length : 0), 0)))"""
PLOTS = "() => document.querySelectorAll('.js-plotly-plot').length"
PROGRESS = """() => [...document.querySelectorAll('[data-testid="stProgress"]')].map(e => e.innerText).join(' ')"""


def test_quick_start_shows_the_start_then_a_live_loss_chart(tmp_path):
    from playwright.sync_api import sync_playwright

    runs = tmp_path / "runs"
    try:
        with streamlit_server(tmp_path, GANPLAY_RUNS=str(runs)) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            page.goto(url)
            page.get_by_role("button", name="Quick start: ring8-gan").click()
            wait_until(lambda: page.evaluate("location.pathname").endswith("/train"), 30, f"the Train page ({page.url})")
            # while the job starts: its phase in a progress bar, and the empty chart frame
            seen = wait_until(lambda: re.search(r"starting: [a-z ]+…|step [\d,]+ / 6,000", page.evaluate(PROGRESS)),
                              60, "the start's progress bar")
            wait_until(lambda: page.evaluate(PLOTS) > 0, 60, "the chart frame")
            first = wait_until(lambda: (n := page.evaluate(PLOT_POINTS)) > 0 and n, 90, "the first points")
            wait_until(lambda: page.evaluate(PLOT_POINTS) > first, 60, "the chart gaining points")
            text = page.evaluate(PROGRESS)
            assert re.search(r"step [\d,]+ / 6,000", text) and ("left" in text or "done" in text
                                                               or "estimating" in text), text
            assert seen
            no_exception(page)
            screenshot(page, "first-run")
            browser.close()
        run = [RunDir(d) for d in runs.iterdir() if RunDir(d).is_run()]
        assert len(run) == 1 and run[0].read_metrics()[0]["step"] == 1  # the early first line
    finally:
        kill_jobs(runs)
