"""The Gradio panel: its handlers called directly, then the real thing over HTTP.

`gradio_client` drives the panel started alone (`python -m ganplay.panel` on a free port) and
mounted under `streamlit run app.py` at /panel/; Chromium (Playwright) moves a slider and sees the
image change, and opens the dashboard's Explore page with the panel embedded. Screenshots go to
test-artifacts/. Servers are stopped by pid.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch
from PIL import Image, ImageChops

from ganplay import explore as E
from ganplay.panel import handlers as H
from servers import STOP_GRACE_S, answers, free_port, two_checkpoint_run, wait_until

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


RUN = "runs/tiny-run"  # the panel names runs by their folder under the runs folder


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory):
    """A fake run with two checkpoints (copies of a zoo model), for the dropdown and the timeline;
    GANPLAY_RUNS points at it while this module's tests run."""
    root = tmp_path_factory.mktemp("runs")
    two_checkpoint_run(root, DCGAN)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANPLAY_RUNS", str(root))
        mp.delenv("GANPLAY_DEMO", raising=False)
        mp.delenv("SPACE_ID", raising=False)
        yield root


# -- handlers, no server ------------------------------------------------------------------------
def test_choices_list_image_zoo_models_and_runs(runs_dir):
    values = [v for _, v in H.generator_choices(runs_dir)]
    assert {DCGAN, "mnist-cwgan-gp", STYLE} <= set(values)
    assert "ring8-gan" not in values  # 2D generators belong to the Playground
    assert RUN in values and not any(v.startswith("/") for v in values)
    assert [v for _, v in H.style_choices(runs_dir)] == [STYLE]


def test_the_run_list_is_the_runs_pages(tmp_path):
    from ganplay import jobs

    for name in ("20240101-000000-a", "20240102-000000-b"):
        two_checkpoint_run(tmp_path, DCGAN, name)
    two_checkpoint_run(tmp_path / "zoo-measure" / "entry", DCGAN, "seed-0")  # nested: not a Runs page run
    (two_checkpoint_run(tmp_path, DCGAN, "20240103-000000-broken") / "config.json").write_text("{")
    choices = H.run_choices(tmp_path)
    assert [v for _, v in choices] == ["runs/20240102-000000-b", "runs/20240101-000000-a"]  # newest first
    assert choices[0][0] == "run: 20240102-000000-b (step 2)"
    listed = {"runs/" + r.path.name for r in jobs.list_runs(tmp_path)}
    assert {v for _, v in choices} < listed


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


def test_the_labels_tab_opens_drawn_and_says_nothing_of_labels_for_an_unconditional_generator():
    every, seeds = H.labels_on_open(None, DCGAN, 4, 2, 1.0, 3)
    assert not differ(every, H.all_classes(DCGAN, 4, 1.0)) and not differ(seeds, H.seed_grid(DCGAN, 4, 2, 1.0, 3))
    every, seeds = H.labels_on_open(None, "mnist-dcgan", 4, 2, 1.0, 3)  # no label to vary: no error either
    assert every is None and seeds.size == grid(9, 3)
    from ganplay.panel import blocks  # choosing the generator turns "All classes" off, and says why

    *_, off = blocks.describe("mnist-dcgan")
    *_, on = blocks.describe(DCGAN)
    assert off["interactive"] is False and off["value"] == "All classes: for a conditional generator only"
    assert on["interactive"] is True and on["value"] == "All classes for this seed"
    with pytest.raises(E.ExploreError, match="Image to image"):
        H.labels_on_open(None, "mnist-srgan", 4, 2, 1.0, 3)
    g = E.get_generator(STYLE).G  # a projected w code holds its label: no row, the grid still drawn
    start = H.Start(STYLE, E.Latent("w", torch.zeros(1, g.w_dim)))
    with pytest.raises(E.ExploreError, match="already holds its label"):
        H.all_classes_from(start, STYLE, 4, 1.0)
    every, seeds = H.labels_on_open(start, STYLE, 4, 2, 1.0, 3)
    assert every is None and seeds.size == grid(9, 3)


