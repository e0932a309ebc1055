"""Tests for ganplay.models: shapes, conditioning, packing, minibatch layers, spectral norm, the
registry. Models are kept tiny so the whole file runs in seconds on a CPU."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from ganplay import losses
from ganplay.config import ARCHS, CONV_IMAGE_SIZES, Config
from ganplay.models import ARCH_REGISTRY, Discriminator, Generator, build_models, register_arch
from ganplay.models.dcgan import CONV_SIZES
from ganplay.models.layers import (
    MinibatchDiscrimination,
    MinibatchStd,
    ResDownBlock,
    ResUpBlock,
    apply_spectral_norm,
)

SMALL_CONV = {"g_channels": 8, "d_channels": 8, "z_dim": 16}
SMALL_MLP = {"g_hidden": [32, 32], "d_hidden": [32, 32], "z_dim": 8}


def make_cfg(arch: str = "dcgan", data: str = "mnist5k", image_size: int = 0, **model: Any) -> Config:
    base = SMALL_MLP if arch == "mlp" else SMALL_CONV
    data_section: dict[str, Any] = {"name": data}
    if image_size:
        data_section["image_size"] = image_size
    return Config.from_dict({"data": data_section, "model": {"arch": arch, **base, **model}})


def points_cfg(**model: Any) -> Config:
    return make_cfg("mlp", data="ring8", **model)


def noise(G: Generator, n: int) -> torch.Tensor:
    return torch.randn(n, G.z_dim)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


# -- registry --------------------------------------------------------------------------------


def test_registry_lists_every_config_arch() -> None:
    assert {"mlp", "dcgan", "wgan"} <= set(ARCH_REGISTRY)
    assert set(ARCHS) <= set(ARCH_REGISTRY), "config.ARCHS names an arch with no builder"
    assert tuple(sorted(CONV_SIZES)) == tuple(sorted(CONV_IMAGE_SIZES))


def test_register_a_new_arch_with_one_decorator() -> None:
    cfg = points_cfg()

    @register_arch("dummy-test-arch")
    def build_dummy(cfg: Config, sample_shape: tuple[int, ...], n_classes: int):
        return ARCH_REGISTRY["mlp"](cfg, sample_shape, n_classes)

    try:
        assert ARCH_REGISTRY["dummy-test-arch"] is build_dummy
        # config.py only accepts known names, so swap the arch in without validation
        dummy_cfg = cfg.model_copy(update={"model": cfg.model.model_copy(update={"arch": "dummy-test-arch"})})
        G, D = build_models(dummy_cfg, (2,), 0)
        assert G(noise(G, 4)).shape == (4, 2)
        with pytest.raises(ValueError, match="already registered"):
            register_arch("dummy-test-arch")(lambda *a: None)
    finally:
        ARCH_REGISTRY.pop("dummy-test-arch", None)
    assert "dummy-test-arch" not in ARCH_REGISTRY


def test_unknown_arch_names_the_registered_ones() -> None:
    cfg = points_cfg()
    bad = cfg.model_copy(update={"model": cfg.model.model_copy(update={"arch": "nope"})})
    with pytest.raises(ValueError, match="dcgan, mlp, pix2pix, srgan, stylegan-lite, wgan"):
        build_models(bad, (2,), 0)


# -- shapes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("arch", ["mlp", "dcgan", "wgan"])
@pytest.mark.parametrize("size", [28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_image_shapes_every_arch_and_size(arch: str, size: int, channels: int) -> None:
    cfg = make_cfg(arch, image_size=size)
    shape = (channels, size, size)
    G, D = build_models(cfg, shape, 0)
    assert (G.z_dim, G.n_classes, G.out_shape) == (cfg.model.z_dim, 0, shape)
    x = G(noise(G, 4))
    assert x.shape == (4, *shape)
    logits, features = D(x, return_features=True)
    assert logits.shape == (4,) and logits.dtype == torch.float32
    assert features.shape == (4, D.feature_dim)


@pytest.mark.parametrize("arch", ["mlp", "dcgan", "wgan"])
def test_images_come_out_of_a_tanh(arch: str) -> None:
    G, _ = build_models(make_cfg(arch), (1, 28, 28), 0)
    last = [m for m in G.modules() if isinstance(m, (nn.Linear, nn.ConvTranspose2d, nn.Conv2d))][-1]
    with torch.no_grad():
        last.weight.mul_(1000.0)  # huge pre-activations: only a squashing output stays in range
    x = G(noise(G, 8))
    assert x.min() >= -1.0 and x.max() <= 1.0
    assert x.abs().max() > 0.99  # and it saturates: the bound is the tanh, not small weights


def test_points_shapes_and_unbounded_output() -> None:
    G, D = build_models(points_cfg(), (2,), 0)
    assert G.out_shape == (2,)
    x = G(100.0 * noise(G, 16))
    assert x.shape == (16, 2)
    assert x.abs().max() > 1.0  # linear output: points are not squashed into [-1, 1]
    assert D(x).shape == (16,)


def test_conv_arch_rejects_unsupported_sizes_and_points() -> None:
    cfg = make_cfg("dcgan")
    with pytest.raises(ValueError, match="28, 32, 64"):
        build_models(cfg, (1, 16, 16), 0)
    with pytest.raises(ValueError, match="28, 32, 64"):
        build_models(make_cfg("wgan"), (3, 28, 32), 0)
    with pytest.raises(ValueError, match="mlp"):
        build_models(cfg, (2,), 0)


def test_wrong_input_shapes_raise() -> None:
    G, D = build_models(make_cfg("dcgan"), (1, 28, 28), 0)
    with pytest.raises(ValueError, match=r"z must have shape \(B, 16\)"):
        G(torch.randn(4, 3))
    with pytest.raises(ValueError, match="expected inputs of shape"):
        D(torch.randn(4, 3, 28, 28))


# -- conditioning ------------------------------------------------------------------------------


@pytest.mark.parametrize("arch", ["mlp", "dcgan", "wgan"])
def test_conditional_generator_depends_on_labels(arch: str) -> None:
    G, D = build_models(make_cfg(arch, n_classes=10), (1, 28, 28), 10)
    assert G.n_classes == 10 and D.n_classes == 10
    G.eval()  # BatchNorm on running stats, so each sample depends only on its own z and label
    z = noise(G, 1).repeat(10, 1)
    x = G(z, torch.arange(10))
    assert not torch.allclose(x[0], x[1], atol=1e-5)
    assert torch.allclose(G(z[:1], torch.tensor([3])), x[3:4], atol=1e-5)
    # D's projection head: the same image scores differently under different labels
    D.eval()
    same = x[:1].repeat(10, 1, 1, 1)
    scores = D(same, torch.arange(10))
    assert scores.shape == (10,) and scores.std() > 0


def test_conditional_models_need_labels() -> None:
    G, D = build_models(make_cfg("dcgan", n_classes=10), (1, 28, 28), 10)
    with pytest.raises(ValueError, match="conditional"):
        G(noise(G, 4))
    x = G(noise(G, 4), torch.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="conditional"):
        D(x)
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        G(noise(G, 4), torch.tensor([0, 1]))


def test_n_classes_argument_decides_conditioning() -> None:
    # build_models takes the dataset's count; 0 means unconditional whatever the data has
    G, D = build_models(make_cfg("mlp"), (1, 28, 28), 0)
    assert G.n_classes == 0 and D.n_classes == 0
    labels = torch.tensor([1, 2, 3, 4])
    z = noise(G, 4)
    assert torch.equal(G(z, labels), G(z))  # unconditional models ignore labels


# -- packing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("pack", [1, 4])
@pytest.mark.parametrize("arch", ["mlp", "dcgan", "wgan"])
def test_logits_shape_with_packing(arch: str, pack: int) -> None:
    G, D = build_models(make_cfg(arch, pack=pack), (1, 28, 28), 0)
    assert D.pack == pack
    logits, features = D(G(noise(G, 8)), return_features=True)
    assert logits.shape == (8 // pack,)
    assert features.shape == (8 // pack, D.feature_dim)


def test_packing_points_concatenates_consecutive_samples() -> None:
    _, D = build_models(points_cfg(pack=2), (2,), 0)
    x = torch.arange(8.0).view(4, 2)
    packed = D.pack_input(x)
    assert torch.equal(packed, torch.tensor([[0.0, 1, 2, 3], [4, 5, 6, 7]]))
    assert D(x).shape == (2,)


def test_packing_images_concatenates_channels() -> None:
    _, D = build_models(make_cfg("dcgan", pack=2), (3, 28, 28), 0)
    x = torch.randn(4, 3, 28, 28)
    packed = D.pack_input(x)
    assert packed.shape == (2, 6, 28, 28)
    assert torch.equal(packed[1, :3], x[2]) and torch.equal(packed[1, 3:], x[3])


def test_packing_needs_a_divisible_batch() -> None:
    _, D = build_models(points_cfg(pack=4), (2,), 0)
    with pytest.raises(ValueError, match="multiple of 4"):
        D(torch.randn(6, 2))


# -- minibatch std / minibatch discrimination --------------------------------------------------


def test_minibatch_std_layer_measures_group_spread() -> None:
    layer = MinibatchStd()
    same = torch.randn(1, 5).repeat(4, 1)
    diverse = torch.randn(4, 5)
    out = layer(torch.cat([same, diverse]))  # two groups of 4
    assert out.shape == (8, 6)
    assert torch.allclose(out[:4, 5], torch.zeros(4), atol=1e-3)
    assert (out[4:, 5] > 0.3).all()
    assert torch.allclose(out[:, :5], torch.cat([same, diverse]))  # input passed through
    images = layer(torch.randn(4, 3, 7, 7))
    assert images.shape == (4, 4, 7, 7)
    assert torch.all(images[:, 3] == images[0, 3, 0, 0])  # one group: one value everywhere


@pytest.mark.parametrize("batch, group", [(6, 3), (5, 5), (2, 2), (1, 1)])
def test_minibatch_std_group_falls_back_for_awkward_batches(batch: int, group: int) -> None:
    layer = MinibatchStd()
    assert layer._group(batch) == group
    out = layer(torch.randn(batch, 3))
    assert out.shape == (batch, 4) and torch.isfinite(out).all()


def test_minibatch_discrimination_layer() -> None:
    layer = MinibatchDiscrimination(6, kernels=3, kernel_dim=4)
    same = layer(torch.randn(1, 6).repeat(5, 1))
    assert same.shape == (5, 9) and layer.out_features == 9
    assert torch.allclose(same[:, 6:], torch.full((5, 3), 4.0))  # exp(0) from each of 4 others
    with torch.no_grad():
        layer.T.weight.mul_(50.0)  # spread the samples far apart in kernel space
    diverse = layer(torch.randn(5, 6))
    assert (diverse[:, 6:] < 3.5).all()


@pytest.mark.parametrize("arch", ["mlp", "dcgan", "wgan"])
def test_minibatch_features_grow_and_react_to_diversity(arch: str) -> None:
    plain = build_models(make_cfg(arch), (1, 28, 28), 0)[1]
    std_d = build_models(make_cfg(arch, minibatch_std=True), (1, 28, 28), 0)[1]
    disc_d = build_models(make_cfg(arch, minibatch_disc=7), (1, 28, 28), 0)[1]
    assert std_d.feature_dim > plain.feature_dim
    assert disc_d.feature_dim == plain.feature_dim + 7

    same = torch.randn(1, 1, 28, 28).repeat(8, 1, 1, 1)
    diverse = torch.randn(8, 1, 28, 28)
    for D in (std_d, disc_d):
        D.eval()  # BatchNorm on running stats: only the minibatch layer sees the batch
        _, f_same = D(same, return_features=True)
        _, f_diverse = D(diverse, return_features=True)
        assert not torch.allclose(f_same, f_diverse)
    # the std feature itself: the last feature (mlp) / last flattened channel (conv)
    _, f_same = std_d(same, return_features=True)
    _, f_diverse = std_d(diverse, return_features=True)
    assert f_same[:, -1].abs().max() < 1e-3 < f_diverse[:, -1].min()


# -- spectral norm -----------------------------------------------------------------------------


def _top_singular_value(layer: nn.Module) -> float:
    weight = layer.weight.detach()  # the normalised weight the layer uses
    if isinstance(layer, nn.ConvTranspose2d):
        weight = weight.transpose(0, 1)
    return torch.linalg.matrix_norm(weight.flatten(1), ord=2).item()


@pytest.mark.parametrize(
    "arch, extra", [("mlp", {"minibatch_disc": 4}), ("dcgan", {}), ("wgan", {"residual": True})]
)
def test_spectral_norm_bounds_every_d_layer(arch: str, extra: dict[str, Any]) -> None:
    G, D = build_models(make_cfg(arch, spectral_norm=True, **extra), (1, 28, 28), 0)
    layers = [m for m in D.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    assert layers and all(hasattr(m, "parametrizations") for m in layers)
    assert not any(hasattr(m, "parametrizations") for m in G.modules())  # D only
    D.train()
    with torch.no_grad():
        for _ in range(5):  # each train-mode forward runs one power iteration
            D(torch.randn(8, 1, 28, 28))
    for layer in layers:
        assert _top_singular_value(layer) == pytest.approx(1.0, abs=0.05)


def test_apply_spectral_norm_is_idempotent() -> None:
    net = nn.Sequential(nn.Linear(3, 4), nn.ConvTranspose2d(4, 2, 4))
    net = apply_spectral_norm(apply_spectral_norm(net))
    assert len(net[0].parametrizations.weight) == 1 and len(net[1].parametrizations.weight) == 1
    assert _top_singular_value(net[1]) == pytest.approx(1.0, abs=0.05)


# -- normalisation per arch --------------------------------------------------------------------


def _has(module: nn.Module, kind: type) -> bool:
    return any(isinstance(m, kind) for m in module.modules())


@pytest.mark.parametrize("residual", [False, True])
def test_wgan_critic_has_no_batchnorm_and_dcgan_d_has(residual: bool) -> None:
    _, critic = build_models(make_cfg("wgan", residual=residual), (1, 28, 28), 0)
    assert not _has(critic, nn.modules.batchnorm._BatchNorm)
    assert not _has(critic, nn.GroupNorm)
    _, critic_ln = build_models(make_cfg("wgan", residual=residual, layernorm=True), (1, 28, 28), 0)
    assert not _has(critic_ln, nn.modules.batchnorm._BatchNorm)
    assert _has(critic_ln, nn.GroupNorm)
    _, dcgan_d = build_models(make_cfg("dcgan", residual=residual), (1, 28, 28), 0)
    assert _has(dcgan_d, nn.BatchNorm2d)
    if not residual:  # no BatchNorm straight after D's first conv
        assert isinstance(dcgan_d.trunk[0], nn.Conv2d) and isinstance(dcgan_d.trunk[1], nn.LeakyReLU)


def test_critic_scores_each_sample_independently() -> None:
    # no batch statistics: a sample's score must not depend on the rest of the batch
    _, D = build_models(make_cfg("wgan", layernorm=True), (1, 28, 28), 0)
    x = torch.randn(6, 1, 28, 28)
    assert torch.allclose(D(x)[:2], D(x[:2]), atol=1e-5)


# -- residual ----------------------------------------------------------------------------------


@pytest.mark.parametrize("arch", ["dcgan", "wgan"])
def test_residual_variant_at_64(arch: str) -> None:
    cfg = make_cfg(arch, data="cifar10", image_size=64, residual=True)
    G, D = build_models(cfg, (3, 64, 64), 0)
    assert _has(G, ResUpBlock) and _has(D, ResDownBlock)
    x = G(noise(G, 4))
    assert x.shape == (4, 3, 64, 64)
    logits = D(x)
    assert logits.shape == (4,)
    logits.sum().backward()
    assert all(p.grad is not None for p in G.parameters())


# -- gradients ---------------------------------------------------------------------------------


@pytest.mark.parametrize("arch", ["mlp", "dcgan", "wgan"])
def test_gradients_flow_to_g_through_d(arch: str) -> None:
    G, D = build_models(make_cfg(arch, n_classes=10, minibatch_std=True), (1, 28, 28), 10)
    D.requires_grad_(False)  # as in G's step
    labels = torch.arange(8) % 10
    loss = losses.g_loss("ns", D(G(noise(G, 8), labels), labels))
    loss.backward()
    for name, p in G.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize(
    "arch, extra",
    [
        ("mlp", {"minibatch_disc": 4, "spectral_norm": True}),
        ("wgan", {"layernorm": True, "minibatch_std": True}),
        ("wgan", {"residual": True, "spectral_norm": True}),
    ],
)
def test_gradient_penalty_double_backward(arch: str, extra: dict[str, Any]) -> None:
    G, D = build_models(make_cfg(arch, **extra), (1, 28, 28), 0)
    real = torch.rand(8, 1, 28, 28) * 2 - 1
    fake = G(noise(G, 8)).detach()
    penalty = losses.gradient_penalty(D, real, fake, None)
    penalty.backward()
    assert torch.isfinite(penalty)
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in D.parameters())


def test_d_accepts_bf16_samples_outside_autocast() -> None:
    _, D = build_models(make_cfg("dcgan"), (1, 28, 28), 0)
    logits = D(torch.randn(4, 1, 28, 28).bfloat16())
    assert logits.dtype == torch.float32
    with pytest.raises(ValueError, match="floating point"):
        D(torch.zeros(4, 1, 28, 28, dtype=torch.uint8))


def test_state_dict_round_trip_with_spectral_norm() -> None:
    cfg = make_cfg("dcgan", n_classes=10, spectral_norm=True)
    G1, D1 = build_models(cfg, (1, 28, 28), 10)
    G2, D2 = build_models(cfg, (1, 28, 28), 10)
    G2.load_state_dict(G1.state_dict())
    D2.load_state_dict(D1.state_dict())
    G1.eval(), G2.eval(), D1.eval(), D2.eval()
    z, y = noise(G1, 3), torch.tensor([1, 2, 3])
    assert torch.equal(G1(z, y), G2(z, y))
    assert torch.allclose(D1(G1(z, y), y), D2(G1(z, y), y))


# -- the classic tutorial GAN ------------------------------------------------------------------


def test_classic_mnist_mlp_sizes() -> None:
    cfg = Config.from_preset("mnist-mlp")
    G, D = build_models(cfg, (1, 28, 28), 0)
    n_g = sum(p.numel() for p in G.parameters())
    n_d = sum(p.numel() for p in D.parameters())
    assert n_g == 100 * 128 + 128 + 128 * 256 + 256 + 256 * 784 + 784
    assert n_d == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 1 + 1
    assert G(noise(G, 2)).shape == (2, 1, 28, 28)


def test_base_classes_are_exported() -> None:
    G, D = build_models(points_cfg(), (2,), 0)
    assert isinstance(G, Generator) and isinstance(D, Discriminator)
