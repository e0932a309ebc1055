"""ganplay.explore: latent operations on the pretrained zoo's generators (no UI)."""

import io

import pytest
import torch
from PIL import Image

from ganplay import explore as E

DCGAN, WGAN, STYLE, UNCOND = "mnist-cdcgan", "mnist-cwgan-gp", "mnist-cstylegan-lite", "mnist-dcgan"


@pytest.fixture(scope="module", params=[DCGAN, STYLE])
def gen(request):
    return E.get_generator(request.param)


def test_lerp_and_slerp_endpoints_and_norms():
    a, b = torch.randn(16), torch.randn(16)
    t = torch.linspace(0, 1, 5)
    for f in (E.lerp, E.slerp):
        out = f(a, b, t)
        assert out.shape == (5, 16)
        assert torch.allclose(out[0], a, atol=1e-5) and torch.allclose(out[-1], b, atol=1e-5)
    # slerp between equal-norm vectors keeps the norm; lerp shrinks it in the middle
    b = b / b.norm() * a.norm()
    assert torch.allclose(E.slerp(a, b, t).norm(dim=1), a.norm().expand(5), atol=1e-4)
    assert E.lerp(a, b, torch.tensor([0.5])).norm() < a.norm()
    # parallel vectors fall back to lerp instead of dividing by zero
    assert torch.isfinite(E.slerp(a, 2 * a, t)).all()


def test_interpolate_validates():
    a, b = torch.zeros(4), torch.ones(4)
    assert E.interpolate(a, b, 3, "linear").shape == (3, 4)
    with pytest.raises(E.ExploreError, match="frames must be 2..64"):
        E.interpolate(a, b, 10_000)
    with pytest.raises(E.ExploreError, match="interpolation must be one of"):
        E.interpolate(a, b, 4, "cubic")


@pytest.mark.parametrize("bad", [-1, 2**31, 1.5, "x", None, float("nan")])
def test_seed_range(bad):
    with pytest.raises(E.ExploreError, match="seed must be a whole number"):
        E.check_seed(bad)


def test_caps():
    assert E.check_seed(2**31 - 1) == 2**31 - 1
    with pytest.raises(E.ExploreError, match="grid side must be 1..12"):
        E.check_grid(13)
    with pytest.raises(E.ExploreError, match="truncation"):
        E.check_truncation(1.5)


def test_unknown_generator_is_a_clear_error():
    with pytest.raises(E.ExploreError, match="unknown generator 'no-such-model'"):
        E.get_generator("no-such-model")
    with pytest.raises(E.ExploreError, match="2D points"):
        E.get_generator("ring8-gan")


def test_a_run_with_no_checkpoint_is_named_not_its_server_path(tmp_path, monkeypatch):
    monkeypatch.setenv("GANPLAY_RUNS", str(tmp_path))
    (tmp_path / "r1").mkdir()
    (tmp_path / "r1" / "config.json").write_text("{}")
    with pytest.raises(E.ExploreError, match=r"^runs/r1 has no checkpoint yet \(a run saves one") as err:
        E.resolve_name("runs/r1")
    assert str(tmp_path) not in str(err.value)


def test_generator_is_cached():
    assert E.get_generator(DCGAN) is E.get_generator(DCGAN)


def test_walk_is_deterministic_and_moves(gen):
    a = E.walk(gen, 7, [], label=3)
    assert a.shape == (1, *gen.out_shape)
    assert torch.equal(a, E.walk(gen, 7, [0, 0], label=3))
    moved = E.walk(gen, 7, [2.0], label=3)
    assert not torch.allclose(a, moved)
    assert not torch.allclose(a, E.walk(gen, 8, [], label=3))
    assert not torch.allclose(a, E.walk(gen, 7, [], label=4))


def test_directions_are_cached_orthonormal_enough(gen):
    d = E.directions(gen, 4)
    assert d.vectors.shape[0] == 4 and torch.allclose(d.vectors.norm(dim=1), torch.ones(4), atol=1e-4)
    assert (d.stds > 0).all() and (d.explained[:-1] >= d.explained[1:] - 1e-6).all()
    assert torch.equal(E.directions(gen, 4).vectors, d.vectors)
    assert d.space == ("w" if E.is_style(gen) else "z")
    with pytest.raises(E.ExploreError):
        E.directions(gen, 99)


def test_latent_map_grid_centre_is_the_point(gen):
    m = E.latent_map(gen, 5, 0, 1, side=3, label=1)
    assert m.shape == (9, *gen.out_shape)
    assert torch.allclose(m[4:5], E.walk(gen, 5, [], label=1), atol=1e-4)
    with pytest.raises(E.ExploreError, match="grid side must be 1..12"):
        E.latent_map(gen, 5, side=50)


