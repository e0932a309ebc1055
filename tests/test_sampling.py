"""Loading a generator from a checkpoint someone else wrote: the header's config and meta are
checked before anything is built (issue 16, item 7), and a generator that outputs NaN says so
instead of drawing a grey picture (item 9)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ganplay.sampling import SamplingError, load_generator
from ganplay.train import checkpoint as ckpt

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "old_runs"
MNIST = FIXTURES / "mnist" / "checkpoints" / "step-0000002.safetensors"
RING = FIXTURES / "ring8" / "checkpoints" / "step-0000006.safetensors"


def rewrite(src: Path, out: Path, config=None, meta=None, tensors=None) -> Path:
    c = ckpt.load_checkpoint(src)
    ckpt.save_checkpoint(out, c.config if config is None else config, c.meta if meta is None else meta,
                         c.tensors if tensors is None else tensors, sidecar=False)
    return out


def meta_of(src: Path, **changes) -> dict:
    meta = dict(ckpt.load_checkpoint(src).meta)
    for key, value in changes.items():
        if value is ...:
            meta.pop(key, None)
        else:
            meta[key] = value
    return meta


@pytest.mark.parametrize("src, changes, message", [
    (MNIST, {"sample_shape": ...}, "sample_shape"),
    (MNIST, {"step": ...}, "step"),
    (MNIST, {"sample_shape": [1, 100_000, 100_000]}, "sample_shape"),
    (MNIST, {"sample_shape": "28x28"}, "sample_shape"),
    (MNIST, {"sample_shape": [3, 28, 28, 1]}, "sample_shape"),
    (MNIST, {"n_classes": 7}, "n_classes"),
    (MNIST, {"n_classes": "ten"}, "n_classes"),
    (MNIST, {"step": -3}, "step"),
    (MNIST, {"class_names": "0123456789"}, "class_names"),
    (RING, {"sample_shape": [1, 28, 28]}, "sample_shape"),
], ids=["no-shape", "no-step", "huge-shape", "text-shape", "4d-shape", "classes-mismatch",
        "classes-text", "negative-step", "names-text", "2d-with-image-shape"])
def test_bad_checkpoint_meta_is_a_clear_sampling_error(tmp_path, src, changes, message):
    path = rewrite(src, tmp_path / "bad.safetensors", meta=meta_of(src, **changes))
    with pytest.raises(SamplingError, match=message) as err:
        load_generator(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


@pytest.mark.parametrize("meta", [[], "x", 3, None])
def test_meta_that_is_not_an_object(tmp_path, meta):
    path = rewrite(MNIST, tmp_path / "bad.safetensors", meta=meta if meta is not None else {})
    with pytest.raises(SamplingError, match="meta"):
        load_generator(path)


@pytest.mark.parametrize("change", [
    {"model": {"g_hidden": [200_000, 200_000]}},
    {"model": {"g_channels": 100_000}},
    {"model": {"z_dim": -1}},
    {"data": "mnist5k"},
], ids=["huge-widths", "huge-channels", "negative-z", "section-not-object"])
def test_bad_header_config_is_refused_before_building(tmp_path, change):
    config = json.loads(json.dumps(ckpt.load_checkpoint(RING).config))
    for section, values in change.items():
        config[section] = {**config[section], **values} if isinstance(values, dict) else values
    path = rewrite(RING, tmp_path / "bad.safetensors", config=config)
    with pytest.raises(SamplingError, match="config") as err:
        load_generator(path)
    assert "\n" not in str(err.value)


def test_a_folder_with_no_checkpoint_is_a_sampling_error(tmp_path):
    with pytest.raises(SamplingError, match="not a run folder"):
        load_generator(tmp_path)
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(SamplingError, match="has no checkpoint yet"):
        load_generator(tmp_path)


def test_load_generator_takes_the_checkpoint_already_read(monkeypatch):
    c = ckpt.load_checkpoint(MNIST)

    def read_again(path):
        raise AssertionError(f"{path} read a second time")

    monkeypatch.setattr(ckpt, "load_checkpoint", read_again)
    gen = load_generator(MNIST.parent.parent, use_ema=False, checkpoint=c)  # the run: its newest checkpoint
    assert gen.source == MNIST and gen.step == c.meta["step"]
    assert torch.equal(gen.G.state_dict()[next(iter(c.state_dict("G")))], next(iter(c.state_dict("G").values())))


def test_mixture_points_are_seeded_and_are_a_2d_runs_real_points():
    from ganplay.config import Config
    from ganplay.sampling import mixture_points, real_points

    xy = mixture_points("ring8", 500)
    assert xy.shape == (500, 2) and xy.dtype == "float32"
    assert abs(float(np.linalg.norm(xy, axis=1).mean()) - 2.0) < 0.1  # ring8: radius 2
    assert np.array_equal(xy, mixture_points("ring8", 500)) and not np.array_equal(xy, mixture_points("ring8", 500, 1))
    assert np.array_equal(real_points(Config.from_preset("ring8-gan"), 500), xy)


# -- NaN weights (item 9) -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def nan_weights(tmp_path_factory) -> Path:
    c = ckpt.load_checkpoint(MNIST)
    tensors = {k: (torch.full_like(v, math.nan) if k.startswith("G.") and v.is_floating_point() else v)
               for k, v in c.tensors.items()}
    return rewrite(MNIST, tmp_path_factory.mktemp("nan") / "nan.safetensors", tensors=tensors)


def test_nan_generator_is_reported(nan_weights):
    from ganplay.sampling import nonfinite_warning

    gen = load_generator(nan_weights)
    x, _ = gen.sample(8, seed=0)
    assert "NaN" in nonfinite_warning(x)
    assert nonfinite_warning(load_generator(MNIST).sample(8, seed=0)[0]) == ""


@pytest.mark.slow  # a CLI process
def test_cli_sample_warns_about_nan(nan_weights, tmp_path):
    out = tmp_path / "grey.png"
    res = subprocess.run([sys.executable, "-m", "ganplay", "sample", str(nan_weights), "--n", "16",
                          "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert "warning" in res.stderr and "NaN" in res.stderr, res.stderr
    ok = subprocess.run([sys.executable, "-m", "ganplay", "sample", str(MNIST), "--n", "16",
                         "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "NaN" not in ok.stderr


def test_home_and_panel_say_the_generator_outputs_nan(nan_weights):
    from ganplay import explore as E
    from ganplay.dashboard import gallery

    with pytest.raises(SamplingError, match="NaN"):  # Home shows the message in place of the grid
        gallery.sample_png(nan_weights, 16, 0)
    with pytest.raises(E.ExploreError, match="NaN"):
        E.cached_generator(nan_weights)
