"""The Gradio panel: its handlers called directly, then the real thing over HTTP.

`gradio_client` drives the panel started alone (`python -m ganplay.panel` on a free port) and
mounted under `streamlit run app.py` at /panel/; Chromium (Playwright) moves a slider and sees the
image change, and opens the dashboard's Explore page with the panel embedded. Screenshots go to
test-artifacts/. Servers are stopped by pid.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from ganplay import explore as E
from ganplay.panel import handlers as H
from servers import free_port

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SHAPE = (1, 28, 28)
SLIDERS = [0.0] * H.N_SLIDERS
DCGAN, STYLE = "mnist-cdcgan", "mnist-cstylegan-lite"


def grid(n, ncol, scale=H.GRID_SCALE):
    return E.grid_size(SHAPE, n, ncol, scale)


def differ(a, b) -> bool:
    a, b = Image.open(a) if isinstance(a, (str, Path)) else a, Image.open(b) if isinstance(b, (str, Path)) else b
    return ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is not None


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory):
    """A fake run with two checkpoints (copies of a zoo model), for the dropdown and the timeline."""
    root = tmp_path_factory.mktemp("runs")
    run = root / "tiny-run"
    (run / "checkpoints").mkdir(parents=True)
    card = json.loads((ROOT / "pretrained" / f"{DCGAN}.json").read_text())
    (run / "config.json").write_text(json.dumps(card["config"]))
    for step in (1, 2):
        shutil.copy(ROOT / "pretrained" / f"{DCGAN}.safetensors", run / "checkpoints" / f"step-{step:07d}.safetensors")
    return root


# -- handlers, no server ------------------------------------------------------------------------
def test_choices_list_image_zoo_models_and_runs(runs_dir):
    values = [v for _, v in H.generator_choices(runs_dir)]
    assert {DCGAN, "mnist-cwgan-gp", STYLE} <= set(values)
    assert "ring8-gan" not in values  # 2D generators belong to the Playground
    assert str(runs_dir / "tiny-run") in values
    assert [v for _, v in H.style_choices(runs_dir)] == [STYLE]


def test_handlers_sizes_and_determinism():
    img = H.walk(DCGAN, 3, 2, 1.0, *SLIDERS)
    assert img.size == (28 * H.IMAGE_SCALE,) * 2
    assert not differ(img, H.walk(DCGAN, 3, 2, 1.0, *SLIDERS))
    assert differ(img, H.walk(DCGAN, 3, 3, 1.0, *SLIDERS))
    assert H.latent_map(STYLE, 1, 0, 1.0, "PC1", "PC2", 5, 2.0).size == grid(25, 5)
    strip, gif = H.interpolation(STYLE, 1, 2, 20, "linear", 0, 0.8)
    assert strip.size == grid(20, 16) and gif[:6] == b"GIF89a"
    assert H.all_classes(DCGAN, 4, 1.0).size == grid(10, 10, H.GRID_SCALE + 1)
    assert H.style_mix(STYLE, 1, 2, 3, 5, 1.0).size == grid(3, 3, H.IMAGE_SCALE // 2)
    assert "FID" in H.metrics_text(STYLE)


def test_timeline_walks_checkpoints(runs_dir):
    run = str(runs_dir / "tiny-run")
    assert len(H.checkpoints(run)) == 2
    img, text = H.timeline(run, 0, 3, 1, 1.0)
    assert img.size == (224, 224) and text.startswith("checkpoint 1 of 2")
    assert H.timeline(run, 99, 3, 1, 1.0)[1].startswith("checkpoint 2 of 2")


@pytest.mark.parametrize("call, message", [
    (lambda: H.walk("no-such-model", 1, 0, 1.0), "unknown generator"),
    (lambda: H.walk(DCGAN, -1, 0, 1.0), "seed must be a whole number 0..2147483647"),
    (lambda: H.walk(DCGAN, 2**40, 0, 1.0), "seed must be"),
    (lambda: H.walk(DCGAN, 1, 10, 1.0), "label must be 0..9"),
    (lambda: H.interpolation(DCGAN, 1, 2, 10_000, "linear", 0, 1.0), "frames must be 2..64"),
    (lambda: H.latent_map(DCGAN, 1, 0, 1.0, "PC1", "PC2", 100, 2.0), "grid side must be 1..12"),
    (lambda: H.style_mix(DCGAN, 1, 2, 3, 0, 1.0), "StyleGAN-lite"),
])
def test_handler_errors_are_clear(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# -- servers ------------------------------------------------------------------------------------
def _ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _start(cmd, ready_url, env, log_path, timeout=120):
    log = open(log_path, "w+b")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while not _ok(ready_url):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.seek(0)
            pytest.fail(f"server did not start:\n{log.read().decode(errors='replace')[-4000:]}")
        time.sleep(0.2)
    return proc


def _stop(proc) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def _env(runs_dir) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("GANPLAY_DEMO", "SPACE_ID")}
    env.update(GANPLAY_RUNS=str(runs_dir), OMP_NUM_THREADS="1", GRADIO_ANALYTICS_ENABLED="False",
               STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    return env


@pytest.fixture(scope="module")
def alone(runs_dir, tmp_path_factory):
    port = free_port()
    env = _env(runs_dir) | {"GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1"}
    url = f"http://127.0.0.1:{port}/"
    proc = _start([sys.executable, "-m", "ganplay.panel"], url, env, tmp_path_factory.mktemp("log") / "panel.log")
    yield url
    _stop(proc)


@pytest.fixture(scope="module")
def dashboard(runs_dir, tmp_path_factory):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _start([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                   "--server.address", "127.0.0.1", "--server.headless", "true"],
                  f"{url}/_stcore/health", _env(runs_dir), tmp_path_factory.mktemp("log") / "app.log")
    deadline = time.monotonic() + 120  # the panel is built in a thread after the server starts
    while not _ok(f"{url}/panel/config") and time.monotonic() < deadline:
        time.sleep(0.3)
    yield url
    _stop(proc)


@pytest.fixture(scope="module", params=["alone", "mounted"])
def client(request):
    from gradio_client import Client

    url = request.getfixturevalue("alone") if request.param == "alone" else \
        request.getfixturevalue("dashboard") + "/panel/"
    return Client(url, verbose=False)


@pytest.mark.slow
def test_every_endpoint_returns_images_of_the_right_size(client):
    def size(path):
        return Image.open(path).size

    assert size(client.predict(DCGAN, 3, 2, 1.0, *SLIDERS, api_name="/walk")) == (224, 224)
    assert size(client.predict(STYLE, 3, 2, 1.0, "PC1", "PC3", 6, 2.0, *SLIDERS, api_name="/latent_map")) == grid(36, 6)
    strip, gif = client.predict(STYLE, 1, 2, 12, "spherical", 4, 1.0, api_name="/interpolate")
    assert size(strip) == grid(12, 12) and Image.open(gif).format == "GIF" and Image.open(gif).n_frames == 22
    assert size(client.predict(DCGAN, 5, 1.0, api_name="/all_classes")) == grid(10, 10, H.GRID_SCALE + 1)
    assert size(client.predict(DCGAN, 5, 7, 1.0, 4, api_name="/seed_grid")) == grid(16, 4)
    out = client.predict(5, 7, 1.0, [], api_name="/compare")
    assert [size(p) for p in out[:3]] == [(224, 224)] * 3 and not any(u["visible"] for u in out[3:6])


@pytest.mark.slow
def test_compare_can_add_a_run(client, runs_dir):
    run = str(runs_dir / "tiny-run")
    out = client.predict(5, 7, 1.0, [run], api_name="/compare")
    assert out[3]["visible"] and Image.open(out[3]["value"]).size == (224, 224)
    assert not differ(out[3]["value"], out[0])  # the fake run is a copy of mnist-cdcgan
    assert "training run" in out[6]


@pytest.mark.slow
def test_every_endpoint_more(client):
    def size(path):
        return Image.open(path).size

    assert [size(p) for p in client.predict(5, 6, 4, "linear", 7, 1.0, api_name="/compare_interpolation")] \
        == [grid(4, 4)] * 3
    assert size(client.predict(STYLE, 1, 2, 2, 3, 1.0, api_name="/style_mix")) == grid(3, 3, H.IMAGE_SCALE // 2)
    img, text = client.predict(STYLE, 0, 5, 1, 1.0, api_name="/timeline")
    assert size(img) == (224, 224) and "step 3000" in text
    labels, info, _ = client.predict(STYLE, api_name="/describe")
    assert len(labels["choices"]) == 10 and "StyleGAN-lite" in info
    assert 0 <= client.predict(api_name="/new_seed") < 10**6
    assert client.predict(api_name="/reset") == tuple(SLIDERS) or list(client.predict(api_name="/reset")) == SLIDERS


@pytest.mark.slow
def test_same_seed_same_image_labels_differ(client):
    a = client.predict(STYLE, 11, 3, 1.0, *SLIDERS, api_name="/walk")
    b = client.predict(STYLE, 11, 3, 1.0, *SLIDERS, api_name="/walk")
    c = client.predict(STYLE, 11, 4, 1.0, *SLIDERS, api_name="/walk")
    moved = client.predict(STYLE, 11, 3, 1.0, 2.0, *SLIDERS[1:], api_name="/walk")
    assert not differ(a, b) and differ(a, c) and differ(a, moved)


@pytest.mark.slow
@pytest.mark.parametrize("args, api, message", [
    ((DCGAN, -5, 0, 1.0, *SLIDERS), "/walk", "seed must be a whole number 0..2147483647"),
    ((DCGAN, 2**31, 0, 1.0, *SLIDERS), "/walk", "seed must be"),
    (("no-such-model", 1, 0, 1.0, *SLIDERS), "/walk", "unknown generator"),
    ((DCGAN, 1, 2, 100_000, "linear", 0, 1.0), "/interpolate", "64"),
])
def test_bad_inputs_give_clear_errors(client, args, api, message):
    with pytest.raises(Exception, match=message):
        client.predict(*args, api_name=api)


@pytest.mark.slow
def test_twenty_concurrent_requests_all_succeed(client):
    jobs = [client.submit(STYLE if i % 2 else DCGAN, i, i % 10, 1.0, *SLIDERS, api_name="/walk") for i in range(20)]
    paths = [j.result(timeout=120) for j in jobs]
    assert all(Image.open(p).size == (224, 224) for p in paths)


@pytest.mark.slow
def test_twenty_concurrent_threads(client):
    def one(i):
        return Image.open(client.predict(DCGAN, 100 + i, i % 10, 0.7, *SLIDERS, api_name="/walk")).size

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert list(pool.map(one, range(20))) == [(224, 224)] * 20


# -- a real browser -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _drag_slider(page, frame, elem_id: str, fraction: float) -> None:
    """Drag a Gradio slider with the mouse (pointer down, move, up: the `release` event)."""
    rng = frame.locator(f"#{elem_id} input[type=range]")
    rng.scroll_into_view_if_needed()
    box = rng.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * fraction, y, steps=8)
    page.mouse.up()


def _image_src(frame, elem_id: str) -> str:
    img = frame.locator(f"#{elem_id} img").first
    img.wait_for(timeout=60_000)
    return img.get_attribute("src")


def _wait_change(frame, elem_id: str, before: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        src = _image_src(frame, elem_id)
        if src != before:
            return src
        time.sleep(0.1)
    raise AssertionError(f"#{elem_id} did not change within {timeout} s")


@pytest.mark.slow
def test_browser_slider_changes_the_image(browser, alone):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1300, "height": 1500})
    page.goto(alone)
    before = _image_src(page, "gp-walk-image")
    page.screenshot(path=str(ARTIFACTS / "panel-walk-before.png"))
    _drag_slider(page, page, "gp-pc1", 0.9)
    _wait_change(page, "gp-walk-image", before)
    assert page.locator("#gp-pc1 input[type=number]").input_value() not in ("0", "0.0")
    page.locator("#gp-map-button").click()
    page.locator("#gp-map-image img").wait_for(timeout=30_000)
    page.locator("#gp-interp-button").click()
    page.locator("#gp-strip img").wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "panel-walk.png"), full_page=True)
    page.get_by_role("tab", name="Compare").click()
    page.locator(f"#gp-compare-{STYLE} img").wait_for(timeout=30_000)  # opening the tab fills it
    mix_before = _image_src(page, "gp-style-mix")
    _drag_slider(page, page, "gp-crossover", 0.2)
    _wait_change(page, "gp-style-mix", mix_before)
    page.screenshot(path=str(ARTIFACTS / "panel-compare.png"), full_page=True)
    page.close()


@pytest.mark.slow
def test_browser_explore_page_embeds_the_panel(browser, dashboard):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1300})
    page.goto(f"{dashboard}/explore")
    page.wait_for_selector("h1", timeout=30_000)
    iframe = page.locator("iframe[src*='panel']")
    iframe.wait_for(timeout=30_000)
    frame = page.frame_locator("iframe[src*='panel']")
    before = _image_src(frame, "gp-walk-image")
    _drag_slider(page, frame, "gp-pc2", 0.1)
    _wait_change(frame, "gp-walk-image", before)
    time.sleep(0.5)
    page.screenshot(path=str(ARTIFACTS / "explore-panel.png"), full_page=True)
    page.close()


def test_bench_numbers_library_only():
    from ganplay.panel import bench

    report = bench.panel_bench(generators=[DCGAN], repeats=1, with_client=False)
    r = report["generators"][DCGAN]
    assert all(v > 0 for v in r.values()) and set(r) == {"one_image_ms", "grid_8x8_ms", "interp_16_ms"}
    assert DCGAN in bench.format_table(report)
