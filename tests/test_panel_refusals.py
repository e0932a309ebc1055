"""What a hostile visitor of the public demo gets back, and what it costs the server.

- No server path in a message: a run whose checkpoint is damaged, or was rotated away while being
  read, is named `runs/<run id>/...` (`checkpoint.shown_path`, `scrub_paths`); in demo mode any
  other ValueError is logged and the visitor reads a generic line (`panel.errors`).
- Numbers no person types (1e400 is infinity once parsed, NaN, text) are refused with a clear
  message by the panel's own widgets (`panel.numbers`), printing nothing; Gradio's refusals of
  malformed calls (a server path as a file input) log one line a minute, not a traceback each.
- An uploaded picture is decoded small (`img2img.read_picture`): refused from its header when
  too large, a JPEG decoded at 1/8, anything else reduced before any float arithmetic.

Servers are stopped by pid (`servers.panel_server`).
"""

from __future__ import annotations

import json
import logging
import urllib.request

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ganplay import explore as E
from ganplay import img2img
from ganplay.train import checkpoint as ckpt
from servers import panel_server, two_checkpoint_run

DCGAN = "mnist-cdcgan"


@pytest.fixture
def runs(tmp_path, monkeypatch):
    """A runs folder (GANPLAY_RUNS) with `broken-run`, whose newest checkpoint is not safetensors,
    and `ok-run` with two good ones; demo mode off unless a test turns it on."""
    root = tmp_path / "server-only-folder" / "runs"
    broken = two_checkpoint_run(root, DCGAN, "broken-run")
    (broken / "checkpoints" / "step-0000002.safetensors").write_bytes(b"not a safetensors file at all")
    two_checkpoint_run(root, DCGAN, "ok-run")
    monkeypatch.setenv("GANPLAY_RUNS", str(root))
    monkeypatch.delenv("GANPLAY_DEMO", raising=False)
    monkeypatch.delenv("SPACE_ID", raising=False)
    return root


# -- A. server paths ----------------------------------------------------------------------------
def test_checkpoint_errors_name_files_under_the_runs_folder(runs):
    damaged = runs / "broken-run" / "checkpoints" / "step-0000002.safetensors"
    with pytest.raises(ckpt.CheckpointError) as err:
        ckpt.load_checkpoint(damaged)
    text = str(err.value)
    assert "runs/broken-run/checkpoints/step-0000002.safetensors is not a safetensors file" in text
    assert str(runs) not in text and "server-only-folder" not in text
    for call in (lambda: E.get_generator("runs/broken-run"),
                 lambda: __import__("ganplay.panel.handlers", fromlist=["x"]).walk("runs/broken-run", 0, 0, 1.0)):
        with pytest.raises(ckpt.CheckpointError) as err:
            call()
        assert "runs/broken-run/checkpoints/" in str(err.value) and "server-only-folder" not in str(err.value)
    outside = runs.parent / "mine.safetensors"  # a file a person names on the command line: as given
    outside.write_bytes(b"x")
    with pytest.raises(ckpt.CheckpointError, match="mine.safetensors is not a safetensors file"):
        ckpt.read_header(outside)


def test_a_rotated_away_checkpoint_says_so(runs):
    old = runs / "ok-run" / "checkpoints" / "step-0000001.safetensors"
    listed = E.RunDir(runs / "ok-run").checkpoint_paths()
    old.unlink()  # the run saved a newer one and its keep_checkpoints removed this one
    for call in (lambda: ckpt.load_checkpoint(old), lambda: ckpt.read_header(old),
                 lambda: E.cached_generator(listed[0], "ok-run at checkpoint 1")):
        with pytest.raises(ckpt.CheckpointGone) as err:
            call()
        text = str(err.value)
        assert "step 1 checkpoint of runs/ok-run was replaced by a newer one" in text and "pick again" in text
        assert "server-only-folder" not in text
    # the newest one missing too: plainly not found, still without the folder's path
    with pytest.raises(ckpt.CheckpointError, match="checkpoint not found: runs/ok-run/checkpoints/step-0000009"):
        ckpt.read_header(runs / "ok-run" / "checkpoints" / "step-0000009.safetensors")


