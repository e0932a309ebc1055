"""Regenerate the README's screenshots of Home, Train, the 2D playground and Runs (desktop and
phone) in docs/images/: `python docs/screenshots.py`. Trains two short 2D runs (about a minute on
a laptop CPU) into a temporary runs folder, starts `streamlit run app.py` on a free port and
captures each page in Chromium once it has settled. The lab's and Explore's pictures come from
their browser tests (tests/test_lab_browser.py, tests/test_explore_browser.py)."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from servers import streamlit_server  # noqa: E402  (the tests' server helper)

from ganplay.bench_pages import CHROMIUM_ARGS, chromium_path  # noqa: E402
from ganplay.config import Config  # noqa: E402
from ganplay.train import train  # noqa: E402

OUT = ROOT / "docs" / "images"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
PAGES = {"home": "", "train": "train", "playground": "playground", "playground-step": "playground", "runs": "runs"}


def settled(page, quiet_s: float = 1.5, timeout: float = 60.0) -> None:
    """Wait until Streamlit's running indicator has been gone for `quiet_s`."""
    running = page.locator("[data-testid='stStatusWidget']")
    deadline, quiet = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        if running.count() == 0:
            quiet = quiet or time.monotonic()
            if time.monotonic() - quiet > quiet_s:
                return
        else:
            quiet = None
        time.sleep(0.1)


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        for preset, steps in (("ring8-gan", 600), ("ring8-wgan-gp", 400)):
            train(Config.from_preset(preset, [f"train.steps={steps}"]), runs)
        OUT.mkdir(parents=True, exist_ok=True)
        with streamlit_server(Path(tmp), GANPLAY_RUNS=str(runs)) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            for device, viewport in VIEWPORTS.items():
                page = browser.new_page(viewport=viewport)
                for name, path in PAGES.items():
                    page.goto(f"{url}/{path}")
                    page.wait_for_selector("h1", timeout=60_000)
                    settled(page)
                    if name == "playground-step":
                        page.get_by_text("Step by hand", exact=True).click()
                        page.get_by_role("button", name="20 training steps").click()
                        settled(page)
                    page.wait_for_timeout(2000)  # charts drawn
                    page.mouse.move(0, 0)  # no tooltip in the picture
                    page.screenshot(path=str(OUT / f"{name}-{device}.png"))
                    print(f"wrote {OUT / f'{name}-{device}.png'}")
                page.close()
            browser.close()


if __name__ == "__main__":
    main()
