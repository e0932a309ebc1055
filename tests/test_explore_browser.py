"""The Explore page with the panel embedded, in Chromium: every control of every tab, inside the frame.

One `streamlit run app.py` for the module (the panel mounted at /panel/). At desktop size the test
visits each tab of the embedded panel and uses each control (dropdowns, numbers, buttons, sliders,
radios, the accordion), checking before each that the control lies inside the frame's box while the
frame itself has not scrolled (the frame is as tall as the panel: nothing is reachable only by
scrolling inside it) and after each that it did something (an image appears or changes, text
shows). It also checks that no text is cut at the frame's edge or clipped in its box, that Gradio's
footer ("Use via API", settings, recording) is not shown inside the dashboard, and the same fit and
text checks at phone size. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import math
import time

import pytest

from servers import CHROMIUM, ROOT, answers, chromium, kill_jobs, streamlit_server, two_checkpoint_run, wait_until

ARTIFACTS = ROOT / "test-artifacts"
FRAME = "iframe[src*='panel']"
DCGAN, STYLE = "mnist-cdcgan", "mnist-cstylegan-lite"
RUN = "runs/tiny-run"

pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium)"),
    pytest.mark.slow,
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app with a runs folder holding one run of two checkpoints (copies of a zoo model), for
    the timeline and the comparison's extra generators; yields once the panel is built."""
    runs = tmp_path_factory.mktemp("runs")
    two_checkpoint_run(runs, DCGAN)
    try:
        with streamlit_server(tmp_path_factory.mktemp("log"), GANPLAY_RUNS=str(runs)) as url:
            deadline = time.monotonic() + 120  # the panel is built in a thread after the server starts
            while not answers(f"{url}/panel/config") and time.monotonic() < deadline:
                time.sleep(0.3)
            yield url
    finally:
        kill_jobs(runs)


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


