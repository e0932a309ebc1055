"""The panel's Project your digit tab: its handlers called directly, then over HTTP with gradio_client
(the panel alone, `python -m ganplay.panel`, as tests/test_panel.py starts it): an uploaded held-out
digit projected, the walk, map, interpolation and all-labels row from the code, back to seeds, bad
input, a second visitor who finds nothing of the first's, one projection at a time per visitor.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image, ImageChops

from ganplay import explore as E
from ganplay import projection as P
from ganplay.img2img import MAX_DRAWING_SIDE
from ganplay.panel import handlers as H
from ganplay.panel import project
from servers import panel_server, wait_until

SLIDERS = [0.0] * H.N_SLIDERS
CDCGAN, STYLE = "mnist-cdcgan", "mnist-cstylegan-lite"


def differ(a, b) -> bool:
    a, b = Image.open(a) if isinstance(a, (str, os.PathLike)) else a, Image.open(b) if isinstance(b, (str, os.PathLike)) else b
    return ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is not None


def drawn_one() -> np.ndarray:
    """A "1" as the Sketchpad sends it: black strokes on a transparent 280 x 280 canvas."""
    a = np.zeros((280, 280, 4), np.uint8)
    a[60:220, 130:150, 3] = 255
    return a


# -- handlers, no server (fast) -----------------------------------------------------------------
def test_the_tab_projects_a_drawing_and_walks_on_from_it(monkeypatch):
    monkeypatch.delenv("GANPLAY_DEMO", raising=False)
    monkeypatch.delenv("SPACE_ID", raising=False)
    o = project.run(CDCGAN, drawn_one(), "z", 60)
    assert o.found.label == o.reads_target == 1 and o.found.error < o.baseline / 2
    assert o.label_row.shape == (10, 1, 28, 28)  # the same z under every label
    text = project.summary(o)
    assert "Error 0.0" in text and "best of 100 random seeds" in text and "under label 1" in text
    start, row, note, label, truncation, *rest = project.walk_on(o.start, CDCGAN)
    assert start is o.start and label["value"] == 1 and truncation == 1.0 and rest[:-1] == SLIDERS
    assert "from your projected digit" in note
    # the walk from the code starts at the reconstruction; another generator's walks ignore it
    assert not differ(H.walk_from(start, CDCGAN, 5, 1, 1.0, *SLIDERS).resize((168, 168), Image.NEAREST),
                      project._picture(o.found.image))
    assert not differ(H.walk_from(start, STYLE, 5, 1, 1.0, *SLIDERS), H.walk(STYLE, 5, 1, 1.0, *SLIDERS))
    assert H.latent_map_from(start, CDCGAN, 5, 1, 1.0, "PC1", "PC2", 3, 2.0).size == E.grid_size((1, 28, 28), 9, 3, 3)
    strip, gif = H.interpolation_from(start, CDCGAN, 5, 8, 4, "spherical", 1, 1.0)
    assert gif[:6] == b"GIF89a"
    assert not differ(H.all_classes_from(start, CDCGAN, 5, 1.0), E.grid_image(o.label_row, 10, H.GRID_SCALE + 1))
    # bad input: each a message, none a traceback
    for call, message in [
        (lambda: project.run(CDCGAN, np.zeros((280, 280, 4), np.uint8)), "draw a digit first"),
        (lambda: project.run(CDCGAN, np.full((50, 50), 128, np.uint8), empty=project.EMPTY_UPLOAD), "No digit found"),
        (lambda: project.run(CDCGAN, drawn_one(), "w+"), "has no w space"),
        (lambda: project.run(CDCGAN, drawn_one(), "z", 501), "1..500"),
        (lambda: project.walk_on(None, CDCGAN), "Project a digit first"),
        (lambda: project.walk_on(o.start, STYLE), "project it again"),
    ]:
        with pytest.raises(ValueError, match=message):
            call()
    # in the page, bad input is the result's text (a toast would sit out of sight at the frame's top)
    shown, recon, text, row, start, button = project.project_upload(CDCGAN, None, "z", 50, "auto")
    assert text == project.REFUSED + "Upload a picture first (PNG or JPEG)." and shown is recon is start is None
    assert button["interactive"] is False and row["visible"] is False
    with project.one_at_a_time("visitor-a"), project.one_at_a_time("visitor-b"):
        with pytest.raises(ValueError, match="one at a time"):
            with project.one_at_a_time("visitor-a"):
                pass
    with project.one_at_a_time("visitor-a"):  # free again once the first one ended
        pass
    monkeypatch.setenv("GANPLAY_DEMO", "1")
    with pytest.raises(ValueError, match="at most 300 steps"):
        project.run(CDCGAN, drawn_one(), "z", 400)


# -- over HTTP (slow) ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    with _panel(tmp_path_factory) as url:
        yield url


def _panel(tmp_path_factory, **extra):
    """`python -m ganplay.panel` on a free port (demo mode off unless `extra` turns it on)."""
    return panel_server(tmp_path_factory.mktemp("log"), tmp_path_factory.mktemp("runs"), **extra)


@pytest.fixture()
def digit(tmp_path):
    """Held-out digit 2 (an 8) as a PNG, as a visitor would upload it."""
    x, _ = P.heldout_digits(3)
    path = tmp_path / "eight.png"
    Image.fromarray(((x[2, 0].numpy() + 1) * 127.5).round().astype(np.uint8)).save(path)
    return path


@pytest.mark.slow
def test_project_an_upload_then_walk_map_interpolate_and_label_from_it(panel, digit, tmp_path):
    from gradio_client import Client, handle_file

    client = Client(panel, verbose=False)
    shown, recon, text, row = client.predict(STYLE, handle_file(str(digit)), "z", 150, "auto",
                                             api_name="/project_upload")
    assert Image.open(shown).size == Image.open(recon).size == (168, 168)
    assert "reads your digit as **8**" in text and "under label 8" in text
    assert row["visible"] and Image.open(row["value"]).size == E.grid_size((1, 28, 28), 10, 5, H.GRID_SCALE + 1)
    seed_walk = client.predict(STYLE, 3, 2, 0.7, *SLIDERS, api_name="/walk")
    seed_labels = client.predict(STYLE, 3, 1.0, api_name="/all_classes")
    note, label, truncation, *sliders = client.predict(STYLE, api_name="/walk_on")
    assert "from your projected digit" in note and label["value"] == 8 and truncation == 1.0
    walked = client.predict(STYLE, 3, 8, 1.0, *SLIDERS, api_name="/walk")  # the seed is not used now
    assert not differ(Image.open(walked).resize((168, 168), Image.NEAREST), recon)
    moved = client.predict(STYLE, 3, 8, 1.0, 2.0, *SLIDERS[1:], api_name="/walk")
    assert differ(moved, walked)
    assert Image.open(client.predict(STYLE, 3, 8, 1.0, "PC1", "PC2", 3, 2.0, *SLIDERS,
                                     api_name="/latent_map")).size == E.grid_size((1, 28, 28), 9, 3, 3)
    strip, gif = client.predict(STYLE, 3, 5, 6, "spherical", 8, 1.0, api_name="/interpolate")
    assert Image.open(strip).size == E.grid_size((1, 28, 28), 6, 6, 3)
    labels_row = client.predict(STYLE, 3, 1.0, api_name="/all_classes")
    assert Image.open(labels_row).size == Image.open(seed_labels).size and differ(labels_row, seed_labels)
    # another visitor (a new session) walks from seeds and cannot walk on from the first's digit
    other = Client(panel, verbose=False)
    assert not differ(other.predict(STYLE, 3, 2, 0.7, *SLIDERS, api_name="/walk"), seed_walk)
    with pytest.raises(Exception, match="Project a digit first"):
        other.predict(STYLE, api_name="/walk_on")
    # back to seeds
    client.predict(api_name="/back_to_seeds")
    assert not differ(client.predict(STYLE, 3, 2, 0.7, *SLIDERS, api_name="/walk"), seed_walk)


@pytest.mark.slow
def test_bad_input_and_one_projection_at_a_time(panel, digit, tmp_path):
    from gradio_client import Client, handle_file

    client = Client(panel, verbose=False)
    (tmp_path / "notes.png").write_text("a shopping list, not a picture")
    Image.new("L", (5000, 40), 255).save(tmp_path / "wide.png")
    rgba = Image.new("RGBA", (333, 123), (0, 0, 0, 0))  # odd-sized, transparent: converted, not refused
    rgba.paste((20, 20, 20, 255), (150, 10, 170, 110))
    rgba.save(tmp_path / "rgba.png")
    for args, api, message in [
        ((CDCGAN, {"background": None, "layers": [], "composite": None}, "z", 100, "auto"), "/project_drawing",
         "draw a digit first"),
        ((CDCGAN, handle_file(str(tmp_path / "notes.png")), "z", 100, "auto"), "/project_upload", "not a picture"),
        ((CDCGAN, handle_file(str(tmp_path / "wide.png")), "z", 100, "auto"), "/project_upload", f"at most {MAX_DRAWING_SIDE} px"),
        ((CDCGAN, handle_file(str(digit)), "w+", 100, "auto"), "/project_upload", "has no w space"),
    ]:
        shown, recon, text, row = client.predict(*args, api_name=api)
        assert text.startswith(project.REFUSED) and message in text and shown is None and recon is None, text
    *_, text, _ = client.predict(CDCGAN, handle_file(str(tmp_path / "rgba.png")), "z", 60, 1,
                                 api_name="/project_upload")
    assert "under label 1" in text
    # the same visitor twice at once: the second is refused while the first runs
    jobs = [client.submit(STYLE, handle_file(str(digit)), "w+", 300, "auto", api_name="/project_upload")
            for _ in range(2)]
    outcomes = [job.result(timeout=120)[2] for job in jobs]
    assert sum("Error 0.0" in o for o in outcomes) == 1, outcomes
    assert sum("one at a time" in o for o in outcomes) == 1, outcomes


@pytest.fixture(scope="module")
def demo_panel(tmp_path_factory):
    with _panel(tmp_path_factory, GANPLAY_DEMO="1") as url:
        yield url


@pytest.mark.slow
def test_demo_mode_queues_projections_one_at_a_time_and_shows_the_place(demo_panel, digit):
    """Two visitors at once in demo mode: the second waits in the queue (its rank is what Gradio
    shows on the pictures), then both get their answer; steps are capped."""
    from gradio_client import Client, handle_file
    from gradio_client.utils import Status

    first, second = Client(demo_panel, verbose=False), Client(demo_panel, verbose=False)
    a = first.submit(STYLE, handle_file(str(digit)), "w+", 300, "auto", api_name="/project_upload")
    wait_until(lambda: a.status().code in (Status.PROCESSING, Status.PROGRESS), 60, "the first projection running")
    b = second.submit(CDCGAN, handle_file(str(digit)), "z", 100, "auto", api_name="/project_upload")
    queued = wait_until(lambda: b.status() if b.status().code == Status.IN_QUEUE else None, 30,
                        "the second projection queued")
    assert queued.rank == 0 and queued.queue_size >= 1
    assert "Error 0.0" in a.result(timeout=120)[2] and "Error 0.0" in b.result(timeout=120)[2]
    with pytest.raises(Exception, match="300"):
        first.predict(CDCGAN, handle_file(str(digit)), "z", 400, "auto", api_name="/project_upload")
