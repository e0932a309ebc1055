"""The dashboard's library modules, without Streamlit: the form from the config, sharing, charts,
alarms, progress, the 2D view, the gallery and the step-mode trainer."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ganplay.config import Config, field_help
from ganplay.dashboard import charts, form_spec, health, progress, share, view2d
from ganplay.train.rundir import RunDir, step_of


# -- the form comes from the config ------------------------------------------------------------
def test_every_config_field_has_a_form_control_with_its_help():
    specs = form_spec.form_fields()
    assert [s.key for s in specs] == list(field_help())
    assert all(s.help.endswith(f"(config key `{s.key}`)") for s in specs)
    # labels in a learner's words, not the config's: no underscores, every field named by hand
    assert set(form_spec.LABELS) == {s.key for s in specs}
    assert not [s.label for s in specs if "_" in s.label or s.label == s.key.rsplit(".", 1)[-1]]
    by_key = {s.key: s for s in specs}
    assert by_key["data.name"].kind == "choice" and "ring8" in by_key["data.name"].options
    assert by_key["train.augment"].kind == "multichoice"
    assert by_key["model.g_hidden"].kind == "int_list" and by_key["model.g_hidden"].archs == ("mlp",)
    assert by_key["model.g_channels"].archs == ("dcgan", "wgan", "srgan", "pix2pix")
    assert by_key["loss.l1_weight"].archs == ("srgan", "pix2pix")
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
    assert share.config_from_json(cfg.to_json()) == cfg
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


def test_loss_figures_are_three_panels_with_event_markers_and_skip_nonfinite():
    data = rows(5, loss_d=lambda i: float("nan") if i == 3 else 1.0)
    data.insert(3, {"step": 30, "event": "set", "lr_g": 1e-4})
    data.append({"step": 50, "event": "eval", "modes": 3.0, "hq": 0.2})
    figs = charts.loss_figures(data)
    assert [f.layout.title.text for f in figs] == list(charts.PANELS)
    assert [[t.name for t in f.data] for f in figs] == [["D loss", "G loss"], ["D(x) real", "D(G(z)) fake"],
                                                         ["‖∇D‖", "‖∇G‖"]]
    assert len(figs[0].data[0].x) == 4  # the NaN row is skipped
    assert [len(f.layout.shapes) for f in figs] == [1, 1, 1]  # one marker per panel for the one event
    assert all("lr_g=0.0001" in f.layout.annotations[-1].hovertext for f in figs)
    assert figs[2].layout.yaxis.type == "log" and figs[0].layout.yaxis.type != "log"
    quality = charts.eval_figures(data)
    assert [f.data[0].meta for f in quality] == ["modes", "hq"]
    assert [f.layout.title.text for f in quality] == ["modes covered", "high-quality samples"]  # not raw keys
    assert charts.eval_figures(rows(3)) == []
    assert (quality[0].layout.yaxis.dtick, quality[0].layout.yaxis.tick0) == (1, 0), "whole modes: no tick at 0.5"
    assert quality[1].layout.yaxis.dtick is None, "a share keeps plotly's ticks"
    assert charts.last_values(data)["modes"] == 3.0
    assert "wasserstein" in {t.meta for t in charts.loss_figures(rows(3, wasserstein=0.5))[0].data}


def test_progress_eta_is_honest():
    status = {"state": "running", "step": 100, "steps": 1100, "device": "cpu", "updated": 1000.0}
    assert progress.progress(status, rows(1), now=1000.0).eta_s is None  # one interval: no guess
    p = progress.progress(status, rows(6), now=1002.0)
    assert p.eta_s == pytest.approx(1000 / 20.0 - 2.0)
    assert "step 100 / 1,100" in p.text() and "1,280 images/s" in p.text() and "on cpu" in p.text()
    assert "1,280 points/s" in progress.progress(status, rows(6), now=1002.0, config=Config.from_preset("ring8-gan")).text()
    paused = progress.progress({**status, "state": "paused"}, rows(6))
    assert paused.eta_s is None and "paused" in paused.text()
    assert progress.format_duration(3725) == "1 h 02 min"


def simulated_rows(steps=6000, log_every=50, step_s=0.004, periodic=((250, 0.15), (1000, 0.4)), start_s=0.3):
    """The metrics lines of a run whose every cost is known, timed the way the trainer times them:
    `step_s` per step, `periodic` (every, seconds) of work after the line of such a step (grids,
    eval lines, checkpoints), `start_s` before the first step. Returns [(line, wall time it was
    written)] and the wall time the run ended."""
    t, t_line, step_line, out = start_s, 0.0, 0, []
    for step in range(1, steps + 1):
        t += step_s
        if step % log_every == 0:
            sps = (step - step_line) / (t - t_line)
            out.append(({"step": step, "steps_per_s": sps, "images_per_s": 512 * sps}, t))
            t_line, step_line = t, step
        t += sum(cost for every, cost in periodic if step % every == 0)
    return out, t


def eta_errors(lines, end, total, config, first=0.1, last=0.9):
    """Relative error of the ETA shown at each line between the `first` and `last` share of steps
    (at the very end a few tenths of a second of final checkpoint are a large share)."""
    errors = []
    for i, (row, t) in enumerate(lines):
        if not first * total <= row["step"] <= last * total:
            continue
        status = {"state": "running", "step": row["step"], "steps": total, "updated": t}
        eta = progress.progress(status, [r for r, _ in lines[: i + 1]], now=t, config=config).eta_s
        errors.append(abs(eta - (end - t)) / (end - t) if end - t > 1e-9 else 0.0)
    return errors


def test_eta_counts_the_periodic_work_of_a_run_of_known_speed():
    config = Config.from_dict({"train": {"log_every": 50, "sample_every": 250, "eval_every": 250, "checkpoint_every": 1000}})
    lines, end = simulated_rows()
    # a fifth of this run's time is grids, eval and checkpoints: an ETA from typical intervals
    # alone (a median) is 20% short all along; once one cycle of them is behind (step 1,000), the
    # estimate knows them all (within the work right after the current line, which the next
    # interval will show: 0.55 s, a tenth of what is left at 90%)
    assert max(eta_errors(lines, end, 6000, config, first=1050 / 6000)) < 0.1
    assert max(eta_errors(lines, end, 6000, config, first=1050 / 6000, last=0.5)) < 0.05
    assert max(eta_errors(lines, end, 6000, config)) < 0.2  # before: the costs not yet seen
    last = progress.progress({"state": "running", "step": 6000, "steps": 6000, "updated": end},
                             [r for r, _ in lines], now=end, config=config)
    assert last.steps_per_s == pytest.approx(1000 / (4.0 + 4 * 0.15 + 0.4))  # the window's true rate
    assert last.images_per_s == pytest.approx(512 * last.steps_per_s)  # the same rate as the ETA's


def test_eta_averages_a_noisy_speed_over_the_run_and_restarts_after_a_steer():
    import random

    config = Config.from_dict({"train": {"log_every": 50, "sample_every": 250, "eval_every": 250, "checkpoint_every": 1000}})
    rng = random.Random(0)
    t, rows, times = 0.0, [], []
    for step in range(50, 6001, 50):  # 50-step intervals at 100-280 steps/s, in slow and fast stretches
        base = 130 if (step // 700) % 2 else 230
        sps = base * rng.uniform(0.8, 1.2)
        t += 50 / sps
        rows.append({"step": step, "steps_per_s": sps, "images_per_s": 512 * sps})
        times.append(t)
    errors = []
    for i, row in enumerate(rows):
        if 0.2 * 6000 <= row["step"] <= 0.5 * 6000:  # where `ganplay bench --first-run` reads it
            status = {"state": "running", "step": row["step"], "steps": 6000, "updated": times[i]}
            eta = progress.progress(status, rows[: i + 1], now=times[i], config=config).eta_s
            errors.append(abs(eta - (t - times[i])) / (t - times[i]))
    assert max(errors) < 0.15, max(errors)  # the newest 1,000-step cycle alone: 19% off here
    # a steer (new learning rates, n_critic) changes the speed on purpose: the window starts again
    steered = [*rows[:40], {"step": 2000, "event": "set", "n_critic": 5},
               *({**r, "steps_per_s": r["steps_per_s"] / 5} for r in rows[40:70])]
    status = {"state": "running", "step": 3500, "steps": 6000, "updated": 0}
    slow = progress.progress(status, steered, now=0, config=config)
    assert slow.steps_per_s < 60  # only the lines after the steer: the old speed was 130-230


def test_eta_of_a_real_training_loop_on_a_fake_clock(tiny_cfg, monkeypatch, tmp_path):
    """The trainer's own timing (steps_per_s per line) and the page's ETA together, on a clock that
    moves by known amounts: 10 ms a step, 50 ms a sample grid, 30 ms a checkpoint, and one pause
    of a minute in the middle, which must count neither as training time nor as slowness."""
    import types

    from ganplay.train import Trainer
    from ganplay.train import trainer as trainer_module

    clock = {"t": 0.0}
    fake_time = types.SimpleNamespace(perf_counter=lambda: clock["t"], time=lambda: 1e9 + clock["t"])
    trainer = Trainer(tiny_cfg("ring8-gan", "train.log_every=10", "train.sample_every=50",
                               "train.checkpoint_every=100", steps=400))

    def sleep(_seconds):  # the pause: a minute passes, then someone presses resume
        clock["t"] += 60.0
        trainer._paused = False

    fake_time.sleep = sleep
    monkeypatch.setattr(trainer_module, "time", fake_time)
    for name, cost in (("train_step", 0.01), ("_snapshot", 0.05), ("save", 0.03)):
        real = getattr(trainer, name)
        monkeypatch.setattr(trainer, name, lambda *a, _real=real, _cost=cost: (
            clock.__setitem__("t", clock["t"] + _cost), _real(*a))[1])
    lines = []
    monkeypatch.setattr(RunDir, "append_metrics", lambda self, row: lines.append((row, clock["t"])))
    trainer.start(tmp_path)
    trainer.fit(on_step=lambda step, total, row: step == 200 and setattr(trainer, "_paused", True))
    end = clock["t"] - 60.0  # the time left after a line past the pause does not hold the pause
    assert [r["step"] for r, _ in lines][:3] == [1, 2, 10] and lines[-1][0]["step"] == 400
    assert max(10 / r["steps_per_s"] for r, _ in lines[1:]) < 0.5  # the pause is in no interval
    config = Config.from_dict({"train": {"log_every": 10, "sample_every": 50, "eval_every": 0, "checkpoint_every": 100}})
    assert max(eta_errors(lines, end, 400, config, first=0.51)) < 0.1  # the lines after the pause
    assert trainer.paused_s == pytest.approx(60.0)


def test_first_points_are_drawn_as_markers():
    modes = lambda figs: {t.mode for f in figs for t in f.data}  # noqa: E731
    assert modes(charts.loss_figures(rows(1))) == {"lines+markers"}  # one point of a line is invisible
    assert {f.layout.xaxis.rangemode for f in charts.loss_figures(rows(1))} == {"tozero"}, "steps from 0"
    assert modes(charts.loss_figures(rows(5))) == {"lines"}
    empty = charts.loss_figures([])  # the empty frames a starting job shows
    assert len(empty) == 3 and not any(f.data for f in empty)


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
    collapse = [a for a in health.diagnose(rows(10) + evals, "ns", "running") if a.title.startswith("Mode collapse")]
    # the advice holds whichever way the rates are unbalanced (the "Cover all 8 modes" lesson's G
    # is the slower one, and its cure is to speed G up)
    assert len(collapse) == 1 and "closer to each other" in collapse[0].text and "lower G" not in collapse[0].text
    steady = [{**e, "modes": 8} for e in evals]
    assert health.diagnose(rows(10) + steady, "ns", "running") == []


def test_a_run_collapsed_from_its_start_raises_the_collapse_alarm_too():
    """No peak to fall from: 0-1 of 8 modes all along, while D(x) = D(G(z)) = 0.5 looks calm."""
    low = [{"step": 250 * k, "event": "eval", "modes": m} for k, m in enumerate((0, 1, 1, 0, 1, 1), 1)]
    calm = rows(10, d_real=0.5, d_fake=0.5)
    alarms = [a for a in health.diagnose(calm + low, "ns", "done", modes_total=8) if a.title.startswith("Mode collapse")]
    assert len(alarms) == 1 and alarms[0].title == "Mode collapse: G covers 1 of 8 modes"
    assert "step 1,500" in alarms[0].text and "near 0.5 do not mean G is good" in alarms[0].text
    assert health.diagnose(calm + low, "ns", "done") == [], "no total known: no claim"
    assert health.diagnose(calm + low[:3], "ns", "done", modes_total=8) == [], "too few measurements yet"
    rising = low[:-1] + [{"step": 1500, "event": "eval", "modes": 3}]
    assert health.diagnose(calm + rising, "ns", "done", modes_total=8) == [], "the last three must all be low"
    # counted on the snapshots (a run that logs no modes): the same rule
    snaps = [(s, float(m)) for s, m in ((0, 0), (100, 1), (200, 1), (300, 1), (400, 2))]
    assert health.diagnose(calm, "ns", "running", coverage=snaps[:4], modes_total=8) == [], "step 0 is no evidence"
    assert titles(health.diagnose(calm, "ns", "running", coverage=snaps, modes_total=8)) == ["Mode collapse: G covers 2 of 8 modes"]
    assert health.diagnose(calm, "ns", "running", coverage=snaps, modes_total=25) != [] and \
        health.diagnose(calm, "ns", "running", coverage=[(s, 8.0) for s, _ in snaps], modes_total=25) == []


# -- the 2D view --------------------------------------------------------------------------------
def test_the_data_layer_samples_the_mode_centres_the_pages_count():
    import torch

    from ganplay.data.mixtures import MIXTURES

    for name in ("ring8", "grid25"):
        centres, std = view2d.mode_centres(name)
        points = MIXTURES[name].sample(4000, torch.Generator().manual_seed(0)).numpy()
        assert view2d.modes_hit(points, centres, std) == len(centres)  # every real mode is hit
        nearest = np.linalg.norm(points[:, None] - centres[None], axis=2).min(axis=1)
        assert np.mean(nearest <= 3 * std) > 0.99  # and real points sit within 3 std of a centre
    assert view2d.mode_centres("spiral") is None


def test_a_real_snapshot_draws(tmp_path):
    from ganplay.train import train

    cfg = Config.from_preset("ring8-gan", ["model.g_hidden=[16]", "model.d_hidden=[16]", "model.z_dim=4",
                                            "train.batch_size=32", "train.steps=4", "train.sample_every=2",
                                            "train.eval_every=0"])
    run, state = train(cfg, tmp_path)
    paths = run.sample_paths(".npz")
    assert [step_of(p) for p in paths] == [0, 2, 4]
    snap = view2d.load_snapshot(paths[-1])
    fig = view2d.figure_2d(snap)
    assert [t.name for t in fig.data] == ["D's field", "real data", "generated", "G's push (mean per cell)"]
    assert fig.layout.title.text == "step 4"
    assert (fig.data[0].zmin, fig.data[0].zmax, fig.data[0].zmid) == (0.0, 1.0, 0.5)  # D's probability
    # one square for every frame of the run (the narrowest drawn), which every frame's field covers
    lo, hi = view2d.run_view(paths)
    reaches = [min(abs(v) for v in view2d.load_snapshot(p).extent) for p in paths]
    assert hi == -lo == min(reaches)
    held = [view2d.figure_2d(view2d.load_snapshot(p), view=(lo, hi)) for p in paths]
    assert all(tuple(f.layout.xaxis.range) == (lo, hi) for f in held)
    for p, fig in zip(paths, held):
        extent = view2d.load_snapshot(p).extent
        assert extent[0] <= lo and extent[1] >= hi, "no frame leaves part of the square without its field"
    assert view2d.run_view([]) is None
    history = view2d.modes_over_time(run.read_metrics(), run.path, "ring8")
    assert [s for s, _ in history] == [0, 2, 4]
    # no eval lines (eval_every=0): counted on the snapshots; a run that logs its own modes is read
    assert view2d.snapshot_coverage(run.read_metrics(), run.path, "ring8") == history
    logged = run.read_metrics() + [{"step": 4, "event": "eval", "modes": 7.0}]
    assert view2d.modes_over_time(logged, run.path, "ring8") == [(4, 7.0)]
    assert view2d.snapshot_coverage(logged, run.path, "ring8") == []
    # every number a run logs is explained in the glossary the pages read
    from ganplay.glossary import METRICS
    from ganplay.panel.handlers import CARD_METRICS

    logged = {k for row in run.read_metrics() for k in charts.numeric_keys([row])}
    assert {"loss_d", "loss_g", "images_per_s"} <= logged and logged <= set(METRICS), logged - set(METRICS)
    assert {key for key, _ in CARD_METRICS} <= set(METRICS)


def test_a_comparison_opens_on_a_quality_measure_and_gives_each_run_its_colour():
    assert charts.default_metric(["loss_d", "loss_g", "modes", "hq"]) == "modes"
    assert charts.default_metric(["loss_d", "fid", "images_per_s"]) == "fid"
    assert charts.default_metric(["loss_d", "images_per_s"]) == "images_per_s"  # comparable across losses
    assert charts.default_metric(["loss_d", "loss_g"]) == "loss_d"
    rows = [{"step": s, "modes": s % 9} for s in range(0, 100, 10)]
    fig = charts.overlay_figure({f"run{i}": rows for i in range(12)}, "modes")
    lines = [(t.line.color, t.line.dash) for t in fig.data]
    assert len(set(lines)) == 12  # ten colours, then the same colours dashed
    assert fig.layout.yaxis.title.text == "modes covered (higher is better)"
    assert not fig.layout.annotations
    # an MNIST run beside a 2D one: the MNIST run is named as missing, the one line has its legend
    alone = charts.overlay_figure({"ring": rows, "digits": [{"step": 10, "fid": 3.0}]}, "modes")
    assert [t.name for t in alone.data] == ["ring"] and alone.layout.showlegend is True
    assert [a.text for a in alone.layout.annotations] == ["not logged by digits"]


def test_the_comparison_table_names_metrics_as_the_charts_do(tmp_path):
    from ganplay.dashboard import run_files

    for name, loss in (("a", 1.2), ("b", 0.7)):
        run = RunDir(tmp_path / name)
        run.create()
        run.append_metrics({"step": 10, "loss_d": loss, "images_per_s": 100.0})
    table = run_files.comparison_table(tmp_path, ["a", "b"])
    assert float(table["a"]["D loss"]) == 1.2 and float(table["b"]["D loss"]) == 0.7 and "loss_d" not in table["a"]


def _snap(fake, field=None, grad=None, extent=(-3.0, 3.0)):
    real = np.random.default_rng(0).normal(0, 1, (50, 2)).astype(np.float32)
    field = np.full((8, 8), 0.3) if field is None else field
    return view2d.Snapshot2D(7, real, fake, field, extent, np.ones_like(fake) if grad is None else grad)


def test_the_field_keeps_one_colour_scale_on_every_frame():
    fake = np.zeros((4, 2), np.float32)
    ranges = {(f.data[0].zmin, f.data[0].zmax, f.data[0].zmid) for f in
              (view2d.figure_2d(_snap(fake, np.full((8, 8), v))) for v in (0.26, 0.38, 0.9))}
    assert ranges == {(0.0, 1.0, 0.5)}  # not refitted to each frame's 0.26..0.38
    # a critic: its score minus the median, on the widest spread of the run's frames
    low, wide = np.linspace(-1, 1, 64).reshape(8, 8), np.linspace(-30, 10, 64).reshape(8, 8)
    scale = view2d.critic_scale(max(view2d.critic_spread(low), view2d.critic_spread(wide)))
    assert scale.lo == -scale.hi and scale.hi == pytest.approx(view2d.critic_spread(wide)) and scale.mid == 0
    fig = view2d.figure_2d(_snap(fake, wide), scale)
    assert np.median(fig.data[0].z) == pytest.approx(0.0) and fig.data[0].zmax == scale.hi
    assert "critic score" in fig.data[0].colorbar.title.text


def test_generated_points_beyond_the_view_are_drawn_on_its_edge_and_counted():
    fake = np.array([[0, 0], [1, 1], [9, 0], [0, -50], [np.nan, 0]], np.float32)
    fig = view2d.figure_2d(_snap(fake))
    by_name = {t.name: t for t in fig.data}
    assert len(by_name["generated"].x) == 2
    edge = by_name["generated, beyond the view"]
    assert sorted(zip(edge.x, edge.y)) == [(0.0, -3.0), (3.0, 0.0)]  # on the edge, where they left
    notes = [a.text for a in fig.layout.annotations]
    assert notes == ["3 of 5 points<br>beyond the view (1 not finite)"]
    assert not view2d.figure_2d(_snap(fake[:2])).layout.annotations  # all inside: no note


def test_the_view_widens_to_hold_generated_points_up_to_a_limit():
    from ganplay.train import snapshots

    real = np.array([[2.0, 0.0], [-2.0, 0.0]])
    assert snapshots.view_bounds(real, np.zeros((3, 2))) == (-2.5, 2.5)
    lo, hi = snapshots.view_bounds(real, np.array([[0.0, 4.0]]))
    assert hi == pytest.approx(5.0) and lo == -hi
    far = snapshots.view_bounds(real, np.array([[1e6, 0.0], [np.inf, 0.0]]))
    assert far[1] == pytest.approx(snapshots.MAX_WIDENING * 2.5)


def test_gs_arrows_are_one_per_occupied_cell_and_no_longer_than_a_cell():
    rng = np.random.default_rng(1)
    fake = rng.uniform(-3, 3, (1000, 2)).astype(np.float32)
    grad = np.tile([[1.0, 0.0]], (1000, 1)) * rng.uniform(0.1, 5, (1000, 1))
    where, push = view2d.arrow_grid(fake, grad, -3, 3, cells=6)
    assert len(where) == 36 and np.allclose(push[:, 1], 0) and (push[:, 0] > 0).all()
    fig = view2d.figure_2d(_snap(fake, grad=grad), arrow_cells=6)
    arrows = fig.data[-1]
    xs = [x for x in arrows.x if x is not None]
    shafts = [(arrows.x[i + 1] - arrows.x[i]) for i in range(0, 9 * 36, 9)]  # a shaft, then two head strokes
    assert len(shafts) == 36 and max(shafts) == pytest.approx(0.8 * 6 / 6) and min(shafts) > 0
    assert min(xs) >= -3 and max(xs) <= 3 + 0.8


def _mesh(z_dim=8):
    """A manifold as a snapshot holds it: the noise grid through a made-up G (a shear, one line
    pulled far beyond the view, one point not a number)."""
    from ganplay.train import snapshots

    grid = snapshots.noise_grid(2).numpy()
    mesh = np.stack([grid[..., 0] + 0.3 * grid[..., 1], grid[..., 1]], axis=-1)
    mesh[0, -1] *= 10  # the last line of the first family: out to 25, beyond the view of +-3
    mesh[1, 2, 5] = np.nan
    return view2d.Snapshot2D(3, np.zeros((4, 2)), np.zeros((4, 2)), np.full((8, 8), 0.5), (-3.0, 3.0),
                             np.zeros((4, 2)), manifold=mesh.astype(np.float32), manifold_z_dim=z_dim)


def test_gs_manifold_is_two_line_traces_clipped_to_the_view():
    from itertools import groupby

    def pieces(xs):  # the lengths of the pieces between None breaks
        return [len(list(g)) for k, g in groupby(xs, lambda v: v is None) if not k]

    snap = _mesh()
    names = lambda fig: [t.name for t in fig.data]  # noqa: E731
    assert view2d.MANIFOLD_NAME not in names(view2d.figure_2d(snap))  # off by default
    fig = view2d.figure_2d(snap, show_manifold=True)
    mesh = [t for t in fig.data if t.name == view2d.MANIFOLD_NAME]
    assert len(mesh) == 2 and [t.showlegend for t in mesh] == [True, False]  # one legend entry for both
    assert names(fig).index(view2d.MANIFOLD_NAME) > names(fig).index("generated")  # over the points (WebGL)
    for t in mesh:
        xs, ys = [v for v in t.x if v is not None], [v for v in t.y if v is not None]
        assert min(xs) >= -3 and max(xs) <= 3 and min(ys) >= -3 and max(ys) <= 3  # nothing past the axes
    assert list(fig.layout.xaxis.range) == [-3.0, 3.0] == list(fig.layout.yaxis.range)
    # an unclipped line inside the view is one piece of its 41 points; the NaN breaks a line in two
    assert pieces(mesh[0].x)[5] == 41
    second = pieces(mesh[1].x)
    assert second[2] + second[3] == 41 - 1  # the point that is not a number and its two segments gone
    # a segment that leaves the view ends on its edge
    xs, ys = view2d.clip_lines(np.array([[[0.0, 0.0], [6.0, 0.0], [6.0, 1.0], [0.0, 1.0]]]), -3, 3)
    assert list(zip(xs, ys)) == [(0.0, 0.0), (3.0, 0.0), (None, None), (3.0, 1.0), (0.0, 1.0)]
    # snapshots without a manifold (runs recorded before it) simply have no mesh
    snap.manifold = None
    assert view2d.MANIFOLD_NAME not in names(view2d.figure_2d(snap, show_manifold=True))


def test_the_page_says_what_the_mesh_is_a_grid_over():
    assert view2d.manifold_note(2) is None  # 2D noise: the mesh is the whole story
    assert view2d.manifold_note(8).startswith("G has 8 noise dimensions: the mesh is a grid over the first two")
    assert "curve" in view2d.manifold_note(1)


def test_an_old_run_without_a_manifold_still_draws():
    from pathlib import Path

    old = Path(__file__).resolve().parent / "fixtures" / "old_runs" / "ring8"
    snap = view2d.load_snapshot(RunDir(old).sample_paths(".npz")[-1])
    assert snap.manifold is None and snap.manifold_z_dim == 0
    fig = view2d.figure_2d(snap, show_manifold=True)
    assert "generated" in [t.name for t in fig.data] and view2d.MANIFOLD_NAME not in [t.name for t in fig.data]


# -- the gallery and the step mode ---------------------------------------------------------------
def test_gallery_lists_and_samples_zoo_weights(tmp_path):
    import json

    from ganplay.dashboard import gallery
    from ganplay.train import train
    from ganplay.zoo_build import export_weights

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


def test_home_shows_the_zoo_in_its_catalogue_order():
    from ganplay import zoo
    from ganplay.dashboard import gallery

    models = gallery.zoo_models()
    assert [m.name for m in models] == [c["name"] for c in zoo.cards()]
    assert all(m.weights == zoo.weights_path(m.name) and m.help == zoo.describe_card(m.card) for m in models)
    (_, noise), (_, pairs) = gallery.by_kind(models)
    assert [m.name for m in pairs] == ["mnist-srgan", "mnist-sr-l1", "mnist-pix2pix", "mnist-pix2pix-l1"]
    assert noise[0].name == "mnist-cdcgan" and "ring8-gan" in [m.name for m in noise]


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
    assert after_g.field.shape == (48, 48) and after_g.g_grad.shape == after_g.fake.shape  # the trainer's view
    assert all(math.isfinite(h["loss"]) for h in stepper.log.history)
    with pytest.raises(ValueError, match="2D data"):
        Stepper(Config.from_preset("mnist-dcgan"))


def test_step_mode_view_only_widens_as_g_closes_in():
    from ganplay.dashboard.stepper import Stepper

    stepper = Stepper(Config.from_preset("ring8-gan", ["model.g_hidden=[16]", "model.d_hidden=[16]",
                                                       "model.z_dim=4", "train.batch_size=32"]))
    fixed = stepper.trainer.generate_fixed
    stepper.trainer.generate_fixed = lambda: fixed() * 0 + 3.5  # G's points out past the ring: the view widens
    wide = stepper.snapshot().extent
    stepper.trainer.generate_fixed = lambda: fixed() * 0  # then all at the centre
    assert wide[1] > 3.5 and stepper.snapshot().extent == wide  # the same view: the ring keeps its size
    assert Stepper(stepper.cfg).snapshot().extent[1] < wide[1]  # (a fresh start's own view)


def test_step_mode_view_follows_points_flying_off_only_to_twice_the_datas_square():
    """A vanilla GAN's points fly to 4-8x the ring within 40-100 steps at step mode's rates; a
    view that followed them left the ring a speck for the rest of the session."""
    from ganplay.dashboard.stepper import VIEW_WIDENING, Stepper
    from ganplay.train.snapshots import points_bounds

    stepper = Stepper(Config.from_preset("ring8-gan", ["model.g_hidden=[16]", "model.d_hidden=[16]",
                                                       "model.z_dim=4", "train.batch_size=32"]))
    data_hi = points_bounds(stepper.trainer.real_points)[1]
    fixed = stepper.trainer.generate_fixed
    stepper.trainer.generate_fixed = lambda: fixed() * 0 + 40.0
    snap = stepper.snapshot()
    assert snap.extent[1] == pytest.approx(VIEW_WIDENING * data_hi)
    fig = view2d.figure_2d(snap)  # the points past it: on the edge, counted
    assert f"{len(snap.fake):,} of {len(snap.fake):,} points<br>beyond the view" in fig.layout.annotations[0].text


def test_step_mode_critic_colours_only_widen_and_a_probability_keeps_0_to_1():
    from dataclasses import replace

    from ganplay.dashboard.stepper import Stepper

    small = ["model.g_hidden=[16]", "model.d_hidden=[16]", "model.z_dim=4", "train.batch_size=32"]
    logits = Stepper(Config.from_preset("ring8-gan", small))
    assert logits.field_scale(logits.snapshot()) == view2d.PROBABILITY
    critic = Stepper(Config.from_preset("ring8-gan", [*small, "loss.name=wasserstein", "loss.gp_weight=1"]))
    snap = critic.snapshot()
    wide = critic.field_scale(replace(snap, field=snap.field * 50))
    narrow = critic.field_scale(replace(snap, field=snap.field * 0.01))
    assert narrow == wide, "a narrower field keeps the widest scale so far (not refitted per step)"
    assert Stepper(critic.cfg).field_scale(snap).hi < wide.hi, "a fresh stepper starts from its own field"


def test_step_mode_stops_with_the_reason_when_a_step_diverges():
    import torch

    from ganplay.dashboard.stepper import Stepper

    stepper = Stepper(Config.from_preset("ring8-gan", ["model.g_hidden=[16]", "model.d_hidden=[16]",
                                                       "model.z_dim=4", "train.batch_size=32"]))
    stepper.step("both")
    with torch.no_grad():
        for p in stepper.trainer.D.parameters():
            p.fill_(float("nan"))
    stepper.step("both", 20)
    assert stepper.diverged and "diverged at step 2" in stepper.diverged and "loss_d" in stepper.diverged
    assert (stepper.log.g_steps, stepper.trainer.step) == (1, 1), "nothing counted after the failing step"
    stepper.step("g")
    assert stepper.log.g_steps == 1, "a diverged stepper takes no more steps"


# The 2D switches a run can have: step mode must take the run's exact steps with each of them.
STEP_MODE_SWITCHES = {
    "ns": [], "minimax": ["loss.name=minimax"], "lsgan": ["loss.name=lsgan"], "hinge": ["loss.name=hinge"],
    "wgan-gp n_critic 3": ["loss.name=wasserstein", "loss.gp_weight=1", "optim.n_critic=3"],
    "wgan clip rmsprop": ["loss.name=wasserstein", "loss.clip=0.05", "optim.name=rmsprop"],
    "r1 lazy": ["loss.r1_weight=1", "loss.r1_every=2"],
    "unrolled": ["optim.unroll=2"], "pack 2": ["model.pack=2"], "minibatch std": ["model.minibatch_std=true"],
    "minibatch disc": ["model.minibatch_disc=4"], "spectral norm": ["model.spectral_norm=true"],
    "label smoothing": ["loss.label_smoothing=0.1"], "instance noise": ["loss.instance_noise=0.5"],
    "feature matching": ["loss.feature_matching=1"], "g batchnorm": ["model.g_batchnorm=true"],
    "ema + cosine": ["optim.ema=0.9", "optim.schedule=cosine"], "bf16": ["train.precision=bf16"],
}


@pytest.mark.parametrize("switch", list(STEP_MODE_SWITCHES))
def test_step_mode_takes_a_runs_exact_steps(switch, tmp_path):
    """N steps of "D and G" by hand leave G and D bit for bit where fit() leaves them after N steps."""
    import torch

    from ganplay.dashboard.stepper import Stepper
    from ganplay.train import Trainer

    steps = 4
    cfg = Config.from_preset("ring8-gan", ["model.g_hidden=[16, 16]", "model.d_hidden=[16, 16]",
                                           "train.batch_size=32", f"train.steps={steps}", "train.seed=3",
                                           *STEP_MODE_SWITCHES[switch]])
    run = Trainer(cfg.with_overrides(["train.device=cpu"]))
    run.start(tmp_path)
    assert run.fit() == "done"
    stepper = Stepper(cfg)
    stepper.step("both", steps)
    for name, net in (("G", "G"), ("D", "D")):
        ours, theirs = getattr(stepper.trainer, net).state_dict(), getattr(run, net).state_dict()
        assert ours.keys() == theirs.keys()
        for key in ours:
            assert torch.equal(ours[key], theirs[key]), f"{switch}: {name}.{key} differs"
    assert stepper.log.g_steps == steps and stepper.log.d_steps == steps * cfg.optim.n_critic


def test_the_augmentation_chart_labels_only_the_measured_data_set_sizes():
    # a log axis labels its minor ticks "2 3 4 5" between 10 and 100, which read as n = 2, 3, ...
    summary = [{"arm": arm, "n": n, "mean": 0.9, "std": 0.01} for arm in ("real", "zoo-10n") for n in (400, 10, 50)]
    fig = charts.augmentation_figure(summary, {"real": "real digits only"})
    assert fig.layout.xaxis.type == "log"
    assert list(fig.layout.xaxis.tickvals) == [10, 50, 400] and list(fig.layout.xaxis.ticktext) == ["10", "50", "400"]
    assert [t.line.dash for t in fig.data] == ["solid", "dash"]  # the zoo's arm, which saw more data


def test_the_augmentation_charts_legend_wraps_each_arms_words_to_fit_a_phone():
    """Plotly never wraps a legend entry: the zoo arm's 80 characters ran off a 390 px chart."""
    from ganplay.augmentation import ARM_TEXT

    summary = [{"arm": arm, "n": 10, "mean": 0.9, "std": 0.01} for arm in ARM_TEXT]
    fig = charts.augmentation_figure(summary, ARM_TEXT)
    lines = [line for t in fig.data for line in t.name.split("<br>")]
    assert max(map(len, lines)) <= charts.LEGEND_WRAP < max(map(len, ARM_TEXT.values()))
    assert [t.name.replace("<br>", " ") for t in fig.data] == list(ARM_TEXT.values())  # no word lost


