"""Your own 2D data (`data.name=points`): the CSV, strokes, found modes, and runs that keep their set."""

import json
import shutil
import time
import tracemalloc

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ganplay import pointsets
from ganplay.config import Config, ConfigError
from ganplay.pointsets import PointSet, PointsError


def three_blobs(n: int = 200, std: float = 0.1, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(c, std, (n, 2)) for c in [(-2, 0), (2, 0), (0, 2)]]).astype(np.float32)


def write_csv(tmp_path, xy: np.ndarray) -> str:
    path = tmp_path / "mine.csv"
    path.write_bytes(pointsets.to_csv(PointSet(xy)))
    return str(path)


# -- the CSV ----------------------------------------------------------------------------------
def test_csv_with_and_without_header_and_labels():
    a = pointsets.parse_csv(b"x,y\n1,2\n3.5,-4\n")
    assert a.xy.tolist() == [[1, 2], [3.5, -4]] and a.labels is None
    b = pointsets.parse_csv(b"1,2,0\n3,4,1\n\n")
    assert b.xy.dtype == np.float32 and b.labels.tolist() == [0, 1]


@pytest.mark.parametrize("raw, says", [
    (b"", "holds no points"),
    (b"x,y\n", "holds no points"),
    (b"x\n1\n2\n", "one column"),
    (b"1,2\n3,abc\n", "Row 2: 'abc' is not a number"),
    (b"1,2\nnan,3\n", "Row 2: nan is not a finite number"),
    (b"1,2\n3,inf\n", "not a finite number"),
    (b"1,2\n3,4,5\n", "Row 2 has 3 columns"),
    (b"1,2,a\n", "label 'a' is not a whole number"),
    (b"\xff\xfe\x00\x01", "not UTF-8"),
    (b"1,2\n5000,1\n", "within"),
])
def test_bad_csvs_say_what_is_wrong(raw, says):
    with pytest.raises(PointsError, match=says):
        pointsets.parse_csv(raw)


def test_too_many_points_and_too_big_a_file_are_refused():
    rows = "\n".join("0.5,0.5" for _ in range(pointsets.MAX_POINTS + 1)).encode()
    with pytest.raises(PointsError, match="20,001 points; the limit is 20,000"):
        pointsets.parse_csv(rows)
    with pytest.raises(PointsError, match="the limit is 1 MB"):
        pointsets.parse_csv(b"1,2\n" * 300_000)


@pytest.mark.parametrize("xy, says", [
    (np.zeros((0, 2), np.float32), "no points yet"),
    (np.array([[1.0, 2.0]], np.float32), "1 point is not a distribution"),
    (np.ones((50, 2), np.float32), "same place"),
])
def test_sets_that_cannot_train_say_why(xy, says):
    with pytest.raises(PointsError, match=says):
        pointsets.checked(PointSet(xy))


@settings(max_examples=30, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(1, 40), st.just(2)),
              elements=st.floats(-999, 999, width=32, allow_nan=False)))
def test_csv_round_trips_every_float32_exactly(xy):
    back = pointsets.parse_csv(pointsets.to_csv(PointSet(xy)))
    assert np.array_equal(back.xy, xy)


# -- strokes ----------------------------------------------------------------------------------
def test_a_click_adds_one_point_where_it_was():
    ps = pointsets.apply_stroke(PointSet.empty(), "point", [[1.0, -1.0]], spread=0.2, seed=0)
    assert ps.xy.tolist() == [[1.0, -1.0]]


def test_spray_lays_points_along_the_stroke_with_the_spread():
    path = [[-2.0, 0.0], [2.0, 0.0]]  # 4 units long
    ps = pointsets.apply_stroke(PointSet.empty(), "spray", path, spread=0.1, seed=1)
    assert len(ps) == 4 * pointsets.SPRAY_PER_UNIT
    assert abs(float(ps.xy[:, 1].std()) - 0.1) < 0.03  # the spread across the stroke
    assert -2.5 < ps.xy[:, 0].min() < -1.5 and 1.5 < ps.xy[:, 0].max() < 2.5
    again = pointsets.apply_stroke(PointSet.empty(), "spray", path, spread=0.1, seed=1)
    assert np.array_equal(ps.xy, again.xy)  # seeded


