"""The dashboard's library modules, without Streamlit: the form from the config, sharing, charts,
alarms, progress, the 2D view, the gallery and the step-mode trainer."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ganplay.config import Config, field_help
from ganplay.dashboard import charts, form_spec, health, progress, share, view2d


# -- the form comes from the config ------------------------------------------------------------
def test_every_config_field_has_a_form_control_with_its_help():
    specs = form_spec.form_fields()
    assert [s.key for s in specs] == list(field_help())
    assert all(s.help for s in specs)
    by_key = {s.key: s for s in specs}
    assert by_key["data.name"].kind == "choice" and "ring8" in by_key["data.name"].options
    assert by_key["train.augment"].kind == "multichoice"
    assert by_key["model.g_hidden"].kind == "int_list" and by_key["model.g_hidden"].archs == ("mlp",)
    assert by_key["model.g_channels"].archs == ("dcgan", "wgan")
    assert by_key["train.batch_size"].min_value == 1 and by_key["train.batch_size"].max_value == 8192
    assert by_key["optim.lr_g"].kind == "float" and by_key["optim.lr_g"].min_value is None  # gt: validator's


def test_form_values_round_trip_and_errors_are_filed_by_field():
    cfg = Config.from_preset("ring8-wgan-gp")
    flat = form_spec.flatten(cfg.to_dict())
    flat["model.g_hidden"] = "128, 128, 128"  # as the text box holds it
    assert form_spec.build_config(flat).config == cfg

    flat.update({"model.arch": "dcgan", "loss.gp_weight": 0.0, "model.d_hidden": "a, b"})
    result = form_spec.build_config(flat)
    assert not result.ok
    assert list(result.errors) == ["model.d_hidden"]  # type errors come first, alone
    flat["model.d_hidden"] = "64"
    result = form_spec.build_config(flat)
    assert "2D data (ring8) needs 'mlp'" in result.errors["model.arch"][0]
    assert result.errors["loss.clip"] == result.errors["loss.gp_weight"]  # one message, two fields
    assert len(result.all_errors()) == 2


def test_share_link_and_json_round_trip():
    cfg = Config.from_preset("grid25-gan", ["train.seed=123", "model.g_hidden=[64, 32]"])
    params = share.config_to_query(cfg)
    assert params["train.seed"] == "123" and params["model.g_hidden"] == "[64,32]"
    assert "optim.beta2" not in params, "defaults stay out of the link"
    assert share.config_from_query(params) == cfg
    assert share.config_from_json(share.config_json(cfg)) == cfg
    values, unknown = share.query_to_values({"data.name": "moons", "utm_source": "x"})
    assert values["data.name"] == "moons" and unknown == ["utm_source"]
    with pytest.raises(ValueError, match="not a JSON config"):
        share.config_from_json("{nope")


# -- charts, progress, alarms -------------------------------------------------------------------
def rows(n=10, **overrides):
    out = []
    for i in range(1, n + 1):
        row = {"step": 10 * i, "loss_d": 1.3, "loss_g": 0.7, "d_real": 0.55, "d_fake": 0.45,
               "grad_norm_d": 1.0, "grad_norm_g": 0.5, "steps_per_s": 20.0, "images_per_s": 1280.0}
        row.update({k: (v(i) if callable(v) else v) for k, v in overrides.items()})
        out.append(row)
    return out


def test_loss_figure_has_three_panels_event_markers_and_skips_nonfinite():
    data = rows(5, loss_d=lambda i: float("nan") if i == 3 else 1.0)
    data.insert(3, {"step": 30, "event": "set", "lr_g": 1e-4})
    data.append({"step": 50, "event": "eval", "modes": 3.0, "hq": 0.2})
    fig = charts.loss_figure(data)
    by_name = {t.name: t for t in fig.data}
    assert set(by_name) == {"D loss", "G loss", "D(x) real", "D(G(z)) fake", "‖∇D‖", "‖∇G‖"}
    assert len(by_name["D loss"].x) == 4  # the NaN row is skipped
    assert len(fig.layout.shapes) == 3  # one marker per panel for the one event
    assert "lr_g=0.0001" in fig.layout.annotations[-1].hovertext
    assert charts.eval_figure(data).data[0].meta == "modes"
    assert charts.eval_figure(rows(3)) is None
    assert charts.last_values(data)["modes"] == 3.0
    assert "wasserstein" in {t.meta for t in charts.loss_figure(rows(3, wasserstein=0.5)).data}


def test_progress_eta_is_honest():
    status = {"state": "running", "step": 100, "steps": 1100, "device": "cpu", "updated": 1000.0}
    assert progress.progress(status, rows(1), now=1000.0).eta_s is None  # one interval: no guess
    p = progress.progress(status, rows(6), now=1002.0)
    assert p.eta_s == pytest.approx(1000 / 20.0 - 2.0)
    assert "step 100 / 1,100" in p.text() and "1,280 images/s" in p.text() and "on cpu" in p.text()
    paused = progress.progress({**status, "state": "paused"}, rows(6))
    assert paused.eta_s is None and "paused" in paused.text()
    assert progress.format_duration(3725) == "1 h 02 min"


def titles(alarms):
    return [a.title for a in alarms]


def test_alarms_fire_on_the_runs_own_numbers():
    assert health.diagnose(rows(10), "ns", "running") == []
    failed = health.diagnose([], "ns", "failed", error="training diverged at step 7")
    assert failed[0].level == "error" and "diverged at step 7" in failed[0].text
    assert "D loss pinned at zero" in titles(health.diagnose(rows(10, loss_d=0.001), "ns", "running"))
    assert "D loss pinned at zero" not in titles(health.diagnose(rows(10, loss_d=-5.0), "wasserstein", "running"))
    assert "The discriminator is winning" in titles(health.diagnose(rows(10, d_real=0.99, d_fake=0.01), "ns", "running"))
    exploding = rows(10, grad_norm_d=lambda i: 1e4 if i == 10 else 1.0)
    assert "D's gradients are exploding" in titles(health.diagnose(exploding, "ns", "running"))
    evals = [{"step": s, "event": "eval", "modes": m} for s, m in ((250, 2), (500, 6), (750, 8), (1000, 2))]
    assert "Mode collapse: coverage is dropping" in titles(health.diagnose(rows(10) + evals, "ns", "running"))
    steady = [{**e, "modes": 8} for e in evals]
    assert health.diagnose(rows(10) + steady, "ns", "running") == []


# -- the 2D view --------------------------------------------------------------------------------
def test_mode_centres_match_the_data_layer():
    from ganplay.data.mixtures import MIXTURES

    for name in ("ring8", "grid25"):
        centres, std = view2d.mode_centres(name)
        assert np.allclose(centres, MIXTURES[name].centres.numpy(), atol=1e-6)
        assert std == MIXTURES[name].std
    assert view2d.mode_centres("spiral") is None


def test_modes_hit_follows_the_protocol_of_the_metrics_layer():
    import torch

    from ganplay.metrics.points import mode_metrics

    centres, std = view2d.mode_centres("ring8")
    rng = np.random.default_rng(0)
    fake = np.concatenate([centres[:3][rng.integers(0, 3, 500)] + 0.02 * rng.standard_normal((500, 2)),
                           rng.uniform(-3, 3, (200, 2))]).astype(np.float32)
    expected = mode_metrics(torch.from_numpy(fake), torch.from_numpy(centres).float(), std)["modes"]
    assert view2d.modes_hit(fake, centres, std) == expected >= 3


def test_a_real_snapshot_draws(tmp_path):
    from ganplay.train import train

    cfg = Config.from_preset("ring8-gan", ["model.g_hidden=[16]", "model.d_hidden=[16]", "model.z_dim=4",
                                            "train.batch_size=32", "train.steps=4", "train.sample_every=2",
                                            "train.eval_every=0"])
    run, state = train(cfg, tmp_path)
    paths = view2d.snapshot_paths(run.path)
    assert [view2d.step_of(p) for p in paths] == [0, 2, 4]
    snap = view2d.load_snapshot(paths[-1])
    fig = view2d.figure_2d(snap)
    assert [t.name for t in fig.data] == ["D's field", "real data", "generated", "G's gradient"]
    assert fig.layout.title.text == "step 4"
    history = view2d.modes_over_time(run.read_metrics(), run.path, "ring8")
    assert [s for s, _ in history] == [0, 2, 4]


# -- the gallery and the step mode ---------------------------------------------------------------
def test_gallery_lists_and_samples_zoo_weights(tmp_path):
    import json

    from ganplay.dashboard import gallery
    from ganplay.train import train
    from ganplay.zoo import export_weights

    cfg = Config.from_preset("ring8-gan", ["model.g_hidden=[16]", "model.d_hidden=[16]", "model.z_dim=4",
                                            "train.batch_size=32", "train.steps=2"])
    run, _ = train(cfg, tmp_path / "runs")
    zoo = tmp_path / "pretrained"
    zoo.mkdir()
    export_weights(run.latest_checkpoint(), zoo / "tiny.safetensors")
    (zoo / "tiny.json").write_text(json.dumps({"name": "tiny", "help": "A tiny ring."}))
    (zoo / "classifier.json").write_text("{}")
    models = gallery.zoo_models(zoo)
    assert [m.name for m in models] == ["tiny"] and models[0].help == "A tiny ring."
    assert gallery.sample_png(models[0].weights, 16, seed=0)[:4] == b"\x89PNG"


def test_step_mode_moves_d_then_g():
    from ganplay.dashboard.stepper import Stepper

    stepper = Stepper(Config.from_preset("ring8-gan", ["model.g_hidden=[16]", "model.d_hidden=[16]",
                                                       "model.z_dim=4", "train.batch_size=32"]))
    before = stepper.snapshot()
    stepper.step("d")
    after_d = stepper.snapshot()
    assert not np.allclose(before.field, after_d.field) and np.allclose(before.fake, after_d.fake)
    stepper.step("g")
    after_g = stepper.snapshot()
    assert not np.allclose(after_d.fake, after_g.fake)
    assert (stepper.log.d_steps, stepper.log.g_steps) == (1, 1)
    assert after_g.field.shape == (40, 40) and after_g.g_grad.shape == after_g.fake.shape
    assert all(math.isfinite(h["loss"]) for h in stepper.log.history)
    with pytest.raises(ValueError, match="2D data"):
        Stepper(Config.from_preset("mnist-dcgan"))
