"""The mode collapse lab page under Streamlit's AppTest: real (tiny) recorded replays, choosing a
lesson, the timeline, Play, missing and broken replays, presenter view, exports, live training."""

from __future__ import annotations

import base64
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import servers
from ganplay import jobs
from ganplay.dashboard import lab_view as lv
from ganplay.lab import play
from ganplay.lab.replay import load_replay, replay_path
from ganplay.lab.scenarios import COLLAPSE, CURES, WHAT_IS_COLLAPSE

MAIN = Path(__file__).resolve().parents[1] / "ganplay" / "dashboard" / "main.py"
CURE = "pacgan"  # the recorded cure (cheap: same step cost as the vanilla GAN)


@pytest.fixture(scope="session")
def recorded(tmp_path_factory):
    """ring8's vanilla GAN and its PacGAN cure, trained 150 steps, 4 frames each (a few seconds)."""
    import torch

    from ganplay.lab.record import record_side

    root = tmp_path_factory.mktemp("lab-replays")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # another engineer's trainings share these 2 cores
    try:
        for side in (COLLAPSE, CURE):
            record_side("ring8", side, seed=0, steps=150, frames=3).save(replay_path("ring8", side, root))
    finally:
        torch.set_num_threads(threads)
    return root


@pytest.fixture
def lab_env(recorded, tmp_path, monkeypatch):
    for name in ("GANPLAY_DEMO", "SPACE_ID", "GANPLAY_MAX_JOBS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("GANPLAY_LAB_REPLAYS", str(recorded))
    monkeypatch.setenv("GANPLAY_RUNS", str(tmp_path / "runs"))
    return recorded


def lab(query: dict | None = None, cure: str | None = CURE) -> AppTest:
    at = AppTest.from_file(str(MAIN), default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page("views/collapse_lab.py").run()
    ok(at)
    if cure:
        at.selectbox(key="lab.cure").select(cure).run()
        ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def coverage_metrics(at: AppTest) -> list[tuple[str, str]]:
    """(label, value) of the two big coverage numbers, left then right."""
    return [(m.label, m.value) for m in at.metric if m.label.startswith("modes covered")]


def slider(at: AppTest):
    """The timeline (its key changes whenever Play moves it)."""
    found = [s for s in at.select_slider if s.label == "Training step"]
    assert len(found) == 1
    return found[0]


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info])


def assert_changes(at: AppTest, words: list[str], lines: list[str]) -> None:
    """What the right side changes, in plain words; the config lines only in the tooltip."""
    assert not at.code, "no config lines on the page itself"
    head = [m for m in at.markdown if m.value.startswith("**The right side is the left's GAN")]
    assert len(head) == 1 and all(line in head[0].help for line in lines), [m.help for m in head]
    bullets = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert bullets == ["\n".join(f"- {w}" for w in words)]
    assert not any(line in texts(at) for line in lines)


def test_the_timeline_moves_both_sides_through_the_recorded_numbers(lab_env):
    left, right = (load_replay(replay_path("ring8", s, lab_env)) for s in (COLLAPSE, CURE))
    at = lab()
    steps = [int(s) for s in slider(at).options]
    assert steps == [int(s) for s in left.steps] == [0, 50, 100, 150]
    assert slider(at).value == 0, "opens at the start of the recording, ready to play (issue 18)"
    assert [label for label, _ in coverage_metrics(at)] == ["modes covered"] * 2, "the slider names the step"
    assert not [c for c in at.caption if c.value.startswith("measured at step")]
    shown = []
    for i, step in enumerate(steps):
        slider(at).set_value(step).run()
        ok(at)
        (_, l_value), (_, r_value) = coverage_metrics(at)
        assert l_value == f"{lv.fmt(left.coverage[i])} / 8"
        assert r_value == f"{lv.fmt(right.coverage[i])} / 8"
        shown.append((l_value, r_value))
    # what the page shows follows the recording, frame by frame (these tiny runs do change)
    assert len(set(shown)) == len({(float(a), float(b)) for a, b in zip(left.coverage, right.coverage)}) > 1
    # the two sides and exactly what differs between them
    headers = [m.value for m in at.markdown if m.value.startswith("### ")]
    assert headers == [f"### :red[{lv.side_title(COLLAPSE)}]", f"### :blue[Cure: {CURES[CURE].title}]"]
    assert_changes(at, ["D judges 2 samples at a time (PacGAN)"], ["model.pack=2"])
    assert CURES[CURE].why in texts(at) and WHAT_IS_COLLAPSE in texts(at)
    # why "8 / 8 modes" can sit beside a low share of high-quality samples: only where a side does
    # that (the tiny runs here reach at most a few modes)
    assert not [c for c in at.caption if "beside" in c.value and "high-quality samples?" in c.value]
    # each chart says what it measures and which way is better
    assert texts(at).count(lv.coverage_caption(lv.scenario("ring8"))) == 2
    assert "higher is better" in lv.coverage_caption(lv.scenario("ring8"))
    assert "VEEGAN Table 1" in texts(at), "the published numbers are near the charts"
    # each side's measured rate, as the reliability record the page reads has it
    from ganplay.lab.measure import load_reliability, rate_text

    record = load_reliability()
    measured = [c.value for c in at.caption if c.value.startswith("Measured: ")]
    assert measured == [f"Measured: {rate_text('ring8', side, record)}" for side in (COLLAPSE, CURE)]


