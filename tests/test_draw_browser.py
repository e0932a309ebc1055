"""Your own 2D data in Chromium: real mouse strokes on the playground's canvas become the points a
run trains on; every bad input says what is wrong in the page and keeps the last good set.

One `streamlit run app.py` for the module. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import csv

import pytest

from ganplay.dashboard.points_editor import TOOL_LABELS
from servers import CHROMIUM, ROOT, chromium, kill_jobs, live_button, streamlit_server, wait_until

ARTIFACTS = ROOT / "test-artifacts"
CANVAS = "canvas[data-testid=points-canvas]"

pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium)"),
    pytest.mark.slow,
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    try:
        with streamlit_server(tmp_path_factory.mktemp("log"), GANPLAY_RUNS=str(runs)) as url:
            yield url, runs
    finally:
        kill_jobs(runs)


@pytest.fixture(scope="module")
def page(served):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{served[0]}/playground")
        page.get_by_role("radio", name="Draw your data").click()
        page.locator(CANVAS).wait_for(timeout=60_000)
        yield page


class Canvas:
    """The drawing area: data coordinates -> page pixels, and the point count it shows."""

    def __init__(self, page):
        self.page = page
        self.el = page.locator(CANVAS)
        self.el.scroll_into_view_if_needed()
        self.box = self.el.bounding_box()
        self.view = float(self.el.get_attribute("data-view"))

    def at(self, x: float, y: float) -> tuple[float, float]:
        b, v = self.box, self.view
        return b["x"] + (x + v) / (2 * v) * b["width"], b["y"] + (v - y) / (2 * v) * b["height"]

    def count(self) -> int:
        return int(self.page.locator(CANVAS).get_attribute("data-count") or 0)

    def stroke(self, points: list[tuple[float, float]], moves: int = 12) -> None:
        mouse = self.page.mouse
        mouse.move(*self.at(*points[0]))
        mouse.down()
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            for i in range(1, moves + 1):
                mouse.move(*self.at(x0 + (x1 - x0) * i / moves, y0 + (y1 - y0) * i / moves))
        mouse.up()

    def click(self, x: float, y: float) -> None:
        self.page.mouse.click(*self.at(x, y))


def tool(page, name: str) -> None:
    choice = page.get_by_role("radio", name=name, exact=True)
    if choice.get_attribute("aria-checked") == "true":
        return  # clicking the chosen one would unchoose it
    choice.click()
    wait_until(lambda: choice.get_attribute("aria-checked") == "true", 10, f"the {name} tool chosen")
    key = {label: k for k, label in TOOL_LABELS.items()}[name]
    # the rerun that hands the canvas its new tool: a stroke before it would use the old one
    wait_until(lambda: page.locator(CANVAS).get_attribute("data-tool") == key, 30, f"the canvas holding {name}")


def wait_count(page, n: int, what: str) -> None:
    wait_until(lambda: Canvas(page).count() == n, 30, f"{what}: the canvas shows {n} points "
               f"(it shows {Canvas(page).count()})")


GOOD = b"x,y\n" + b"\n".join(f"{i % 7},{i % 5}".encode() for i in range(40))


def open_drawing(page, url: str) -> None:
    """The playground's Draw your data mode, from a fresh page (a new session: no points)."""
    page.goto(f"{url}/playground")
    page.get_by_role("radio", name="Draw your data").click()
    page.locator(CANVAS).wait_for(timeout=60_000)


def upload(page, name: str, body: bytes) -> None:
    page.locator("input[type=file]").set_input_files(files=[{"name": name, "mimeType": "text/csv", "buffer": body}])