def test_interpolation_ends_at_the_seeds(gen):
    frames = E.interpolation(gen, 1, 2, 5, "spherical", label=0)
    assert frames.shape == (5, *gen.out_shape)
    assert torch.allclose(frames[0:1], E.walk(gen, 1, [], label=0), atol=1e-4)
    assert torch.allclose(frames[-1:], E.walk(gen, 2, [], label=0), atol=1e-4)
    gif = E.gif_bytes(frames)
    img = Image.open(io.BytesIO(gif))
    assert img.format == "GIF" and img.n_frames == 8  # 5 frames there, 3 back


def test_truncation_zero_collapses_seeds(gen):
    a = E.walk(gen, 1, [], label=2, truncation=0.0)
    b = E.walk(gen, 2, [], label=2, truncation=0.0)
    assert torch.allclose(a, b, atol=1e-5)


def test_all_classes_same_noise_different_labels(gen):
    x = E.all_classes(gen, 3)
    assert x.shape == (gen.n_classes, *gen.out_shape)
    assert torch.allclose(x[5:6], E.walk(gen, 3, [], label=5), atol=1e-4)
    assert (x[0] - x[1]).abs().mean() > 0.01
    with pytest.raises(E.ExploreError, match="unconditional"):
        E.all_classes(E.get_generator(UNCOND), 3)


def test_seed_grid_is_each_seeds_picture_under_one_label(gen):
    x = E.seed_grid(gen, [3, 7, 3], label=5, truncation=0.7)
    assert x.shape == (3, *gen.out_shape)
    assert torch.allclose(x[0:1], E.walk(gen, 3, [], label=5, truncation=0.7), atol=1e-4)
    assert torch.allclose(x[1:2], E.walk(gen, 7, [], label=5, truncation=0.7), atol=1e-4)
    assert torch.allclose(x[0], x[2], atol=1e-4) and (x[0] - x[1]).abs().mean() > 0.01
    assert (x[0] - E.seed_grid(gen, [3], label=4, truncation=0.7)[0]).abs().mean() > 0.01  # the label counts
    with pytest.raises(E.ExploreError):
        E.seed_grid(gen, [3], label=5, truncation=7.0)


def test_style_mix():
    g = E.get_generator(STYLE)
    a, b, mix = E.style_mix(g, 1, 2, 3, label=4)
    _, _, only_b = E.style_mix(g, 1, 2, 0, label=4)
    _, _, only_a = E.style_mix(g, 1, 2, g.G.num_ws, label=4)
    assert torch.allclose(only_b, b, atol=1e-5) and torch.allclose(only_a, a, atol=1e-5)
    assert not torch.allclose(mix, a) and not torch.allclose(mix, b)
    with pytest.raises(E.ExploreError, match="crossover layer must be"):
        E.style_mix(g, 1, 2, 99)
    with pytest.raises(E.ExploreError, match="StyleGAN-lite"):
        E.style_mix(E.get_generator(DCGAN), 1, 2, 1)


def test_grid_image_size():
    x = torch.zeros(10, 1, 28, 28)
    img = E.grid_image(x, 4, scale=2, pad=2)
    assert img.size == E.grid_size((1, 28, 28), 10, 4, 2, 2) == (4 * 58 + 2, 3 * 58 + 2)
    assert E.single_image(x, 8).size == (224, 224)


def test_the_generator_cache_keeps_the_one_in_use_through_a_sweep_of_checkpoints(tmp_path, monkeypatch):
    """A timeline's sweep through a run's checkpoints pushed the zoo generator a visitor was walking
    out of a first-in-first-out cache, and each walk after it reloaded it (an audit: 25x slower)."""
    import gc

    from ganplay.assets import pretrained_dir

    monkeypatch.setattr(E, "MAX_CACHED", 3)
    monkeypatch.setattr(E, "_GENERATORS", {})
    walked = E.get_generator(UNCOND)
    source = pretrained_dir() / f"{UNCOND}.safetensors"
    copies = []
    for i in range(2 * E.MAX_CACHED):  # other checkpoints, each used once, the walked one in between
        copies.append(tmp_path / f"step-{i}.safetensors")
        copies[-1].write_bytes(source.read_bytes())
        E.cached_generator(copies[-1])
        assert E.get_generator(UNCOND) is walked  # still the loaded one, not a reload
    assert len(E._GENERATORS) == E.MAX_CACHED
    # directions go with their generator: an evicted one's are freed, not kept under its old id
    evicted = E.cached_generator(copies[0])  # (reloaded: it had been pushed out)
    E.directions(evicted, 2)
    assert evicted.G in E._DIRECTIONS
    count = len(E._DIRECTIONS)
    for path in copies[1:]:
        E.cached_generator(path)
    del evicted
    gc.collect()
    assert len(E._DIRECTIONS) == count - 1