class Panel:
    """The embedded panel: the iframe on the page (`box`) and its document (`doc`, a Frame)."""

    def __init__(self, page):
        self.page = page
        page.frame_locator(FRAME).locator("#gp-walk-image img").wait_for(timeout=90_000)
        self.doc = page.locator(FRAME).element_handle().content_frame()

    def box(self) -> dict:
        return self.page.locator(FRAME).bounding_box()

    def sizes(self) -> dict:
        """The panel's content height (what its page reports) against the frame's height."""
        frame_h = self.page.locator(FRAME).evaluate("f => f.clientHeight")
        doc = self.doc.evaluate("""() => ({scrollY: window.scrollY, scrollX: window.scrollX,
            docH: document.documentElement.scrollHeight, docW: document.documentElement.scrollWidth,
            innerW: window.innerWidth,
            footer: [...document.querySelectorAll('footer')].some(f => f.offsetParent !== null),
            api: [...document.querySelectorAll('button, a')].some(b => b.offsetParent !== null &&
                 /use via api|record|built with gradio|settings/i.test(b.innerText))})""")
        return {"frame_h": frame_h, **doc}

    def fits(self, settle: float = 10) -> None:
        """The frame shows the whole panel: no scrolling inside it, no footer, nothing cut."""
        def fitted():
            s = self.sizes()
            return s if s["docH"] <= s["frame_h"] + 1 else None

        try:
            s = wait_until(fitted, settle, "the frame growing to the panel's height")
        except AssertionError:
            s = self.sizes()
            raise AssertionError(f"the panel ({s['docH']} px) is taller than its frame ({s['frame_h']} px)") from None
        assert s["scrollY"] == 0 and s["scrollX"] == 0, f"the panel scrolled inside its frame: {s}"
        assert s["docW"] <= s["innerW"] + 1, f"the panel is wider than its frame: {s}"
        assert not s["footer"] and not s["api"], "Gradio's footer (Use via API, settings, recording) is shown"
        cut = self.doc.evaluate(CUT_TEXT)
        assert not cut, f"text cut off in the panel: {cut}"

    def inside(self, locator) -> None:
        """`locator` is visible and lies inside the frame's box, reached without scrolling the frame."""
        locator.wait_for(state="visible", timeout=30_000)
        locator.scroll_into_view_if_needed()
        box, frame = locator.bounding_box(), self.box()
        assert box and box["width"] > 0 and box["height"] > 0, f"{locator} has no box"
        assert (frame["x"] - 1 <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
                and frame["y"] - 1 <= box["y"] and box["y"] + box["height"] <= frame["y"] + frame["height"] + 1), \
            f"{locator} at {box} is outside the frame's box {frame}"
        assert self.doc.evaluate("[window.scrollX, window.scrollY]") == [0, 0], \
            f"reaching {locator} scrolled the panel inside its frame"

    def el(self, selector: str):
        return self.doc.locator(selector).first

    def src(self, elem_id: str, timeout: float = 60) -> str:
        img = self.el(f"#{elem_id} img")
        img.wait_for(state="attached", timeout=timeout * 1000)  # lazy: no box until scrolled to
        return img.get_attribute("src")

    def changed(self, elem_id: str, before: str | None, timeout: float = 60) -> str:
        def new():
            img = self.doc.locator(f"#{elem_id} img")
            src = img.first.get_attribute("src") if img.count() else None
            return src if src and src != before else None

        try:
            return wait_until(new, timeout, f"#{elem_id}'s image {'changing' if before else 'appearing'}")
        except AssertionError as exc:  # rare: leave what the page showed, for the next look
            try:  # best effort: the timeout stays the failure even where the page can no longer be read
                ARTIFACTS.mkdir(exist_ok=True)
                self.page.screenshot(path=str(ARTIFACTS / f"timed-out-{elem_id}.png"), full_page=True, timeout=10_000)
                shown = {i: self.el(f"#{i} input").input_value(timeout=2_000)
                         for i in ("gp-seed", "gp-label", "gp-truncation")}
            except Exception as read_error:  # noqa: BLE001
                shown = f"unreadable ({type(read_error).__name__})"
            raise AssertionError(f"{exc} (controls: {shown}; screenshot timed-out-{elem_id}.png)") from None

    # -- controls ---------------------------------------------------------------------------
    def click(self, selector: str) -> None:
        target = self.el(selector)
        self.inside(target)
        target.click()

    def choose(self, elem_id: str, option: str) -> None:
        """Open a dropdown and pick `option` (its label)."""
        box = self.el(f"#{elem_id} input")
        self.inside(box)
        box.click()
        item = self.doc.locator(f"#{box.get_attribute('aria-controls')} [role=option][aria-label='{option}']")
        self.inside(item)
        item.click()

    def number(self, elem_id: str, value: int) -> None:
        """Type a number and press Enter (the `submit` event)."""
        box = self.el(f"#{elem_id} input")
        self.inside(box)
        box.fill(str(value))
        box.press("Enter")

    def drag(self, elem_id: str, fraction: float) -> None:
        """Drag a slider with the mouse (down, move, up: the `release` event)."""
        rng = self.el(f"#{elem_id} input[type=range]")
        self.inside(rng)
        box = rng.bounding_box()
        y = box["y"] + box["height"] / 2
        mouse = self.page.mouse
        mouse.move(box["x"] + box["width"] / 2, y)
        mouse.down()
        mouse.move(box["x"] + box["width"] * fraction, y, steps=6)
        mouse.up()

    def draw(self, elem_id: str, points: list[tuple[float, float]]) -> None:
        """Pick the Sketchpad's brush (unless it is picked: a click would put it down), then draw
        one stroke through `points` (fractions of the canvas's box) with the mouse. The paper is
        fitted inside that box with a margin, and a stroke that starts off the paper draws nothing:
        keep the points within 0.25..0.75 of the height."""
        brush = self.el(f"#{elem_id} button[aria-label='Brush']")
        if "highlight" not in (brush.get_attribute("class") or ""):
            self.click(f"#{elem_id} button[aria-label='Brush']")
        canvas = self.el(f"#{elem_id} canvas")
        self.inside(canvas)
        box, mouse = canvas.bounding_box(), self.page.mouse
        at = [(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy) for fx, fy in points]
        mouse.move(*at[0])
        mouse.down()
        for x, y in at[1:]:
            # a few pointer moves per segment: each costs Chromium's software canvas ~0.15 s
            mouse.move(x, y, steps=3)
        mouse.up()

    def bright_share(self, elem_id: str) -> float:
        """The share of pixels brighter than mid-grey in the image shown in #elem_id, once it has
        loaded (its src can change before a slower machine has decoded the new picture)."""
        self.doc.wait_for_function("""id => { const img = document.querySelector(`#${id} img`);
            return img && img.complete && img.naturalWidth > 0; }""", arg=elem_id, timeout=30_000)
        return self.doc.evaluate("""id => { const img = document.querySelector(`#${id} img`);
            const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
            const g = c.getContext('2d'); g.drawImage(img, 0, 0);
            const d = g.getImageData(0, 0, c.width, c.height).data; let n = 0;
            for (let i = 0; i < d.length; i += 4) n += d[i] > 128;
            return n / (d.length / 4); }""", elem_id)

    def value(self, elem_id: str) -> str:
        return self.el(f"#{elem_id} input[type=number], #{elem_id} input").input_value()

    def tab(self, name: str) -> None:
        """Open a tab: from the tab bar, or on a narrow screen from Gradio's "More tabs" menu."""
        tab = self.doc.get_by_role("tab", name=name)
        if tab.count() == 0 or not tab.is_visible():
            self.click("button[aria-label='More tabs']")
            tab = self.doc.locator(f".overflow-dropdown button:text-is('{name}'), "
                                   f"button:not([role=tab]):text-is('{name}'):visible").last
        self.inside(tab)
        tab.click()
        self.fits()

    def text(self, elem_id: str) -> str:
        return self.el(f"#{elem_id}").inner_text()