def test_a_checkpoint_removed_between_its_header_and_its_tensors(runs, monkeypatch):
    path = runs / "ok-run" / "checkpoints" / "step-0000001.safetensors"
    real = ckpt.read_header

    def header_then_gone(p):
        header = real(p)
        path.unlink()
        return header

    monkeypatch.setattr(ckpt, "read_header", header_then_gone)
    with pytest.raises(ckpt.CheckpointGone, match="replaced by a newer one"):
        ckpt.load_checkpoint(path)


@pytest.mark.parametrize("text, shown", [
    ("/srv/x/data/digits.csv: no such file", ".../digits.csv: no such file"),
    ("see http://host/a/b and 1/2 and/or runs/x", "see http://host/a/b and 1/2 and/or runs/x"),
    ("at '/etc/passwd'", "at '.../passwd'"),
])
def test_scrub_paths(text, shown, runs):
    assert ckpt.scrub_paths(text) == shown
    assert ckpt.scrub_paths(f"{runs}/a/checkpoints/step-1.safetensors: bad") == "runs/a/checkpoints/step-1.safetensors: bad"
    assert ckpt.scrub_paths(f"({runs.resolve()})") == "(runs)"


def test_make_ui_shows_refusals_without_paths_and_hides_the_rest_in_demo_mode(runs, monkeypatch, caplog):
    import gradio as gr

    from ganplay.panel.blocks import make_ui
    from ganplay.panel.errors import GENERIC

    def damaged():
        raise ckpt.CheckpointError(f"{runs}/broken-run/checkpoints/step-0000002.safetensors: damaged")

    def library_bug():
        raise ValueError(f"cannot reshape array read from {runs}/ok-run/config.json")

    ui = make_ui()
    monkeypatch.setenv("GANPLAY_DEMO", "1")
    with pytest.raises(gr.Error) as err:
        ui(damaged)()
    assert err.value.message == "runs/broken-run/checkpoints/step-0000002.safetensors: damaged"
    assert not err.value.print_exception
    with caplog.at_level(logging.ERROR, logger="ganplay.panel"), pytest.raises(gr.Error) as err:
        ui(library_bug)()
    assert err.value.message == GENERIC
    assert "cannot reshape" in caplog.text and "Traceback" in caplog.text  # the server's log keeps it whole
    monkeypatch.setenv("GANPLAY_DEMO", "0")  # a person's own machine: every message whole
    with pytest.raises(gr.Error) as err:
        ui(library_bug)()
    assert err.value.message.startswith("cannot reshape") and str(runs) in err.value.message


def test_d_verdict_data_error_shows_no_folder_in_demo_mode(runs, monkeypatch):
    from ganplay import inside as I
    from ganplay.panel import inside as P

    def missing(*_):
        raise I.VerdictError(f"the run's training data (folder) could not be loaded: FileNotFoundError: "
                             f"{runs.parent}/private/digits")

    monkeypatch.setattr(I, "d_verdict", missing)
    monkeypatch.setenv("GANPLAY_DEMO", "1")
    img, text = P.verdict("runs/ok-run", 8, 4, 0)
    assert img is None and text.endswith("FileNotFoundError: .../digits") and "server-only" not in text


