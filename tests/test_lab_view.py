"""The mode collapse lab page's logic (`ganplay.dashboard.lab_view`), without Streamlit."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from ganplay.dashboard import lab_view as lv
from ganplay.lab import play
from ganplay.jobs import Limits, RunInfo
from ganplay.lab.scenarios import COLLAPSE, CURES, SCENARIOS
from lab_fixtures import COLLAPSING, COVERING, STEPS, synthetic_replay, write_pair

RING8 = SCENARIOS["ring8"]


def trace(fig, meta: str):
    found = [t for t in fig.data if t.meta == meta]
    assert len(found) == 1, [t.meta for t in fig.data]
    return found[0]


def test_coverage_figure_draws_the_replays_numbers_with_a_marker_now_and_the_full_count():
    rep = synthetic_replay("ring8", COLLAPSE, COLLAPSING)
    i = 3
    fig = lv.coverage_figure(RING8, COLLAPSE, rep.steps, rep.coverage, current=(int(rep.steps[i]), float(rep.coverage[i])),
                             hq=rep.series["hq"], anchor=play.anchor_for(RING8, COLLAPSE))
    line = trace(fig, "coverage:collapse")
    assert list(line.x) == STEPS and list(line.y) == COLLAPSING
    now = trace(fig, "now:collapse")
    assert (list(now.x), list(now.y)) == ([2250], [2.0])
    # a gap where G covers at most one mode (COLLAPSING: 0, 3, 5, 2, 1): all samples sharp on one
    # mode is collapse, not quality (the grid's untrained G read "74%" at step 0)
    hq = list(trace(fig, "hq:collapse").y)
    assert hq[0] is None and hq[4] is None and hq[1:4] == pytest.approx([95, 95, 95], abs=1e-4)
    assert trace(fig, "hq:collapse").yaxis == "y2"
    lines = {(s.y0, s.line.dash) for s in fig.layout.shapes}
    assert (8, "dash") in lines, "a dashed line at the full count"
    assert (1, "dot") in lines, "the published number for a vanilla GAN (VEEGAN: 1 mode)"
    notes = [a.text for a in fig.layout.annotations]
    assert "published: 1" in notes, "the method's name left out where the chart is narrow"
    big = lv.coverage_figure(RING8, COLLAPSE, rep.steps, rep.coverage, anchor=play.anchor_for(RING8, COLLAPSE), big=True)
    assert any(a.text.startswith("published (") and a.text.endswith("): 1") for a in big.layout.annotations)
    assert fig.layout.yaxis.range[1] > 8 and fig.layout.yaxis.range[0] == 0


def test_presenter_figures_are_larger():
    rep = synthetic_replay("ring8", COLLAPSE, COLLAPSING)
    small = lv.coverage_figure(RING8, COLLAPSE, rep.steps, rep.coverage)
    big = lv.coverage_figure(RING8, COLLAPSE, rep.steps, rep.coverage, big=True, hq=rep.coverage / 8)
    assert big.layout.height > small.layout.height
    assert big.layout.font.size > small.layout.font.size
    assert big.layout.xaxis.tickfont.size > small.layout.xaxis.tickfont.size
    pts_small = lv.points_figure(rep.frames[0], rep.real, COLLAPSE)
    pts_big = lv.points_figure(rep.frames[0], rep.real, COLLAPSE, big=True)
    assert pts_big.layout.height > pts_small.layout.height
    # legends only in presenter view: the normal view's captions say what the lines are (a legend
    # under a half-width chart on a phone covered the axis title)
    assert small.layout.showlegend is False and pts_small.layout.showlegend is False
    assert big.layout.showlegend is True
    # the samples figure has none in either: in presenter view, a quarter of the screen wide, its
    # legend took the plot's room (its note names the points)
    assert pts_big.layout.showlegend is False
    # (but not for a single line, as on the digits' charts: its axis title names it)
    assert lv.coverage_figure(RING8, COLLAPSE, rep.steps, rep.coverage, big=True).layout.showlegend is False
    assert small.layout.xaxis.tickformat == "~s", "1k, 2k, 3k: not turned sideways on a phone"


def test_points_figure_has_fixed_equal_axes_and_keeps_stray_points_in_view():
    rep = synthetic_replay("ring8", COLLAPSE, COLLAPSING)
    far = rep.frames[1].astype(np.float32).copy()
    far[0] = (100.0, -100.0)
    fig = lv.points_figure(far, rep.real, COLLAPSE)
    lim = lv.points_limit(rep.real)
    assert lim == pytest.approx(2.0 * 1.35, rel=0.05)  # the ring (radius 2) and a margin
    assert tuple(fig.layout.xaxis.range) == tuple(fig.layout.yaxis.range) == (-lim, lim)
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1
    gen = trace(fig, "samples:collapse")
    assert len(gen.x) == len(far) - 1  # the stray point is not among those inside the square ...
    edge = [t for t in fig.data if t.name == "generated, beyond the view"][0]
    assert (edge.x[0], edge.y[0]) == pytest.approx((lim, -lim)), "... but drawn on the edge, not lost"
    assert [a.text for a in fig.layout.annotations] == [
        f"1 of {len(far):,} points<br>beyond the view (on its edge)"]  # and counted
    assert fig.layout.margin.t >= 2 * 12  # its two lines sit over the plot, not cut off by the page
    # in the side's colour: on the cure's (blue) side, red marks would read as the vanilla GAN's
    cured = lv.points_figure(far, rep.real, "pacgan")
    edge = [t for t in cured.data if t.name == "generated, beyond the view"][0]
    assert edge.marker.color == cured.layout.annotations[0].font.color == lv.side_colour("pacgan") != \
        lv.side_colour(COLLAPSE)
    real = [t for t in fig.data if t.name == "real data"][0]
    assert len(real.x) == min(len(rep.real), lv.REAL_POINTS)
    assert real.marker.color == lv.REAL_COLOUR


def test_the_shared_timeline_matches_frames_by_step():
    left = synthetic_replay("ring8", COLLAPSE, COLLAPSING)  # steps 0, 750, ..., 3000
    right = synthetic_replay("ring8", "unrolled", [0, 4, 8], steps=[0, 1000, 3000])
    steps = play.timeline(left, right)
    assert steps == [0, 750, 1000, 1500, 2250, 3000]
    assert [left.frame_at(s) for s in steps] == [0, 1, 1, 2, 3, 4]
    assert [right.frame_at(s) for s in steps] == [0, 0, 1, 1, 1, 2]
    assert play.timeline(left, None) == STEPS
    assert play.next_step(steps, 0) == (750, False)
    assert play.next_step(steps, 2250) == (3000, True)
    assert play.next_step(steps, 3000) == (3000, True)
    assert play.snap_step(steps, 1200) == 1000 and play.snap_step(steps, None) == 3000
    assert play.snap_step(steps, -5) == 0


def test_numbers_read_as_a_fall_from_the_best_so_far():
    rep = synthetic_replay("ring8", COLLAPSE, COLLAPSING)
    at_peak, at_end = play.numbers(rep, 2), play.numbers(rep, 4)
    assert (at_peak.coverage, at_peak.peak, at_peak.delta) == (5, 5, 0)
    assert (at_end.step, at_end.coverage, at_end.peak, at_end.delta, at_end.full) == (3000, 1, 5, -4, 8)
    assert at_end.hq == pytest.approx(0.95)
    assert lv.fmt(7.0) == "7" and lv.fmt(7.6) == "7.6" and lv.fmt(1000) == "1,000"


def test_digits_histogram_figure():
    hist = np.array([0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0])
    fig = lv.hist_figure(hist, "minibatch-std")
    bars = trace(fig, "hist:minibatch-std")
    assert list(bars.x) == [str(k) for k in range(10)] and list(bars.y) == [50, 50, 0, 0, 0, 0, 0, 0, 0, 0]
    assert fig.layout.shapes[0].y0 == pytest.approx(10), "uniform share"
    # one scale whatever the bars: the two sides' charts are read side by side
    flat = lv.hist_figure(np.full(10, 0.1), "collapse")
    assert tuple(fig.layout.yaxis.range) == tuple(flat.layout.yaxis.range) == (0, 105)
    grey = lv.grid_image(np.zeros((4, 5, 1), dtype=np.uint8))
    assert grey.shape == (4, 5)


def test_anchors_belong_to_their_methods():
    assert play.anchor_for(RING8, COLLAPSE) == ("GAN", 1, "VEEGAN Table 1")
    assert play.anchor_for(RING8, "unrolled")[0] == "Unrolled GAN"
    assert play.anchor_for(RING8, "wgan-gp")[1] == 6.8
    assert play.anchor_for(RING8, "pacgan")[0] == "PacGAN2"
    assert play.anchor_for(RING8, "minibatch-std") is None  # not published for this data
    text = lv.anchors_markdown(RING8)
    assert "Unrolled GAN **7.6** (VEEGAN Table 1)" in text and "of 8" in text


def test_what_differs_is_the_cures_overrides():
    assert lv.overrides_text("ring8", "pacgan") == "model.pack=2"
    wgan = lv.overrides_text("ring8", "wgan-gp").splitlines()
    assert wgan == list(CURES["wgan-gp"].overrides["ring8"]) and "loss.name=wasserstein" in wgan
    assert lv.side_title(COLLAPSE) == "Vanilla GAN (collapses)"
    assert lv.side_title("pacgan") == "Cure: PacGAN packing"


def test_load_side_reports_missing_and_corrupt_replays(tmp_path):
    paths = write_pair(tmp_path, cure="pacgan")
    ok = lv.load_side("ring8", COLLAPSE, tmp_path)
    assert ok.ok and list(ok.replay.coverage) == COLLAPSING
    missing = lv.load_side("ring8", "unrolled", tmp_path)
    assert missing.missing and not missing.ok
    assert "ganplay lab record --scenario ring8" in missing.message()
    assert str(tmp_path / "ring8" / "unrolled.npz") in missing.message()
    paths["pacgan"].write_bytes(b"not a zip file")
    broken = lv.load_side("ring8", "pacgan", tmp_path)
    assert not broken.ok and not broken.missing and "not a ganplay lab replay" in broken.error
    assert "cannot be read" in broken.message()
    # a replay of another side under this side's name is refused, not shown
    (tmp_path / "ring8" / "wgan-gp.npz").write_bytes(paths["collapse"].read_bytes())
    wrong = lv.load_side("ring8", "wgan-gp", tmp_path)
    assert not wrong.ok and "ring8/collapse" in wrong.error


def test_live_config_logs_coverage_and_snapshots_and_respects_demo_limits():
    cfg, notes = lv.live_config("ring8", "unrolled", seed=3, steps=None, lim=Limits())
    assert notes == []
    assert cfg.name == "lab-ring8-unrolled" and cfg.train.seed == 3 and cfg.optim.unroll == 5
    assert cfg.train.steps == 3000
    assert cfg.train.eval_every == 3000 // lv.LIVE_EVALS and cfg.train.sample_every == 3000 // lv.LIVE_SNAPSHOTS
    assert cfg.train.log_every <= cfg.train.eval_every
    demo = Limits(True, max_steps=1000, max_batch_size=128, max_jobs=1)
    cfg, notes = lv.live_config("ring8", COLLAPSE, steps=3000, lim=demo)
    assert (cfg.train.steps, cfg.train.batch_size) == (1000, 128)
    assert notes == ["steps lowered to 1,000 to fit this server's limits (the lesson uses 3,000)",
                     "batch size lowered to 128 to fit this server's limits (the lesson uses 256)"]
    assert cfg.train.eval_every == 1000 // lv.LIVE_EVALS


def _run(tmp_path, name: str, kind: str = "run", config_name: str = "", job_id: str | None = None) -> RunInfo:
    return RunInfo(kind, name, tmp_path / name, "running", {"name": config_name}, {},
                   {"id": job_id} if job_id else None)


def test_live_pair_prefers_this_sessions_jobs_then_the_newest_of_each_side(tmp_path):
    old = _run(tmp_path, "20260101-000000-lab-ring8-collapse", config_name="lab-ring8-collapse")
    new = _run(tmp_path, "20260102-000000-lab-ring8-collapse", config_name="lab-ring8-collapse", job_id="j1")
    cure = _run(tmp_path, "20260102-000000-lab-ring8-pacgan", config_name="lab-ring8-pacgan")
    other = _run(tmp_path, "20260103-000000-ring8-gan", config_name="ring8-gan")
    runs = [old, new, cure, other]
    assert play.live_pair(runs, "ring8", [COLLAPSE, "pacgan"]) == {COLLAPSE: new, "pacgan": cure}
    assert play.live_pair(runs, "ring8", [COLLAPSE, "unrolled"]) == {COLLAPSE: new}
    assert play.live_pair(runs, "ring8", [COLLAPSE], {COLLAPSE: old.id})[COLLAPSE] is old
    assert play.live_pair(runs, "ring8", [COLLAPSE], {COLLAPSE: "j1"})[COLLAPSE] is new
    # a job this session started for another lesson is not shown for this one
    assert play.live_pair(runs, "grid25", [COLLAPSE], {COLLAPSE: "j1"}) == {}


def test_live_coverage_reads_eval_lines():
    rows = [{"step": 10, "loss_d": 1.0}, {"step": 100, "event": "eval", "modes": 3.0, "hq": 0.5},
            {"step": 150, "event": "set", "lr_g": 1e-4}, {"step": 200, "event": "eval", "modes": 1.0, "hq": 0.9},
            {"step": 300, "event": "eval", "modes": float("nan")}]
    assert play.live_coverage(rows, RING8) == ([100, 200], [3.0, 1.0])
    assert play.live_hq(rows, [100, 200]) == [0.5, 0.9]
    # hq is plotted against coverage's steps: a line with coverage but no hq is a gap, not a shift
    gap = [{"step": 100, "event": "eval", "modes": 3.0}, {"step": 200, "event": "eval", "modes": 4.0, "hq": 0.7},
           {"step": 300, "event": "eval", "hq": 0.8}]
    steps, _ = play.live_coverage(gap, RING8)
    hq = play.live_hq(gap, steps)
    assert steps == [100, 200] and math.isnan(hq[0]) and hq[1] == 0.7
    assert play.live_hq(rows[:1], [10]) is None
    digits_like = SCENARIOS["ring8"].__class__(**{**RING8.__dict__, "unit": "classes", "n_modes": 10})
    assert play.live_coverage([{"step": 5, "event": "eval", "classes": 9}], digits_like) == ([5], [9.0])


def test_presenter_query_parameter():
    assert lv.presenter_from_query({"presenter": "1"}) and lv.presenter_from_query({"presenter": "true"})
    assert not lv.presenter_from_query({"presenter": "0"}) and not lv.presenter_from_query({})
    assert 'data-testid="stSidebar"' in lv.PRESENTER_CSS and "display: none" in lv.PRESENTER_CSS


def test_the_lab_view_imports_neither_torch_nor_matplotlib():
    code = ("import sys, ganplay.dashboard.lab_view; "
            "print(json.dumps(['torch' in sys.modules, 'matplotlib' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [False, False]


def test_replay_figures_are_cached_per_frame_and_match_the_frame(tmp_path):
    write_pair(tmp_path, cure="pacgan")
    side = lv.load_side("ring8", "pacgan", tmp_path)
    fig = lv.replay_coverage_figure(side, 2)
    assert lv.replay_coverage_figure(side, 2) is fig, "drawn once per frame"
    assert list(trace(fig, "now:pacgan").x) == [STEPS[2]] and list(trace(fig, "now:pacgan").y) == [COVERING[2]]
    # the curve so far (frames 0..2), on the whole run's axis: the end is not given away
    assert list(trace(fig, "coverage:pacgan").y) == COVERING[:3]
    assert fig.layout.xaxis.range[0] < 0 and fig.layout.xaxis.range[1] > STEPS[-1]
    assert list(trace(lv.replay_coverage_figure(side, len(STEPS) - 1), "coverage:pacgan").y) == COVERING
    samples = lv.samples_figure(side, 4)
    gen = trace(samples, "samples:pacgan")
    assert np.allclose(np.stack([gen.x, gen.y], 1), side.replay.frames[4].astype(np.float32), atol=1e-3)
    assert lv.samples_figure(side, 4, big=True).layout.height > samples.layout.height


@pytest.mark.slow  # test_lab's slides test draws the same exports fast
def test_slide_exports_are_a_png_and_a_gif_with_one_frame_per_step():
    from PIL import Image
    import io

    left = synthetic_replay("ring8", COLLAPSE, COLLAPSING)
    right = synthetic_replay("ring8", "unrolled", [0, 4, 8], steps=[0, 1000, 3000])
    png = lv.slide_png(left, right, 1, 1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and Image.open(io.BytesIO(png)).size == (1200, 900)
    gif = Image.open(io.BytesIO(lv.slide_gif(left, right)))
    assert gif.format == "GIF" and gif.n_frames == len(play.timeline(left, right)) == 6
    assert lv.export_name("ring8", "unrolled", "png", 750) == "lab-ring8-unrolled-step750.png"


def test_stamped_figures_are_never_sent_twice_the_same(tmp_path):
    write_pair(tmp_path)
    side = lv.load_side("ring8", COLLAPSE, tmp_path)
    cached = lv.replay_coverage_figure(side, 1)
    one, two = lv.stamped(cached, 1), lv.stamped(cached, 2)
    assert one.to_json() != two.to_json() and one.layout.meta == {"draw": 1}
    assert cached.layout.meta is None, "the cached figure itself is left alone"
    assert one.data == cached.data
    fresh = lv.coverage_figure(RING8, COLLAPSE, [0, 1], [0, 1])
    assert lv.stamped(fresh, 3, copy=False) is fresh and fresh.layout.meta == {"draw": 3}


# --- the educator's audit: what the picture draws, hq at one mode, noise, anchors, digit-likeness --
def shipped(scenario: str, side: str):
    from ganplay.lab.replay import REPLAY_DIR, load_replay, replay_path

    return load_replay(replay_path(scenario, side, REPLAY_DIR))


def test_the_drawn_points_are_counted_by_the_same_rule_and_the_caption_says_both():
    rep = synthetic_replay("ring8", COLLAPSE, COLLAPSING)  # frame k's points sit on COLLAPSING[k] modes
    assert [play.numbers(rep, i).drawn for i in range(len(rep))] == COLLAPSING
    # the shipped minibatch-std replay at step 938: the count (2,500 samples) says 7 of 8, its 500
    # drawn points (other noise) touch 1: the caption and the figure's note say both
    rep = shipped("ring8", "minibatch-std")
    i = rep.frame_at(938)
    num = play.numbers(rep, i)
    assert (num.step, num.coverage, num.drawn, num.drawn_n, num.counted_n) == (938, 7, 1, 500, 2500)
    text = lv.drawn_caption(num, "modes")
    assert "500 of G's samples, touching 1 of the 8" in text and "counts 2,500 other samples" in text
    assert "a bigger draw finds more" in text
    assert lv.drawn_note(num) == "500 drawn: on 1 of 8"
    fig = lv.points_figure(rep.frames[i], rep.real, "minibatch-std", note=lv.drawn_note(num))
    assert "500 drawn: on 1 of 8" in [a.text for a in fig.layout.annotations]
    # where the picture touches as many as counted, no excuse is made
    same = play.Numbers(0, 3, 8, 3, drawn=3, drawn_n=500, counted_n=2500)
    assert "bigger draw" not in lv.drawn_caption(same, "modes")


def test_the_high_quality_share_is_not_shown_on_one_mode():
    rep = shipped("grid25", "collapse")
    start = play.numbers(rep, 0)  # an untrained G on the grid's centre blob: "74%" before
    assert start.coverage == 1 and start.hq > 0.5 and not start.hq_means_something
    assert "untrained G sits in the middle" in lv.hq_hidden_note(start, "modes")
    later = play.Numbers(500, 1, 25, 2, hq=0.9)
    assert not later.hq_means_something and "collapse, however sharp" in lv.hq_hidden_note(later, "modes")
    assert play.Numbers(500, 2, 25, 2, hq=0.9).hq_means_something
    # the slide says no share either at step 0
    from ganplay.lab import slides

    fig = slides.render(rep, shipped("grid25", "spectral-norm"), 0, 0)
    titles = [ax.get_title() for ax in fig.axes[:4] if ax.get_title()]
    assert titles and not any("high quality" in t for t in titles), titles
    fig = slides.render(rep, shipped("grid25", "spectral-norm"))
    assert any("24 / 25 modes, 3% high quality" in ax.get_title() for ax in fig.axes)


def test_a_small_fall_from_the_best_is_noise_not_collapse():
    stacked, ring, grid = SCENARIOS["stacked-mnist"], SCENARIOS["ring8"], SCENARIOS["grid25"]
    assert play.Numbers(3000, 971, 1000, 985).fall_is_noise(stacked), "971 vs 985: 1.4% of 1,000"
    assert play.Numbers(3000, 23, 25, 24).fall_is_noise(grid), "still at or above 22 (covered)"
    assert play.Numbers(3000, 7, 8, 8).fall_is_noise(ring)
    assert not play.Numbers(3000, 1, 8, 5).fall_is_noise(ring), "5 -> 1 is G giving modes up"
    assert not play.Numbers(3000, 700, 1000, 985).fall_is_noise(stacked)
    assert not play.Numbers(3000, 5, 8, 5).fall_is_noise(ring), "no fall at all"


def test_no_dcgan_number_for_a_fully_connected_left_side():
    stacked = SCENARIOS["stacked-mnist"]
    assert stacked.base["model"]["arch"] == "mlp"
    assert play.anchor_for(stacked, COLLAPSE) is None, "the published 99 is a DCGAN's"
    assert play.anchor_for(stacked, "wgan-gp")[0] == "WGAN-GP"
    assert play.anchor_for(SCENARIOS["ring8"], COLLAPSE)[0] == "GAN"
    assert "(of 1,000)" in lv.anchors_markdown(stacked)


def test_a_side_that_never_drew_a_digit_is_told_from_its_frames():
    for scenario, left, right in (("mnist5k", "collapse", "spectral-norm"), ("stacked-mnist", "collapse", "wgan-gp")):
        assert play.never_digit_like(shipped(scenario, left)), scenario
        cure = shipped(scenario, right)
        assert not play.never_digit_like(cure), scenario
        assert min(play.smoothness(f) for f in cure.frames[1:]) > play.DIGIT_LIKE
    assert not play.never_digit_like(shipped("ring8", COLLAPSE)), "points: no such thing"
    rng = np.random.default_rng(0)
    assert abs(play.smoothness(rng.integers(0, 256, (182, 182), dtype=np.uint8))) < 0.1
    rep = shipped("mnist5k", "collapse")
    note = lv.no_digit_note(rep, play.numbers(rep, len(rep) - 1))
    assert "no digit-like picture" in note and "counts as 1 class." in note


def test_the_mnist_lesson_says_the_extra_d_steps_do_the_work_as_the_readme_does():
    from pathlib import Path

    readme = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text().split())
    assert "5 D steps alone also did (seed 0: 10 digits, class KL 0.018)" in readme
    assert "5 D steps alone also covered all 10 digits" in SCENARIOS["mnist5k"].blurb
    why = CURES["spectral-norm"].why_on("mnist5k")
    assert why.startswith(CURES["spectral-norm"].why) and "the extra D steps do the work" in why
    assert CURES["spectral-norm"].why_on("ring8") == CURES["spectral-norm"].why


def test_the_grid_lesson_says_how_its_vanilla_gan_differs_from_the_preset():
    from ganplay.presets import PRESETS

    grid, preset = SCENARIOS["grid25"], PRESETS["grid25-gan"]["config"]
    assert "not the grid25-gan preset" in grid.blurb
    assert f"{preset['train']['steps']:,} steps of batch {preset['train']['batch_size']}" in grid.blurb
    assert f"{grid.base['train']['steps']:,} steps of batch {grid.base['train']['batch_size']}" in grid.blurb
