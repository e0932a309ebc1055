"""What G copies and what D sees: nearest training digits, the memorisation check (in `ganplay eval`
and the zoo's cards), D's verdict on a run, G's feature maps per layer, and the Runs page's
"D's verdict" expander."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from ganplay import explore as E
from ganplay import inside as I
from ganplay import zoo
from ganplay.metrics import memorisation as M
from ganplay.sampling import LoadedGenerator

DIGIT_ZOO = ["mnist-cdcgan", "mnist-cwgan-gp", "mnist-cstylegan-lite", "mnist-dcgan"]
OLD_RUNS = Path(__file__).resolve().parent / "fixtures" / "old_runs"
OLD_MNIST = OLD_RUNS / "mnist"  # a 2-step dcgan run on mnist5k (G and D)


def _as_input(x_uint8: torch.Tensor) -> torch.Tensor:
    return x_uint8.float() / 127.5 - 1


# -- nearest real neighbours ---------------------------------------------------------------------
def test_a_training_digits_nearest_neighbour_is_itself_at_distance_0_in_both_spaces():
    train = M.training_digits(28)
    picks = [0, 17, 4499]
    for space in M.SPACES:
        idx, dist = M.nearest_real(_as_input(train.x[picks]), k=3, space=space)
        assert idx.shape == dist.shape == (3, 3)
        assert idx[:, 0].tolist() == picks, space
        assert dist[:, 0].max() < 1e-4, space  # itself (float rounding only)
        assert (dist[:, 1] > 0.1).all() and (dist.diff(dim=1) >= 0).all(), space  # others farther, sorted
    with pytest.raises(ValueError, match="space must be"):
        M.nearest_real(_as_input(train.x[:1]), space="ink")
    with pytest.raises(ValueError, match="greyscale"):
        M.nearest_real(torch.zeros(1, 3, 28, 28))


def test_ks_statistic_by_hand_equals_scipys():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 300), rng.normal(0.4, 1.2, 200)
    ours = M.ks_statistic(a, b)
    both = np.sort(np.concatenate([a, b]))
    gap = np.abs(np.searchsorted(np.sort(a), both, "right") / len(a) - np.searchsorted(np.sort(b), both, "right") / len(b))
    assert ours == pytest.approx(gap.max())
    assert M.ks_statistic(a, a) == 0.0


class CopyingGenerator:
    """A 'generator' that returns training digits (lightly noised): the memoriser the check must flag."""

    config = None
    n_classes = 0
    out_shape = (1, 28, 28)
    device = torch.device("cpu")

    def __init__(self, noise: float = 0.0):
        self.train = _as_input(M.training_digits(28).x)
        self.noise_level = noise

    def noise(self, n, seed):
        return torch.randint(len(self.train), (n, 1), generator=torch.Generator().manual_seed(seed)).float()

    def generate(self, z, labels=None):
        x = self.train[z[:, 0].long()]
        return (x + self.noise_level * torch.randn(x.shape, generator=torch.Generator().manual_seed(1))).clamp(-1, 1)


@pytest.mark.slow
def test_a_copying_generator_sits_left_of_the_heldout_curve_and_is_flagged_a_zoo_G_is_not():
    from ganplay.sampling import load_generator

    copying = M.memorisation_check(CopyingGenerator(), n=600, seed=0)
    assert copying["flagged"] and copying["closer_than_heldout_p5"] > 0.95
    assert copying["generated_median"] < 1e-3 < copying["heldout_median"]
    assert copying["ks"] > 0.9
    q = copying["quantiles"]
    assert all(g <= h for g, h in zip(q["generated"], q["heldout"]))  # left of the held-out curve
    real = M.memorisation_check(load_generator("mnist-cdcgan"), n=1000, seed=0)
    assert not real["flagged"] and real["closer_than_heldout_p5"] < M.FLAG_SHARE
    assert real["heldout_median"] == copying["heldout_median"]  # the same 500 held-out digits
    text = "\n".join(M.report_lines(copying))
    assert "FLAGGED" in text and "how to read it" in text


def test_every_digit_zoo_card_carries_the_check_and_the_readme_table_shows_it():
    from ganplay.zoo_table import readme_table

    table = readme_table()
    for name in DIGIT_ZOO:
        block = zoo.read_card(name)["metrics"]["memorisation"]
        assert block["n"] == 10_000 and block["n_heldout"] == 500 and not block["flagged"], name
        assert len(block["quantiles"]["generated"]) == len(block["quantiles"]["q"]) == 51
        row = [line for line in table.splitlines() if line.startswith(f"| `{name}`")][0]
        assert f"{block['closer_than_heldout_p5']:.2%}" in row, name
    assert "memorisation" in table.lower()


@pytest.mark.slow
def test_the_cards_memorisation_is_what_the_zoo_step_measures_on_the_shipped_weights(tmp_path):
    import shutil

    from ganplay import zoo_build

    name = "mnist-cstylegan-lite"
    for suffix in (".json", ".safetensors"):
        shutil.copy(zoo.PRETRAINED / f"{name}{suffix}", tmp_path / f"{name}{suffix}")
    card = zoo.read_card(name)
    fresh = zoo_build.add_memorisation(name, tmp_path)
    for key in ("generated_median", "heldout_median", "closer_than_heldout_p5", "ks"):
        assert fresh[key] == pytest.approx(card["metrics"]["memorisation"][key], rel=1e-3, abs=1e-4), key
    assert zoo.read_card(name, tmp_path)["metrics"]["memorisation"] == fresh
    assert zoo_build.add_memorisation("ring8-gan") is None  # 2D: nothing to check


# -- D's verdict ---------------------------------------------------------------------------------
def _tiny_run(root: Path, preset: str, *overrides: str) -> Path:
    from ganplay.config import Config
    from ganplay.train import Trainer

    cfg = Config.from_preset(preset, ["model.g_channels=8", "model.d_channels=8", "model.z_dim=16",
                                      "train.batch_size=16", "train.steps=3", "train.log_every=1",
                                      "train.sample_every=3", "train.checkpoint_every=3", "train.eval_every=0",
                                      *overrides])
    trainer = Trainer(cfg)
    run = trainer.start(root)
    assert trainer.fit() == "done"
    return run.path


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return root, {"dcgan": _tiny_run(root, "mnist-dcgan"), "wgan": _tiny_run(root, "mnist-cwgan-gp")}


@pytest.mark.slow
def test_d_verdict_on_a_tiny_run_sorts_by_ds_score_and_marks_the_real_digits(tiny_runs):
    _, runs = tiny_runs
    v = I.d_verdict(runs["dcgan"], n_fake=10, n_real=6, seed=3)
    assert len(v.scores) == len(v.real) == len(v.images) == 16 and sum(v.real) == 6
    assert v.scores == sorted(v.scores, reverse=True)
    assert v.score_kind == "probability" and all(0 <= s <= 1 for s in v.scores)
    assert v.step == 3 and v.images.shape[1:] == (1, 28, 28)
    again = I.d_verdict(runs["dcgan"], n_fake=10, n_real=6, seed=3)
    assert again.scores == v.scores and again.real == v.real  # seeded
    # the real digits are training digits, untouched
    train = _as_input(M.training_digits(28).x)
    for img in v.images[torch.tensor(v.real)]:
        assert (train - img).abs().flatten(1).amax(1).min() < 1e-6
    picture = I.verdict_image(v, ncol=8)
    assert picture.size[0] > 8 * 56 and "outlined in orange" in I.verdict_text(v)
    critic = I.d_verdict(runs["wgan"], n_fake=4, n_real=4, seed=0)  # conditional, a Wasserstein critic
    assert critic.score_kind == "critic score" and critic.scores == sorted(critic.scores, reverse=True)
    assert all(isinstance(lab, int) for lab in critic.labels)


def test_d_verdict_refuses_the_zoo_and_what_is_not_a_run(tmp_path):
    with pytest.raises(I.VerdictError, match="zoo ships its generator only"):
        I.d_verdict("mnist-cdcgan")
    with pytest.raises(I.VerdictError, match="not a run folder"):
        I.d_verdict(tmp_path)
    with pytest.raises(I.VerdictError, match="0..64"):
        I.d_verdict(tmp_path, n_fake=100)


def test_d_verdict_reads_the_runs_checkpoint_once(tmp_path, monkeypatch):
    import shutil

    from ganplay.train import checkpoint as ckpt

    run = shutil.copytree(OLD_MNIST, tmp_path / "run")
    read, load = [], ckpt.load_checkpoint
    monkeypatch.setattr(ckpt, "load_checkpoint", lambda path: read.append(Path(path)) or load(path))
    v = I.d_verdict(run, n_fake=2, n_real=2, seed=0)
    assert read == [run / "checkpoints" / "step-0000002.safetensors"] and v.source == read[0]
    for f in (run / "checkpoints").iterdir():
        f.unlink()
    with pytest.raises(I.VerdictError, match=r"^run has no checkpoint yet .*: D's verdict needs"):
        I.d_verdict(run)


# -- feature maps --------------------------------------------------------------------------------
def _fresh(arch: str, *overrides: str) -> LoadedGenerator:
    from ganplay.config import Config
    from ganplay.models import build_models

    preset = {"dcgan": "mnist-dcgan", "wgan": "mnist-cwgan-gp", "stylegan-lite": "mnist-cstylegan-lite"}[arch]
    cfg = Config.from_preset(preset, ["model.g_channels=8", "model.z_dim=16", *overrides])
    G, _ = build_models(cfg, (1, 28, 28), cfg.model.n_classes)
    return LoadedGenerator(G=G.eval(), config=cfg, step=0, source=Path(f"/nowhere/{arch}-{len(overrides)}"))


@pytest.mark.parametrize("arch, overrides, shapes", [
    ("dcgan", (), [(16, 7, 7), (8, 14, 14), (1, 28, 28)]),
    ("wgan", (), [(16, 7, 7), (8, 14, 14), (1, 28, 28)]),
    ("dcgan", ("model.residual=true",), [(32, 7, 7), (16, 14, 14), (8, 28, 28), (8, 28, 28), (1, 28, 28)]),
    ("stylegan-lite", (), [(32, 7, 7), (16, 14, 14), (16, 14, 14), (8, 28, 28), (8, 28, 28), (1, 28, 28)]),
])
def test_feature_maps_give_one_entry_per_main_block_with_its_shape(arch, overrides, shapes):
    gen = _fresh(arch, *overrides)
    layers = I.feature_maps(gen, 5, 3, max_channels=4)
    assert [layer.shape for layer in layers] == shapes
    assert layers[-1].name.startswith("output")
    for layer in layers[:-1]:
        assert len(layer.channels) == min(4, layer.shape[0]) and layer.maps.shape == (len(layer.channels), *layer.shape[1:])
        assert 0 <= float(layer.maps.min()) and float(layer.maps.max()) <= 1
        assert " · " in layer.name  # plain words, then the module's path in G
    picture = I.feature_maps_image(layers)
    assert picture.height > sum(layer.image.height for layer in layers)
    # the shown channels stay the same when the point moves; the maps change
    other = I.feature_maps(gen, 6, 3, max_channels=4)
    assert [l.channels for l in other] == [l.channels for l in layers]
    assert not torch.equal(other[0].maps, layers[0].maps)
    # a latent point given directly draws what its seed draws
    point = E.point(gen, 5, 3 if gen.n_classes else None)
    assert torch.equal(I.feature_maps(gen, point, 3, max_channels=4)[0].maps, layers[0].maps)


def test_feature_maps_of_a_zoo_generator_and_the_output_is_the_picture():
    gen = E.get_generator("mnist-cstylegan-lite")
    layers = I.feature_maps(gen, 3, 2)
    assert [l.shape[1:] for l in layers] == [(7, 7), (14, 14), (14, 14), (28, 28), (28, 28), (28, 28)]
    assert all(len(l.channels) == 8 for l in layers[:-1])
    picture = E.walk(gen, 3, [], 2)[0]
    assert torch.allclose(layers[-1].maps, (picture + 1) / 2, atol=1e-6)
    with pytest.raises(E.ExploreError, match="channels per layer"):
        I.feature_maps(gen, 3, 2, max_channels=99)


def test_neighbours_of_a_zoo_sample_in_both_spaces():
    gen = E.get_generator("mnist-cdcgan")
    nb = I.neighbours(gen, 3, 7, k=5)
    assert set(nb.spaces) == {"features", "pixels"}
    for found in nb.spaces.values():
        assert len(found["index"]) == 5 and found["distance"] == sorted(found["distance"])
        assert found["images"].shape == (5, 1, 28, 28)
    assert nb.spaces["features"]["label"].count(7) >= 4  # a conditional G's 7 is near real 7s
    assert I.neighbours_image(nb).size[0] > 6 * 84
    assert "| 1 |" in I.neighbours_table(nb)


def test_check_digits_refuses_other_data_and_shapes_naming_what_is_measured():
    from types import SimpleNamespace

    from ganplay.config import Config

    ring, mnist = Config.from_preset("ring8-gan"), Config.from_preset("mnist-dcgan")
    with pytest.raises(M.NotDigitsError, match="^Nearness to real digits is measured against MNIST-5k's .*from ring8"):
        M.check_digits(SimpleNamespace(config=ring, out_shape=(2,)), "Nearness to real digits")
    with pytest.raises(M.NotDigitsError, match=r"^The memorisation check is for digit generators .* makes 3x28x28"):
        M.check_digits(SimpleNamespace(config=mnist, out_shape=(3, 28, 28)))
    M.check_digits(SimpleNamespace(config=mnist, out_shape=(1, 28, 28)))  # a digit G passes
    with pytest.raises(M.NotDigitsError):  # the check itself refuses before sampling
        M.memorisation_check(SimpleNamespace(config=ring, out_shape=(2,)), n=100)


def test_reading_words_the_blocks_numbers_and_the_flag_threshold(monkeypatch):
    block = M.summarise(np.linspace(0.5, 3.0, 200), np.linspace(1.0, 4.0, 500))
    text = M.reading(block)
    assert f"**{block['closer_than_heldout_p5']:.1%}**" in text and "200 generated samples" in text
    assert "500 held-out digits" in text and f"{block['ks']:.3f}" in text and "flagged from 10%" in text
    monkeypatch.setattr(M, "FLAG_SHARE", 0.25)
    assert "flagged from 25%" in M.reading(block)


def test_inside_memorisation_takes_a_zoo_models_card_and_measures_a_run_once(monkeypatch):
    from collections import OrderedDict

    from ganplay.sampling import load_generator

    block, source = I.memorisation(E.get_generator("mnist-cdcgan"), "mnist-cdcgan")
    assert block == zoo.read_card("mnist-cdcgan")["metrics"]["memorisation"]
    assert source == f"its card (`ganplay eval`, {block['n']:,} samples)"
    calls = []
    monkeypatch.setattr(I, "_MEMO", OrderedDict())
    monkeypatch.setattr(M, "memorisation_check", lambda gen, n, seed: calls.append((n, seed)) or {"n": n})
    run = load_generator(OLD_MNIST)
    first = I.memorisation(run, "runs/mnist")
    assert I.memorisation(run, "runs/mnist") == first == ({"n": I.MEMO_N}, "2,000 samples measured now "
                                                                           "(`ganplay eval` measures 10,000)")
    assert calls == [(I.MEMO_N, I.MEMO_SEED)]  # measured once, then kept
    with pytest.raises(M.NotDigitsError, match="learned from ring8"):
        I.memorisation(load_generator(OLD_RUNS / "ring8"), "runs/ring8")


# -- ganplay eval ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_ganplay_eval_reports_the_memorisation_check(tmp_path):
    from ganplay.cli import main

    out = tmp_path / "eval.json"
    assert main(["eval", "mnist-dcgan", "--n", "200", "--quiet", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    block = result["memorisation"]
    assert block["n"] == 200 and block["n_heldout"] == 500 and "flagged" in block
    from ganplay.metrics import format_report

    report = format_report(result)
    assert "memorisation (nearest training digit" in report and "how to read it" in report


# -- the Runs page ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_runs_page_shows_ds_verdict_for_an_image_run(tiny_runs, monkeypatch):
    from streamlit.testing.v1 import AppTest

    root, runs = tiny_runs
    for name in ("GANPLAY_DEMO", "SPACE_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GANPLAY_RUNS", str(root))
    main = Path(__file__).resolve().parents[1] / "ganplay" / "dashboard" / "main.py"
    at = AppTest.from_file(str(main), default_timeout=120)
    at.run()
    at.switch_page("views/runs.py").run()
    assert not at.exception
    [ask] = [b for b in at.button if b.label == "Ask D"]
    ask.click().run()
    assert not at.exception, [e.value for e in at.exception]
    [expander] = [e for e in at.expander if e.label == "D's verdict: what D finds real"]
    inside = [c.type for c in expander.children.values()]
    assert "image" in inside and any("outlined in orange" in m.value for m in at.markdown)