def test_the_map_drawn_unasked_is_the_asked_one_or_nothing():
    args = (1, 0, 1.0, "PC1", "PC2", 5, 2.0, *SLIDERS)
    assert not differ(H.latent_map_shown(None, STYLE, *args), H.latent_map_from(None, STYLE, *args))
    assert H.latent_map_shown(None, "mnist-srgan", *args) is None  # the walk says why, once
    with pytest.raises(E.ExploreError):
        H.latent_map_from(None, "mnist-srgan", *args)


def test_the_interpolation_drawn_unasked_is_the_asked_one_or_nothing():
    args = (1, 2, 6, "spherical", 0, 1.0)
    shown, asked = H.interpolation_shown(None, STYLE, *args), H.interpolation_from(None, STYLE, *args)
    assert not differ(shown[0], asked[0]) and shown[1] == asked[1]  # the strip and its GIF
    assert H.interpolation_shown(None, "mnist-srgan", *args) == (None, None)  # the walk says why, once


def test_slider_moves_that_wait_together_share_one_pass():
    """The first call holds the pass; the 9 that arrive meanwhile are drawn together in the next."""
    import threading

    from ganplay.panel.shared_pass import SharedPass

    started, release, sizes = threading.Event(), threading.Event(), []

    def run_many(key, items):
        started.set()
        release.wait(10)
        sizes.append(len(items))
        return [(key, item * 2) for item in items]

    shared = SharedPass(run_many, max_batch=16)
    with ThreadPoolExecutor(max_workers=10) as pool:
        first = pool.submit(shared, "g", 0)
        assert started.wait(10)
        rest = [pool.submit(shared, "g", i) for i in range(1, 10)]
        wait_until(lambda: len(shared._pending) == 9, 10, "nine calls waiting")
        release.set()
        results = [first.result(10)] + [f.result(10) for f in rest]
    assert results == [("g", 2 * i) for i in range(10)]
    assert sizes == [1, 9] and shared.passes == 2


def test_a_failing_generator_fails_only_its_own_callers():
    from ganplay.panel.shared_pass import SharedPass

    def run_many(key, items):
        if key == "broken":
            raise ValueError("cannot draw")
        return [item + 1 for item in items]

    shared = SharedPass(run_many)
    shared._busy = True  # hold the pass so both calls join one batch
    with ThreadPoolExecutor(max_workers=2) as pool:
        ok, bad = pool.submit(shared, "fine", 1), pool.submit(shared, "broken", 2)
        wait_until(lambda: len(shared._pending) == 2, 10, "both calls waiting")
        with shared._cond:
            shared._busy = False
            shared._cond.notify_all()
        assert ok.result(10) == 2
        with pytest.raises(ValueError, match="cannot draw"):
            bad.result(10)
    assert shared.passes == 1


def test_concurrent_walks_draw_what_each_walk_alone_draws():
    """20 visitors' moves at once (three generators, labels, truncations, slider values): each image
    is the one its walk draws alone, pixel for pixel, batched or not."""
    calls = [(H.COMPARE[i % 3], i, i % 10, 0.7 if i % 2 else 1.0, *([0.4 * (i % 5) - 0.8] + SLIDERS[1:]))
             for i in range(20)]
    alone = [H.walk(*c) for c in calls]
    with ThreadPoolExecutor(max_workers=20) as pool:
        together = list(pool.map(lambda c: H.walk(*c), calls))
    assert not any(differ(a, b) for a, b in zip(alone, together))
    assert differ(alone[0], alone[3])  # the moves draw different pictures


@pytest.mark.slow  # builds the whole Blocks (4 s); the handlers' words are tested fast above
def test_the_panel_speaks_plain_words_with_the_terms_in_the_help():
    text = H.metrics_text(STYLE)
    assert "FID" in text and "(lower is better)" in text and "(higher is better)" in text
    assert len(text.splitlines()) >= 1 + 5  # a line per metric, none cut into a run-on line
    legend = H.metrics_legend()
    for title in ("FID", "KID", "IS", "precision", "recall", "coverage"):  # one line each: meaning, direction
        (line,) = [ln for ln in legend.splitlines() if ln.startswith(f"- **{title}**")]
        assert "is better" in line and len(line) > 40, line
    assert H.direction_label(0, 0.15) == "Direction 1 (15% of the variation)"
    demo = __import__("ganplay.panel", fromlist=["build_blocks"]).build_blocks()
    by_id = {b.elem_id: b for b in demo.blocks.values() if getattr(b, "elem_id", None)}
    assert by_id["gp-seed"].label == "Seed" and str(E.MAX_SEED) in by_id["gp-seed"].info
    assert by_id["gp-truncation"].label.startswith("Closeness to the average") and "psi" in by_id["gp-truncation"].info
    assert by_id["gp-pc1"].label == "Direction 1" and "PCA" in by_id["gp-pc1"].info
    assert not any("PC" in (getattr(b, "label", None) or "") or "psi" in (getattr(b, "label", None) or "")
                   for b in demo.blocks.values())  # the terms live in the help text, not in the labels


