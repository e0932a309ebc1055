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
from servers import CHROMIUM, chromium, streamlit_server
from test_dashboard_browser import ARTIFACTS, no_exception, settled, wait_until

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium)"),
    pytest.mark.slow,
]
CURE = "unrolled"  # ring8's first cure: what the page opens with
RIGHT_HQ = [0.0, 0.95, 0.95, 0.1, 0.1]  # the cure's high-quality share per frame (COVERING: 0, 3, 6, 8, 8)


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    replays = tmp_path_factory.mktemp("lab-replays")
    # the cure covers all 8 at its end with few sharp samples: the page warns on that side alone
    write_pair(replays, cure=CURE, right_hq=RIGHT_HQ)
    with streamlit_server(tmp_path_factory.mktemp("log"), GANPLAY_LAB_REPLAYS=str(replays),
                          GANPLAY_RUNS=str(tmp_path_factory.mktemp("runs"))) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


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
    assert charts(page)["now:collapse"]["x"] == [0], "the page opens at the start of the recording"
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
    # Play walks from the start to the end; the AppTest tests check it stops at every frame, here a
    # busy browser may draw fewer of them
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
    chart_font: Math.max(...plots.map(p => (p._fullLayout && p._fullLayout.font.size) || 0)),
    // the bottom of the lowest coverage chart: on a 1080p projector without scrolling?
    charts_bottom: Math.max(...coverage.map(p => p.getBoundingClientRect().bottom)),
  });
}"""


def test_presenter_view_hides_the_chrome_and_enlarges_everything(lab_server, browser):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    open_lab(page, lab_server)
    # (on a busy machine a chart can be in the page a moment before plotly has laid it out)
    normal = wait_until(lambda: (m := json.loads(page.evaluate(MEASURE)))["chart_font"] and m, 30,
                        "the charts laid out")
    switch = page.get_by_role("switch", name="Presenter view")
    assert not switch.is_checked()
    page.locator("[data-testid='stCheckbox']").filter(has_text="Presenter view").locator("label").click()
    wait_until(lambda: "presenter=1" in page.evaluate("() => location.search"), 60,
               "the toggle writing ?presenter=1 (bookmarkable)")  # (page.url alone pumps no events)
    wait_until(lambda: not json.loads(page.evaluate(MEASURE))["sidebar"], 60, "the sidebar hidden")
    # (None while plotly lays a chart out again)
    wait_until(lambda: (json.loads(page.evaluate(MEASURE))["chart_font"] or 0) > normal["chart_font"], 60,
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
    wait_until(lambda: not json.loads(page.evaluate(MEASURE))["sidebar"], 30, "no sidebar in presenter view")
    assert page.get_by_role("switch", name="Presenter view").count() == 0, "the toggle is a control: hidden"
    # "Leave presenter view" (a link) brings the normal view back with the same lesson
    page.get_by_role("link", name="Leave presenter view").click()
    sidebar = """() => { const s = document.querySelector("[data-testid='stSidebar']");
                         return !!s && s.getBoundingClientRect().width > 0 && getComputedStyle(s).display !== 'none'; }"""
    wait_until(lambda: page.evaluate(sidebar), 60, "the sidebar back")
    wait_until(lambda: page.get_by_role("switch", name="Presenter view").count() == 1, 30, "the toggle back")
    search = []
    wait_until(lambda: (search.append(page.evaluate("() => location.search")) or
                        ("presenter" not in search[-1] and f"cure={CURE}" in search[-1])), 30,
               "the address without ?presenter and with the lesson")
    page.close()


# --- issue 18: the lab opens at step 0; presenter view shows no controls; a phone keeps both sides --
SLIDER_VALUE = "[class*='st-key-lab-step']:not([data-stale='true']) [data-testid='stSliderThumbValue']"


def test_the_lab_opens_at_step_0_ready_to_play(lab_server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    open_lab(page, lab_server)
    no_exception(page)
    assert page.locator(SLIDER_VALUE).all_inner_texts() == ["0"], "the timeline starts at step 0"
    data = charts(page)
    assert data["now:collapse"]["x"] == [0] and data[f"now:{CURE}"]["x"] == [0], "both markers at step 0"
    labels = page.locator("[data-testid='stMetricLabel']").all_inner_texts()
    assert labels.count("modes covered") == 2, labels  # the slider above says the step
    assert "measured at step" not in page.locator("[data-testid='stMain']").inner_text(), \
        "both sides have a frame at step 0: no side names another step"
    # why "8 / 8 modes" can sit beside a low share of high-quality samples: not at step 0, where
    # nothing is covered (it showed there, at 0 / 8); the picture says what it draws
    text = page.locator("[data-testid='stMain']").inner_text()
    assert "high-quality samples?" not in text and "are touched, but only" not in text
    assert text.count("500 of G's samples, touching 0 of the 8 grey modes") == 2
    page.close()


# --- the presenter view's figures in a projector's first screen; labels in full at 1,024 px -------
@pytest.mark.parametrize("width,height", [(1280, 720), (1024, 768), (1920, 1080)])
def test_presenter_view_shows_the_figures_in_the_first_screen(lab_server, browser, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    open_lab(page, lab_server, "?presenter=1")
    no_exception(page)
    page.wait_for_timeout(500)  # (plotly lays the charts out once more after the run)
    boxes = json.loads(page.evaluate(BOXES))
    shot(page, f"lab-presenter-{width}x{height}")
    assert sorted(boxes) == ["coverage", "samples"], boxes
    for what, found in boxes.items():
        assert sorted(side for side, *_ in found) == sorted(["collapse", CURE]), boxes
        for side, top, bottom, left, right in found:
            # the whole chart on the first screen, the samples' plot (a square at its figure's
            # top, the rest cut off by PRESENTER_CSS) at least started
            assert 0 <= top < height * 0.6, f"{what} of {side} starts {top:.0f} px down at {width}x{height}"
            if what == "coverage":
                assert bottom <= height, f"the {side} chart ends {bottom:.0f} px down at {width}x{height}"
    page.close()


def test_metric_labels_are_not_cut_short_at_1024_px(lab_server, browser):
    for query in ("", "?presenter=1"):
        page = browser.new_page(viewport={"width": 1024, "height": 768})
        open_lab(page, lab_server, query)
        page.wait_for_timeout(300)
        labels = json.loads(page.evaluate(CUT))
        assert [text for text, _ in labels].count("high quality") == 2, labels
        assert not [text for text, cut in labels if cut], f"cut short at 1,024 px{query}: {labels}"
        legends = page.evaluate("""() => Array.from(document.querySelectorAll('.legendtext')).map(t => {
            const plot = t.closest('.js-plotly-plot').getBoundingClientRect(), r = t.getBoundingClientRect();
            return r.right <= plot.right + 1; })""")
        assert all(legends), f"a legend entry runs off its chart{query}"
        page.close()


# Every visible control a visitor could operate (Streamlit keeps stale copies hidden: skipped).
CONTROLS = """() => {
  const sel = 'input, select, textarea, button, [role=slider], [role=switch], [role=radio], ' +
              '[role=checkbox], [role=combobox], [role=button], [role=tab], [role=spinbutton], ' +
              '[role=textbox], [role=listbox], [role=option], [data-baseweb=select]';
  const out = [];
  for (const el of document.querySelectorAll(sel)) {
    const box = el.closest("[data-testid='stElementContainer']");
    if (box && box.dataset.stale === 'true') continue;
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) continue;
    if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
    const keyed = el.closest("[class*='st-key-']");
    const key = keyed ? (keyed.className.match(/st-key-[^ ]+/) || [''])[0] : '';
    out.push(key + '|' + (el.getAttribute('role') || el.tagName.toLowerCase()) + '|' +
             (el.getAttribute('aria-label') || el.innerText || '').trim().replace(/\\s+/g, ' '));
  }
  return JSON.stringify(out);
}"""


def test_presenter_view_shows_no_controls_but_play_and_the_timeline(lab_server, browser):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    open_lab(page, lab_server, "?presenter=1")
    no_exception(page)
    controls = json.loads(page.evaluate(CONTROLS))
    # kept on purpose: Play/Pause (one button) and the step slider, what a presenter steps with
    keys = sorted({c.split("|")[0] for c in controls})
    assert len(keys) == 2 and keys[0] == "st-key-lab-play" and keys[1].startswith("st-key-lab-step-"), controls
    assert any(c.startswith("st-key-lab-play|button|") and c.endswith("Play") for c in controls), controls
    assert len(controls) == 2, controls
    # the figures and the big numbers are there
    assert len(charts(page)) == 4
    assert page.locator("[data-testid='stMetricValue']").count() >= 2
    shot(page, "lab-presenter-bookmark")
    page.close()


# Where the two sides' figures are on screen: {meta prefix: [[side, top, bottom], ...]}
BOXES = """() => {
  const out = {};
  for (const plot of LIVE_PLOTS) {""".replace("LIVE_PLOTS", LIVE_PLOTS) + """
    const meta = (plot.data || []).map(t => String(t.meta || '')).find(m => m.startsWith('samples:') || m.startsWith('coverage:'));
    if (!meta) continue;
    const [what, side] = meta.split(':');
    const r = plot.getBoundingClientRect();
    (out[what] = out[what] || []).push([side, r.top, r.bottom, r.left, r.right]);
  }
  return JSON.stringify(out);
}"""


# metric labels and the delta's words, and whether each is cut short (the box that ends in "…")
CUT = """() => JSON.stringify(Array.from(document.querySelectorAll(
    '[data-testid="stMetricLabel"] .stMarkdownEllipsis, [data-testid="stMetricDeltaDescription"]'))
    .filter(e => { const box = e.closest("[data-testid='stElementContainer']");
                   return !box || box.dataset.stale !== 'true'; })
    .map(e => [e.textContent, e.scrollWidth > e.clientWidth + 1]))"""


def test_on_a_phone_both_sides_stay_on_screen_together(lab_server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    open_lab(page, lab_server)
    no_exception(page)
    shot(page, "lab-phone")
    labels = [(t, c) for t, c in json.loads(page.evaluate(CUT)) if t != "vs. best so far"]
    assert [text for text, _ in labels].count("modes covered") == 2, labels
    assert not [text for text, cut in labels if cut], f"metric labels cut short on a phone: {labels}"
    width = page.evaluate("() => document.documentElement.clientWidth")
    for what in ("samples", "coverage"):
        page.evaluate("""what => Array.from(document.querySelectorAll('.js-plotly-plot'))
                          .find(p => (p.data || []).some(t => String(t.meta).startsWith(what + ':')))
                          .scrollIntoView({block: 'start'})""", what)
        page.wait_for_timeout(300)
        boxes = json.loads(page.evaluate(BOXES))[what]
        assert sorted(side for side, *_ in boxes) == sorted(["collapse", CURE]), boxes
        for side, top, bottom, left, right in boxes:
            assert top < 844 and bottom > 0, f"{what} of {side} off screen together with the other: {boxes}"
            assert left >= -1 and right <= width + 1, f"{what} of {side} wider than the phone: {boxes}"
        tops = [top for _, top, *_ in boxes]
        assert abs(tops[0] - tops[1]) <= 2, f"the two sides' {what} figures are not level: {boxes}"
    page.close()


def test_on_a_phone_a_warning_on_one_side_leaves_the_figures_level(lab_server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    open_lab(page, lab_server)
    page.locator(".st-key-lab-play:not([data-stale='true'])").get_by_role("button", name="Play").click()
    wait_until(lambda: charts(page).get("now:collapse", {}).get("x") == [STEPS[-1]]
               and page.locator(".st-key-lab-play:not([data-stale='true'])").filter(has_text="Play").count() == 1,
               90, "the replay at its end")
    settled(page)
    page.wait_for_timeout(500)
    no_exception(page)
    text = page.locator("[data-testid='stMain']").inner_text()
    assert text.count("are touched, but only 10% of the samples") == 1, "the cure's side warns, alone"
    boxes = json.loads(page.evaluate(BOXES))
    shot(page, "lab-phone-warning")
    for what in ("samples", "coverage"):
        tops = [top for _, top, *_ in boxes[what]]
        assert len(tops) == 2 and abs(tops[0] - tops[1]) <= 2, f"{what} not level beside the warning: {boxes}"
    page.close()
