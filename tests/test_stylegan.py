"""StyleGAN-lite: shapes, modulated convolution, determinism, truncation, conditioning, style
mixing, and a few trainer steps. Models are tiny so the file runs in seconds on a CPU."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from ganplay.config import Config
from ganplay.models import ARCH_REGISTRY, build_models
from ganplay.models.stylegan import (
    StyleDiscriminator,
    StyleGenerator,
    modulated_conv2d,
    modulated_conv2d_grouped,
)

TINY = {"arch": "stylegan-lite", "z_dim": 16, "g_channels": 8, "d_channels": 8, "mapping_layers": 2}


def build(image_size: int = 28, channels: int = 1, n_classes: int = 0, **model: Any):
    data = {"name": "mnist5k", "image_size": image_size}
    cfg = Config.from_dict({"data": data, "model": {**TINY, **model}})
    return build_models(cfg, (channels, image_size, image_size), n_classes)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def test_registered_under_its_config_name() -> None:
    G, D = build()
    assert "stylegan-lite" in ARCH_REGISTRY
    assert isinstance(G, StyleGenerator) and isinstance(D, StyleDiscriminator)


@pytest.mark.parametrize(
    "size,channels,num_ws", [(28, 1, 6), (28, 3, 6), (32, 1, 8), (32, 3, 8), (64, 1, 10), (64, 3, 10)]
)
def test_shapes_at_every_size(size: int, channels: int, num_ws: int) -> None:
    G, D = build(size, channels, minibatch_std=True)
    z = torch.randn(4, G.z_dim)
    x = G(z)
    assert x.shape == (4, channels, size, size)
    assert x.min() >= -1 and x.max() <= 1
    assert G.num_ws == num_ws
    assert G.mapping(z).shape == (4, G.w_dim)
    logits, features = D(x, return_features=True)
    assert logits.shape == (4,) and features.shape == (4, D.feature_dim)
    assert torch.isfinite(logits).all()


def test_wrong_sizes_are_refused() -> None:
    cfg = Config.from_dict({"data": {"name": "mnist5k"}, "model": TINY})
    with pytest.raises(ValueError, match="stylegan-lite makes square"):
        build_models(cfg, (1, 48, 48), 0)


def test_modulated_conv_fast_form_equals_grouped_reference() -> None:
    x = torch.randn(5, 12, 9, 9)
    weight = torch.randn(7, 12, 3, 3)
    styles = torch.randn(5, 12) + 1.0
    for demodulate in (True, False):
        fast = modulated_conv2d(x, weight, styles, demodulate=demodulate, padding=1)
        ref = modulated_conv2d_grouped(x, weight, styles, demodulate=demodulate, padding=1)
        assert fast.shape == ref.shape == (5, 7, 9, 9)
        torch.testing.assert_close(fast, ref, atol=1e-4, rtol=1e-4)
    # and they differ from an unmodulated conv, so the test can fail
    plain = torch.nn.functional.conv2d(x, weight, padding=1)
    assert not torch.allclose(modulated_conv2d(x, weight, styles, demodulate=False, padding=1), plain)


def test_demodulation_keeps_unit_variance() -> None:
    x = torch.randn(64, 32, 16, 16)
    weight = torch.randn(32, 32, 3, 3) * 5.0  # the weight's scale must not matter
    styles = torch.rand(64, 32) * 3 + 0.1  # neither must the style's
    out = modulated_conv2d(x, weight, styles, demodulate=True, padding=1)
    inner = out[:, :, 1:-1, 1:-1]  # away from the zero padding
    assert 0.85 < inner.std().item() < 1.15
    raw = modulated_conv2d(x, weight, styles, demodulate=False, padding=1)
    assert raw.std().item() > 10  # without demodulation the scale runs away


def test_eval_mode_is_deterministic_and_leaves_the_global_rng_alone() -> None:
    G, _ = build()
    with torch.no_grad():
        for layer in G.modules():  # noise strengths start at 0: make the noise count
            if hasattr(layer, "noise_strength"):
                layer.noise_strength.fill_(1.0)
    G.eval()
    z = torch.randn(6, G.z_dim)
    state = torch.get_rng_state()
    with torch.no_grad():
        a, b = G(z), G(z)
    assert torch.equal(a, b)
    assert torch.equal(torch.get_rng_state(), state), "an eval forward drew from the global RNG"
    # batch composition does not matter either (const noise is shared by the batch)
    with torch.no_grad():
        torch.testing.assert_close(G(z[:2]), a[:2], atol=1e-4, rtol=1e-4)


def test_train_mode_noise_is_random_and_uses_g_rng() -> None:
    G, _ = build()
    with torch.no_grad():
        for layer in G.modules():  # noise strengths start at 0: make the noise visible
            if hasattr(layer, "noise_strength"):
                layer.noise_strength.fill_(1.0)
    G.train()
    z = torch.randn(4, G.z_dim)
    with torch.no_grad():
        assert not torch.equal(G(z), G(z))  # fresh noise (and mixing) each call
        G.rng = torch.Generator().manual_seed(3)
        state = torch.get_rng_state()
        a = G(z)
        G.rng.manual_seed(3)
        b = G(z)
        assert torch.equal(torch.get_rng_state(), state), "train forward used the global RNG"
    assert torch.equal(a, b), "same G.rng seed, different images"


def test_w_avg_moves_only_in_train_mode() -> None:
    G, _ = build()
    z = torch.randn(16, G.z_dim)
    G.eval()
    with torch.no_grad():
        G(z)
    assert torch.count_nonzero(G.w_avg) == 0
    G.train()
    with torch.no_grad():
        G(z)
    moved = G.w_avg.clone()
    assert torch.count_nonzero(moved) > 0
    with torch.no_grad():
        expected = torch.zeros(G.w_dim).lerp(G.mapping_net(G._mapping_input(z, None)).mean(0), 0.005)
    torch.testing.assert_close(moved, expected)


def test_truncation_psi_zero_gives_the_average_image() -> None:
    G, _ = build()
    G.train()
    with torch.no_grad():
        for _ in range(3):
            G(torch.randn(16, G.z_dim))
    G.eval()
    z = torch.randn(4, G.z_dim)
    with torch.no_grad():
        full = G(z)
        half = G(z, truncation=0.5)
        zero = G(z, truncation=0.0)
    assert not torch.allclose(full[0], full[1], atol=1e-3)
    for i in range(1, 4):
        torch.testing.assert_close(zero[i], zero[0])
    assert not torch.allclose(half, full, atol=1e-4)
    torch.testing.assert_close(G(z, truncation=1.0), full)


def test_conditional_labels_change_the_image() -> None:
    G, D = build(n_classes=10)
    G.eval()
    z = torch.randn(1, G.z_dim).repeat(10, 1)
    labels = torch.arange(10)
    with torch.no_grad():
        x = G(z, labels)
        logits = D(x, labels)
    assert x.shape == (10, 1, 28, 28) and logits.shape == (10,)
    for i in range(1, 10):
        assert not torch.allclose(x[i], x[0], atol=1e-4), f"label {i} gave label 0's image"
    with pytest.raises(ValueError, match="needs labels"):
        G(z)


def test_conditional_truncation_goes_to_each_class_mean() -> None:
    G, _ = build(n_classes=10)
    G.train()
    with torch.no_grad():
        for _ in range(3):
            G(torch.randn(40, G.z_dim), torch.arange(40) % 10)
    assert G.w_avg_class.shape == (10, G.w_dim)
    assert torch.count_nonzero(G.w_avg_class.abs().sum(1)) == 10
    G.eval()
    z = torch.randn(4, G.z_dim)
    with torch.no_grad():
        threes = G(z, torch.full((4,), 3), truncation=0.0)
        sevens = G(z, torch.full((4,), 7), truncation=0.0)
    torch.testing.assert_close(threes[1:], threes[:1].expand(3, -1, -1, -1))
    assert not torch.allclose(threes[0], sevens[0], atol=1e-4)


def test_style_mixing_through_synthesis() -> None:
    G, _ = build(32, 3)  # 8 styles
    G.eval()
    with torch.no_grad():
        wa = G.mapping(torch.randn(2, G.z_dim))
        wb = G.mapping(torch.randn(2, G.z_dim))
        ws_a = wa[:, None].repeat(1, G.num_ws, 1)
        ws_b = wb[:, None].repeat(1, G.num_ws, 1)
        img_a = G.synthesis(ws_a, noise_mode="const")
        img_b = G.synthesis(ws_b, noise_mode="const")

        def mix(cut: int) -> torch.Tensor:
            ws = ws_a.clone()
            ws[:, cut:] = ws_b[:, cut:]
            return G.synthesis(ws, noise_mode="const")

        mixed = mix(G.num_ws // 2)  # coarse from A, fine from B
        assert not torch.allclose(mixed, img_a, atol=1e-4)
        assert not torch.allclose(mixed, img_b, atol=1e-4)
        torch.testing.assert_close(mix(G.num_ws), img_a)
        torch.testing.assert_close(mix(0), img_b)
        # eval mode defaults to the const noise
        torch.testing.assert_close(G.synthesis(ws_a), img_a)
        with pytest.raises(ValueError, match="ws must have shape"):
            G.synthesis(ws_a[:, :-1])
        with pytest.raises(ValueError, match="noise_mode"):
            G.synthesis(ws_a, noise_mode="fixed")


def test_style_mixing_regularisation_in_train_mode() -> None:
    z = torch.randn(4, 16)
    outs = {}
    for p in (0.0, 1.0):
        torch.manual_seed(1)
        G, _ = build(style_mixing=p)
        G.train()
        G.rng = torch.Generator().manual_seed(5)
        with torch.no_grad():
            for layer in G.modules():  # no noise: only mixing can differ
                if hasattr(layer, "noise_strength"):
                    layer.noise_strength.zero_()
            outs[p] = G(z)
            if p == 0.0:
                plain = G.synthesis(G.mapping(z)[:, None].expand(-1, G.num_ws, -1))
    torch.testing.assert_close(outs[0.0], plain)  # p=0: no mixing
    assert not torch.allclose(outs[1.0], outs[0.0], atol=1e-5)  # p=1: always mixed


def test_spectral_norm_and_packing_reach_d() -> None:
    from torch.nn.utils import parametrize

    _, D = build(spectral_norm=True, pack=2, minibatch_std=True)
    convs = [m for m in D.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(parametrize.is_parametrized(m, "weight") for m in convs)
    x = torch.rand(6, 1, 28, 28) * 2 - 1
    assert D(x).shape == (3,)


def test_r1_penalty_double_backward_works() -> None:
    from ganplay import losses

    _, D = build(minibatch_std=True)
    real = torch.rand(8, 1, 28, 28) * 2 - 1
    penalty = losses.r1_penalty(D, real, None)
    penalty.backward()
    assert torch.isfinite(penalty) and penalty > 0
    assert all(p.grad is not None for p in D.trunk.parameters())


def test_presets_train_a_few_steps(tmp_path) -> None:
    from ganplay.train import Trainer

    for preset in ("mnist-stylegan-lite", "mnist-cstylegan-lite"):
        cfg = Config.from_preset(preset, [
            "model.g_channels=16", "model.d_channels=16", "train.batch_size=8", "train.steps=3",
            "train.log_every=1", "train.sample_every=3", "train.checkpoint_every=3",
            "train.eval_every=0", "loss.r1_every=2",  # so the 3 steps include a lazy R1 step
        ])
        trainer = Trainer(cfg)
        assert trainer.G_ema is not None and hasattr(trainer.G, "rng")
        run = trainer.start(tmp_path / preset)
        assert trainer.fit() == "done"
        rows = [r for r in run.read_metrics() if "event" not in r]
        assert [r["step"] for r in rows] == [1, 2, 3]
        for r in rows:
            assert all(torch.isfinite(torch.tensor(r[k])) for k in ("loss_d", "loss_g", "penalty"))
        assert any(r["penalty"] > 0 for r in rows)
        assert (run.samples_dir / "step-0000003.png").is_file()
        assert trainer.G.rng is trainer.rng


def test_resume_is_exact(tmp_path) -> None:
    """Stop after 2 steps, resume to 4: the same weights as 4 steps straight (needs G.rng)."""
    from ganplay.train import Trainer

    over = ["model.g_channels=8", "model.d_channels=8", "model.z_dim=16", "train.batch_size=4",
            "train.steps=4", "train.checkpoint_every=100", "train.eval_every=0", "loss.r1_every=2"]
    cfg = Config.from_preset("mnist-stylegan-lite", over)
    straight = Trainer(cfg)
    straight.start(tmp_path / "a")
    assert straight.fit() == "done"

    first = Trainer(cfg)
    run = first.start(tmp_path / "b")
    assert first.fit(stop_after=2) == "stopped"
    resumed = Trainer.from_run(run.path)
    assert resumed.step == 2
    assert resumed.fit() == "done"
    for (name, a), b in zip(straight.G.state_dict().items(), resumed.G.state_dict().values()):
        assert torch.equal(a, b), name
