"""Your own 2D data on the pages (AppTest): the playground's Draw your data mode, step mode on the
drawn set, the Train page's Your points and its messages, the demo's refusal of server paths.
What real mouse strokes do is in test_draw_browser.py."""

from __future__ import annotations

import numpy as np
import pytest

from ganplay import jobs, pointsets
from ganplay.config import Config
from ganplay.dashboard.points_editor import SET_KEY
from ganplay.pointsets import PointSet
from test_dashboard_apptest import app, errors, runs  # noqa: F401  (the fixture)

BLOBS = PointSet(np.concatenate([np.random.default_rng(0).normal(c, 0.1, (60, 2))
                                 for c in [(-2, 0), (2, 0), (0, 2)]]).astype(np.float32))


def test_draw_mode_counts_points_and_finds_their_modes(runs):  # noqa: F811
    at = app("views/playground.py")
    at.segmented_control(key="pg.mode").set_value("Draw your data").run()
    assert any("There are no points yet" in i.value for i in at.info)
    assert [b for b in at.button if b.label == "Train it"][0].disabled
    at.session_state[SET_KEY] = BLOBS
    at.run()
    assert not at.exception
    assert any(c.value.startswith("**180** points") and "**3** modes found" in c.value for c in at.caption)
    assert not [b for b in at.button if b.label == "Train it"][0].disabled
    [b for b in at.button if b.label == "Load"][0].click().run()  # ring8, to edit
    assert any(c.value.startswith("**1,000** points") and "**8** modes found" in c.value for c in at.caption)
    [b for b in at.button if b.label == "Undo"][0].click().run()
    assert any(c.value.startswith("**180** points") for c in at.caption)


def test_step_mode_trains_on_the_drawn_set_and_counts_its_modes(runs):  # noqa: F811
    at = app("views/playground.py")
    at.session_state[SET_KEY] = BLOBS
    at.segmented_control(key="pg.mode").set_value("Step by hand").run()
    at.selectbox(key="pg.step_data").select("points").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["modes covered"].endswith("/ 3")
    [b for b in at.button if b.label == "D + G step"][0].click().run()
    assert {m.label: m.value for m in at.metric}["G steps"] == "1"
    stored = list((runs / ".points").glob("*.csv"))
    assert len(stored) == 1 and np.array_equal(pointsets.read_file(stored[0]).xy, BLOBS.xy)


def test_the_train_form_takes_its_points_from_the_editor(runs):  # noqa: F811
    at = app("views/train.py")
    at.selectbox(key="cfg.data.name").select("points").run()
    assert not at.exception
    assert any("Your points" in e.label for e in at.expander)
    assert any("data.path: `points` needs a CSV" in e for e in errors(at))
    assert [b for b in at.button if b.label == "Start training"][0].disabled
    assert not [t for t in at.text_input if t.key == "cfg.data.path"]  # set by the page, not typed
    at.session_state[SET_KEY] = BLOBS
    at.run()
    assert not any("data.path" in e for e in errors(at))
    assert not [b for b in at.button if b.label == "Start training"][0].disabled
    found = lambda: [c.value for c in at.caption if "modes found" in c.value]  # noqa: E731
    assert "**3** modes found" in found()[0]
    at.number_input(key="cfg.data.modes").set_value(2).run()  # what coverage will count, drawn
    assert "**2** modes found" in found()[0]


def test_the_demo_trains_only_points_stored_by_its_pages(runs, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("GANPLAY_DEMO", "1")
    elsewhere = tmp_path / "secret.csv"
    elsewhere.write_bytes(pointsets.to_csv(BLOBS))
    lim = jobs.limits()
    cfg = Config.from_preset("ring8-gan", ["data.name=points", f"data.path={elsewhere}", "train.steps=100"])
    assert any(e.startswith("data.path: this demo trains only on points drawn or loaded")
               for e in jobs.limit_errors(cfg, lim))
    stored = pointsets.store(BLOBS, runs)
    ok = cfg.with_overrides([f"data.path={stored}"])
    assert not [e for e in jobs.limit_errors(ok, lim) if e.startswith("data.path")]


def test_the_store_keeps_one_file_per_set_and_only_the_newest(tmp_path, monkeypatch):
    monkeypatch.setattr(pointsets, "STORE_KEEP", 3)
    first = pointsets.store(BLOBS, tmp_path)
    assert pointsets.store(BLOBS, tmp_path) == first  # the same set, the same file
    for i in range(4):
        xy = BLOBS.xy + np.float32(i + 1)
        pointsets.store(PointSet(xy), tmp_path)
    assert len(list(pointsets.store_dir(tmp_path).glob("*.csv"))) == 3
    with pytest.raises(pointsets.PointsError, match="no points yet"):
        pointsets.store(PointSet.empty(), tmp_path)


@pytest.mark.parametrize("stroke, says", [
    ({"tool": "spray", "path": [[-5.0, -5.0], [5.0, 5.0]] * 500_000}, "would make 424,020 points"),  # + 180
    ({"tool": "spray", "path": {"x": 1}}, "A stroke is a list of [x, y] positions"),
    ({"tool": "spray", "path": [[0, 0], [1]]}, ""),  # ragged: numpy's own words, nothing raised
    ({"tool": "lasso", "path": [[0, 0]]}, "Unknown tool 'lasso'"),
])
def test_a_forged_stroke_from_the_canvas_is_refused_with_a_reason(monkeypatch, stroke, says):
    from types import SimpleNamespace

    from ganplay.dashboard import points_editor

    state = {"points.canvas": SimpleNamespace(stroke=stroke), SET_KEY: BLOBS}
    monkeypatch.setattr(points_editor.st, "session_state", state)
    points_editor._on_stroke("points")
    assert state[SET_KEY] is BLOBS and says in state[points_editor.ERROR_KEY] and state[points_editor.ERROR_KEY]


def test_a_canvas_stroke_past_the_view_sprays_along_its_edge(monkeypatch):
    from types import SimpleNamespace

    from ganplay.dashboard import points_editor

    state = {"points.canvas": SimpleNamespace(stroke={"tool": "spray", "path": [[0, 0], [666, 0]]}),
             "points.spread": 0.0}
    monkeypatch.setattr(points_editor.st, "session_state", state)
    points_editor._on_stroke("points")
    assert len(state[SET_KEY]) == 150 and state[SET_KEY].xy[:, 0].max() == pointsets.VIEW


def test_strokes_sent_again_until_acknowledged_are_applied_once_each(monkeypatch):
    """Quick clicks reach the server as one trigger value, the newest: the canvas numbers its
    strokes and sends the unacknowledged ones again, and the server applies each id once."""
    from types import SimpleNamespace

    from ganplay.dashboard import points_editor

    state = {}
    monkeypatch.setattr(points_editor.st, "session_state", state)

    def send(*ids):
        state["points.canvas"] = SimpleNamespace(stroke={"strokes": [
            {"id": i, "tool": "point", "path": [[i / 10, 0.0]]} for i in ids]})
        points_editor._on_stroke("points")
        return sorted(round(float(x), 1) for x in state[SET_KEY].xy[:, 0])

    assert send(1) == [0.1]
    assert send(1, 2, 3) == [0.1, 0.2, 0.3], "1 was applied: only 2 and 3 are new"
    assert send(2, 3, 4) == [0.1, 0.2, 0.3, 0.4] and state["points.applied"] == 4
    many = list(range(5, 5 + 3 * points_editor.MAX_STROKES_AT_ONCE))
    assert len(send(*many)) == 4 + points_editor.MAX_STROKES_AT_ONCE, "a forged backlog is cut to the newest"
