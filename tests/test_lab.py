"""The lab's core (no UI): lessons and their configs, verdicts, replay files, the reliability
table, slide exports and the `ganplay lab` command."""

import io
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from ganplay.config import Config
from ganplay.lab import COLLAPSE, CURES, SCENARIOS, LabError, judge, scenario, side_config, side_overrides
from ganplay.lab import measure, slides
from ganplay.lab.record import frame_steps, record_side
from ganplay.lab.replay import load_replay, replay_path


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_side_of_every_lesson_is_a_valid_config_one_cure_away(name):
    sc = SCENARIOS[name]
    left = side_config(name, COLLAPSE, seed=3)
    assert left.train.seed == 3 and left.data.name == name
    assert left.loss.name == "ns"  # the collapsing side is a vanilla GAN
    for cure in sc.cures:
        right = side_config(name, cure, seed=3)
        assert right.data.name == left.data.name and right.train.seed == 3
        assert right.train.steps == left.train.steps  # same budget on both sides
        # exactly the cure's overrides separate the two sides
        assert right.to_dict() == Config.from_dict({**left.to_dict(), "name": right.name}).with_overrides(
            list(side_overrides(name, cure))).to_dict()
        assert right.to_dict() != {**left.to_dict(), "name": right.name}
        assert CURES[cure].why and CURES[cure].title


def test_the_cures_switch_what_they_say():
    assert side_config("ring8", "unrolled").optim.unroll == 5
    assert side_config("ring8", "pacgan").model.pack == 2
    assert side_config("ring8", "minibatch-std").model.minibatch_std
    sn = side_config("ring8", "spectral-norm")
    assert sn.model.spectral_norm and sn.optim.n_critic == 5
    wgan = side_config("ring8", "wgan-gp")
    assert wgan.loss.name == "wasserstein" and wgan.loss.gp_weight > 0


def test_unknown_names_are_clear_errors():
    with pytest.raises(LabError, match="scenarios: ring8"):
        scenario("ring9")
    with pytest.raises(LabError, match="its cures"):
        side_overrides("ring8", "dropout")


def test_judge_uses_the_scenario_thresholds():
    ring = SCENARIOS["ring8"]
    assert [judge(ring, c) for c in (0, 2, 3, 6, 7, 8)] == [
        "collapsed", "collapsed", "partial", "partial", "covered", "covered"]


def test_frame_steps_start_at_zero_and_end_at_the_total():
    assert frame_steps(3000, 4) == [0, 750, 1500, 2250, 3000]
    assert frame_steps(5, 16) == [0, 1, 2, 3, 4, 5]  # no repeats when frames > steps
    assert frame_steps(3000, 0) == [3000]


@pytest.fixture(scope="module")
def tiny_replay():
    return record_side("ring8", "pacgan", seed=1, steps=12, frames=3)


def test_record_side_measures_each_frame_with_the_protocol(tiny_replay):
    r = tiny_replay
    assert r.steps.tolist() == [0, 4, 8, 12]
    assert r.frames.shape == (4, 500, 2) and r.real.shape == (500, 2)
    assert set(r.series) == {"hq", "kl"} and len(r.series["hq"]) == 4
    assert r.meta["config"]["model"]["pack"] == 2 and r.meta["config"]["train"]["seed"] == 1
    assert r.final["modes"] == r.coverage[-1] and r.meta["verdict"] == judge(SCENARIOS["ring8"], r.coverage[-1])
    assert ((0 <= r.coverage) & (r.coverage <= 8)).all()