def test_the_dashboard_listens_for_the_panels_own_messages():
    """explore.py (torch- and Gradio-free) repeats the message names of ganplay.panel.mount."""
    from ganplay.panel import mount

    page = (ROOT / "ganplay" / "dashboard" / "views" / "explore.py").read_text()
    assert f'"{mount.MESSAGE}"' in page and f'"{mount.ASK}"' in page
    assert mount.MESSAGE in mount.HEAD and mount.ASK in mount.HEAD


def test_timeline_walks_checkpoints(runs_dir):
    run = RUN
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


def _server_paths(runs_dir) -> list[str]:
    return ["/etc/passwd", "/root", "/etc/does-not-exist", str(runs_dir / "tiny-run"),
            str(ROOT / "pretrained" / f"{DCGAN}.safetensors"), "runs/../../../etc", "runs//etc/passwd",
            "../pretrained/mnist-cdcgan", "runs/tiny-run/../../outside", "pretrained/mnist-cdcgan"]


def test_the_panel_takes_names_not_paths(runs_dir, tmp_path, monkeypatch):
    for bad in _server_paths(runs_dir):
        for call in (lambda: H.walk(bad, 1, 0, 1.0), lambda: H.describe(bad), lambda: H.checkpoints(bad),
                     lambda: H.timeline(bad, 0, 1, 0, 1.0), lambda: H.style_mix(bad, 1, 2, 3, 0, 1.0),
                     lambda: H.compare(1, 0, 1.0, [bad])):
            with pytest.raises(E.ExploreError, match="the panel takes a zoo model's name") as err:
                call()
            assert DCGAN in str(err.value) and "runs/<run id>" in str(err.value)
        assert "training run" in H.metrics_text(bad)  # no card is read from a given path
    assert H.walk(RUN, 1, 0, 1.0).size == (224, 224)
    # a symlink inside the runs folder that leads out of it is refused too
    outside = shutil.copytree(runs_dir / "tiny-run", tmp_path / "elsewhere" / "run")
    root = tmp_path / "runs"
    root.mkdir()
    (root / "escape").symlink_to(outside, target_is_directory=True)
    monkeypatch.setenv("GANPLAY_RUNS", str(root))
    with pytest.raises(E.ExploreError, match="the panel takes a zoo model's name"):
        H.walk("runs/escape", 1, 0, 1.0)


def test_demo_mode_caps_of_the_panel(runs_dir, monkeypatch):
    monkeypatch.setenv("GANPLAY_DEMO", "1")
    lim = H.limits()
    assert lim.demo and (lim.frames, lim.grid, lim.heavy_at_once) == (H.DEMO_FRAMES, H.DEMO_GRID, 1)
    assert H.interpolation(DCGAN, 1, 2, lim.frames, "linear", 0, 1.0)[0].size == grid(lim.frames, 16)
    for call in (lambda: H.interpolation(DCGAN, 1, 2, lim.frames + 1, "linear", 0, 1.0),
                 lambda: H.compare_interpolation(1, 2, lim.frames + 1, "linear", 0, 1.0),
                 lambda: H.latent_map(DCGAN, 1, 0, 1.0, "PC1", "PC2", lim.grid + 1, 2.0),
                 lambda: H.seed_grid(DCGAN, 1, 0, 1.0, lim.grid + 1)):
        with pytest.raises(E.ExploreError, match="this public demo"):
            call()
    assert H.seed_grid(DCGAN, 1, 0, 1.0, lim.grid).size == grid(lim.grid**2, lim.grid)
    demo = __import__("ganplay.panel", fromlist=["build_blocks"]).build_blocks()
    texts = [b.value for b in demo.blocks.values() if type(b).__name__ == "Markdown" and b.value]
    assert any(f"up to {lim.frames} frames" in t and f"{lim.grid} x {lim.grid}" in t for t in texts)
    heavy = {f.api_name for f in demo.fns.values() if f.concurrency_id == "heavy"}
    assert {"interpolate", "latent_map", "map_on_load", "map_on_generator", "interpolate_on_load",
            "interpolate_on_generator", "seed_grid", "all_classes",
            "labels_on_open", "compare", "compare_interpolation"} <= heavy
    assert all(f.concurrency_limit == 1 for f in demo.fns.values() if f.concurrency_id == "heavy")
    from ganplay.panel import show_errors

    assert not show_errors()  # an unexpected error's text (server paths) stays in the server's log
    monkeypatch.setenv("GANPLAY_DEMO", "0")
    assert show_errors()


