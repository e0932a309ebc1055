"""Metrics against cases with known answers, the classifier, and `ganplay eval` end to end."""

import json
import math
import os
import subprocess
import sys

import pytest
import torch

from ganplay.config import Config
from ganplay.data import mixture
from ganplay.metrics import image, points
from ganplay.metrics.classifier import accuracy, load_classifier


def test_fid_and_kid_of_identical_sets_are_zero_and_grow_with_a_shift():
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(600, 16, generator=g)
    assert image.fid(feats, feats) == pytest.approx(0.0, abs=1e-3)
    near, far = image.fid(feats, feats + 0.5), image.fid(feats, feats + 2.0)
    assert 0.5 * 16 * 0.25 < near < far  # ||shift||^2 = 16 * 0.25 for the 0.5 shift
    # KID is an unbiased estimate over random subsets: around 0 for the same set (either sign)
    kid_same, _ = image.kid(feats, feats, subset_size=200, subsets=20)
    kid_far, _ = image.kid(feats, feats + 2.0, subset_size=200, subsets=20)
    assert abs(kid_same) < 0.05 * kid_far


def test_class_histogram_kl_known_values():
    one_class = torch.zeros(100, 10)
    one_class[:, 3] = 1
    stats = image.class_stats(one_class)
    assert stats["classes"] == 1 and stats["class_kl"] == pytest.approx(math.log(10), rel=1e-6)
    uniform = torch.eye(10).repeat(10, 1)
    stats = image.class_stats(uniform)
    assert stats["classes"] == 10 and stats["class_kl"] == pytest.approx(0.0, abs=1e-9)
    half = torch.zeros(100, 10)
    half[:50, 0] = 1
    half[50:, 1] = 1
    assert image.class_stats(half)["class_kl"] == pytest.approx(math.log(5), rel=1e-6)
    assert image.label_accuracy(uniform, torch.arange(100) % 10) == 1.0


def test_confidence_and_the_rarest_digit_s_share_known_values():
    from ganplay.metrics.registry import MetricInput, SampleSet, run_metrics

    even = torch.eye(10).repeat(10, 1) * 0.6 + 0.04  # every digit 10 times, read at 64%
    assert image.mean_confidence(even) == pytest.approx(0.64) and image.min_class_share(even) == pytest.approx(0.1)
    one_class = torch.zeros(100, 10)
    one_class[:, 3] = 1
    assert image.mean_confidence(one_class) == 1.0 and image.min_class_share(one_class) == 0.0
    skewed = torch.eye(10)[torch.tensor([0] * 55 + [d for d in range(1, 10) for _ in range(5)])]
    assert image.min_class_share(skewed) == pytest.approx(0.05)
    assert image.mean_confidence(torch.zeros(0, 10)) == 0.0 == image.min_class_share(torch.zeros(0, 10))
    cheap = run_metrics(MetricInput("digits", SampleSet(probs=skewed)), cheap_only=True)  # the trainer logs them
    assert cheap["confidence"] == 1.0 and cheap["class_min_share"] == pytest.approx(0.05)


def test_2d_protocol_known_cases():
    ring = mixture("ring8")
    at_centres = ring.centres.repeat(10, 1)
    m = points.mode_metrics(at_centres, ring.centres, ring.std)
    assert (m["modes"], m["hq"]) == (8, 1.0) and m["kl"] == pytest.approx(0.0, abs=1e-9)
    far = torch.full((2500, 2), 10.0)
    m = points.mode_metrics(far, ring.centres, ring.std)
    assert (m["modes"], m["hq"]) == (0, 0.0)
    one_mode = ring.centres[:1].repeat(2500, 1)
    m = points.mode_metrics(one_mode, ring.centres, ring.std)
    assert (m["modes"], m["hq"]) == (1, 1.0) and m["kl"] == pytest.approx(math.log(8), rel=1e-3)
    # just inside and just outside 3 std of a centre
    c = ring.centres[0]
    inside = c + torch.tensor([2.9 * ring.std, 0.0])
    outside = c + torch.tensor([3.1 * ring.std, 0.0])
    assert points.mode_metrics(torch.stack([inside]), ring.centres, ring.std)["hq"] == 1.0
    assert points.mode_metrics(torch.stack([outside]), ring.centres, ring.std)["hq"] == 0.0