def test_strokes_become_the_points_a_run_trains_on(page, served):
    url, runs = served
    canvas = Canvas(page)
    assert canvas.count() == 0
    tool(page, "Spray")
    canvas.stroke([(-2.0, 0.0), (2.0, 0.0)])  # 4 units: 30 points per unit
    wait_count(page, 120, "a sprayed stroke")
    tool(page, "Add points")
    canvas = Canvas(page)
    canvas.click(3.0, 3.0)
    wait_count(page, 121, "a click")
    canvas = Canvas(page)
    canvas.click(-3.0, 3.0)
    wait_count(page, 122, "another click")
    tool(page, "Erase")
    Canvas(page).stroke([(-3.2, 3.0), (-2.8, 3.0)], moves=3)
    wait_count(page, 121, "erasing the second click")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "draw-your-data.png"), full_page=True)

    live_button(page, "Train it").click()
    live_button(page, "Start training").wait_for(timeout=60_000)
    wait_until(lambda: page.locator(CANVAS).count() and Canvas(page).count() == 121, 30,
               "the Train page shows the same points under Your points")
    live_button(page, "Start training").click()
    written = wait_until(lambda: next(iter(runs.glob("*/points.csv")), None), 90, "the run's points.csv")
    rows = wait_until(lambda: list(csv.reader(written.read_text().splitlines()))[1:], 10, "rows in points.csv")
    xy = [(float(x), float(y)) for x, y in rows]
    assert len(xy) == 121
    on_stroke = [p for p in xy if -2.8 < p[0] < 2.8 and abs(p[1]) < 0.8]
    assert len(on_stroke) == 120  # the spray, around y = 0 from x = -2 to 2 (spread 0.15)
    assert sum(1 for p in on_stroke if p[0] < 0) in range(45, 76)  # both halves of the stroke
    clicked = [p for p in xy if p not in on_stroke]
    # a click lands where it was made, give or take the few pixels a redraw may shift the canvas
    assert len(clicked) == 1 and abs(clicked[0][0] - 3) < 0.25 and abs(clicked[0][1] - 3) < 0.25
    kill_jobs(runs)


def test_quick_clicks_each_make_a_point(page, served):
    """Clicks that land while the page reruns arrive as one trigger value, the newest: 12 clicks
    20 ms apart made 8 or 9 points before the canvas numbered and re-sent its strokes."""
    open_drawing(page, served[0])  # a new session: no points
    tool(page, "Add points")
    canvas = Canvas(page)
    for i in range(12):
        canvas.click(-4 + i * 0.7, (-1) ** i * 2.0)
        page.wait_for_timeout(20)
    wait_count(page, 12, "12 quick clicks")
    page.wait_for_timeout(1500)
    assert Canvas(page).count() == 12, "and no click counted twice"


@pytest.mark.parametrize("name, body, says", [
    ("words.csv", b"x,y\n1,2\n3,abc\n", "Row 3: 'abc' is not a number"),
    ("nan.csv", b"1,2\nnan,1\n", "Row 2: nan is not a finite number"),
    ("one.csv", b"x\n1\n2\n", "row 2 has one column"),
    ("many.csv", b"\n".join(b"0.5,0.25" for _ in range(20_001)), "20,001 points; the limit is 20,000"),
], ids=["text", "nan", "one-column", "over-the-cap"])
def test_bad_csvs_say_why_and_keep_the_last_good_set(page, served, name, body, says):
    open_drawing(page, served[0])
    upload(page, "good.csv", GOOD)
    wait_count(page, 40, "a good CSV")
    upload(page, name, body)
    page.get_by_text(says).wait_for(timeout=30_000)
    assert Canvas(page).count() == 40


def test_too_few_points_say_so_before_training(page, served):
    open_drawing(page, served[0])
    live_button(page, "Clear").click()
    wait_count(page, 0, "Clear")
    page.get_by_text("There are no points yet").first.wait_for(timeout=30_000)
    assert live_button(page, "Train it").is_disabled()
    tool(page, "Add points")
    Canvas(page).click(1.0, 1.0)
    wait_count(page, 1, "a single click")
    page.get_by_text("1 point is not a distribution").first.wait_for(timeout=30_000)
    assert live_button(page, "Train it").is_disabled()
    upload(page, "ok.csv", GOOD)
    wait_count(page, 40, "a good CSV replaces the set")
    wait_until(lambda: not live_button(page, "Train it").is_disabled(), 30,
               "Train it enabled once the set can train")
