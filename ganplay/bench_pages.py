"""What a person waits for in a browser, measured: `ganplay bench --first-page`.

Each repeat starts a cold server (a new `streamlit run app.py` process: empty caches, torch not
imported), waits for its health endpoint to answer, and loads the page in a fresh Chromium
context at that moment; the clock starts there. The page itself records, on every animation
frame, when the first and when the last expected image was painted (decoded, non-zero size).

This needs the dev extras (Playwright) and Debian's Chromium; it is a benchmark, never a test
assertion: the numbers depend on the machine and on what else it is doing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SOURCE_APP = Path(__file__).resolve().parents[1] / "app.py"  # a source checkout's `streamlit run app.py`

# Records, from the document's start, when images under the main area were first painted and when
# `window.__ganplayExpect` of them were; performance.timeOrigin turns both into wall-clock times.
_PAINT_WATCH = """
window.__ganplayMarks = {};
(function tick() {
  const imgs = [...document.querySelectorAll('[data-testid="stImage"] img')]
    .filter(i => i.complete && i.naturalWidth > 0);
  const m = window.__ganplayMarks, want = window.__ganplayExpect || 1;
  if (imgs.length && m.first === undefined) m.first = performance.now();
  if (imgs.length >= want && m.all === undefined) m.all = performance.now();
  m.count = imgs.length;
  if (m.all === undefined) requestAnimationFrame(tick);
})();
"""


class BenchError(RuntimeError):
    pass


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise BenchError("Chromium is not installed (on Debian: apt-get install -y chromium)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def server_command(port: int) -> list[str]:
    """The README's `streamlit run app.py` in a source checkout, else the installed `ganplay app`."""
    opts = ["--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"]
    if SOURCE_APP.exists():
        return [sys.executable, "-m", "streamlit", "run", str(SOURCE_APP), *opts]
    return [sys.executable, "-m", "ganplay", "app", "--port", str(port), "--host", "127.0.0.1"]


@contextlib.contextmanager
def cold_server(runs: Path, timeout: float = 90.0) -> Iterator[tuple[str, float]]:
    """A new server process on a free port; yields (url, wall time its health first answered)."""
    env = {k: v for k, v in os.environ.items() if k not in ("GANPLAY_DEMO", "SPACE_ID")}
    env.update(GANPLAY_RUNS=str(runs))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()
    cwd = SOURCE_APP.parent if SOURCE_APP.exists() else Path(runs)
    proc = subprocess.Popen(server_command(port), cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise BenchError("the server did not start:\n" + log.read().decode(errors="replace")[-3000:])
            time.sleep(0.02)
        yield url, time.time()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@dataclass
class PageTimes:
    first_s: list[float] = field(default_factory=list)  # health answered -> first image painted
    last_s: list[float] = field(default_factory=list)  # health answered -> every expected image painted
    expected: int = 0

    def as_dict(self) -> dict:
        return {"expected_images": self.expected, "first_image_s": _stats(self.first_s),
                "last_image_s": _stats(self.last_s)}


def _stats(xs: list[float]) -> dict:
    return {"median": round(statistics.median(xs), 3), "max": round(max(xs), 3),
            "all": [round(x, 3) for x in xs]} if xs else {}


def table_of(report: dict) -> str:
    """The Markdown table of `PageTimes.as_dict()`."""
    rows = [("first image", report["first_image_s"]),
            (f"all {report['expected_images']} images", report["last_image_s"])]
    lines = [f"cold server -> Home painted ({len(report['first_image_s'].get('all', []))} cold starts)",
             "| what | median | max |", "|---|---|---|"]
    return "\n".join(lines + [f"| {what} | {s['median']:.2f} s | {s['max']:.2f} s |" for what, s in rows if s])


def pages_table(pages: dict[str, list[float]]) -> str:
    lines = ["cold server -> each page's first script run over", "| page | median | max |", "|---|---|---|"]
    return "\n".join(lines + [f"| {name} | {statistics.median(xs):.2f} s | {max(xs):.2f} s |"
                              for name, xs in pages.items() if xs])


PAGES = ("", "train", "playground", "runs", "explore", "collapse-lab", "augment")


def _settled_s(page, healthy_at: float, timeout: float) -> float:
    """Seconds from the server's first health answer until the page has its title and Streamlit's
    "running" indicator has been gone for half a second (the script run is over)."""
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        busy = page.locator("[data-testid='stStatusWidget']").count() > 0 or page.locator("h1").count() == 0
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.time()
        elif time.time() - quiet_since >= 0.5:
            return quiet_since - healthy_at
        time.sleep(0.02)
    raise BenchError(f"the page did not settle within {timeout:.0f} s")


def every_page(repeats: int = 3, timeout: float = 60.0, progress: bool = True) -> dict[str, list[float]]:
    """For each page, on its own cold server: seconds until its first script run is over."""
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {path or "home": [] for path in PAGES}
    with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="ganplay-bench-") as tmp:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            for i in range(repeats):
                for path in PAGES:
                    context = browser.new_context(viewport={"width": 1400, "height": 1000})
                    page = context.new_page()
                    with cold_server(Path(tmp) / f"runs-{i}-{path}") as (url, healthy_at):
                        page.goto(f"{url}/{path}", wait_until="commit")
                        out[path or "home"].append(_settled_s(page, healthy_at, timeout))
                    context.close()
                    if progress:
                        print(f"/{path}: drawn after {out[path or 'home'][-1]:.2f} s", file=sys.stderr)
        finally:
            browser.close()
    return out