# Elements whose text lies outside the panel's width, is clipped by its own box (scrollWidth beyond
# clientWidth where it hides overflow; an input whose value is wider than the input) or sticks out
# of an enclosing box that hides its overflow (a slider's end label cut in half).
CUT_TEXT = """() => {
  const cut = [], W = document.documentElement.clientWidth;
  const shown = e => e.offsetParent !== null && e.getClientRects().length > 0;
  const clips = e => /hidden|clip|auto|scroll/.test(getComputedStyle(e).overflowX);
  for (const e of document.querySelectorAll('.gradio-container *')) {
    // not for the eye: progress ("Loading...", timers), text for screen readers only, copies kept
    // for measuring (the tabs')
    const unseen = '[data-testid=status-tracker], .sr-only, .visually-hidden, [aria-hidden=true]';
    if (!shown(e) || e.closest(unseen)) continue;
    const texts = [...e.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim());
    const input = e.tagName === 'INPUT' && !['range', 'radio', 'checkbox', 'number'].includes(e.type) && e.value;
    // a rotated icon (an accordion's ▼) measures its rotated line box, not its glyph
    if ((!texts.length && !input) || getComputedStyle(e).transform !== 'none') continue;
    // the text's own box (glyphs, not the element's padding); an input's box
    const range = document.createRange();
    const r = input ? e.getBoundingClientRect() : (range.setStart(texts[0], 0),
      range.setEnd(texts[texts.length - 1], texts[texts.length - 1].length), range.getBoundingClientRect());
    const what = (input ? e.value : e.textContent.trim()).slice(0, 60) + ` <${e.tagName} class="${e.className}">`;
    if (r.left < -1 || r.right > W + 1) { cut.push(["past the frame's edge", what]); continue; }
    if (input && e.scrollWidth > e.clientWidth + 1) { cut.push(['wider than its box', what]); continue; }
    if (!input && clips(e) && e.scrollWidth > e.clientWidth + 1) { cut.push(['clipped by its box', what]); continue; }
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (!clips(a)) continue;
      const b = a.getBoundingClientRect();
      if (r.width > 0 && (r.left < b.left - 1 || r.right > b.right + 1)) {
        cut.push(['cut by an enclosing box', what]);
        break;
      }
    }
  }
  return cut;
}"""