def test_cache_budget_deletes_the_oldest_files_first(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from ganplay.panel.files import CacheBudget

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "uploads"))  # (no other server's uploads)

    paths = []
    for i in range(10):
        p = tmp_path / f"h{i}" / "image.png"
        p.parent.mkdir()
        p.write_bytes(b"x" * 1000)
        os.utime(p, (1000 + i, 1000 + i))  # ctime follows: older files first
        paths.append(str(p))
        time.sleep(0.01)
    kept = str(tmp_path / "default.png")
    Path(kept).write_bytes(b"y" * 5000)
    temp = set(paths) | {kept}
    blocks = SimpleNamespace(blocks={0: SimpleNamespace(keep_in_cache={kept})}, temp_file_sets=[temp])
    assert CacheBudget(blocks, max_bytes=4000, min_age_s=3600).prune() == 0  # all too young
    freed = CacheBudget(blocks, max_bytes=4000, min_age_s=0).prune()
    assert freed == 6000 and temp == set(paths[6:]) | {kept} and Path(kept).exists()
    assert not any(Path(p).exists() for p in paths[:6]) and not (tmp_path / "h0").exists()


def test_gif_folder_keeps_only_the_newest():
    from ganplay.panel import files

    made = [files.write_gif(b"GIF89a" + bytes([i])) for i in range(files.KEEP_GIFS + 5)]
    left = sorted(files.gif_folder().glob(f"{files.GIF_PREFIX}*.gif"))
    assert len(left) == files.KEEP_GIFS and Path(made[-1]) in left and not Path(made[0]).exists()


# -- servers ------------------------------------------------------------------------------------
def _start(cmd, ready_url, env, log_path, timeout=120):
    log = open(log_path, "w+b")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while not answers(ready_url):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.seek(0)
            pytest.fail(f"server did not start:\n{log.read().decode(errors='replace')[-4000:]}")
        time.sleep(0.2)
    return proc


def _stop(proc) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def _env(runs_dir) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("GANPLAY_DEMO", "SPACE_ID")}
    env.update(GANPLAY_RUNS=str(runs_dir), OMP_NUM_THREADS="1")
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
    while not answers(f"{url}/panel/config") and time.monotonic() < deadline:
        time.sleep(0.3)
    yield url
    _stop(proc)


