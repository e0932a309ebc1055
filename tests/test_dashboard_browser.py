"""The real thing: `streamlit run app.py` on a free port, driven by Chromium through Playwright.

Starts a short training from the Train page (filled in through a shared link), checks that the
loss chart gains points and the sample image changes between two polls, does the same for the 2D
playground, and saves a screenshot of every page under test-artifacts/ (with the measured times in
test-artifacts/timings.json).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from urllib.parse import urlencode, urlsplit

import pytest

from ganplay.config import Config
from ganplay.train.rundir import RunDir
from servers import ROOT, kill_jobs, live_button, streamlit_server, wait_until

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium)"),
    pytest.mark.slow,
]
TIMINGS: dict[str, float] = {}
OUTSIDE: list[str] = []  # every request any page of this module made to another host


def leaves_the_server(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != "127.0.0.1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    started = time.monotonic()
    try:
        with streamlit_server(tmp_path_factory.mktemp("log"), GANPLAY_RUNS=str(runs)) as url:
            yield {"url": url, "runs": runs, "started": started}
    finally:
        kill_jobs(runs)  # the jobs it started run in their own sessions
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "timings.json").write_text(json.dumps(TIMINGS, indent=2) + "\n")


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 2000})
        tab.context.on("request", lambda r: OUTSIDE.append(r.url) if leaves_the_server(r.url) else None)
        yield tab
        browser.close()


def open_page(page, server, path: str) -> None:
    page.goto(f"{server['url']}/{path}")
    page.wait_for_selector("h1", timeout=30_000)
    settled(page)


def settled(page, timeout: float = 30.0) -> None:
    """Wait until the script run is over (Streamlit shows its status widget while it runs)."""
    running = page.locator("[data-testid='stStatusWidget']")
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        if running.count() == 0:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > 0.5:
                return
        else:
            quiet_since = None
        time.sleep(0.05)


def no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, \
        page.locator("[data-testid='stException']").all_inner_texts()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)  # no hover tooltips in the picture
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


PLOT_POINTS = """() => {
  const plot = document.querySelector('.js-plotly-plot');
  if (!plot || !plot.data) return -1;
  return plot.data.reduce((n, t) => n + (t.x ? t.x.length : 0), 0);
}"""
GENERATED_POINTS = """() => {
  const plot = document.querySelector('.js-plotly-plot');
  if (!plot || !plot.data) return null;
  const t = plot.data.find(t => t.name === 'generated');
  return t ? JSON.stringify([plot.layout.title && plot.layout.title.text, Array.from(t.x).slice(0, 50)]) : null;
}"""
VIEW_2D = """() => {
  const plot = document.querySelector('.js-plotly-plot');
  if (!plot || !plot.data) return null;
  const named = n => plot.data.find(t => t.name === n);
  // plotly.py sends numpy arrays as {dtype, bdata} (base64); plain lists arrive as arrays
  const size = {f4: 4, f8: 8, i1: 1, u1: 1, i2: 2, u2: 2, i4: 4, u4: 4};
  const len = x => x == null ? 0 : (x.length !== undefined ? x.length : atob(x.bdata).length / size[x.dtype]);
  const field = named("D's field"), inside = named('generated'), edge = named('generated, beyond the view');
  if (!field || !inside) return null;
  return {title: plot.layout.title && plot.layout.title.text, scale: [field.zmin, field.zmax, field.zmid],
          inside: len(inside.x), edge: edge ? len(edge.x) : 0,
          notes: (plot.layout.annotations || []).map(a => a.text)};
}"""
SAMPLE_SRC = """() => {
  const img = document.querySelector('[data-testid="stImage"] img');
  return img ? img.getAttribute('src') : null;
}"""


PAINTED = """() => [...document.querySelectorAll('[data-testid="stImage"] img')]
  .filter(i => i.complete && i.naturalWidth > 0)
  .map(i => [i.getAttribute('src'), i.closest('[data-testid="stImage"]').innerText])"""


def test_home_shows_every_zoo_grid_on_a_cold_server_and_samples_new_ones_one_by_one(server, page):
    from ganplay.dashboard import gallery

    names = sorted(m.name for m in gallery.zoo_models())
    page.goto(server["url"])
    painted = wait_until(lambda: (lambda imgs: imgs if len(imgs) >= len(names) else None)(page.evaluate(PAINTED)),
                         30, "every zoo grid painted on Home")
    assert sorted(caption.split(":")[0] for _, caption in painted) == names
    no_exception(page)
    assert page.get_by_text("Seed 0 (the samples that ship with the zoo)").count() == 1
    screenshot(page, "home")
    first = {src for src, _ in painted}
    live_button(page, "New samples").click()
    wait_until(lambda: page.get_by_text("Seed 1 ·").count() == 1, 120, "the new samples' caption")
    # the caption can land a moment before the browser has decoded the last new PNG
    renewed = wait_until(lambda: (lambda imgs: imgs if len(imgs) == len(names) and not first & {s for s, _ in imgs}
                                  else None)(page.evaluate(PAINTED)), 15, "every new grid painted")
    assert sorted(caption.split(":")[0] for _, caption in renewed) == names
    no_exception(page)


def test_a_deep_link_as_the_first_request_opens_quickly_inside_the_dashboard(server, page):
    open_page(page, server, "explore")
    TIMINGS["startup_to_first_page_s"] = round(time.monotonic() - server["started"], 2)
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "2D playground" in nav and "Mode collapse lab" in nav, nav  # st.navigation's titles
    no_exception(page)


def test_home_without_runs(server, page):
    open_page(page, server, "")
    assert page.get_by_text("Train your own").count() >= 1
    # no developer chrome in a learner's way: no Deploy, no main menu, the runs folder folded away
    assert page.locator("[data-testid='stAppDeployButton']").count() == 0
    page.locator("[data-testid='stMainMenu']").wait_for(state="hidden", timeout=10_000)  # widgets.PAGE_CSS
    assert not page.get_by_role("textbox", name="Runs folder").is_visible()
    assert page.locator("[data-testid='stSidebar']").get_by_text("Advanced").is_visible()
    no_exception(page)
    screenshot(page, "home-empty")


def test_a_bad_combination_shows_the_validators_message_next_to_the_field(server, page):
    open_page(page, server, "train?model.arch=dcgan")  # 2D data needs an MLP
    message = "model.arch: 2D data (ring8) needs 'mlp'"
    assert page.get_by_text(message).count() >= 2  # next to the field, and in the summary
    assert live_button(page, "Start training").is_disabled()
    no_exception(page)
    screenshot(page, "train-form-error")


def test_train_live_loss_chart_and_samples(server, page):
    cfg = Config.from_preset("ring8-gan", [
        "model.g_hidden=[32, 32]", "model.d_hidden=[32]", "model.z_dim=8", "train.batch_size=64",
        "train.steps=20000", "train.log_every=10", "train.sample_every=50", "train.checkpoint_every=5000"])
    from ganplay.dashboard.share import config_to_query

    open_page(page, server, "train?" + urlencode(config_to_query(cfg)))  # a shared link fills the form
    no_exception(page)
    live_button(page, "Start training").click()
    pressed = time.monotonic()
    on_disk = {}

    def first_point_drawn() -> bool:  # also note when the job wrote its first metrics line
        if not on_disk and any(RunDir(p).read_metrics() for p in server["runs"].iterdir() if RunDir(p).is_run()):
            on_disk["t"] = time.monotonic()
        return page.evaluate(PLOT_POINTS) > 0

    first = wait_until(first_point_drawn, 90, "the loss chart's first points")
    TIMINGS["start_to_first_chart_point_s"] = round(time.monotonic() - pressed, 2)
    if on_disk:
        TIMINGS["start_to_first_metrics_line_on_disk_s"] = round(on_disk["t"] - pressed, 2)
    points = page.evaluate(PLOT_POINTS)
    src = wait_until(lambda: page.evaluate(SAMPLE_SRC), 30, "a sample image")
    wait_until(lambda: page.evaluate(PLOT_POINTS) > points, 30, "the loss chart gaining points")
    wait_until(lambda: page.evaluate(SAMPLE_SRC) not in (None, src), 30, "a new sample image")
    assert first
    no_exception(page)
    # (the page redraws around the job once when its state changes, e.g. starting -> running)
    wait_until(lambda: page.get_by_text("Reading the curves").count() == 1, 15, "the curves' notes")
    screenshot(page, "train-live")


def test_playground_follows_the_running_job(server, page):
    import numpy as np

    open_page(page, server, "playground")
    first = wait_until(lambda: page.evaluate(GENERATED_POINTS), 30, "the 2D view")
    wait_until(lambda: page.evaluate(GENERATED_POINTS) not in (None, first), 30,
               "the generated points moving between polls")
    no_exception(page)
    screenshot(page, "playground-live")
    # every frame: one colour scale (D's probability, white at 0.5), and every generated point
    # of the snapshot either drawn inside the view or drawn on its edge and counted
    run = next(RunDir(p) for p in server["runs"].iterdir() if RunDir(p).is_run())
    frames = {}
    deadline = time.monotonic() + 30
    while len(frames) < 3 and time.monotonic() < deadline:
        view = page.evaluate(VIEW_2D)
        if view and view["title"] not in frames:
            frames[view["title"]] = view
        time.sleep(0.2)
    assert len(frames) >= 2, frames
    for title, view in frames.items():
        assert view["scale"] == [0, 1, 0.5], view
        step = int(re.search(r"step ([\d,]+)", title).group(1).replace(",", ""))
        with np.load(run.samples_dir / f"step-{step:07d}.npz") as z:
            total = len(z["fake"])
        assert view["inside"] + view["edge"] == total, view
        if view["edge"]:
            assert view["notes"] == [f"{view['edge']:,} of {total:,} points<br>beyond the view (on its edge)"], view


def test_playground_step_mode(server, page):
    open_page(page, server, "playground")
    page.get_by_text("Step by hand", exact=True).click()
    live_button(page, "One D step").wait_for(timeout=60_000)
    before = wait_until(lambda: page.evaluate(GENERATED_POINTS), 30, "the step-mode view")
    live_button(page, "One G step").click()
    wait_until(lambda: page.evaluate(GENERATED_POINTS) not in (None, before), 30, "G's step moving the points")
    no_exception(page)
    screenshot(page, "playground-step")


def test_a_paused_job_shows_one_status_everywhere(server, page):
    open_page(page, server, "train")
    live_button(page, "Pause").click()
    picker = page.locator("[data-testid='stSelectbox']").filter(has_text="Watching")
    picked = picker.locator("input")  # the chosen option's label is the combobox's value
    wait_until(lambda: picked.input_value().endswith("· paused"), 30, "the run picker saying paused")
    settled(page)
    progress = page.locator("[data-testid='stProgress']").first.inner_text()
    assert "paused" in progress and "images/s" not in progress, progress
    tiles = page.locator("[data-testid='stMetric']").all_inner_texts()
    assert tiles and not [t for t in tiles if "images/s" in t], tiles  # no stale speed
    no_exception(page)
    screenshot(page, "train-paused")
    live_button(page, "Resume").click()
    wait_until(lambda: picked.input_value().endswith("· running"), 30, "the run picker saying running again")


@pytest.mark.parametrize("path,name", [("runs", "runs"), ("explore", "explore"),
                                       ("collapse-lab", "collapse-lab"), ("", "home")])
def test_other_pages_render(server, page, path, name):
    open_page(page, server, path)
    no_exception(page)
    screenshot(page, name)


def test_no_page_asks_anything_of_another_host(server, page):
    """Offline first: every page, the embedded panel included, is drawn from this server alone: no
    usage statistics, no icon from a font server (a learner offline would see them fail; one
    online would be counted). Also covers what the earlier tests of this module clicked."""
    paths = re.findall(r'url_path="([^"]+)"', (ROOT / "ganplay" / "dashboard" / "main.py").read_text())
    assert {"train", "playground", "runs", "explore", "collapse-lab"} <= set(paths)
    for path in ["", *paths]:
        open_page(page, server, path)
        no_exception(page)
        if path == "explore":  # the panel is built in a thread after the server starts
            panel = page.frame_locator("iframe[src*='panel']").first
            panel.get_by_text("Explore a generator's latent space").wait_for(timeout=120_000)
            wait_until(lambda: panel.locator("img").count() > 0, 60, "the panel's first picture")
        page.wait_for_timeout(1000)  # a beacon sent once the page settles
    assert OUTSIDE == []
