"""The mode collapse lab in a real Chromium against `streamlit run app.py`: press Play, wait for the
end of the replay, then read the numbers behind both coverage charts from the page itself.

The replays are synthetic (`lab_fixtures`: the vanilla GAN's coverage goes 0, 3, 5, 2, 1 and the
cure's 0, 3, 6, 8, 8), so what the charts must show is known exactly. Screenshots of the normal and
the presenter view go to test-artifacts/ (lab-replay.png, lab-presenter.png).
"""

from __future__ import annotations

import json

import pytest

from lab_fixtures import COLLAPSING, COVERING, STEPS, write_pair
from servers import streamlit_server
from test_dashboard_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, no_exception, settled, wait_until

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium)"),
    pytest.mark.slow,
]
CURE = "unrolled"  # ring8's first cure: what the page opens with


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    replays = tmp_path_factory.mktemp("lab-replays")
    write_pair(replays, cure=CURE)
    with streamlit_server(tmp_path_factory.mktemp("log"), GANPLAY_LAB_REPLAYS=str(replays),
                          GANPLAY_RUNS=str(tmp_path_factory.mktemp("runs"))) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Both coverage charts, told apart by their traces' meta ("coverage:<side>", "now:<side>"), and
# the dashed full-count line (a layout shape).
# Stale elements (data-stale="true": left over from an earlier run, hidden) are skipped.
LIVE_PLOTS = """Array.from(document.querySelectorAll('.js-plotly-plot')).filter(p => {
    const box = p.closest("[data-testid='stElementContainer']");
    return !box || box.dataset.stale !== 'true';
  })"""
COVERAGE = """() => {
  const out = {};
  for (const plot of LIVE_PLOTS) {""".replace("LIVE_PLOTS", LIVE_PLOTS) + """
    for (const t of plot.data || []) {
      const meta = String(t.meta || '');
      if (meta.startsWith('coverage:') || meta.startsWith('now:')) {
        out[meta] = {x: Array.from(t.x), y: Array.from(t.y),
                     full: (plot.layout.shapes || []).filter(s => s.line && s.line.dash === 'dash').map(s => s.y0)};
      }
    }
  }
  return JSON.stringify(out);
}"""


def charts(page) -> dict:
    return json.loads(page.evaluate(COVERAGE))