def test_erase_removes_only_the_points_near_its_path():
    ps = PointSet(np.array([[0, 0], [0.05, 0], [3, 3]], np.float32))
    left = pointsets.apply_stroke(ps, "erase", [[-1.0, 0.0], [1.0, 0.0]], spread=0.1, seed=0)
    assert left.xy.tolist() == [[3, 3]]


def test_the_eraser_reaches_erase_radius_of_the_spread_and_never_less_than_its_minimum():
    assert pointsets.erase_radius(0.3) == pytest.approx(pointsets.ERASE_RADIUS_STDS * 0.3)
    assert pointsets.erase_radius(0.0) == pointsets.erase_radius(0.01) == pointsets.ERASE_MIN_RADIUS
    r = pointsets.erase_radius(0.3)
    ps = PointSet(np.array([[0, r * 0.99], [0, r * 1.01]], np.float32))  # just inside, just outside
    assert pointsets.apply_stroke(ps, "erase", [[0.0, 0.0]], spread=0.3, seed=0).xy.tolist() == [ps.xy[1].tolist()]


def test_check_size_refuses_past_the_cap_naming_the_file():
    pointsets.check_size(pointsets.MAX_CSV_BYTES)  # at the cap: fine
    with pytest.raises(PointsError, match=r"^mine.csv is 2.5 MB; the limit is 1 MB \(about 20,000 points\)\.$"):
        pointsets.check_size(2_500_000, "mine.csv")
    with pytest.raises(PointsError, match="^The file is"):
        pointsets.check_size(pointsets.MAX_CSV_BYTES + 1)


def test_a_stroke_past_the_cap_changes_nothing():
    full = PointSet(np.zeros((pointsets.MAX_POINTS - 1, 2), np.float32))
    with pytest.raises(PointsError, match="the limit is 20,000"):
        pointsets.apply_stroke(full, "spray", [[-4.0, 0.0], [4.0, 0.0]], 0.1, 0)
    assert len(full) == pointsets.MAX_POINTS - 1


def _peak_bytes(fn):
    """`fn()`'s result (or its PointsError) and the peak of memory Python allocated meanwhile."""
    tracemalloc.start()
    try:
        try:
            out = fn()
        except PointsError as exc:
            out = exc
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


ZIGZAG = np.array([[-5.0, -5.0], [5.0, 5.0]] * 500)  # 1,000 positions, corner to corner: 14,128 units


def test_a_forged_long_spray_is_refused_before_its_points_are_made():
    # the old engine made all 423,840 points (tens of MB; a 10^6-unit stroke took 2 GB) to refuse them
    pointsets.stroke_path(ZIGZAG.tolist() * 2)  # warm: what thinning imports the first time
    refused, peak = _peak_bytes(lambda: pointsets.apply_stroke(PointSet.empty(), "spray", ZIGZAG, 0.1, 0))
    assert isinstance(refused, PointsError) and "would make 423,840 points" in str(refused)
    assert peak < 250_000
    forged = (ZIGZAG.tolist() * 1000)  # a million positions, as a page receives them (parsed JSON)
    refused, peak = _peak_bytes(lambda: pointsets.apply_stroke(PointSet.empty(), "spray", forged, 0.1, 0))
    assert isinstance(refused, PointsError) and "the limit is 20,000" in str(refused)
    assert peak < 250_000  # only MAX_STROKE_VERTICES of them are converted


def test_a_stroke_past_the_view_runs_along_its_edge_and_adds_no_points_out_there():
    v = pointsets.VIEW
    far = pointsets.apply_stroke(PointSet.empty(), "spray", [[0, 0], [666, 0]], 0.0, 0)
    assert len(far) == round(v * pointsets.SPRAY_PER_UNIT)  # 5 units inside the view, not 666
    assert far.xy[:, 0].min() == 0 and far.xy[:, 0].max() == v and not far.xy[:, 1].any()
    clicks = pointsets.apply_stroke(PointSet.empty(), "point", [[1, 1], [v + 2, 0], [0, -1e9]], 0.0, 0)
    assert clicks.xy.tolist() == [[1, 1]]
    near_edge = PointSet(np.array([[v - 0.05, 3.0], [0, 0]], np.float32))
    left = pointsets.apply_stroke(near_edge, "erase", [[2 * v, -2 * v], [2 * v, 2 * v]], 0.0, 0)
    assert left.xy.tolist() == [[0, 0]]  # the eraser followed the right edge


