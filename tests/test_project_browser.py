"""Project your digit in Chromium: the panel embedded in the dashboard's Explore page, a digit drawn
on the Sketchpad with the mouse, projected, and walked on from (sliders, map, interpolation, labels),
then back to seeds. Uses `Panel` from test_explore_browser (every control checked inside the frame,
nothing cut); screenshots go to test-artifacts/project-*.png.
"""

from __future__ import annotations

import re
import time

import pytest

from servers import CHROMIUM, ROOT, answers, chromium, streamlit_server, wait_until

pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium)"),
    pytest.mark.slow,
]

from test_explore_browser import Panel  # noqa: E402  (after the skips: it needs playwright too)

ARTIFACTS = ROOT / "test-artifacts"
CDCGAN, STYLE = "mnist-cdcgan", "mnist-cstylegan-lite"
SEVEN = [(0.3, 0.3), (0.5, 0.3), (0.7, 0.3), (0.62, 0.45), (0.55, 0.6), (0.5, 0.72)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with streamlit_server(tmp_path_factory.mktemp("log"), GANPLAY_RUNS=str(tmp_path_factory.mktemp("runs"))) as url:
        deadline = time.monotonic() + 120  # the panel is built in a thread after the server starts
        while not answers(f"{url}/panel/config") and time.monotonic() < deadline:
            time.sleep(0.3)
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def error_of(p: Panel) -> float:
    found = re.search(r"Error (\d+\.\d+)", p.text("gp-project-result"))
    return float(found.group(1)) if found else float("nan")


def test_draw_a_digit_project_it_and_walk_on(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server}/explore")
    page.wait_for_selector("h1", timeout=30_000)
    p = Panel(page)
    p.fits()

    # StyleGAN-lite (the default generator), w+: a "7" drawn with the mouse
    p.tab("Project your digit")
    assert not p.el("#gp-project-walk-on").is_enabled()  # nothing to walk on from yet
    p.draw("gp-project-pad", SEVEN)
    p.click("#gp-project-draw")
    p.changed("gp-project-output", None, timeout=90)
    wait_until(lambda: "Error" in p.text("gp-project-result"), 30, "the projection's error")
    text = p.text("gp-project-result")
    assert "best of 100 random seeds" in text and "Searched w+" in text, text
    assert 0 < error_of(p) < 0.1, text
    assert 0.02 < p.bright_share("gp-project-output") < 0.6  # a stroke, not blank or all ink
    assert "under every label" in text  # w+ holds its label: the page says to search z for the row
    p.fits()
    p.el("#gp-project-result").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "project-drawn-seven-w+.png"))

    # walk on: the Walk tab opens at the reconstruction, the note says so
    walk_img = p.src("gp-walk-image")
    p.click("#gp-project-walk-on")
    wait_until(lambda: "from your projected digit" in p.text("gp-start-text"), 30, "the note")
    walk_img = p.changed("gp-walk-image", walk_img)
    p.drag("gp-pc1", 0.8)
    walk_img = p.changed("gp-walk-image", walk_img)
    p.click("#gp-map-button")
    p.changed("gp-map-image", None)
    p.click("#gp-interp-button")
    p.changed("gp-strip", None)
    p.fits()
    p.el("#gp-walk-image").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "project-walk-on.png"))
    p.el("#gp-strip").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "project-walk-on-map-interpolation.png"))

    # back to seeds: the note goes, the walk is the seed's again
    p.click("#gp-back-to-seeds")
    wait_until(lambda: not p.doc.locator("#gp-start-note").is_visible(), 30, "the note hidden")
    p.changed("gp-walk-image", walk_img)

    # a conditional DCGAN, z: the same z under every label
    p.choose("gp-generator", f"zoo: {CDCGAN}")
    p.tab("Project your digit")
    wait_until(lambda: p.doc.locator("#gp-project-space input[value='w+']").count() == 0, 30,
               "the space choices of a z-only generator")
    before = p.src("gp-project-output")
    p.click("#gp-project-draw")  # the same drawing, the new generator
    p.changed("gp-project-output", before, timeout=90)
    wait_until(lambda: "Searched z of mnist-cdcgan" in p.text("gp-project-result"), 30, "the DCGAN's projection")
    p.changed("gp-project-labels", None)
    p.fits()
    p.el("#gp-project-walk-on").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "project-cdcgan-labels.png"))
    page.set_viewport_size({"width": 1280, "height": 1250})  # the whole tab in one picture, for the README
    p.el("#gp-project-space").evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(ARTIFACTS / "project-panel.png"))
    page.set_viewport_size({"width": 1280, "height": 900})

    # bad input: an empty canvas is a message where the answer goes, the pictures emptied
    p.click("#gp-project-pad button[aria-label='Clear canvas']")
    p.click("#gp-project-draw")
    wait_until(lambda: "draw a digit first" in p.text("gp-project-result"), 30, "the empty canvas's message")
    assert "Not projected" in p.text("gp-project-result") and not p.el("#gp-project-walk-on").is_enabled()
    p.el("#gp-project-result").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "project-empty-canvas.png"))
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()


def test_the_tab_fits_a_phone(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{server}/explore")
    page.wait_for_selector("h1", timeout=30_000)
    p = Panel(page)
    p.tab("Project your digit")  # fits: nothing cut, no scrolling inside the frame
    p.draw("gp-project-pad", SEVEN)
    p.click("#gp-project-draw")
    p.changed("gp-project-output", None, timeout=90)
    wait_until(lambda: "Error" in p.text("gp-project-result"), 30, "the projection's error")
    p.fits()
    p.el("#gp-project-result").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "project-phone.png"))
    page.close()