# -- C. numbers no person types, Gradio's own refusals --------------------------------------------
@pytest.mark.parametrize("value, message", [
    (float("inf"), "expected a finite number, got inf"), (float("nan"), "expected a finite number, got nan"),
    ("12", "expected a number, got '12'"), (True, "expected a number"), ([1], "expected a number"),
    (10**400, "far out of range"), (-1e300, "far out of range"),
])
def test_panel_numbers_refuse_what_no_person_types(value, message):
    import gradio as gr

    from ganplay.panel.numbers import Number, Slider

    for widget in (Number(label="Seed", precision=0), Slider(0, 1, label="Seed")):
        with pytest.raises(gr.Error) as err:
            widget.preprocess(value)
        assert err.value.message.startswith("Seed: ") and message in err.value.message
        assert not err.value.print_exception  # a refusal, not a fault: no traceback in the log
    assert Number(label="Seed", precision=0).preprocess(7.0) == 7 and Slider(0, 1).preprocess(0.5) == 0.5
    with pytest.raises(gr.Error, match="greater than maximum value 1") as err:
        Slider(0, 1, label="Truncation").preprocess(5)
    assert not err.value.print_exception
    assert Number().get_block_name() == "number" and Slider().get_block_name() == "slider"  # drawn as Gradio's


def test_gradio_refusals_become_one_line_a_minute(capsys, caplog, monkeypatch):
    import traceback

    from gradio.exceptions import InvalidPathError

    from ganplay.panel import errors

    quiet = errors._QuietTraceback(traceback, errors._Summary(every=60.0))
    with caplog.at_level(logging.WARNING, logger="ganplay.panel"):
        for _ in range(50):
            try:
                raise InvalidPathError("Cannot move /etc/passwd to the gradio cache dir")
            except InvalidPathError:
                quiet.print_exc()
    assert capsys.readouterr().err == ""
    lines = [r for r in caplog.records if r.name == "ganplay.panel"]
    assert len(lines) == 1 and "InvalidPathError" in lines[0].getMessage()
    try:  # anything else: the whole traceback, as before
        raise RuntimeError("a real bug")
    except RuntimeError:
        quiet.print_exc()
    assert "Traceback" in capsys.readouterr().err
    assert quiet.format_exc is traceback.format_exc  # the rest of the module is the real one