def first_page(repeats: int = 5, timeout: float = 60.0, progress: bool = True) -> PageTimes:
    """Time from a cold server's first health answer to every zoo grid painted on Home."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise BenchError("the page benchmark needs Playwright: pip install -e '.[dev]'") from None
    from ganplay.dashboard import gallery

    expected = len(gallery.zoo_models()) or 1
    times = PageTimes(expected=expected)
    with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="ganplay-bench-") as tmp:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            for i in range(repeats):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                page.add_init_script(f"window.__ganplayExpect = {expected};" + _PAINT_WATCH)
                with cold_server(Path(tmp) / f"runs-{i}") as (url, healthy_at):
                    page.goto(url, wait_until="commit")
                    try:
                        page.wait_for_function("window.__ganplayMarks && window.__ganplayMarks.all !== undefined",
                                               timeout=timeout * 1000, polling=50)
                    except Exception:
                        count = page.evaluate("window.__ganplayMarks && window.__ganplayMarks.count")
                        raise BenchError(f"only {count} of {expected} images painted within {timeout:.0f} s") from None
                    origin, marks = page.evaluate("[performance.timeOrigin, window.__ganplayMarks]")
                context.close()
                times.first_s.append((origin + marks["first"]) / 1000 - healthy_at)
                times.last_s.append((origin + marks["all"]) / 1000 - healthy_at)
                if progress:
                    print(f"cold start {i + 1}/{repeats}: first image {times.first_s[-1]:.2f} s, "
                          f"all {expected} {times.last_s[-1]:.2f} s", file=sys.stderr)
        finally:
            browser.close()
    return times


# Any Plotly chart on the page with at least one drawn point.
_CHART_DRAWN = """() => [...document.querySelectorAll('.js-plotly-plot')]
  .some(p => (p.data || []).some(t => t.x && t.x.length > 0))"""
_PROGRESS_TEXT = """() => [...document.querySelectorAll('[data-testid="stProgress"]')].map(e => e.innerText).join(' ')"""


def parse_duration(text: str) -> float | None:
    """Seconds in `progress.format_duration`'s words ("1 min 05 s", "42 s", "2 h 03 min")."""
    import re

    m = re.search(r"about ((?:\d+ h )?(?:\d+ min )?(?:\d+ s)?|\d+ h \d+ min) left", text)
    if not m:
        return None
    units = {"h": 3600, "min": 60, "s": 1}
    return float(sum(int(n) * units[u] for n, u in re.findall(r"(\d+) (h|min|s)\b", m.group(1))))


def first_run(repeats: int = 5, timeout: float = 180.0, progress: bool = True) -> dict:
    """Cold server, Home's Quick start clicked: seconds from the click to the first chart with
    points on the Train page; the ETA the page shows at 20-50% of the run against the time the
    run then really took to finish."""
    import json
    import re

    from playwright.sync_api import sync_playwright

    chart_s, eta_err = [], []
    with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="ganplay-bench-") as tmp:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            for i in range(repeats):
                runs = Path(tmp) / f"runs-{i}"
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                with cold_server(runs) as (url, _):
                    page.goto(url)
                    button = page.get_by_role("button", name=re.compile("Quick start"))
                    button.wait_for(timeout=timeout * 1000)
                    clicked = time.time()
                    button.click()
                    page.wait_for_function(_CHART_DRAWN, timeout=timeout * 1000, polling=50)
                    chart_s.append(time.time() - clicked)
                    eta = None
                    deadline = time.monotonic() + timeout
                    while time.monotonic() < deadline:
                        text = page.evaluate(_PROGRESS_TEXT)
                        m = re.search(r"step ([\d,]+) / ([\d,]+)", text)
                        if eta is None and m:
                            done = int(m.group(1).replace(",", "")) / max(1, int(m.group(2).replace(",", "")))
                            if 0.2 <= done <= 0.5 and parse_duration(text) is not None:
                                eta = (time.time(), parse_duration(text))
                        states = [json.loads(s.read_text()).get("state") for s in runs.glob("*/status.json")]
                        if states and all(s == "done" for s in states):
                            break
                        time.sleep(0.25)
                    if eta is not None:
                        actual = time.time() - eta[0]
                        eta_err.append((eta[1] - actual) / max(actual, 1e-9))
                context.close()
                if progress:
                    err = f", ETA off by {eta_err[-1]:+.0%}" if len(eta_err) == i + 1 else ""
                    print(f"run {i + 1}/{repeats}: first chart {chart_s[-1]:.2f} s after the click{err}",
                          file=sys.stderr)
        finally:
            browser.close()
    return {"first_chart_s": _stats(chart_s), "eta_error": _stats(eta_err)}