def test_one_frame_with_stray_points_does_not_set_the_whole_runs_view(tmp_path):
    """A run's frames share the square every frame's field covers: one frame whose points flew to
    ±10 does not shrink the ring in all the others or leave their fields in white (issue audit)."""
    paths = []
    for step, reach in ((0, 3.0), (750, 10.0), (1500, 3.4)):
        path = tmp_path / f"step-{step:07d}.npz"
        np.savez(path, field_extent=np.array([-reach, reach], dtype=np.float32))
        paths.append(path)
    assert view2d.run_view(paths) == pytest.approx((-3.0, 3.0))


def test_mode_count_is_the_mixtures_count_or_the_drawn_runs_own(tmp_path):
    """What the collapse alarm counts a 2D run's coverage against (0: unknown, no claim)."""
    assert view2d.mode_count([], "ring8") == 8 and view2d.mode_count([], "grid25") == 25
    assert view2d.mode_count([], "points") == 0, "a drawn run with no snapshot yet"
    samples = tmp_path / "samples"
    samples.mkdir()
    np.savez(samples / "step-0000010.npz", centres=np.zeros((5, 2), np.float32))
    assert view2d.mode_count(RunDir(tmp_path).sample_paths(".npz"), "points") == 5
    assert view2d.mode_count([], "spiral") == 0, "no snapshot centres, no mixture modes"