def test_every_mode_touched_by_a_blur_is_said_where_it_happens(lab_env, tmp_path, monkeypatch):
    from lab_fixtures import STEPS, synthetic_replay

    root = tmp_path / "replays"
    for i, (side, coverage) in enumerate(((COLLAPSE, [0, 1, 1]), (CURE, [0, 8, 8]))):
        rep = synthetic_replay("ring8", side, coverage, seed=i)
        if side == CURE:  # all 8 modes at steps 1 and 2, but few samples near any at step 1
            rep.series["hq"] = np.array([0.0, 0.1, 0.9], dtype=np.float32)
        rep.save(replay_path("ring8", side, root))
    monkeypatch.setenv("GANPLAY_LAB_REPLAYS", str(root))
    at = lab()
    why = lambda: [c.value for c in at.caption if "high-quality samples?" in c.value]  # noqa: E731
    assert why() == [], "at step 0 (0 / 8 modes) nothing is covered: no need to explain"
    slider(at).set_value(STEPS[1]).run()
    ok(at)
    assert lv.touched_not_sharp(8, 8, 0.1, "modes") in texts(at)
    assert "All 8 modes are touched, but only 10% of the samples lie near one" in lv.touched_not_sharp(8, 8, 0.1, "modes")
    assert why() and why()[0].startswith("**8 / 8 modes beside 10% high-quality samples?**")
    slider(at).set_value(STEPS[2]).run()
    assert "are touched, but only" not in texts(at) and why() == []


def test_the_warning_fires_at_the_lessons_covered_line_not_only_at_full(lab_env, tmp_path, monkeypatch):
    from lab_fixtures import STEPS, synthetic_replay

    root = tmp_path / "replays"
    for i, (side, coverage) in enumerate(((COLLAPSE, [0, 1, 1]), (CURE, [0, 7, 6]))):
        rep = synthetic_replay("ring8", side, coverage, seed=i)
        if side == CURE:  # 7 of 8 (ring8 "covered" is >= 7), then 6 of 8: both with few sharp samples
            rep.series["hq"] = np.array([0.0, 0.02, 0.02], dtype=np.float32)
        rep.save(replay_path("ring8", side, root))
    monkeypatch.setenv("GANPLAY_LAB_REPLAYS", str(root))
    at = lab()
    slider(at).set_value(STEPS[1]).run()
    ok(at)
    assert "7 of the 8 modes are touched, but only 2% of the samples lie near one" in texts(at)
    slider(at).set_value(STEPS[2]).run()
    ok(at)
    assert "are touched, but only" not in texts(at), "6 of 8 is under the lesson's covered line"


def test_choosing_the_cure_and_the_data_and_missing_replays(lab_env):
    at = lab()
    assert len(coverage_metrics(at)) == 2
    at.selectbox(key="lab.cure").select("unrolled").run()
    ok(at)
    assert len(coverage_metrics(at)) == 1, "the vanilla side still plays"
    warning = [w.value for w in at.warning]
    assert len(warning) == 1 and "No recorded replay for Cure: Unrolled D steps" in warning[0]
    assert "`ganplay lab record --scenario ring8`" in warning[0]
    assert_changes(at, ["G looks 5 steps ahead of D (unrolled GAN)"], ["optim.unroll=5"])

    at.selectbox(key="lab.scenario").select("grid25").run()
    ok(at)
    # the grid offers only its reliable cures: the picker falls back to the first of them
    assert at.selectbox(key="lab.cure").options == ["Spectral norm", "WGAN-GP"]
    assert at.selectbox(key="lab.cure").value == "spectral-norm"
    assert not coverage_metrics(at)
    warning = [w.value for w in at.warning]
    assert len(warning) == 2 and all("ganplay lab record --scenario grid25" in w for w in warning)
    [b for b in at.button if b.label == "Train this pair live instead"][0].click().run()
    ok(at)
    assert at.segmented_control(key="lab.mode").value == "Train live"
    assert [b for b in at.button if b.label == "Train this pair live"]