def test_every_control_of_every_tab_is_inside_the_frame_and_works(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server}/explore")
    page.wait_for_selector("h1", timeout=30_000)
    p = Panel(page)
    p.fits()

    # -- the shared controls on top ---------------------------------------------------------
    img = p.src("gp-walk-image")
    opened_map = p.src("gp-map-image")  # drawn as the page opens, before any click
    opened_strip = p.src("gp-strip")  # the interpolation too: an empty box hid what it does
    p.choose("gp-generator", f"zoo: {DCGAN}")
    img = p.changed("gp-walk-image", img)
    p.changed("gp-map-image", opened_map)  # another generator: its own map
    p.changed("gp-strip", opened_strip)  # and its own interpolation
    wait_until(lambda: DCGAN in p.doc.locator(".prose").all_inner_texts().__str__(), 30,
               "the generator's description")
    p.number("gp-seed", 5)
    img = p.changed("gp-walk-image", img)
    p.click("#gp-new-seed")
    wait_until(lambda: p.value("gp-seed") != "5", 30, "a new seed")
    img = p.changed("gp-walk-image", img)
    p.choose("gp-label", "3")
    img = p.changed("gp-walk-image", img)
    p.drag("gp-truncation", 0.6)
    img = p.changed("gp-walk-image", img)

    # -- Walk: six directions, reset, the 2D map, interpolation ------------------------------
    for i in range(1, 7):
        label = p.el(f"#gp-pc{i} [data-testid=block-info]").inner_text()
        assert label.startswith(f"Direction {i} (") and "% of the variation" in label, label
        p.drag(f"gp-pc{i}", 0.85)
        img = p.changed("gp-walk-image", img)
    p.click("#gp-reset")
    wait_until(lambda: all(p.value(f"gp-pc{i}") in ("0", "0.0") for i in range(1, 7)), 30, "sliders back at 0")
    img = p.changed("gp-walk-image", img)
    p.fits()

    before = p.src("gp-map-image")  # the generator's map at seed 0; the seed and label moved since
    p.click("#gp-map-button")
    grid = p.changed("gp-map-image", before)
    p.choose("gp-map-across", "Direction 3")
    p.choose("gp-map-down", "Direction 4")
    p.drag("gp-map-side", 0.2)
    p.drag("gp-map-extent", 0.8)
    p.click("#gp-map-button")
    p.changed("gp-map-image", grid)
    p.fits()

    strip = p.src("gp-strip")  # drawn as the page opens (seed 0 to 1), and again for the new generator
    p.number("gp-interp-seed", 7)
    p.drag("gp-interp-frames", 0.1)
    p.click("#gp-interp-path label:has-text('straight')")
    p.click("#gp-interp-button")  # the button the fixed 900 px frame left out of reach
    p.changed("gp-strip", strip)
    wait_until(lambda: p.doc.locator("#gp-gif a").count() > 0, 30, "the GIF's download link")
    p.fits()
    page.screenshot(path=str(ARTIFACTS / "explore-walk.png"))

    # -- Labels ------------------------------------------------------------------------------
    p.tab("Labels")  # opening it draws both pictures for the controls above, before any click
    every = p.changed("gp-all-classes", None)
    grid = p.changed("gp-seed-grid", None)
    p.number("gp-seed", 9)  # (the walk's picture, on its hidden tab, is not waited for)
    p.click("#gp-all-classes-button")
    p.changed("gp-all-classes", every)
    p.drag("gp-seed-grid-side", 0.1)
    p.click("#gp-seed-grid-button")
    p.changed("gp-seed-grid", grid)
    p.fits()

    # -- Compare -----------------------------------------------------------------------------
    p.tab("Compare")  # opening it fills the comparison and the style mix
    first = {name: p.src(f"gp-compare-{name}") for name in (DCGAN, "mnist-cwgan-gp", STYLE)}
    legend = p.text("gp-metrics-legend")
    for metric in ("FID", "KID", "IS", "precision", "recall", "coverage"):
        assert metric in legend
    assert legend.count("is better") >= 6
    assert p.doc.get_by_text("FID 1.47 ± 0.02 (lower is better)", exact=False).count() == 1  # mnist-cdcgan's card
    p.choose("gp-compare-extra", "zoo: mnist-dcgan")
    p.click("#gp-compare-button")
    p.changed("gp-compare-extra-1", None)
    wait_until(lambda: "mnist-dcgan" in p.doc.locator(".prose").all_inner_texts().__str__(), 30,
               "the added generator's metrics")
    assert p.src(f"gp-compare-{DCGAN}") == first[DCGAN]  # the same seed and label: the same picture
    p.fits()

    p.number("gp-compare-interp-seed", 9)
    p.drag("gp-compare-interp-frames", 0.3)
    p.click("#gp-compare-interp-path label:has-text('straight')")
    p.click("#gp-compare-interp-button")
    for name in (DCGAN, "mnist-cwgan-gp", STYLE):
        p.changed(f"gp-compare-strip-{name}", None)
    p.fits()

    mix = p.src("gp-style-mix")
    p.choose("gp-mix-generator", f"zoo: {STYLE}")  # the one StyleGAN-lite: opening and picking it
    p.number("gp-mix-seed-a", 4)
    mix = p.changed("gp-style-mix", mix)
    p.number("gp-mix-seed-b", 8)
    mix = p.changed("gp-style-mix", mix)
    p.drag("gp-crossover", 0.15)
    p.changed("gp-style-mix", mix)

    # the timeline goes through the generator chosen on top: a run with two checkpoints
    p.choose("gp-generator", "run: tiny-run (step 2)")
    wait_until(lambda: "tiny-run" in p.doc.locator(".prose").all_inner_texts().__str__(), 30,
               "the run's description")
    p.click("button:has-text('Timeline')")
    p.drag("gp-timeline", 0.0)
    p.changed("gp-timeline-image", None)
    wait_until(lambda: "checkpoint 1 of 2" in p.text("gp-timeline-info"), 30, "the checkpoint's caption")
    p.fits()
    page.screenshot(path=str(ARTIFACTS / "explore-compare.png"))

    # -- Inside the GAN: the sample follows New seed like the Walk tab's ------------------------
    p.choose("gp-generator", f"zoo: {DCGAN}")
    p.tab("Inside the GAN")
    seen = p.changed("gp-inside-neighbours", None)
    before = p.value("gp-seed")
    p.click("#gp-new-seed")
    wait_until(lambda: p.value("gp-seed") != before, 30, "a new seed")
    p.changed("gp-inside-neighbours", seen)

    # -- Image to image ----------------------------------------------------------------------
    p.tab("Image to image")  # opening it answers held-out digit 0 (super-resolution), before any click
    answers = [p.changed(f"gp-i2i-answer-{i}", None) for i in (1, 2, 3)]  # bicubic, L1 only, the GAN
    wait_until(lambda: "True digit" in p.text("gp-i2i-table"), 30, "the answers' scores")
    assert "PSNR" in p.text("gp-i2i-table") and "mnist-srgan" in p.text("gp-i2i-table")
    p.number("gp-i2i-index", 3)
    p.click("#gp-i2i-pick")
    answers = [p.changed(f"gp-i2i-answer-{i}", a) for i, a in zip((1, 2, 3), answers)]
    p.draw("gp-i2i-pad", [(0.5, 0.28), (0.5, 0.4), (0.5, 0.5), (0.5, 0.6), (0.5, 0.72)])  # a "1", shrunk to 7x7 and made 28x28 again
    p.click("#gp-i2i-draw")
    answers = [p.changed(f"gp-i2i-answer-{i}", a) for i, a in zip((1, 2, 3), answers)]
    wait_until(lambda: "no true image" in p.text("gp-i2i-table"), 30, "the drawing's readings")
    assert all(0.01 < p.bright_share(f"gp-i2i-answer-{i}") < 0.6 for i in (1, 2, 3))  # a stroke, not blank
    page.screenshot(path=str(ARTIFACTS / "explore-image-to-image-lowres.png"))
    p.click("#gp-i2i-task label:has-text('outline')")
    p.click("#gp-i2i-pad button[aria-label='Undo']")  # (Clear canvas would also put the brush down)

    def ring(rx: float, ry: float) -> list[tuple[float, float]]:
        return [(0.5 + rx * math.cos(2 * math.pi * k / 16), 0.5 + ry * math.sin(2 * math.pi * k / 16))
                for k in range(17)]

    p.draw("gp-i2i-pad", ring(0.22, 0.22))  # the outline of a "0": around its stroke outside...
    p.draw("gp-i2i-pad", ring(0.08, 0.12))  # ...and inside
    p.click("#gp-i2i-draw")
    for i, before in zip((1, 2), answers):
        p.changed(f"gp-i2i-answer-{i}", before)
    wait_until(lambda: "mnist-pix2pix" in p.text("gp-i2i-table"), 30, "pix2pix's readings")
    assert not p.doc.locator("#gp-i2i-answer-3 img").is_visible()  # no third method for outlines
    assert all(0.02 < p.bright_share(f"gp-i2i-answer-{i}") < 0.7 for i in (1, 2))  # the ring filled in
    p.fits()
    page.screenshot(path=str(ARTIFACTS / "explore-image-to-image-outline.png"))
    outline = [p.src(f"gp-i2i-answer-{i}") for i in (1, 2)]
    p.tab("Labels")
    p.tab("Image to image")  # coming back keeps the drawing's answers
    page.wait_for_timeout(2000)
    assert [p.src(f"gp-i2i-answer-{i}") for i in (1, 2)] == outline and "mnist-pix2pix" in p.text("gp-i2i-table")

    p.tab("Walk")  # and back: the frame shrinks and grows with the tab
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()


def test_the_frame_fits_the_panel_on_a_phone(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{server}/explore")
    page.wait_for_selector("h1", timeout=30_000)
    p = Panel(page)
    p.fits()
    frame = p.box()
    assert frame["x"] >= 0 and frame["x"] + frame["width"] <= 390 + 1, frame
    for name in ("Labels", "Compare", "Image to image", "Walk"):
        p.tab(name)
        if name == "Compare":
            p.src(f"gp-compare-{STYLE}")
            p.fits()
    p.click("#gp-map-button")
    p.changed("gp-map-image", None)
    p.click("#gp-interp-button")
    p.changed("gp-strip", None)
    wait_until(lambda: p.doc.locator("#gp-gif a").count() > 0, 30, "the GIF's download link")
    p.fits()  # the pictures and the GIF's name too
    page.close()