def test_heavy_work_in_the_server_runs_two_at_a_time_and_refuses_after_waiting():
    from ganplay.dashboard import widgets

    assert widgets.HEAVY_SLOTS == 2
    with widgets.heavy_work("a"), widgets.heavy_work("b"):
        with pytest.raises(widgets.Busy, match="try the third again in a minute"):
            with widgets.heavy_work("the third", wait_s=0.05):
                pass
    with widgets.heavy_work("c"), widgets.heavy_work("d"):  # both slots came back
        pass


def test_the_playgrounds_coverage_chart_starts_at_step_0_and_counts_whole_modes():
    fig = view2d.coverage_figure([(250, 3.0), (500, 1.0)], 8, steps=2000)
    assert tuple(fig.layout.xaxis.range) == (0, 2000) and fig.layout.xaxis.title.text == "training step"
    assert tuple(fig.layout.yaxis.range) == (0, 8.5) and fig.layout.yaxis.tickformat == "d"
    assert fig.layout.xaxis.range[1] == 2000 < view2d.coverage_figure([(2500, 3.0)], 8, 2000).layout.xaxis.range[1]


def test_the_playgrounds_note_tells_the_collapse_story_only_where_the_run_shows_it():
    """A fixed 'the points bunch on one or two modes' sat under runs that covered 4 of 5."""
    assert view2d.coverage_note(1, 8, "ns").startswith("Mode collapse: the orange points sit on 1 of the 8")
    assert "collapse" not in view2d.coverage_note(4, 5, "ns").split(".")[0]
    assert view2d.coverage_note(4, 5, "ns").startswith("The orange points reach 4 of the 5 modes")
    assert view2d.coverage_note(8, 8, "wasserstein").startswith("The orange points reach all 8 modes")