def open_lab(page, url: str, query: str = "") -> None:
    page.goto(f"{url}/collapse-lab{query}")
    page.wait_for_selector("h1", timeout=60_000)
    wait_until(lambda: len(charts(page)) == 4, 60, "both coverage charts")
    settled(page)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_play_runs_the_replay_to_the_end_and_the_charts_show_the_collapse(lab_server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 2000}, accept_downloads=True)
    open_lab(page, lab_server)
    no_exception(page)
    assert charts(page)["now:collapse"]["x"] == [3000], "the page opens at the end of the recording"
    # Play turns into Pause and back: one button, found by its key (Streamlit draws a stretched
    # button with a tooltip twice, one copy hidden, so counting <button>s would count 2)
    button = page.locator(".st-key-lab-play:not([data-stale='true'])")
    play, pause = button.filter(has_text="Play"), button.filter(has_text="Pause")
    play.get_by_role("button", name="Play").click()
    seen = []  # the step of the vanilla side's "now" marker, as often as we can read it

    def now_step() -> int | None:
        data = charts(page)
        if "now:collapse" in data:
            seen.append(data["now:collapse"]["x"][0])
            return seen[-1]
        return None

    def playing() -> bool:
        now_step()
        return pause.count() == 1

    def finished() -> bool:
        return now_step() == STEPS[-1] and play.count() == 1 and pause.count() == 0

    def state() -> str:  # for the failure message
        shot(page, "lab-replay-failed")
        plots = page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(p => {
            const box = p.closest("[data-testid='stElementContainer']");
            return [box ? box.className.match(/st-key-[^ ]+/) : null, box && box.dataset.stale,
                    (p.data || []).map(t => t.meta + '@' + (t.x ? t.x.length : 0)).join(';')];
          })""")
        return f"markers seen {seen[-12:]}, Play {play.count()}, Pause {pause.count()}, plots {plots}"

    wait_until(playing, 60, "Play turning into Pause")
    try:
        wait_until(finished, 90, "the replay reaching its end and stopping")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; {state()}") from None
    # Play starts again from the beginning (the page opened at the end) and walks to the end; the
    # AppTest tests check it stops at every frame, here a busy browser may draw fewer of them
    assert any(s < STEPS[-1] for s in seen), f"the marker moved back to the start and on: {seen}"
    assert seen[-1] == STEPS[-1]
    settled(page)  # the run that stops the play draws the rest of the page
    no_exception(page)
    assert page.get_by_text("Connection error").count() == 0, "e.g. a Cached ForwardMsg MISS after a rerun"
    slider = page.locator("[class*='st-key-lab-step']:not([data-stale='true']) [data-testid='stSliderThumbValue']")
    texts = []
    try:
        wait_until(lambda: (texts.append(slider.all_inner_texts()) or texts[-1] == ["3,000"]), 30,
                   "the slider at the end too")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: it shows {texts[-1]}; {state()}") from None

    # (Streamlit draws a new Plotly element on each run: wait until both sides' are there)
    data = wait_until(lambda: (d := charts(page)) and len(d) == 4 and d, 30, "both coverage charts")
    left, right = data["coverage:collapse"], data[f"coverage:{CURE}"]
    assert left["x"] == STEPS and right["x"] == STEPS
    assert left["y"] == COLLAPSING and right["y"] == COVERING
    assert left["y"][-1] < max(left["y"]), "the vanilla GAN's coverage falls"
    assert right["y"][-1] == 8 and right["full"] == [8] and left["full"] == [8], "the cure ends at the full count"
    assert data["now:collapse"] == {"x": [3000], "y": [1], "full": [8]}
    assert data[f"now:{CURE}"]["y"] == [8]
    values = page.locator("[data-testid='stMetricValue']").all_inner_texts()
    assert "1 / 8" in values and "8 / 8" in values
    shot(page, "lab-replay")

    # one click downloads the slide of this moment, drawn on the server when pressed
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="PNG of this moment").click()
    assert download.value.suggested_filename == f"lab-ring8-{CURE}-step3000.png"
    assert open(download.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    page.close()


MEASURE = """() => {
  const plots = LIVE_PLOTS;""".replace("LIVE_PLOTS", LIVE_PLOTS) + """
  const coverage = plots.filter(p => (p.data || []).some(t => String(t.meta).startsWith('coverage:')));
  const sidebar = document.querySelector("[data-testid='stSidebar']");
  return JSON.stringify({
    sidebar: !!sidebar && sidebar.getBoundingClientRect().width > 0 && getComputedStyle(sidebar).display !== 'none',
    metric: parseFloat(getComputedStyle(document.querySelector("[data-testid='stMetricValue'] p")).fontSize),
    chart_font: Math.max(...plots.map(p => p.layout.font.size)),
    // the bottom of the lowest coverage chart: on a 1080p projector without scrolling?
    charts_bottom: Math.max(...coverage.map(p => p.getBoundingClientRect().bottom)),
  });
}"""


def test_presenter_view_hides_the_chrome_and_enlarges_everything(lab_server, browser):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    open_lab(page, lab_server)
    normal = json.loads(page.evaluate(MEASURE))
    switch = page.get_by_role("switch", name="Presenter view")
    assert not switch.is_checked()
    page.locator("[data-testid='stCheckbox']").filter(has_text="Presenter view").locator("label").click()
    wait_until(switch.is_checked, 10, "the toggle switched on")
    wait_until(lambda: "presenter=1" in page.evaluate("() => location.search"), 60,
               "the toggle writing ?presenter=1 (bookmarkable)")  # (page.url alone pumps no events)
    wait_until(lambda: not json.loads(page.evaluate(MEASURE))["sidebar"], 60, "the sidebar hidden")
    wait_until(lambda: json.loads(page.evaluate(MEASURE))["chart_font"] > normal["chart_font"], 60,
               "large charts")
    settled(page)
    presenter = json.loads(page.evaluate(MEASURE))
    no_exception(page)
    assert normal["sidebar"] and not presenter["sidebar"]
    assert presenter["metric"] > 1.5 * normal["metric"]
    assert presenter["charts_bottom"] <= 1080 < normal["charts_bottom"], (normal, presenter)
    shot(page, "lab-presenter")
    page.close()

    # the bookmark opens straight into presenter view
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(f"{lab_server}/collapse-lab?presenter=1")
    page.wait_for_selector("h1", timeout=60_000)
    wait_until(lambda: page.locator("[data-testid='stMetricValue']").count() > 0, 60, "the page")
    assert page.get_by_role("switch", name="Presenter view").is_checked()
    wait_until(lambda: not json.loads(page.evaluate(MEASURE))["sidebar"], 30, "no sidebar in presenter view")
    page.close()
