"""The panel's numbers for `ganplay bench --panel`: how fast the explorer answers on this machine.

`library_numbers()` times, per generator, one image (a slider move's work), an 8x8 latent map and a
16-frame interpolation (medians after a warm-up, PNG encoding included, as the panel returns them).

Then the panel is started alone on a free port (`panel_server`) and one slider release (`/walk`)
is timed end to end three ways:
- `http_latency`: Gradio's HTTP API as any client speaks it (POST the call, read its event stream,
  fetch the image it names): the server's whole round trip.
- `client_latency`: the same through `gradio_client`. That client polls its message queue every
  50 ms (gradio_client/utils.py `stream_sse_v1plus`), so no call through it returns in less; its
  figure is the floor of that client, not of the panel.
- `browser_latency`: Chromium (Playwright) drags the slider; the page records when the new image
  is painted (decoded) after the mouse button went up. This is what a learner feels.
And `concurrent_latency`: N clients each release a slider over and over at the same time; the
spread of their waits (p50, p95) says how the panel shares the CPU between visitors.
A benchmark, never a test assertion: the numbers depend on the machine and on what else runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from typing import Iterator

from ganplay.panel import handlers as H

DEFAULT_GENERATORS = H.COMPARE
REST = [0.0] * (H.N_SLIDERS - 1)


def _ms(fn, repeats: int) -> float:
    fn()  # warm-up (directions, caches)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _png(img) -> bytes:
    from ganplay.explore import png_bytes

    return png_bytes(img)


def stats(times_ms: list[float]) -> dict[str, float]:
    """Median, p90, p95 and max of a list of milliseconds (nearest-rank percentiles)."""
    s = sorted(times_ms)

    def rank(q: float) -> float:
        return s[min(len(s) - 1, max(0, round(q * len(s) + 0.5) - 1))]

    return {"median_ms": round(statistics.median(s), 1), "p90_ms": round(rank(0.9), 1),
            "p95_ms": round(rank(0.95), 1), "max_ms": round(s[-1], 1), "calls": len(s)}


def library_numbers(generators=DEFAULT_GENERATORS, repeats: int = 10) -> dict[str, dict[str, float]]:
    sliders = [0.5] + REST
    out = {}
    for name in generators:
        out[name] = {
            "one_image_ms": _ms(lambda: _png(H.walk(name, 7, 3, 1.0, *sliders)), repeats),
            "grid_8x8_ms": _ms(lambda: _png(H.latent_map(name, 7, 3, 1.0, 0, 1, 8, 2.0)), repeats),
            "interp_16_ms": _ms(lambda: [_png(H.interpolation(name, 7, 8, 16, "spherical", 3, 1.0)[0])], repeats),
        }
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def panel_server(url: str | None = None, start_timeout: float = 120) -> Iterator[str]:
    """Yields `url`, or else the URL of the panel started alone on a free port (stopped by its pid
    afterwards)."""
    if url is not None:
        yield url
        return
    port = _free_port()
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1")
    proc = subprocess.Popen([sys.executable, "-m", "ganplay.panel"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the panel did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def _slider_values(calls: int) -> list[float]:
    return [round(-2.0 + 4.0 * i / max(calls - 1, 1), 2) for i in range(calls)]


class HttpWalk:
    """One `/walk` call through Gradio's HTTP API: POST, read the event stream, fetch the image."""

    def __init__(self, url: str) -> None:
        import logging

        import httpx

        logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request would bury the table
        self.base = url.rstrip("/") + "/gradio_api"
        self.http = httpx.Client(timeout=60)
        self.session = uuid.uuid4().hex[:11]  # one visitor, one session (as a page keeps one)

    def __call__(self, generator: str, seed: int, amount: float) -> bytes:
        r = self.http.post(f"{self.base}/call/walk", json={"data": [generator, seed, 3, 1.0, amount, *REST],
                                                           "session_hash": self.session})
        r.raise_for_status()
        event, result = None, None
        with self.http.stream("GET", f"{self.base}/call/walk/{r.json()['event_id']}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    result = (event, json.loads(line[5:]))
                    break
        if result is None or result[0] != "complete":
            raise RuntimeError(f"/walk failed: {result}")
        image = self.http.get(result[1][0]["url"])
        image.raise_for_status()
        return image.content


def http_latency(url: str, generator: str = H.DEFAULT, calls: int = 20) -> dict[str, float]:
    walk = HttpWalk(url)
    walk(generator, 7, 0.0)  # warm-up
    times = []
    for v in _slider_values(calls):
        t = time.perf_counter()
        walk(generator, 7, v)
        times.append((time.perf_counter() - t) * 1000)
    return stats(times) | {"generator": generator}


def client_latency(url: str, generator: str = H.DEFAULT, calls: int = 20) -> dict[str, float]:
    from gradio_client import Client

    client = Client(url, verbose=False)
    client.predict(generator, 7, 3, 1.0, 0.0, *REST, api_name="/walk")  # warm-up
    times = []
    for v in _slider_values(calls):
        t = time.perf_counter()
        client.predict(generator, 7, 3, 1.0, v, *REST, api_name="/walk")
        times.append((time.perf_counter() - t) * 1000)
    return stats(times) | {"generator": generator}


def concurrent_latency(url: str, clients: int = 20, calls_each: int = 5,
                       generators=DEFAULT_GENERATORS) -> dict[str, float]:
    """`clients` threads, each its own HTTP client, start together and each makes `calls_each`
    slider releases one after another (generators, seeds and values mixed): every call's wait."""
    walkers = [HttpWalk(url) for _ in range(clients)]
    for g in generators:  # warm-up: each generator loaded and its directions found, as a page load does
        walkers[0](g, 1, 0.5)
    times: list[float] = []
    lock, start = threading.Lock(), threading.Barrier(clients)
    errors: list[BaseException] = []

    def visitor(i: int) -> None:
        rng = random.Random(i)
        start.wait()
        for _ in range(calls_each):
            t = time.perf_counter()
            try:
                walkers[i](generators[i % len(generators)], rng.randrange(1000), rng.uniform(-3, 3))
            except BaseException as exc:  # reported below, after every thread is done
                errors.append(exc)
                return
            with lock:
                times.append((time.perf_counter() - t) * 1000)

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{len(errors)} of {clients} clients failed: {errors[0]}")
    return stats(times) | {"clients": clients}


# Marks when the walk image shows a new, decoded picture after the last pointerup on the page.
_WALK_WATCH = """
window.__walk = {up: null, painted: [], last: null};
document.addEventListener('pointerup', () => { window.__walk.up = performance.now(); }, true);
(function tick() {
  const img = document.querySelector('#gp-walk-image img'), w = window.__walk;
  if (img && img.complete && img.naturalWidth > 0 && img.currentSrc !== w.last) {
    if (w.last !== null && w.up !== null) w.painted.push(performance.now() - w.up);
    w.last = img.currentSrc;
    w.up = null;
  }
  requestAnimationFrame(tick);
})();
"""


def browser_latency(url: str, moves: int = 20, timeout: float = 60.0, browser=None) -> dict[str, float]:
    """Chromium drags the first direction slider `moves` times (a new value each time); each time,
    milliseconds from the mouse button going up to the new image painted. Opens Chromium unless
    given a Playwright `browser`."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        from ganplay.bench_pages import CHROMIUM_ARGS, chromium_path

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            try:
                return browser_latency(url, moves, timeout, browser)
            finally:
                browser.close()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.add_init_script(_WALK_WATCH)
        page.goto(url)
        page.wait_for_function("window.__walk && window.__walk.last !== null", timeout=timeout * 1000)
        rng = page.locator("#gp-pc1 input[type=range]")
        rng.scroll_into_view_if_needed()
        box = rng.bounding_box()
        y = box["y"] + box["height"] / 2
        fractions = [0.1 + 0.8 * ((i * 7) % moves) / max(moves - 1, 1) for i in range(moves + 1)]
        for i, f in enumerate(fractions):
            seen = page.evaluate("window.__walk.painted.length")
            page.mouse.move(box["x"] + box["width"] * fractions[i - 1], y)
            page.mouse.down()
            page.mouse.move(box["x"] + box["width"] * f, y, steps=4)
            page.mouse.up()
            page.wait_for_function(f"window.__walk.painted.length > {seen}", timeout=timeout * 1000,
                                   polling="raf")
        painted = page.evaluate("window.__walk.painted")
    finally:
        page.close()
    return stats(painted[1:])  # the first move is the warm-up


def panel_bench(generators=DEFAULT_GENERATORS, repeats: int = 10, client_calls: int = 20,
                url: str | None = None, with_client: bool = True, clients: int = 20,
                with_browser: bool = True) -> dict:
    import torch

    report = {"threads": torch.get_num_threads(), "generators": library_numbers(generators, repeats)}
    if with_client:
        with panel_server(url) as served:
            report["slider_http"] = http_latency(served, calls=client_calls)
            report["slider_client"] = client_latency(served, calls=client_calls)
            if with_browser:
                report["slider_browser"] = browser_latency(served, moves=client_calls)
            report["concurrent"] = concurrent_latency(served, clients=clients)
    return report


def format_table(report: dict) -> str:
    lines = [f"panel (CPU, {report['threads']} threads; medians, PNG encoding included)",
             f"{'generator':<24} {'1 image':>10} {'8x8 grid':>10} {'16 frames':>10}"]
    for name, r in report["generators"].items():
        lines.append(f"{name:<24} {r['one_image_ms']:>8.1f}ms {r['grid_8x8_ms']:>8.1f}ms {r['interp_16_ms']:>8.1f}ms")
    rows = [("slider_http", "slider release, Gradio's HTTP API"),
            ("slider_client", "slider release, gradio_client (polls every 50 ms)"),
            ("slider_browser", "slider release -> image painted, Chromium")]
    for key, what in rows:
        if key in report:
            s = report[key]
            lines.append(f"{what}: median {s['median_ms']:.1f} ms, p90 {s['p90_ms']:.1f} ms ({s['calls']} calls)")
    if "concurrent" in report:
        s = report["concurrent"]
        lines.append(f"{s['clients']} clients releasing sliders at once: p50 {s['median_ms']:.0f} ms, "
                     f"p95 {s['p95_ms']:.0f} ms, max {s['max_ms']:.0f} ms ({s['calls']} calls)")
    return "\n".join(lines)


if __name__ == "__main__":
    rep = panel_bench()
    print(format_table(rep))
    print(json.dumps(rep))