def test_a_long_stroke_is_thinned_evenly_keeping_its_ends():
    line = np.stack([np.linspace(-4, 4, 5_000), np.zeros(5_000)], axis=1)
    thin = pointsets.stroke_path(line)
    assert len(thin) == pointsets.MAX_STROKE_VERTICES
    assert thin[0].tolist() == [-4, 0] and thin[-1].tolist() == [4, 0]
    assert np.diff(thin[:, 0]).max() < 2.01 * 8 / pointsets.MAX_STROKE_VERTICES  # evenly: no gaps
    sprayed = pointsets.apply_stroke(PointSet.empty(), "spray", line, 0.1, 0)
    assert len(sprayed) == 8 * pointsets.SPRAY_PER_UNIT  # as long as the stroke it came from
    dotted = pointsets.apply_stroke(PointSet.empty(), "point", line[:1_500], 0.0, 0)
    assert len(dotted) == pointsets.MAX_STROKE_VERTICES
    with pytest.raises(TypeError, match="list of"):
        pointsets.stroke_path({"x": 1})


def _old_distance_to_path(xy, path):
    """The engine's erase before it was bounded: (N, M, 2) temporaries, kept as the reference."""
    if len(path) == 1:
        return np.linalg.norm(xy - path[0], axis=1)
    a, b = path[:-1], path[1:]
    ab = b - a
    denom = np.maximum((ab * ab).sum(axis=1), 1e-12)
    t = np.clip(((xy[:, None, :] - a[None]) * ab[None]).sum(axis=2) / denom[None], 0.0, 1.0)
    nearest = a[None] + t[:, :, None] * ab[None]
    return np.linalg.norm(xy[:, None, :] - nearest, axis=2).min(axis=1)