def test_a_side_recorded_less_often_says_when_its_number_was_measured(tmp_path, monkeypatch):
    at, _ = image_lesson("digits", "classes", 10, [2, 5, 3], [4, 9], tmp_path, monkeypatch)
    steps = lambda: [c.value for c in at.caption if c.value.startswith("measured at")]  # noqa: E731
    assert steps() == []
    slider(at).set_value(1500).run()
    ok(at)
    assert [m.value for m in at.metric if m.label == "classes covered"] == ["3 / 10", "9 / 10"]
    assert steps() == ["measured at step 750"], "the cure's last frame is from step 750, not the slider's 1,500"


def test_a_broken_replay_says_so(lab_env, tmp_path, monkeypatch):
    root = tmp_path / "replays"
    shutil.copytree(lab_env, root)
    (root / "ring8" / f"{CURE}.npz").write_bytes(b"PK\x03\x04 this is not a replay")
    monkeypatch.setenv("GANPLAY_LAB_REPLAYS", str(root))
    at = lab()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "cannot be read" in errors[0] and "not a ganplay lab replay" in errors[0]
    assert len(coverage_metrics(at)) == 1


def test_play_advances_the_timeline_and_stops_at_the_end(lab_env, monkeypatch):
    monkeypatch.setattr(lv, "PLAY_EVERY_S", 0.05)
    at = lab()
    seen = [slider(at).value]
    assert seen == [0], "it opens at the start"
    [b for b in at.button if b.label == "Play"][0].click().run()
    ok(at)
    assert at.session_state["lab.playing"] == ("ring8", CURE)
    assert [b for b in at.button if b.label == "Pause"], "Play turns into Pause"
    seen.append(slider(at).value)
    deadline = time.monotonic() + 30
    while at.session_state["lab.playing"] and time.monotonic() < deadline:
        time.sleep(0.06)
        at.run()  # stands in for the fragment's timer
        ok(at)
        seen.append(slider(at).value)
    assert at.session_state["lab.playing"] is None, "it stops by itself"
    distinct = [v for k, v in enumerate(seen) if k == 0 or v != seen[k - 1]]
    assert distinct == [0, 50, 100, 150], f"one frame at a time, forwards, to the end: {seen}"
    assert slider(at).value == 150 and at.session_state[f"lab.pos.ring8.{CURE}"] == 150
    assert [b for b in at.button if b.label == "Play"]
    # Play at the end starts again from the beginning; Pause stops it where it is
    [b for b in at.button if b.label == "Play"][0].click().run()
    assert slider(at).value in (0, 50)
    [b for b in at.button if b.label == "Pause"][0].click().run()
    assert at.session_state["lab.playing"] is None
    held = slider(at).value
    time.sleep(0.1)
    at.run()
    assert slider(at).value == held


def chart_layouts(at: AppTest) -> dict[str, dict]:
    """Each Plotly chart's layout by its key (the element id is "$$ID-<hash>-<key>")."""
    return {c.proto.id.split("-", 2)[-1]: json.loads(c.proto.spec)["layout"] for c in at.get("plotly_chart")}


def plotly_array(value) -> np.ndarray:
    """A Plotly JSON array: a list, or {"dtype", "bdata"} (base64) for numpy input."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value)


def page_styles(at) -> list[str]:
    """The lab page's own <style> blocks (main.py adds one of its own to every page)."""
    from ganplay.dashboard.widgets import PAGE_CSS

    return [h.proto.body for h in at.get("html") if h.proto.body != PAGE_CSS]