def test_replay_round_trip_and_bad_files(tiny_replay, tmp_path):
    path = tiny_replay.save(tmp_path / "ring8" / "pacgan.npz")
    back = load_replay(path)
    assert back.steps.tolist() == tiny_replay.steps.tolist()
    assert np.array_equal(back.coverage, tiny_replay.coverage)
    assert np.array_equal(back.frames, tiny_replay.frames) and back.meta["verdict"] == tiny_replay.meta["verdict"]
    assert back.frame_at(0) == 0 and back.frame_at(7) == 1 and back.frame_at(10**6) == 3
    (tmp_path / "cut.npz").write_bytes(path.read_bytes()[:2000])  # a write killed half way
    with pytest.raises(LabError, match="not a ganplay lab replay"):
        load_replay(tmp_path / "cut.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(LabError, match="not a ganplay lab replay"):
        load_replay(tmp_path / "junk.npz")
    np.savez(tmp_path / "other.npz", steps=np.arange(3))
    with pytest.raises(LabError, match="not a ganplay lab replay"):
        load_replay(tmp_path / "other.npz")
    np.savez(tmp_path / "pickled.npz", meta=np.array([{"a": 1}], dtype=object), steps=np.arange(2))
    with pytest.raises(LabError):  # object arrays need pickle: refused
        load_replay(tmp_path / "pickled.npz")
    with pytest.raises(LabError, match="ganplay lab record"):
        load_replay(tmp_path / "missing.npz")


def test_slides_png_and_gif(tiny_replay):
    png = Image.open(io.BytesIO(slides.figure_png(tiny_replay, tiny_replay)))
    assert png.format == "PNG" and png.size == (1200, 900)
    gif = Image.open(io.BytesIO(slides.animation_gif(tiny_replay, tiny_replay)))
    assert gif.format == "GIF" and gif.n_frames == len(tiny_replay)


def _run(seed, verdict, coverage):
    return {"scenario": "ring8", "side": COLLAPSE, "seed": seed, "coverage": coverage,
            "verdict": verdict, "state": "done", "wall_time": 10.0, "final": {}}


def test_reliability_summary_rate_text_and_readme_table(tmp_path):
    summary = measure.summarise([_run(1, "collapsed", 1), _run(0, "collapsed", 0), _run(2, "partial", 4)])
    assert (summary["n"], summary["collapsed"], summary["covered"]) == (3, 2, 0)
    assert summary["mean_coverage"] == pytest.approx(5 / 3, abs=0.01)
    assert [r["seed"] for r in summary["runs"]] == [0, 1, 2]
    data = {"scenarios": {"ring8": {COLLAPSE: {"settings": measure.settings_key("ring8", COLLAPSE),
                                               **summary},
                                    "pacgan": {"settings": "other-settings", **summary}}}}
    assert measure.rate_text("ring8", COLLAPSE, data) == "collapsed (≤ 2 of 8 modes) in 2 of 3 seeds"
    assert measure.rate_text("ring8", "pacgan", data) == "not measured yet"  # measured, but stale
    assert measure.rate_text("ring8", "unrolled", data) == "not measured yet"
    table = measure.table_markdown(data)
    assert "| ring8 | collapse | 2/3 | 0/3 | 1.67 / 8 modes | 10 s |" in table
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- lab:start -->\nold\n<!-- lab:end -->\nrest\n")
    assert measure.write_readme(readme, data) is True
    text = readme.read_text()
    assert "old" not in text and "| ring8 | collapse | 2/3 |" in text and text.endswith("rest\n")
    assert measure.write_readme(readme, data) is False
    stale_only = {"scenarios": {"ring8": {"pacgan": data["scenarios"]["ring8"]["pacgan"]}}}
    for nothing in ({"scenarios": {}}, stale_only):  # no measurement of today's settings: rows kept
        with pytest.raises(LabError, match="no lab measurement"):
            measure.write_readme(readme, nothing)
        assert readme.read_text() == text


def test_merge_drops_runs_of_other_settings_and_sides_no_longer_offered():
    stale = {"settings": "other-settings", **measure.summarise([_run(0, "partial", 4), _run(3, "partial", 5)])}
    data = {"scenarios": {"ring8": {COLLAPSE: stale, "retired-cure": stale}}}
    measure._merge(data, [_run(1, "collapsed", 0)], "ring8", COLLAPSE, jobs=1)
    entry = data["scenarios"]["ring8"]
    assert "retired-cure" not in entry
    assert [r["seed"] for r in entry[COLLAPSE]["runs"]] == [1]  # seeds 0 and 3 were other settings
    assert measure.rate_text("ring8", COLLAPSE, data) == "collapsed (≤ 2 of 8 modes) in 1 of 1 seeds"


def test_the_page_says_what_covered_means_and_how_long_a_pair_took():
    data = measure.load_reliability()  # the shipped measurements
    for name, sc in SCENARIOS.items():
        for side in measure.sides_of(name):
            if side == COLLAPSE:
                continue
            text = measure.rate_text(name, side, data)
            bar = f"all {sc.n_modes:,}" if sc.covered_at_least >= sc.n_modes else f"≥ {sc.covered_at_least:,} of"
            assert text.startswith(f"covered ({bar}"), text
            # README: "Only cures that held up are offered (each covered in at least 4 of 5 seeds)"
            entry = measure.current_entry(data, name, side)
            assert entry["covered"] >= 4 and entry["n"] == 5, (name, side, entry["covered"])
    assert measure.rate_text("grid25", "spectral-norm", data) == "covered (≥ 22 of 25 modes) in 4 of 5 seeds"
    assert measure.rate_text("mnist5k", "spectral-norm", data) == "covered (all 10 classes) in 5 of 5 seeds"
    fake = {"scenarios": {"ring8": {side: {"settings": measure.settings_key("ring8", side), "mean_wall_time": t}
                                    for side, t in ((COLLAPSE, 40.0), ("pacgan", 13.0), ("unrolled", 289.0))}}}
    assert measure.pair_time_text("ring8", (COLLAPSE, "pacgan"), fake) == "under a minute"
    assert measure.pair_time_text("ring8", (COLLAPSE, "unrolled"), fake) == "about 5 minutes", "the slower side"
    assert measure.pair_time_text("ring8", (COLLAPSE, "wgan-gp"), fake) is None, "not measured: no claim"


def test_every_offered_cure_has_settings_for_its_scenario():
    for name, sc in SCENARIOS.items():
        for side in measure.sides_of(name):
            assert side_config(name, side).train.steps == sc.base["train"]["steps"]


def test_every_offered_side_ships_a_replay_that_tells_the_lesson():
    """The page plays these at once: each must load, be of its side's current settings, and end
    the way the lesson says (collapsed on the left, covered on the right)."""
    for name, sc in SCENARIOS.items():
        for side in measure.sides_of(name):
            r = load_replay(replay_path(name, side, measure.REPLAY_DIR))
            assert (r.scenario, r.side, r.seed, r.kind) == (name, side, 0, sc.kind)
            assert Config.from_dict(r.meta["config"]) == side_config(name, side, seed=0), \
                f"{name}/{side}: recorded with other settings; run `ganplay lab record --scenario {name}`"
            assert r.meta["state"] == "done" and r.steps[-1] == sc.base["train"]["steps"]
            assert r.meta["verdict"] == ("collapsed" if side == COLLAPSE else "covered"), (name, side)
            entry = measure.current_entry(measure.load_reliability(), name, side)
            assert entry is not None, f"{name}/{side} is not measured with its current settings"


def test_shipped_reliability_file_matches_the_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme.split("<!-- lab:start -->\n")[1].split("\n<!-- lab:end -->")[0]
    assert block == measure.table_markdown(), "run `ganplay lab table --write-readme`"


def test_cli_lab_list_and_export(tiny_replay, tmp_path, monkeypatch, capsys):
    from ganplay.cli import main

    monkeypatch.setenv("GANPLAY_LAB_REPLAYS", str(tmp_path))
    tiny_replay.save(replay_path("ring8", "pacgan"))
    assert main(["lab", "export", "--scenario", "ring8", "--side", "pacgan", "--out", str(tmp_path / "x.png")]) == 2
    assert "no replay" in capsys.readouterr().err  # the collapse side was never recorded here
    tiny_replay.save(replay_path("ring8", COLLAPSE))
    assert main(["lab", "export", "--scenario", "ring8", "--side", "pacgan", "--out", str(tmp_path / "x.gif")]) == 0
    assert Image.open(tmp_path / "x.gif").n_frames == len(tiny_replay)
    assert main(["lab", "export", "--scenario", "ring8", "--side", "pacgan", "--out", str(tmp_path / "x.jpg")]) == 2
    assert main(["lab", "list"]) == 0
    out = capsys.readouterr().out
    assert "pacgan" in out and "replay" in out
    assert main(["lab", "measure", "--scenario", "ring99"]) == 2


@pytest.mark.parametrize("bad, message", [
    (["--seeds", "0"], "--seeds must be 1..100"),  # measured nothing and rewrote the shipped rates
    (["--seeds", "999999999999"], "--seeds must be 1..100"),  # a MemoryError
    (["--jobs", "-1"], "--jobs must be 1..16"),  # trained, and wrote "-1 runs at a time"
    (["--first-seed", "-1"], "--first-seed must be 0..10000"),
])
def test_cli_lab_measure_refuses_bad_counts_before_it_trains_or_writes(tmp_path, capsys, bad, message):
    from ganplay.cli import main

    results = tmp_path / "reliability.json"
    assert main(["lab", "measure", "--scenario", "ring8", "--results", str(results), *bad]) == 2
    assert message in capsys.readouterr().err
    assert not results.exists()


def test_a_new_measurement_replaces_its_seeds_and_keeps_the_others():
    data = {"scenarios": {"ring8": {COLLAPSE: {"settings": measure.settings_key("ring8", COLLAPSE),
                                               **measure.summarise([_run(0, "collapsed", 1), _run(1, "partial", 4)])}}}}
    measure._merge(data, [_run(1, "collapsed", 2), _run(2, "collapsed", 0)], "ring8", COLLAPSE, jobs=2)
    entry = data["scenarios"]["ring8"][COLLAPSE]
    assert [(r["seed"], r["coverage"]) for r in entry["runs"]] == [(0, 1), (1, 2), (2, 0)]
    assert (entry["n"], entry["collapsed"]) == (3, 3)


_POOL_SCRIPT = """
import os, time, multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from ganplay.cpu import one_thread_worker

def work():
    print(os.getpid(), flush=True)
    time.sleep(120)

if __name__ == "__main__":
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"), initializer=one_thread_worker) as pool:
        pool.submit(work).result()
"""


@pytest.mark.slow  # worker processes
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux's")
def test_measure_workers_die_with_their_parent(tmp_path):
    """Killing `ganplay lab measure` must not leave its trainings running in the background."""
    script = tmp_path / "pool.py"
    script.write_text(_POOL_SCRIPT)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(parent.stdout.readline())
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.kill(worker, 9)
        pytest.fail("the worker outlived its parent")


def test_an_interrupted_run_is_neither_counted_nor_saved_as_a_replay(tiny_replay, tmp_path, monkeypatch):
    import dataclasses

    import ganplay.lab.record as record

    stopped = dataclasses.replace(tiny_replay, meta={**tiny_replay.meta, "state": "stopped"})
    monkeypatch.setattr(record, "record_side", lambda *a, **k: stopped)
    out = tmp_path / "ring8" / "pacgan.npz"
    r = measure._run("ring8", "pacgan", 0, str(out))
    assert r["state"] == "stopped" and "verdict" not in r and not out.exists()
    monkeypatch.setattr(record, "record_side", lambda *a, **k: tiny_replay)
    assert measure._run("ring8", "pacgan", 0, str(out))["verdict"] == tiny_replay.meta["verdict"]
    assert out.exists()