# -- B. uploaded pictures are decoded small -------------------------------------------------------
def _digit(side: int) -> Image.Image:
    img = Image.new("L", (side, side), 255)
    ImageDraw.Draw(img).ellipse([side * 0.3, side * 0.2, side * 0.7, side * 0.8], outline=0, width=max(2, side // 14))
    return img


@pytest.fixture
def decoded(monkeypatch):
    """The size of each picture `read_picture` decoded (PIL's size as the pixels are read)."""
    sizes = []
    real = img2img._decoded

    def spy(img):
        sizes.append(img.size)
        return real(img)

    monkeypatch.setattr(img2img, "_decoded", spy)
    return sizes


def test_large_pictures_are_refused_from_their_header(tmp_path, decoded):
    side = img2img.MAX_DRAWING_SIDE * 4
    rgba = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    ImageDraw.Draw(rgba).ellipse([1200, 800, 2900, 3300], outline=(0, 0, 0, 255), width=200)
    rgba.save(tmp_path / "rgba.png", optimize=True)
    Image.fromarray(np.asarray(_digit(side), np.uint16) * 257).save(tmp_path / "grey16.png")
    Image.new("1", (4000, 4000), 1).save(tmp_path / "blank.png", optimize=True)  # a few kB, 16 M pixels
    for name in ("rgba.png", "grey16.png", "blank.png"):
        assert (tmp_path / name).stat().st_size < img2img.MAX_UPLOAD_BYTES
        with pytest.raises(E.ExploreError, match=f"at most {img2img.MAX_DRAWING_SIDE} px a side"):
            img2img.read_picture(tmp_path / name)
    assert decoded == []  # not one pixel decoded


def test_a_large_jpeg_is_decoded_at_an_eighth(tmp_path, decoded):
    _digit(img2img.MAX_PHOTO_SIDE).convert("RGB").save(tmp_path / "photo.jpg", quality=30)
    picture = img2img.read_picture(tmp_path / "photo.jpg")
    assert decoded == [(img2img.MAX_PHOTO_SIDE // 8,) * 2]  # 512 x 512 decoded, not 4096 x 4096
    assert picture.shape == (img2img.WORK_SIDE, img2img.WORK_SIDE) and picture.dtype == np.uint8
    digit = img2img.mnist_like(picture)
    rows = np.nonzero(digit[0].numpy() > 128)[0]
    assert rows.min() >= 3 and rows.max() <= 24  # a 0 drawn into its 20 px box


def test_pictures_are_reduced_before_any_arithmetic(tmp_path):
    side = img2img.MAX_DRAWING_SIDE
    Image.fromarray(np.asarray(_digit(side), np.uint16) * 257).save(tmp_path / "grey16.png")
    _digit(side).convert("P").save(tmp_path / "palette.png")
    for name in ("grey16.png", "palette.png"):
        picture = img2img.read_picture(tmp_path / name)
        assert picture.shape == (img2img.WORK_SIDE, img2img.WORK_SIDE) and picture.dtype == np.uint8
        assert picture.min() == 0 and picture.max() == 255  # 16 bits stretched to 8, ink and paper kept
    # a drawing array larger than WORK_SIDE (a canvas on a dense screen) is reduced too, to the same digit
    big = np.asarray(_digit(2 * 280))
    small = np.asarray(_digit(2 * 280).reduce(2))
    assert img2img._reduced_array(big).shape == (280, 280)
    assert (img2img.mnist_like(big).int() - img2img.mnist_like(small).int()).abs().max() == 0


def test_a_canvas_sized_picture_is_read_as_it_is(tmp_path, decoded):
    _digit(280).save(tmp_path / "digit.png")
    picture = img2img.read_picture(tmp_path / "digit.png")
    assert decoded == [(280, 280)] and np.array_equal(picture, np.asarray(_digit(280)))


# -- the real thing: a demo-mode panel over HTTP ---------------------------------------------------
@pytest.fixture(scope="module")
def demo_panel(tmp_path_factory):
    root = tmp_path_factory.mktemp("server-only-folder") / "runs"
    broken = two_checkpoint_run(root, DCGAN, "broken-run")
    (broken / "checkpoints" / "step-0000002.safetensors").write_bytes(b"not a safetensors file at all")
    logs = tmp_path_factory.mktemp("log")
    with panel_server(logs, root, GANPLAY_DEMO="1") as url:
        yield url, root, logs / "panel.log"


def _call(url: str, api: str, body: str) -> str:
    """A raw API call (`POST /gradio_api/call/<api>`, then its result stream), as a script sends it."""
    post = urllib.request.Request(f"{url}gradio_api/call/{api}", data=body.encode(),
                                  headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(post, timeout=30) as r:
        event = json.load(r)["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call/{api}/{event}", timeout=60) as r:
        return r.read().decode()


@pytest.mark.slow
def test_the_demo_panel_names_no_server_path_and_logs_refusals_briefly(demo_panel):
    from gradio_client import Client

    url, root, log = demo_panel
    client = Client(url, verbose=False)
    try:
        for args, api in [(("runs/broken-run", 0, "0", 1.0, 0, 0, 0, 0, 0, 0), "/walk"),
                          (("runs/broken-run",), "/describe"), (("runs/broken-run", 8, 4, 0), "/d_verdict"),
                          (("runs/broken-run", 1, 0, "0", 1.0), "/timeline")]:
            with pytest.raises(Exception) as err:
                client.predict(*args, api_name=api)
            text = str(err.value)
            assert "runs/broken-run/checkpoints/step-0000002.safetensors is not a safetensors file" in text, (api, text)
            assert str(root) not in text and "server-only-folder" not in text, (api, text)
    finally:
        client.close()
    before = log.stat().st_size
    for _ in range(20):
        answer = _call(url, "walk", '{"data":["mnist-cdcgan",1e400,"0",1,0,0,0,0,0,0]}')
        assert "event: error" in answer and "Seed: expected a finite number, got inf" in answer, answer
        answer = _call(url, "project_upload", json.dumps({"data": [
            DCGAN, {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}, "z", 20, "auto"]}))
        assert "event: error" in answer and "root:" not in answer
    grown = log.read_text(errors="replace")[before:]
    assert "Traceback" not in grown and len(grown) < 1000, grown  # was ~2.7 kB per call