def test_presenter_view_from_the_query_parameter_and_the_toggle(lab_env):
    at = lab(query={"presenter": "1", "cure": CURE}, cure=None)
    styles = page_styles(at)
    assert len(styles) == 1 and 'data-testid="stSidebar"' in styles[0]
    # the figures, the big numbers, Play and the timeline; no other control (issue 18)
    assert not at.toggle and not at.selectbox and not at.get("segmented_control") and not at.number_input
    assert [b.label for b in at.button] == ["Play"] and len(at.select_slider) == 1
    assert not at.get("download_button")
    assert all(not m.help for m in at.metric), "no tooltip icons either"
    assert len(coverage_metrics(at)) == 2 and [c.value for c in at.caption if "higher is better" in c.value] == []
    leave = at.get("page_link")
    assert len(leave) == 1 and leave[0].proto.label == "Leave presenter view"
    assert f"cure={CURE}" in leave[0].proto.query_string and "presenter" not in leave[0].proto.query_string
    big = chart_layouts(at)

    # the normal view, as the link opens it: the lesson from the URL, every control back
    at.query_params.clear()
    at.query_params.update({"data": "ring8", "cure": CURE})
    at.run()
    ok(at)
    assert page_styles(at) == [lv.PHONE_CSS], "the chrome is back"
    assert at.selectbox(key="lab.cure").value == CURE and at.toggle(key="lab.presenter").value is False
    small = chart_layouts(at)
    assert set(big) == set(small) and len(big) == 4  # samples and coverage, both sides
    for key in big:
        assert big[key]["height"] > small[key]["height"] and big[key]["font"]["size"] > small[key]["font"]["size"]
    # the toggle writes the bookmark: presenter view and the lesson it shows
    at.selectbox(key="lab.scenario").select("grid25").run()
    assert at.query_params.get("data") in ("grid25", ["grid25"])
    at.toggle(key="lab.presenter").set_value(True).run()
    ok(at)
    assert at.query_params.get("presenter") in ("1", ["1"])
    assert at.query_params.get("cure") in ("spectral-norm", ["spectral-norm"])
    assert not at.selectbox and not at.toggle and page_styles(at) == [lv.PRESENTER_CSS]
    assert [m.value for m in at.markdown if m.value.startswith("**Grid of 25")], "the lesson chosen before"


def test_presenter_view_of_live_mode_has_no_controls_either(lab_env):
    at = lab(query={"presenter": "1", "mode": "live", "data": "grid25"}, cure=None)
    assert not at.button and not at.number_input and not at.toggle and not at.selectbox
    assert any("Nothing of this lesson has trained here yet" in i.value for i in at.info)
    assert [m.value for m in at.markdown if m.value.startswith("**Grid of 25")]
    assert "mode=live" in at.get("page_link")[0].proto.query_string


def test_export_buttons_download_files_drawn_on_click(lab_env):
    at = lab()
    buttons = {b.proto.label: b.proto for b in at.get("download_button")}
    assert set(buttons) == {"PNG of this moment", "Animated GIF"}
    assert all(b.deferred_file_id and b.ignore_rerun for b in buttons.values()), \
        "drawn when pressed (not on every rerun), and pressing does not rerun the page"
    at.selectbox(key="lab.cure").select("unrolled").run()  # no replay on the right: nothing to export
    assert not at.get("download_button")


@pytest.fixture
def kill_jobs(lab_env, tmp_path):
    yield tmp_path / "runs"
    servers.kill_jobs(tmp_path / "runs")