@pytest.fixture(scope="module", params=["alone", "mounted"])
def client(request):
    from gradio_client import Client

    url = request.getfixturevalue("alone") if request.param == "alone" else \
        request.getfixturevalue("dashboard") + "/panel/"
    client = Client(url, verbose=False)
    yield client
    client.close()  # its heartbeat stream would hold the server's shutdown open for ~15 s


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
    out = client.predict(5, 7, 1.0, [RUN], api_name="/compare")
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
    labels, info, _, *sliders = client.predict(STYLE, api_name="/describe")
    assert len(labels["choices"]) == 10 and "StyleGAN-lite" in info
    # the direction sliders are relabelled in plain words, each with its share of the variation
    assert len(sliders) == H.N_SLIDERS and re.fullmatch(r"Direction 1 \(\d+% of the variation\)", sliders[0]["label"])
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
def test_image_to_image_answers_a_held_out_digit_and_a_drawing(client, tmp_path):
    from gradio_client import handle_file

    inp, *answers, table = client.predict("lowres", 12, api_name="/image_to_image")
    assert Image.open(inp).size == (168, 168)
    assert [Image.open(a["value"]).size for a in answers] == [(168, 168)] * 3
    assert [a["label"] for a in answers] == ["bicubic", "L1 only", "GAN"]
    assert "True digit" in table and "PSNR" in table
    drawing = Image.new("RGBA", (280, 280))
    for x in range(60, 220):  # the two rings of a "0"'s outline, drawn as a visitor would
        for y in range(30, 250):
            r = ((x - 140) / 80) ** 2 + ((y - 140) / 110) ** 2
            r_in = ((x - 140) / 30) ** 2 + ((y - 140) / 60) ** 2
            if 0.8 < r < 1.0 or 0.7 < r_in < 1.0:
                drawing.putpixel((x, y), (0, 0, 0, 255))
    drawing.save(tmp_path / "outline.png")
    value = {"background": None, "layers": [], "composite": handle_file(str(tmp_path / "outline.png"))}
    inp, *answers, table = client.predict("outline", value, api_name="/image_to_image_drawing")
    assert [a["visible"] for a in answers] == [True, True, False]
    assert "no true image" in table and "mnist-pix2pix" in table
    with pytest.raises(Exception, match="canvas is empty"):
        empty = {"background": None, "layers": [], "composite": None}
        client.predict("outline", empty, api_name="/image_to_image_drawing")


def _raw_call(url: str, api: str, data: list, timeout: float = 20) -> str:
    """One event through Gradio's HTTP API as any visitor could send it (no upload first): its
    event stream's text."""
    import json

    req = urllib.request.Request(f"{url}gradio_api/call/{api}", json.dumps({"data": data}).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        event = json.loads(r.read())["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call/{api}/{event}", timeout=timeout) as r:
        return r.read().decode()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["alone", "mounted"])
def test_a_file_input_takes_only_what_the_visitor_uploaded(request, mode, tmp_path):
    # a Sketchpad's or a file box's value names a server path; Gradio would copy that file into
    # its cache (and serve it back) unless the panel counts as launched, mounted or not
    url = request.getfixturevalue("alone") if mode == "alone" else request.getfixturevalue("dashboard") + "/panel/"
    secret = tmp_path / "secret.txt"
    secret.write_text("not for visitors")

    def file(path):
        return {"path": str(path), "meta": {"_type": "gradio.FileData"}}

    pad = {"background": None, "layers": [], "composite": None, "id": None}
    calls = [("image_to_image_drawing", ["lowres", pad | {"composite": file(secret)}]),
             ("project_drawing", [DCGAN, pad | {"layers": [file(secret)]}, "z", 20, "auto"]),
             ("project_upload", [DCGAN, file(secret), "z", 20, "auto"]),
             ("image_to_image_drawing", ["lowres", pad | {"composite": file("/dev/zero")}])]  # would never end
    for api, data in calls:
        answer = _raw_call(url, api, data)
        assert "event: error" in answer and "not uploaded by a user" in answer, (api, answer[:300])
        assert "not for visitors" not in answer
    assert answers(url + "config")  # still serving
    # and the bounds on hand-written requests (ganplay.panel.guard) are in front of this server
    import requests

    upload = requests.post(url + "gradio_api/upload", timeout=20,
                           files=[("files", (f"{i}.bin", b"x" * 2**20)) for i in range(6)])
    assert upload.status_code == 413, upload.text
    pads = [c["id"] for c in requests.get(url + "config", timeout=20).json()["components"]
            if c["type"] == "imageeditor"]
    piece = requests.post(url + "gradio_api/component_server", timeout=20, files={"file": ("b", b"x")},
                          data={"session_hash": "s1", "component_id": str(pads[0]), "fn_name": "accept_blobs",
                                "type": "layer", "index": "50000000", "id": "d1"})
    assert len(pads) == 2 and piece.status_code == 400 and "at most 2 layers" in piece.text
    fetch = requests.post(url + "gradio_api/call/image_to_image_drawing", timeout=20,
                          json={"data": ["lowres", pad | {"composite": file("http://127.0.0.1:9/x.png")}]})
    assert fetch.status_code == 400 and "not addresses" in fetch.text  # Gradio would download it


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
@pytest.mark.parametrize("api", ["/walk", "/interpolate", "/describe", "/compare", "/style_mix", "/timeline"])
def test_the_panel_api_refuses_server_paths(client, runs_dir, api):
    for bad in _server_paths(runs_dir)[:5]:
        args = {"/walk": (bad, 1, 0, 1.0, *SLIDERS), "/interpolate": (bad, 1, 2, 4, "linear", 0, 1.0),
                "/describe": (bad,), "/compare": (1, 0, 1.0, [bad]), "/style_mix": (bad, 1, 2, 3, 0, 1.0),
                "/timeline": (bad, 0, 1, 0, 1.0)}[api]
        with pytest.raises(Exception, match="the panel takes a zoo model's name"):
            client.predict(*args, api_name=api)


