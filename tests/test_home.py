"""The Home page's first pictures: the zoo's shipped previews (drawn at once, no torch), kept in
sync with the shipped weights, and "New samples" sampling live, one grid at a time."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from ganplay import previews
from ganplay.dashboard import gallery

MAIN = Path(__file__).resolve().parents[1] / "ganplay" / "dashboard" / "main.py"
MODELS = gallery.zoo_models()


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def test_every_zoo_model_ships_a_preview():
    assert len(MODELS) >= 8
    missing = [m.name for m in MODELS if m.preview is None]
    assert not missing, f"no preview PNG for {missing}: run `ganplay zoo previews --all`"


@pytest.mark.parametrize("model", MODELS, ids=[m.name for m in MODELS])
def test_preview_is_what_the_shipped_weights_draw(model):
    """A preview left behind by a rebuilt model would show a learner another generator."""
    shipped = pixels(model.preview.read_bytes())
    now = pixels(previews.render(model.weights, model.card))
    assert shipped.shape == now.shape
    # the same seed on the same weights; a torch version may move a pixel by a level or two
    assert np.abs(shipped - now).max() <= 8, f"{model.name}: re-render with `ganplay zoo previews {model.name}`"
    assert np.abs(shipped - now).mean() < 0.5


@pytest.mark.parametrize("name", ["ring8-gan", "grid25-gan"])
def test_2d_samples_are_drawn_over_the_real_modes(name):
    """A collapsed generator's lone blob means something only beside the modes it missed."""
    import torch

    from ganplay.config import MODE_CENTRES
    from ganplay.data import mixture
    from ganplay.sampling import REAL_POINTS, load_generator
    from ganplay.train import snapshots

    model = next(m for m in MODELS if m.name == name)
    img = pixels(model.preview.read_bytes())
    data = model.card["config"]["data"]["name"]
    real = mixture(data).sample(REAL_POINTS, torch.Generator().manual_seed(0)).numpy()
    fake, _ = load_generator(model.weights).sample(previews.sample_count(model.card), previews.PREVIEW_SEED)
    lo, hi = snapshots.view_bounds(real, fake.numpy())
    size = img.shape[0]
    for centre in MODE_CENTRES[data][0]:  # every real mode is drawn: its centre's pixel is not white
        px, py = ((np.array(centre) - lo) / (hi - lo) * (size - 1)).round().astype(int)
        assert img[size - 1 - py, px].sum() < 3 * 250, (name, centre)


def test_sample_counts_follow_the_card():
    assert previews.sample_count({"config": {"data": {"name": "ring8"}}}) == 1000
    assert previews.sample_count({"config": {"data": {"name": "mnist5k"}, "model": {"n_classes": 10}}}) == 60
    assert previews.sample_count({"config": {"data": {"name": "mnist5k"}, "model": {"n_classes": 0}}}) == 64
    assert previews.sample_count({"config": {"data": {"name": "mnist5k"}, "model": {"arch": "srgan"}}}) == 16


def test_image_to_image_grids_come_last_under_their_own_heading_each_gan_beside_its_twin(monkeypatch):
    monkeypatch.setattr(gallery, "sample_png", lambda *a: (_ for _ in ()).throw(AssertionError("sampled")))
    at = home()
    captions = [el.proto.imgs[0].caption.split(":")[0] for el in images(at)]
    pairs = ["mnist-srgan", "mnist-sr-l1", "mnist-pix2pix", "mnist-pix2pix-l1"]
    assert captions[-4:] == pairs and not set(captions[:-4]) & set(pairs)
    assert any(md.value.startswith("**Image to image.**") for md in at.markdown)


