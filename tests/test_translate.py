"""Image-to-image models (srgan, pix2pix): their inputs, configs, training, resume and sampling."""

import numpy as np
import pytest
import torch
from PIL import Image

from ganplay.config import Config, ConfigError
from ganplay.data import pairs
from ganplay.models import build_models
from ganplay.train import Trainer

TRANSLATORS = ["mnist-srgan", "mnist-pix2pix"]


def test_lowres_is_the_mean_of_each_4x4_block():
    x = torch.zeros(1, 1, 28, 28, dtype=torch.uint8)
    x[0, 0, :4, :4] = 255
    x[0, 0, 4:8, :4] = torch.tensor([0, 255] * 8, dtype=torch.uint8).reshape(4, 4)
    low = pairs.lowres(x)
    assert low.shape == (1, 1, 7, 7) and low.dtype == torch.uint8
    assert low[0, 0, 0, 0] == 255 and low[0, 0, 1, 0] == 128 and int(low.sum()) == 255 + 128
    with pytest.raises(ValueError, match="multiples of 4"):
        pairs.lowres(torch.zeros(1, 1, 30, 30, dtype=torch.uint8))


def test_the_outline_rings_the_ink_one_pixel_wide_and_leaves_the_ink_dark():
    x = torch.zeros(1, 1, 28, 28, dtype=torch.uint8)
    x[0, 0, 10:14, 10:14] = 255  # a 4x4 blot
    edge = pairs.outline(x)[0, 0] > 0
    assert not edge[10:14, 10:14].any()
    assert edge[9:15, 9:15].sum() == 6 * 6 - 4 * 4 and edge.sum() == 20


@pytest.mark.parametrize("override, field", [
    ("data.name=ring8", "data.name"),
    ("model.n_classes=10", "model.n_classes"),
    ("data.image_size=32", "data.image_size"),
    ("model.pack=2", "model.pack"),
    ("loss.adv_weight=0", "loss.l1_weight / loss.adv_weight"),
])
def test_translator_configs_refuse_what_they_cannot_do(override, field):
    extra = ["loss.l1_weight=0"] if "adv_weight" in override else []
    with pytest.raises(ConfigError) as err:
        Config.from_preset("mnist-srgan", [override, *extra])
    assert field in str(err.value)


@pytest.mark.parametrize("override", ["loss.l1_weight=10", "loss.adv_weight=0.5"])
def test_gans_from_noise_refuse_the_image_to_image_weights(override):
    with pytest.raises(ConfigError, match=override.split("=")[0]):
        Config.from_preset("mnist-dcgan", [override])


@pytest.mark.parametrize("preset, in_shape", [("mnist-srgan", (1, 7, 7)), ("mnist-pix2pix", (1, 28, 28))])
def test_g_answers_its_input_and_d_scores_patches(preset, in_shape):
    cfg = Config.from_preset(preset)
    G, D = build_models(cfg, (1, 28, 28), 0)
    inputs = torch.rand(3, *in_shape) * 2 - 1
    out = G(None, inputs)
    assert out.shape == (3, 1, 28, 28) and out.abs().max() <= 1
    assert D(out, inputs).shape == (3, 49)
    with pytest.raises(ValueError, match=r"needs inputs of shape \(B, " + ", ".join(map(str, in_shape))):
        G(torch.randn(3, 8), None)


@pytest.mark.parametrize("preset", [pytest.param("mnist-srgan", marks=pytest.mark.slow), "mnist-pix2pix"])
def test_a_short_run_logs_psnr_ssim_and_the_classifiers_reading(preset, tiny_cfg, tmp_path):
    cfg = tiny_cfg(preset, "train.eval_every=4", steps=4)
    trainer = Trainer(cfg)
    run = trainer.start(tmp_path)
    assert trainer.fit() == "done"
    evals = [r for r in run.read_metrics() if r.get("event") == "eval"]
    assert evals and {"psnr", "ssim", "label_acc"} <= set(evals[-1])
    assert 0 <= evals[-1]["label_acc"] <= 1 and -1 <= evals[-1]["ssim"] <= 1
    grid = Image.open(run.sample_paths(".png")[-1])
    assert grid.size == (8 * 30 + 2, 9 * 30 + 2)  # 3 groups x (inputs, answers, truth) rows of 8


@pytest.mark.slow
def test_l1_alone_pulls_the_answers_toward_the_true_digits(tiny_cfg, tmp_path):
    cfg = tiny_cfg("mnist-sr-l1", "train.eval_every=0", "optim.lr_g=2e-3", steps=60)
    trainer = Trainer(cfg)
    truth, inputs = trainer._fixed_truth, trainer._fixed_labels

    def l1() -> float:
        return float((trainer.generate_fixed() - truth).abs().mean())

    before = l1()
    trainer.start(tmp_path)
    assert trainer.fit() == "done"
    assert l1() < 0.6 * before, (before, l1())
    assert inputs.shape[1:] == (1, 7, 7)


@pytest.mark.parametrize("preset", TRANSLATORS)
def test_stop_and_resume_equals_a_straight_run(preset, tiny_cfg, tmp_path):
    cfg = tiny_cfg(preset, "train.checkpoint_every=100", steps=6)
    straight = Trainer(cfg)
    straight.start(tmp_path / "straight")
    straight.fit()
    first = Trainer(cfg)
    run = first.start(tmp_path / "split")
    assert first.fit(stop_after=3) == "stopped"
    resumed = Trainer.from_run(run.path)
    assert resumed.fit() == "done"
    for a, b in zip([*straight.G.state_dict().values(), *straight.D.state_dict().values()],
                    [*resumed.G.state_dict().values(), *resumed.D.state_dict().values()]):
        assert torch.equal(a, b)


@pytest.mark.slow  # an ONNX export (~4 s)
def test_a_translator_run_samples_as_pairs_and_stays_out_of_the_noise_tools(tiny_cfg, tmp_path, monkeypatch):
    import io

    from ganplay import export, sampling
    from ganplay.panel import handlers

    cfg = tiny_cfg("mnist-pix2pix", steps=3)
    trainer = Trainer(cfg)
    run = trainer.start(tmp_path / "runs")
    trainer.fit()
    gen = sampling.load_generator(run.path)
    assert gen.is_translator
    inputs, answers, truth = gen.sample_pairs(8, seed=1)
    assert inputs.shape == answers.shape == truth.shape == (8, 1, 28, 28)
    assert torch.equal(answers, gen.translate(inputs))
    png = Image.open(io.BytesIO(sampling.sample_png(gen, 16, seed=1)))
    assert png.size == (8 * 30 + 2, 6 * 30 + 2)
    with pytest.raises(sampling.SamplingError, match="input image"):
        gen.sample(4)
    onnx = export.export_onnx(gen, tmp_path / "g.onnx")  # input: the outline, not noise
    assert np.abs(export.onnx_generate(onnx, inputs.numpy()) - answers.numpy()).max() < 1e-4
    assert not [v for _, v in handlers.run_choices(tmp_path / "runs")]