@pytest.mark.slow  # starts the panel alone and the dashboard around it
def test_twenty_concurrent_requests_all_succeed(client):
    jobs = [client.submit(STYLE if i % 2 else DCGAN, i, i % 10, 1.0, *SLIDERS, api_name="/walk") for i in range(20)]
    paths = [j.result(timeout=120) for j in jobs]
    assert all(Image.open(p).size == (224, 224) for p in paths)


@pytest.mark.slow
def test_twenty_concurrent_threads(client):
    from gradio_client import Client

    # A client each, as 20 visitors' pages keep a session each. Threads sharing one Client race in
    # gradio_client itself (its event stream can close as a thread registers a new call, which then
    # ends in CancelledError: once in a full run here) rather than in the panel.
    def one(i):
        own = Client(client.src, verbose=False)
        try:
            return Image.open(own.predict(DCGAN, 100 + i, i % 10, 0.7, *SLIDERS, api_name="/walk")).size
        finally:
            own.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert list(pool.map(one, range(20))) == [(224, 224)] * 20


@pytest.fixture(scope="module")
def demo_panel(runs_dir, tmp_path_factory):
    """The panel alone in demo mode with its temp folder (our GIFs and Gradio's cache) under a
    folder of its own, a 1 MB cache budget and no grace period."""
    tmp = tmp_path_factory.mktemp("panel-tmp")
    port = free_port()
    env = _env(runs_dir) | {"GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
                            "TMPDIR": str(tmp), "GANPLAY_DEMO": "1", "GANPLAY_PANEL_CACHE_MB": "1",
                            "GANPLAY_PANEL_CACHE_MIN_AGE_S": "0"}
    env.pop("GRADIO_TEMP_DIR", None)
    url = f"http://127.0.0.1:{port}/"
    proc = _start([sys.executable, "-m", "ganplay.panel"], url, env, tmp_path_factory.mktemp("log") / "panel.log")
    yield url, tmp
    _stop(proc)


def _bytes_under(folder: Path) -> int:
    total = 0
    for dirpath, _, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


@pytest.mark.slow
def test_panel_disk_use_stays_bounded_under_a_loop_of_requests(demo_panel, tmp_path):
    from gradio_client import Client

    url, tmp = demo_panel
    client = Client(url, verbose=False, download_files=str(tmp_path / "client"))
    peak, written = 0, 0
    for i in range(50):
        written += Path(client.predict(DCGAN, 1000 + i, i % 10, 1.0, *SLIDERS, api_name="/walk")).stat().st_size
        strip, gif = client.predict(STYLE, i, i + 1, H.DEMO_FRAMES, "spherical", i % 10, 1.0, api_name="/interpolate")
        written += Path(strip).stat().st_size + 2 * Path(gif).stat().st_size  # a GIF is ours and Gradio's
        peak = max(peak, _bytes_under(tmp))
    # the cache's budget (1 MB) plus the GIFs we keep (8 x ~70 KB) plus what one round writes
    # (~200 KB) and some slack; without cleanup all of it (~10 MB) stays
    bound = int(2.5 * 2**20)
    print(f"written {written:,} bytes, peak on disk {peak:,}")
    assert written > 3 * bound and peak < bound, (written, peak)
    # the page states the demo's caps, and the API holds them
    with urllib.request.urlopen(url + "config", timeout=10) as r:
        assert f"up to {H.DEMO_FRAMES} frames" in r.read().decode()
    with pytest.raises(Exception, match=f"this public demo|greater than maximum value {H.DEMO_FRAMES}"):
        client.predict(STYLE, 1, 2, H.DEMO_FRAMES + 1, "spherical", 0, 1.0, api_name="/interpolate")


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