@pytest.mark.slow
def test_train_live_starts_both_sides_and_shows_their_coverage(kill_jobs):
    root = kill_jobs
    at = lab()
    at.segmented_control(key="lab.mode").set_value("Train live").run()
    ok(at)
    assert any("Nothing of this lesson has trained here yet" in i.value for i in at.info)
    at.number_input(key="lab.steps.ring8").set_value(100).run()
    [b for b in at.button if b.label == "Train this pair live"][0].click().run()
    ok(at)
    started = at.session_state["lab.live"]
    assert set(started) == {COLLAPSE, CURE}
    # the run that pressed Start draws the pair at once (it said "Nothing ... yet" until a reload)
    assert not any("Nothing of this lesson has trained here yet" in i.value for i in at.info)
    assert not any(i.value == "Not started." for i in at.info)
    shown = [m.value for m in at.markdown if "`" in m.value and "lab-ring8-" in m.value]
    assert len(shown) == 2 and any("collapse" in m for m in shown) and any(CURE in m for m in shown), shown
    at.run()  # (the jobs are still importing torch) a second pair waits for this one
    again = [b for b in at.button if b.label == "Train this pair live"][0]
    assert again.disabled and "still training" in again.help

    def finished():
        runs = [r for r in jobs.list_runs(root) if r.kind == "run"]
        return len(runs) == 2 and all(r.state == "done" for r in runs) and runs

    deadline = time.monotonic() + 180
    while not (runs := finished()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert runs, [(r.name, r.state, r.note) for r in jobs.list_runs(root)]
    by_name = {r.config["name"]: r for r in runs}
    assert set(by_name) == {"lab-ring8-collapse", f"lab-ring8-{CURE}"}
    assert by_name[f"lab-ring8-{CURE}"].config["model"]["pack"] == 2
    assert by_name["lab-ring8-collapse"].config["model"]["pack"] == 1
    at.run()
    ok(at)
    metrics = coverage_metrics(at)
    assert len(metrics) == 2
    assert [c.value for c in at.caption if c.value.startswith("measured at")] == ["measured at step 100"] * 2, \
        "live, each side says when its number was measured (the progress bar's step runs ahead of it)"
    for (label, value), side in zip(metrics, (COLLAPSE, CURE)):
        rows = by_name[f"lab-ring8-{side}"].run.read_metrics()
        xs, ys = play.live_coverage(rows, lv.scenario("ring8"))
        assert xs[-1] == 100 and len(xs) >= lv.LIVE_EVALS and value == f"{lv.fmt(ys[-1])} / 8"
    charts = [c.proto.id for c in at.get("plotly_chart")]
    assert any("lab-live-coverage-collapse" in c for c in charts) and any(f"lab-live-coverage-{CURE}" in c for c in charts)


def image_lesson(kind: str, unit: str, full: int, left: list, right: list, tmp_path, monkeypatch):
    """The page opened on a synthetic lesson of an image kind, its sides' coverage per frame given."""
    from dataclasses import replace

    from ganplay.lab.scenarios import SCENARIOS, Cure
    from lab_fixtures import image_replay

    name, cure = f"test-{kind}", "minibatch-std"
    monkeypatch.setitem(SCENARIOS, name, replace(SCENARIOS["ring8"], name=name, title=f"Test {kind}", kind=kind,
                                                 unit=unit, n_modes=full, anchors=(), cures=(cure,),
                                                 kl_anchors=SCENARIOS["stacked-mnist"].kl_anchors if kind == "stacked"
                                                 else ()))
    monkeypatch.setitem(CURES, cure, Cure(cure, CURES[cure].title, CURES[cure].why,
                                          {**CURES[cure].overrides, name: ("model.minibatch_std=true",)}))
    for side, cov in ((COLLAPSE, left), (cure, right)):
        image_replay(name, side, kind, cov).save(replay_path(name, side, tmp_path))
    monkeypatch.setenv("GANPLAY_LAB_REPLAYS", str(tmp_path))
    at = lab(cure=None)
    at.selectbox(key="lab.scenario").select(name).run()
    ok(at)
    return at, cure


@pytest.mark.parametrize("kind,unit,full", [("digits", "classes", 10), ("stacked", "modes", 1000)])
def test_image_lessons_show_grids_and_their_own_counts(kind, unit, full, tmp_path, monkeypatch):
    """The page shows any lesson of the image kinds (synthetic replays here, so the test is fast)."""
    left = [2, 5, 3] if kind == "digits" else [100, 400, 250]
    right = [4, 9, 10] if kind == "digits" else [200, 700, 990]
    at, cure = image_lesson(kind, unit, full, left, right, tmp_path, monkeypatch)
    label = "classes covered" if unit == "classes" else "modes covered"
    values = [(m.label, m.value) for m in at.metric if m.label.startswith(label)]
    assert values == [(label, f"{left[0]:,} / {full:,}"), (label, f"{right[0]:,} / {full:,}")], \
        "it opens at the start"
    slider(at).set_value(1500).run()
    ok(at)
    values = [(m.label, m.value) for m in at.metric if m.label.startswith(label)]
    assert values == [(label, f"{left[-1]:,} / {full:,}"), (label, f"{right[-1]:,} / {full:,}")]
    assert not [m for m in at.metric if m.label == "high-quality samples"], "2D only"
    kl = [m.value for m in at.metric if m.label == "uneven spread (KL)"]
    if kind == "stacked":  # an even spread over the covered triples: log(1000 / modes)
        assert kl == [f"{np.log(1000 / left[-1]):.2f}", f"{np.log(1000 / right[-1]):.2f}"]
    else:
        assert kl == [], "Stacked MNIST only"
    assert len(at.get("image")) == 2, "the sample grids"
    charts = chart_layouts(at)
    expected = {f"lab-coverage-{COLLAPSE}", f"lab-coverage-{cure}"}
    if kind == "digits":
        expected |= {f"lab-hist-{COLLAPSE}", f"lab-hist-{cure}"}
    assert set(charts) == expected
    hist = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.id.endswith(f"lab-hist-{COLLAPSE}")]
    if kind == "digits":
        bars = plotly_array(hist[0]["data"][0]["y"])
        assert list(bars[:3]) == pytest.approx([100 / 3] * 3) and sum(bars) == pytest.approx(100)
        assert texts(at).count(lv.hist_caption(10)) == 2, "the histogram says what it shows"
    else:
        kl_help = [m.help for m in at.metric if m.label == "uneven spread (KL)"][0]
        assert kl_help.count("Lower is better") == 1
        assert "Published: DCGAN 3.4 (VEEGAN Table 2)" in kl_help and "WGAN-GP 0.148 (GDPP Table 3)" in kl_help
    slider(at).set_value(750).run()
    assert [m.value for m in at.metric if m.label.startswith(label)] == [f"{left[1]:,} / {full:,}",
                                                                        f"{right[1]:,} / {full:,}"]