def test_listing_the_zoo_imports_no_torch():
    code = ("import sys; from ganplay.dashboard import gallery; ms = gallery.zoo_models(); "
            "print(len(ms), all(m.preview for m in ms), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == [str(len(MODELS)), "True", "False"]


def home() -> AppTest:
    at = AppTest.from_file(str(MAIN), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def images(at: AppTest) -> list:
    return list(at.image)


def test_first_visit_draws_every_shipped_grid_without_sampling(monkeypatch):
    def no_sampling(*args, **kwargs):
        raise AssertionError("the first visit must not sample")

    monkeypatch.setattr(gallery, "sample_png", no_sampling)
    at = home()
    shown = images(at)
    assert len(shown) == len(MODELS)
    protos = [el.proto.imgs[0] for el in shown]
    assert sorted(p.caption.split(":")[0] for p in protos) == sorted(m.name for m in MODELS)
    assert all(p.url.endswith(".png") for p in protos), [p.url for p in protos]
    assert any("Seed 0" in c.value for c in at.caption)
    # one paragraph where people generate: what the models learned from, deepfakes, bias
    (note,) = [c.value for c in at.caption if c.value.startswith("**About these pictures.**")]
    assert "MNIST-5k" in note and "deepfakes" in note and "biases" in note
    assert not at.warning
    # "What you can do here" leads with the two pages learners like best
    links = [el.proto.label for el in at.get("page_link")]
    assert links[1:3] == ["Mode collapse lab", "Explore"], links
    assert {"Train", "2D playground", "Runs", "Does synthetic data help?"} <= set(links), "every page in the menu"


def test_new_samples_samples_every_grid_live(monkeypatch):
    calls = []
    real = gallery.sample_png

    def counting(weights, n, seed):
        calls.append((Path(weights).stem, n, seed))
        return real(weights, n, seed)

    monkeypatch.setattr(gallery, "sample_png", counting)
    at = home()
    next(b for b in at.button if b.label == "New samples").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert sorted(name for name, _, _ in calls) == sorted(m.name for m in MODELS)
    assert {seed for _, _, seed in calls} == {1}
    assert len(images(at)) == len(MODELS)
    assert any("Seed 1" in c.value for c in at.caption)


def test_warm_up_waits_for_the_first_page_and_then_for_quiet(monkeypatch):
    """The server's torch import and panel build must not run while a page is drawn."""
    import threading
    import time

    from ganplay.dashboard import hosting

    monkeypatch.setattr(hosting, "_first_drawn", threading.Event())
    monkeypatch.setattr(hosting, "_last_drawn", 0.0)
    steps = []
    waiter = threading.Thread(target=lambda: (hosting.wait_for_pages(first_visit_wait=30, quiet=0.3),
                                              steps.append(time.monotonic())))
    waiter.start()
    time.sleep(0.3)
    assert not steps, "a warm-up step started before any page was drawn"
    with hosting.drawing_page():
        time.sleep(0.3)
        assert not steps, "a warm-up step started while a page was being drawn"
    ended = time.monotonic()
    waiter.join(timeout=10)
    assert steps and steps[0] - ended >= 0.25, "the warm-up did not leave the browser its quiet time"


def test_warm_up_waits_while_a_page_watches_a_running_job(monkeypatch):
    """Past the pages' cap too: a warm-up step in the middle of a watched run made its ETA wrong."""
    import threading
    import time

    from ganplay.dashboard import hosting

    first = threading.Event()
    first.set()
    monkeypatch.setattr(hosting, "_first_drawn", first)
    monkeypatch.setattr(hosting, "_last_drawn", 0.0)
    monkeypatch.setattr(hosting, "JOB_SEEN_S", 0.3)
    monkeypatch.setattr(hosting, "_job_seen", float("-inf"))  # restored afterwards
    done, wanted = threading.Event(), threading.Event()
    hosting.watching_a_job()
    t = threading.Thread(target=lambda: (hosting.wait_for_pages(wanted, quiet=0.05, cap=0.1), done.set()))
    t.start()
    for _ in range(4):  # the Train page polls: the job is still running, past the pages' cap
        time.sleep(0.1)
        hosting.watching_a_job()
    assert not done.is_set(), "a warm-up step ran while a page showed a running job"
    assert done.wait(5), "the warm-up must go on once the job is no longer shown running"
    hosting.watching_a_job()
    done.clear()
    t = threading.Thread(target=lambda: (hosting.wait_for_pages(wanted, quiet=0.05, cap=0.1), done.set()))
    t.start()
    wanted.set()
    assert done.wait(5), "a visitor waiting for the panel must not wait for the job"


def test_warm_up_starts_by_itself_when_nobody_visits(monkeypatch):
    import threading

    from ganplay.dashboard import hosting

    monkeypatch.setattr(hosting, "_first_drawn", threading.Event())
    done = threading.Event()
    t = threading.Thread(target=lambda: (hosting.wait_for_pages(first_visit_wait=0.2, quiet=0.1), done.set()))
    t.start()
    assert done.wait(10), "with no visitor the warm-up must still run"


def test_explore_shows_how_far_the_panel_has_come_until_it_is_ready(monkeypatch):
    """A cold server builds the panel for seconds: the page says so instead of an empty frame."""
    from ganplay.dashboard import hosting

    monkeypatch.setattr(hosting, "MOUNTED", {"/panel"})
    monkeypatch.setattr(hosting, "_STARTING", {})
    hosting.report("/panel", 0.5, "importing torch and the generators")
    at = AppTest.from_file(str(MAIN), default_timeout=60)
    at.run()
    at.switch_page("views/explore.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [p.proto.text for p in at.progress] == [
        "The explorer panel is starting: importing torch and the generators… (once per server start, a few seconds)"]
    assert not at.get("iframe")
    hosting.report("/panel", 1.0, "ready")
    at.run()
    assert not at.progress
    assert [f.proto.src for f in at.get("iframe")] == ["/panel/"]


def test_the_lab_replay_and_home_import_no_torch():
    """Their first cold visit would wait seconds for torch, which neither needs."""
    code = f"""
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({str(MAIN)!r}, default_timeout=120)
at.run()
at.switch_page("views/collapse_lab.py").run()
assert not at.exception, [e.value for e in at.exception]
print(len(at.get("plotly_chart")), "torch" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) >= 1 and out[1] == "False", out


def test_a_waiting_panel_request_stops_the_warm_up_giving_way(monkeypatch):
    """gradio_client on a cold server: no page is ever drawn, the panel must not wait for one."""
    import threading
    import time

    from ganplay.dashboard import hosting

    monkeypatch.setattr(hosting, "_first_drawn", threading.Event())
    wanted, done = threading.Event(), threading.Event()
    t = threading.Thread(target=lambda: (hosting.wait_for_pages(wanted, first_visit_wait=60), done.set()))
    t.start()
    time.sleep(0.2)
    assert not done.is_set()
    wanted.set()
    assert done.wait(5), "a request for the panel was kept waiting for a page nobody opened"