def test_precision_recall_density_coverage_extremes():
    g = torch.Generator().manual_seed(1)
    a = torch.randn(300, 8, generator=g)
    same = image.prdc(a, a.clone())
    assert same["precision"] == 1.0 and same["recall"] == 1.0 and same["coverage"] == 1.0
    disjoint = image.prdc(a, a + 100.0)
    assert disjoint["precision"] == 0.0 and disjoint["recall"] == 0.0
    assert disjoint["density"] == 0.0 and disjoint["coverage"] == 0.0


def test_precision_recall_density_coverage_of_half_the_modes():
    """Real data in two far-apart clusters; the generator reproduces one of them (each point twice).
    Every fake sits on a real point (precision 1), half the real points are reached (recall and
    coverage 1/2), and each fake lies in its own real point's ball and in its k neighbours', so
    density is 2 x 150 x (k + 1) / (k x 300) = (k + 1) / k."""
    g = torch.Generator().manual_seed(2)
    a = torch.randn(150, 8, generator=g)
    b = torch.randn(150, 8, generator=g) + 100.0
    half = image.prdc(torch.cat([a, b]), torch.cat([a, a]))
    assert half["precision"] == 1.0
    assert half["recall"] == 0.5 and half["coverage"] == 0.5
    assert half["density"] == pytest.approx((image.DC_K + 1) / image.DC_K)


def test_shipped_classifier_reads_held_out_digits():
    from ganplay.data.images import mnist5k

    held = mnist5k(28, "heldout")
    model = load_classifier()
    x, labels = held.batch(torch.arange(len(held)))
    assert accuracy(model, x, labels) >= 0.97


def test_no_classifier_means_no_numbers(tmp_path):
    from ganplay.metrics import evaluate
    from ganplay.sampling import load_generator
    from ganplay.train import Trainer

    from PIL import Image

    for k in range(4):
        Image.new("RGB", (40, 40), (60 * k, 10, 200)).save(tmp_path / f"{k}.png")
    cfg = Config.from_dict({"data": {"name": "folder", "root": str(tmp_path), "image_size": 32},
                            "model": {"arch": "dcgan", "g_channels": 8, "d_channels": 8},
                            "train": {"steps": 1, "batch_size": 4}})
    trainer = Trainer(cfg)
    run = trainer.start(tmp_path / "runs")
    assert trainer.fit() == "done"
    result = evaluate(load_generator(run.path), n=16)
    assert result["available"] is False
    assert "classifier" in json.dumps(result).lower()
    assert "fid" not in result


@pytest.mark.slow
def test_ganplay_eval_cli_on_a_tiny_run(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    train = subprocess.run([sys.executable, "-m", "ganplay", "train", "--preset", "ring8-gan", "--steps", "20",
                            "--out", str(tmp_path), "--quiet", "--set", "train.batch_size=64"],
                           capture_output=True, text=True, env=env, timeout=180)
    assert train.returncode == 0, train.stderr
    run = next(p for p in tmp_path.iterdir() if p.is_dir())
    res = subprocess.run([sys.executable, "-m", "ganplay", "eval", str(run), "--json", str(tmp_path / "m.json"),
                          "--quiet"], capture_output=True, text=True, env=env, timeout=180)
    assert res.returncode == 0, res.stderr
    assert "modes" in res.stdout and "hq" in res.stdout
    data = json.loads((tmp_path / "m.json").read_text())
    assert data["kind"] == "points" and 0 <= data["modes"]["mean"] <= 8
    bad = subprocess.run([sys.executable, "-m", "ganplay", "eval", str(tmp_path / "nope")],
                         capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "not found" in bad.stderr


def test_cheap_metrics_take_no_gradients_when_a_trainer_calls_them_mid_run():
    """The trainer logs them with gradients on: the classifier's graph over 1,000 digits was built
    for nothing, and torch warned on every `confidence`."""
    import warnings

    from ganplay.metrics import cheap_metrics
    from ganplay.models import build_models

    cfg = Config.from_preset("mnist-dcgan", ["model.g_channels=8", "model.z_dim=16"])
    G, _ = build_models(cfg, (1, 28, 28), 0)
    assert torch.is_grad_enabled()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Converting a tensor with requires_grad=True to a scalar"
        values = cheap_metrics(G, cfg, n=100)
    assert 0 <= values["confidence"] <= 1 and 0 <= values["class_min_share"] <= 0.1
    assert torch.is_grad_enabled()