def shipped_lab(scenario_name: str, tmp_path, monkeypatch):
    """The lab page on the replays that ship with ganplay (not the test fixtures'), at a lesson."""
    for name in ("GANPLAY_DEMO", "SPACE_ID", "GANPLAY_LAB_REPLAYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GANPLAY_RUNS", str(tmp_path / "runs"))
    at = lab(cure=None)
    at.selectbox(key="lab.scenario").select(scenario_name).run()
    ok(at)
    return at


def test_shipped_stacked_mnist_end_a_wobble_is_grey_and_the_left_never_drew_a_digit(tmp_path, monkeypatch):
    """The shipped Stacked MNIST pair at its end: the cure's 971 vs its best 985 is a grey wobble,
    not a red fall; the fully connected left side gets no DCGAN number and says it drew no digit."""
    at = shipped_lab("stacked-mnist", tmp_path, monkeypatch)
    slider(at).set_value(3000).run()
    ok(at)
    left, right = [m for m in at.metric if m.label == "modes covered"]
    assert (left.value, right.value) == ("1 / 1,000", "971 / 1,000")
    from streamlit.proto.Metric_pb2 import Metric

    assert right.proto.delta == "-14" and right.proto.color == Metric.MetricColor.GRAY
    assert right.proto.direction == Metric.MetricDirection.NONE, "no arrow for a wobble"
    charts = {c.proto.id.split("-", 2)[-1]: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    notes = lambda key: [a.get("text", "") for a in charts[key]["layout"].get("annotations", [])]  # noqa: E731
    assert not [t for t in notes(f"lab-coverage-{COLLAPSE}") if "published" in t], "99 is a DCGAN's number"
    assert [t for t in notes("lab-coverage-wgan-gp") if t.startswith("published")]
    said = [m.value for m in at.markdown if "no digit-like picture" in m.value]
    assert len(said) == 1 and "counts as 1 mode." in said[0], "the left side only"
    assert "(of 1,000)" in texts(at)


def test_the_grid_opens_without_a_high_quality_share_on_one_mode(tmp_path, monkeypatch):
    at = shipped_lab("grid25", tmp_path, monkeypatch)
    assert slider(at).value == 0
    assert [m.value for m in at.metric if m.label == lv.HQ_LABEL] == ["—", "—"], "not 74% on the centre blob"
    assert texts(at).count("an untrained G sits in the middle") == 2
    charts = {c.proto.id.split("-", 2)[-1]: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    hq = [t for t in charts[f"lab-coverage-{COLLAPSE}"]["data"] if t.get("meta") == f"hq:{COLLAPSE}"][0]
    assert hq["y"] == [None], "no share drawn either"
    # the picture says what it draws beside what is counted
    assert texts(at).count("500 of G's samples, touching 1 of the 25 grey modes") == 2
    slider(at).set_value(3000).run()
    ok(at)
    assert [m.value for m in at.metric if m.label == lv.HQ_LABEL] == ["1%", "3%"]
    assert "500 of G's samples, touching 14 of the 25 grey modes" in texts(at)
    assert "24 of the 25 modes are touched, but only 3% of the samples lie near one" in texts(at)