@pytest.mark.parametrize("vertices", [1, 2, 7, 150])
@pytest.mark.parametrize("spread", [0.0, 0.1, 0.6])
def test_erase_removes_what_it_removed_before(vertices, spread):
    rng = np.random.default_rng(vertices)
    xy = rng.uniform(-4.5, 4.5, (3_000, 2)).astype(np.float32)
    path = np.cumsum(rng.normal(0, 0.4, (vertices, 2)), axis=0).clip(-4.5, 4.5)
    path[len(path) // 2:len(path) // 2 + 2] = path[len(path) // 2]  # a zero-length segment too
    keep = _old_distance_to_path(xy.astype(np.float64), path) > pointsets.erase_radius(spread)
    left = pointsets.apply_stroke(PointSet(xy), "erase", path, spread, 0)
    assert 0 < keep.sum() and np.array_equal(left.xy, xy[keep])


def test_erase_on_a_full_set_with_a_long_stroke_stays_in_bounded_memory():
    xy = np.random.default_rng(0).uniform(-4.5, 4.5, (pointsets.MAX_POINTS, 2)).astype(np.float32)
    wiggle = np.stack([np.linspace(-4.5, 4.5, 2_000), 3 * np.sin(np.linspace(0, 20, 2_000))], axis=1)
    started = time.process_time()
    left, peak = _peak_bytes(lambda: pointsets.apply_stroke(PointSet(xy), "erase", wiggle, 0.05, 0))
    assert 0 < len(left) < len(xy)
    assert peak < 8_000_000  # the old engine: 2.9 GB for this stroke, 575 MB for its first 400 positions
    # the worst stroke for it: every segment's box is the whole view (old engine: 2.9 GB, 12 s CPU)
    left, peak = _peak_bytes(lambda: pointsets.apply_stroke(PointSet(xy), "erase", ZIGZAG + [0, 0.3], 0.0, 0))
    assert 0 < len(left) < len(xy) and peak < 8_000_000
    assert time.process_time() - started < 5  # about 0.3 s on one core


def test_a_spread_that_is_not_a_number_sprays_on_the_stroke():
    ps = pointsets.apply_stroke(PointSet.empty(), "spray", [[0, 0], [1, 0]], float("nan"), 0)
    assert np.isfinite(ps.xy).all() and not ps.xy[:, 1].any()


# -- modes ------------------------------------------------------------------------------------
def test_found_modes_of_three_blobs_and_of_one():
    centres, stds = pointsets.find_modes(three_blobs())
    assert len(centres) == 3
    assert sorted(np.round(centres).tolist()) == [[-2, 0], [0, 2], [2, 0]]
    assert np.all(np.abs(stds - 0.1) < 0.02)
    one = np.random.default_rng(0).normal(0, 1, (600, 2))
    assert len(pointsets.find_modes(one)[0]) == 1
    assert len(pointsets.find_modes(three_blobs(), k=5)[0]) == 5  # data.modes overrides


# -- config, data, runs -----------------------------------------------------------------------
def test_config_needs_a_path_for_points_and_refuses_one_elsewhere():
    with pytest.raises(ConfigError, match="data.path: `points` needs a CSV"):
        Config.from_preset("ring8-gan", ["data.name=points"])
    with pytest.raises(ConfigError, match="only `points` reads a CSV"):
        Config.from_preset("ring8-gan", ["data.path=a.csv"])


def test_a_bad_file_is_a_data_error_naming_data_path(tmp_path):
    from ganplay.data import DataError, load_dataset

    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,oops\n")
    with pytest.raises(DataError, match="data.path: Row 2: 'oops' is not a number"):
        load_dataset(Config.from_preset("ring8-gan", ["data.name=points", f"data.path={bad}"]))


def test_mode_metrics_judge_each_sample_by_its_modes_std():
    from ganplay.metrics.points import mode_metrics

    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    x = torch.tensor([[0.5, 0.0], [10.5, 0.0]])
    m = mode_metrics(x, centres, torch.tensor([0.1, 1.0]))
    assert m["modes"] == 1 and m["hq"] == 0.5  # 0.5 is beyond 3 x 0.1, within 3 x 1.0


@pytest.mark.slow
def test_a_drawn_run_keeps_its_points_resumes_elsewhere_and_evaluates(tmp_path):
    from ganplay.metrics import evaluate
    from ganplay.sampling import load_generator
    from ganplay.train import Trainer

    xy = three_blobs()
    src = write_csv(tmp_path, xy)
    cfg = Config.from_preset("ring8-gan", ["data.name=points", f"data.path={src}", "train.steps=60",
                                           "train.checkpoint_every=30", "train.eval_every=30",
                                           "train.sample_every=30"])
    trainer = Trainer(cfg)
    run = trainer.start(tmp_path / "runs")
    assert trainer.fit(stop_after=30) == "stopped"
    assert json.loads(run.config_path.read_text())["data"]["path"] == "points.csv"
    assert np.array_equal(pointsets.read_file(run.points_path).xy, xy)
    snap = np.load(sorted(run.samples_dir.glob("*.npz"))[-1])
    assert snap["centres"].shape == (3, 2) and snap["mode_std"].shape == (3,)
    evals = [json.loads(line) for line in run.metrics_path.read_text().splitlines() if '"eval"' in line]
    assert {"modes", "hq", "precision", "recall"} <= set(evals[-1])

    moved = tmp_path / "moved"
    shutil.copytree(run.path, moved)
    (tmp_path / "mine.csv").unlink()  # the original file is gone: the run has its own copy
    resumed = Trainer.from_run(moved)
    assert resumed.step == 30 and torch.equal(resumed.data.x, torch.from_numpy(xy))
    assert resumed.fit() == "done"
    result = evaluate(load_generator(moved), seeds=2)
    assert result["n_modes"] == 3 and "modes_found" in result and "precision" in result
    assert result["floor"]["modes"]["mean"] == 3.0