@pytest.mark.slow
def test_bench_times_a_slider_release_three_ways_and_many_clients(alone, browser):
    """`ganplay bench --panel`'s end-to-end measures against a running panel: each counts the calls
    it made and every one of them came back with an image (a failed call raises)."""
    from ganplay.panel import bench

    http = bench.http_latency(alone, DCGAN, calls=4)
    assert http["calls"] == 4 and 0 < http["median_ms"] <= http["max_ms"]
    png = bench.HttpWalk(alone)(DCGAN, 3, 1.0)
    assert Image.open(__import__("io").BytesIO(png)).size == (224, 224)
    painted = bench.browser_latency(alone, moves=4, browser=browser)
    assert painted["calls"] == 4 and painted["median_ms"] > 0  # four moves, four new pictures painted
    crowd = bench.concurrent_latency(alone, clients=6, calls_each=2)
    assert crowd["calls"] == 12 and crowd["clients"] == 6 and crowd["p95_ms"] <= crowd["max_ms"]
    table = bench.format_table({"threads": 1, "generators": {}, "slider_http": http, "slider_browser": painted,
                                "concurrent": crowd})
    assert "Gradio's HTTP API" in table and "Chromium" in table and "6 clients" in table


def test_the_cache_prune_runs_at_most_every_fifth_of_a_second(monkeypatch, tmp_path):
    """Before every event it looked at every cached file: with thousands cached, that was the
    slowest part of a slider move. Now a second prune within PRUNE_EVERY_S does nothing."""
    from types import SimpleNamespace

    from ganplay.panel import files

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))  # an empty upload folder, found without lstat

    looked = []
    monkeypatch.setattr(files.os, "lstat", lambda path: looked.append(path) or os.stat(__file__))
    blocks = SimpleNamespace(blocks={}, temp_file_sets=[{"/a.png", "/b.png"}])
    budget = files.CacheBudget(blocks, max_bytes=10**9, min_age_s=0)
    clock = [100.0]
    monkeypatch.setattr(files.time, "monotonic", lambda: clock[0])
    budget.prune()
    assert len(looked) == 2
    clock[0] += files.PRUNE_EVERY_S / 2
    budget.prune()
    assert len(looked) == 2  # too soon: nothing looked at
    clock[0] += files.PRUNE_EVERY_S
    budget.prune()
    assert len(looked) == 4


def test_gradio_summarises_its_events_rarely_in_the_panel():
    """Gradio rebuilt a pandas summary of its last 10,000 events after every event; the panel asks
    for one per 1,000 (the environment still wins)."""
    from ganplay.panel import build_blocks

    demo = build_blocks()
    assert demo._queue.ANAYLTICS_CACHE_FREQUENCY == 1000 and demo._queue.ANALYTICS_MAX_EVENTS == 1000


def test_the_panel_reports_nothing_to_gradio_even_when_the_environment_allows_it(monkeypatch):
    """Offline first: with analytics on, building Blocks starts a thread that asks api.gradio.app for
    Gradio's latest version and reports the build there."""
    import gradio.analytics

    from ganplay.panel import build_blocks

    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "True")
    asked = []
    monkeypatch.setattr(gradio.analytics, "version_check", lambda: asked.append("version"))
    monkeypatch.setattr(gradio.analytics, "_do_analytics_request", lambda **kw: asked.append(kw["topic"]))
    demo = build_blocks()
    assert demo.analytics_enabled is False
    assert asked == []


def test_the_walk_redraws_without_an_overlay_and_heavy_calls_keep_theirs():
    # The walk answers in ~20-30 ms; Gradio's overlay over its picture cost a frame in Chromium
    # (README). Calls that take seconds (grids, interpolations) keep the overlay as their feedback.
    from ganplay.panel import build_blocks

    demo = build_blocks()
    shown = {f.api_name: f.show_progress for f in demo.fns.values()}
    assert shown["walk"] == "hidden"
    assert shown["latent_map"] == shown["interpolate"] == "full"
