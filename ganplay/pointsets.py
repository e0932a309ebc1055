"""Your own 2D data: a set of points drawn with the mouse or loaded from a CSV (`x,y` and an
optional integer `label` column), for `data.name=points`.

Numpy only (the pages import it; torch stays out of them): parse and write the CSV, check a set
before it trains, edit it with strokes (add points, spray them along a path, erase), find its
modes. Every problem raises `PointsError` with a message a page can show as it is; an edit that
would break a rule raises before anything changes, so the last good set stays.

    points = parse_csv(open("my.csv", "rb").read())    # a PointSet, or PointsError
    points = apply_stroke(points, "spray", path, spread=0.1, seed=3)
    centres, stds = find_modes(points.xy)               # k-means, k picked by silhouette
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_POINTS = 20_000  # per set: drawn, loaded or sprayed
MIN_POINTS = 10  # fewer is not a distribution a GAN can learn from
MAX_CSV_BYTES = 1_000_000  # about 20,000 rows of x,y,label with full float32 precision
MAX_ABS = 1_000.0  # coordinates beyond this are almost surely a unit mistake
VIEW = 5.0  # the drawing area spans [-VIEW, VIEW] on both axes (the built-in mixtures fit in 4.2)
MAX_MODES = 12  # the automatic mode count tries k = 2..MAX_MODES
SILHOUETTE_MIN = 0.5  # below this no split into clusters is clear: the set is one mode
MIN_MODE_STD = 0.02  # a cluster of identical clicks still gets a 3-sigma radius to hit
SPRAY_PER_UNIT = 30  # sprayed points per unit of stroke length
ERASE_RADIUS_STDS = 2.0  # the eraser removes points within this many `spread`s of its path
ERASE_MIN_RADIUS = 0.1  # a spread of 0 still erases what the stroke touches
# A stroke is thinned evenly to this many positions. The canvas records one per 4 CSS pixels of
# pointer travel (12 for points) on a canvas 480 px wide: 1,000 is a 4,000 px scribble, 8 widths
# of the canvas; a long real drag has a few hundred. It bounds an erase to N x 1,000 distances.
MAX_STROKE_VERTICES = 1_000
_PAIRS_PER_CHUNK = 1 << 15  # point-segment pairs per block of an erase: about 0.5 MB per temporary
_SEGMENTS_PER_CHUNK = 64  # consecutive segments sharing one bounding box (points outside it are skipped)
STORE_KEEP = 200  # point files kept in a runs folder's store (the newest; see `store`)
TOOLS = ("point", "spray", "erase")


class PointsError(ValueError):
    """The points can't be used; the message says why and what to do."""


@dataclass(frozen=True)
class PointSet:
    """`xy` float32 (N, 2); `labels` int64 (N,) or None (labels are kept, not trained on)."""

    xy: np.ndarray
    labels: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.xy)

    @classmethod
    def empty(cls) -> "PointSet":
        return cls(np.zeros((0, 2), np.float32))


# -- reading and writing ---------------------------------------------------------------------
def parse_csv(raw: bytes) -> PointSet:
    """A CSV's points: two columns (x, y) or three (x, y, integer label), an optional header row."""
    check_size(len(raw))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PointsError("The file is not a text CSV (it is not UTF-8). Save it as CSV with "
                          "columns x,y.") from None
    reader = csv.reader(io.StringIO(text))
    numbered = [(reader.line_num, r) for r in reader if r and any(c.strip() for c in r)]
    if numbered and not _is_number(numbered[0][1][0]):
        numbered = numbered[1:]  # a header
    lines = [n for n, _ in numbered]  # messages name the file's own line numbers
    rows = [r for _, r in numbered]
    if not rows:
        raise PointsError("The file holds no points. Give one point per row: x,y (and an "
                          "optional label).")
    if len(rows) > MAX_POINTS:
        raise PointsError(f"The file holds {len(rows):,} points; the limit is {MAX_POINTS:,}. "
                          "Keep a random subset.")
    width = len(rows[0])
    if width not in (2, 3):
        found = "one column" if width == 1 else f"{width} columns"
        raise PointsError(f"Each row needs two columns, x,y (or three: x,y,label); row {lines[0]} has {found}.")
    xy = np.empty((len(rows), 2), np.float64)
    labels = np.empty(len(rows), np.int64) if width == 3 else None
    for i, row in enumerate(rows):
        if len(row) != width:
            raise PointsError(f"Row {lines[i]} has {len(row)} columns; the first row has {width}.")
        for j in (0, 1):
            xy[i, j] = _number(row[j], lines[i])
        if labels is not None:
            labels[i] = _label(row[2], lines[i])
    return checked(PointSet(xy.astype(np.float32), labels), training=False)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _number(cell: str, row: int) -> float:
    try:
        value = float(cell)
    except ValueError:
        shown = cell.strip()[:20]
        raise PointsError(f"Row {row}: {shown!r} is not a number. Columns x and y hold numbers.") from None
    if not math.isfinite(value):
        raise PointsError(f"Row {row}: {cell.strip()} is not a finite number (NaN or infinity). "
                          "Remove that row.")
    return value


def _label(cell: str, row: int) -> int:
    try:
        value = int(cell)
    except ValueError:
        raise PointsError(f"Row {row}: the label {cell.strip()[:20]!r} is not a whole number.") from None
    if value < 0:
        raise PointsError(f"Row {row}: labels are 0 or more; got {value}.")
    return value


def to_csv(points: PointSet) -> bytes:
    """The set as CSV; every float32 coordinate round-trips exactly (9 significant digits)."""
    out = io.StringIO()
    out.write("x,y,label\n" if points.labels is not None else "x,y\n")
    for i, (x, y) in enumerate(points.xy.tolist()):
        out.write(f"{x:.9g},{y:.9g}")
        out.write(f",{int(points.labels[i])}\n" if points.labels is not None else "\n")
    return out.getvalue().encode()


def read_file(path: str | Path) -> PointSet:
    """`parse_csv` of a file, with its size checked before it is read."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise PointsError(f"data.path: cannot read {path.name or path}: {exc.strerror or exc}") from None
    check_size(size, f"data.path: {path.name}")
    return parse_csv(path.read_bytes())


def check_size(size: int, what: str = "The file") -> None:
    """Refuse a CSV of `size` bytes past MAX_CSV_BYTES (before it is read, where the size is
    known first); `what` names it in the message."""
    if size > MAX_CSV_BYTES:
        raise PointsError(f"{what} is {size / 1e6:.1f} MB; the limit is {MAX_CSV_BYTES / 1e6:.0f} MB "
                          f"(about {MAX_POINTS:,} points).")


def checked(points: PointSet, training: bool = True) -> PointSet:
    """`points` if they can be used (to train, with `training`), else PointsError."""
    n = len(points)
    if n > MAX_POINTS:
        raise PointsError(f"{n:,} points; the limit is {MAX_POINTS:,}.")
    if n and float(np.abs(points.xy).max()) > MAX_ABS:
        raise PointsError(f"Coordinates reach {float(np.abs(points.xy).max()):,.0f}; keep them "
                          f"within ±{MAX_ABS:,.0f} (the built-in data spans about ±4).")
    if training:
        if n == 0:
            raise PointsError("There are no points yet. Draw some (click, or spray along a stroke) "
                              "or load a preset or a CSV.")
        if n < MIN_POINTS:
            raise PointsError(f"{n} point{'s' if n > 1 else ''} is not a distribution to learn: "
                              f"give at least {MIN_POINTS}.")
        if float(np.ptp(points.xy, axis=0).max()) == 0.0:
            raise PointsError("All the points are at the same place: spread them out (spray with "
                              "a wider spread, or add points elsewhere).")
    return points


# -- editing with strokes --------------------------------------------------------------------
def apply_stroke(points: PointSet, tool: str, path, spread: float, seed: int) -> PointSet:
    """`points` after one stroke of `tool` along `path` ((M, 2) in data coordinates; a click is
    one point): "point" adds the path's points, "spray" adds SPRAY_PER_UNIT points per unit of
    length (one for a click), each moved by Gaussian noise of std `spread`, "erase" removes
    the points within `erase_radius(spread)` of the path. Seeded: the same
    stroke gives the same points. Raises PointsError (and changes nothing) past MAX_POINTS,
    before the new points are made.

    The path is what the canvas can draw (`stroke_path`): at most MAX_STROKE_VERTICES positions
    (a longer one is thinned evenly), inside the view [-VIEW, VIEW]^2: a drag that leaves the
    drawing area sprays and erases along its edge, and adds no points out there."""
    if tool not in TOOLS:
        raise PointsError(f"Unknown tool {tool!r}; use one of {', '.join(TOOLS)}.")
    path = stroke_path(path, clamp=tool != "point")
    if not len(path):
        return points
    spread = float(spread)
    spread = min(max(spread, 0.0), VIEW) if math.isfinite(spread) else 0.0
    if tool == "erase":
        keep = ~_near_path(points.xy.astype(np.float64), path, erase_radius(spread))
        return PointSet(points.xy[keep], points.labels[keep] if points.labels is not None else None)
    count = len(path) if tool == "point" else _spray_count(path)
    if len(points) + count > MAX_POINTS:
        raise PointsError(f"That stroke would make {len(points) + count:,} points; the limit is "
                          f"{MAX_POINTS:,}. Erase some first, or spray a shorter stroke.")
    new = path if tool == "point" else _spray(path, spread, np.random.default_rng(seed))
    xy = np.concatenate([points.xy, new.astype(np.float32)])
    labels = None
    if points.labels is not None:  # new points take the label 0 next to loaded labels
        labels = np.concatenate([points.labels, np.zeros(len(new), np.int64)])
    return PointSet(xy, labels)


def stroke_path(path, clamp: bool = True) -> np.ndarray:
    """A stroke's positions as float64 (M, 2), M <= MAX_STROKE_VERTICES (a longer path keeps
    evenly spaced positions, its first and last among them, chosen before the rest is
    converted), without non-finite ones, and inside the view: moved onto its edge (`clamp`)
    or left out. Raises ValueError or TypeError for what is not a list of [x, y] pairs."""
    if not isinstance(path, (list, tuple, np.ndarray)):
        raise TypeError(f"A stroke is a list of [x, y] positions, not {type(path).__name__}.")
    if len(path) > MAX_STROKE_VERTICES:
        path = [path[i] for i in _evenly(len(path))]
    path = np.asarray(path, np.float64).reshape(-1, 2)
    if len(path) > MAX_STROKE_VERTICES:  # pairs nested deeper than a list of [x, y]
        path = path[_evenly(len(path))]
    path = path[np.isfinite(path).all(axis=1)]
    if clamp:
        return np.clip(path, -VIEW, VIEW)
    return path[(np.abs(path) <= VIEW).all(axis=1)]


def _evenly(n: int) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, MAX_STROKE_VERTICES).round().astype(np.int64))


def erase_radius(spread: float) -> float:
    """How far the eraser reaches at a spray `spread`: ERASE_RADIUS_STDS spreads, at least
    ERASE_MIN_RADIUS (the canvas draws this circle under the pointer)."""
    return max(ERASE_RADIUS_STDS * float(spread), ERASE_MIN_RADIUS)


def _spray_count(path: np.ndarray) -> int:
    """How many points `_spray` lays along `path`, known before any is made."""
    total = float(np.linalg.norm(np.diff(path, axis=0), axis=1).sum())
    return max(len(path) if total == 0 else int(round(total * SPRAY_PER_UNIT)), 1)


def _spray(path: np.ndarray, spread: float, rng: np.random.Generator) -> np.ndarray:
    """Points spaced evenly along the polyline `path` (SPRAY_PER_UNIT per unit), with noise."""
    seg = np.diff(path, axis=0)
    length = np.linalg.norm(seg, axis=1)
    total = float(length.sum())
    n = _spray_count(path)
    if total == 0:
        centres = np.repeat(path[:1], n, axis=0)
    else:
        at = np.linspace(0.0, total, n)
        cum = np.concatenate([[0.0], np.cumsum(length)])
        i = np.clip(np.searchsorted(cum, at, side="right") - 1, 0, len(seg) - 1)
        t = np.where(length[i] > 0, (at - cum[i]) / np.where(length[i] > 0, length[i], 1), 0.0)
        centres = path[i] + t[:, None] * seg[i]
    return centres + spread * rng.standard_normal(centres.shape)


def _near_path(xy: np.ndarray, path: np.ndarray, radius: float) -> np.ndarray:
    """Which points lie within `radius` of the polyline `path` (of its vertex when it has one).

    In bounded memory: the segments go _SEGMENTS_PER_CHUNK at a time, each block compared only
    with the points inside its bounding box grown by `radius` and not yet reached, in blocks of
    at most _PAIRS_PER_CHUNK point-segment pairs."""
    near = np.zeros(len(xy), bool)
    if len(xy) == 0:
        return near
    if len(path) == 1:
        return np.linalg.norm(xy - path[0], axis=1) <= radius
    starts, ends = path[:-1], path[1:]
    for s in range(0, len(starts), _SEGMENTS_PER_CHUNK):
        a, b = starts[s:s + _SEGMENTS_PER_CHUNK], ends[s:s + _SEGMENTS_PER_CHUNK]
        lo = np.minimum(a, b).min(axis=0) - radius
        hi = np.maximum(a, b).max(axis=0) + radius
        todo = np.flatnonzero(~near & (xy >= lo).all(axis=1) & (xy <= hi).all(axis=1))
        step = max(_PAIRS_PER_CHUNK // len(a), 1)
        for i in range(0, len(todo), step):
            block = todo[i:i + step]
            near[block] = _squared_distance_to_segments(xy[block], a, b).min(axis=1) <= radius * radius
    return near


def _squared_distance_to_segments(xy: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, S): each point's squared distance to each segment a[j]-b[j] (per coordinate: no
    (N, S, 2) temporaries)."""
    ab = b - a
    denom = np.maximum(ab[:, 0] ** 2 + ab[:, 1] ** 2, 1e-12)
    dx = xy[:, 0, None] - a[None, :, 0]
    dy = xy[:, 1, None] - a[None, :, 1]
    t = np.clip((dx * ab[:, 0] + dy * ab[:, 1]) / denom, 0.0, 1.0)
    dx -= t * ab[:, 0]
    dy -= t * ab[:, 1]
    return dx * dx + dy * dy


# -- modes -----------------------------------------------------------------------------------
def find_modes(xy: np.ndarray, k: int = 0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The modes of a set without known centres: k-means centres (K, 2) and each cluster's std
    (K,) (per axis: sqrt(mean squared distance to its centre / 2), at least MIN_MODE_STD).

    `k` 0 picks it: the k in 2..MAX_MODES with the best silhouette score on up to 2,000 of the
    points (seeded), or 1 when none reaches SILHOUETTE_MIN (no clear split). Deterministic."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    xy = np.asarray(xy, np.float64)
    n_distinct = len(np.unique(xy, axis=0))
    if k <= 0:
        k = 1
        sample = xy
        if len(xy) > 2000:
            sample = xy[np.random.default_rng(seed).choice(len(xy), 2000, replace=False)]
        best = SILHOUETTE_MIN
        for trial in range(2, min(MAX_MODES, n_distinct - 1) + 1):
            labels = KMeans(trial, n_init=4, random_state=seed).fit_predict(sample)
            score = float(silhouette_score(sample, labels))
            if score > best:
                best, k = score, trial
    k = max(1, min(k, n_distinct))
    fit = KMeans(k, n_init=4, random_state=seed).fit(xy)
    centres = fit.cluster_centers_
    sq = ((xy - centres[fit.labels_]) ** 2).sum(axis=1)
    stds = np.array([math.sqrt(sq[fit.labels_ == c].mean() / 2) if (fit.labels_ == c).any() else 0.0
                     for c in range(k)])
    return centres.astype(np.float32), np.maximum(stds, MIN_MODE_STD).astype(np.float32)


# -- where the dashboard keeps the sets its jobs train on ------------------------------------
def store(points: PointSet, root: str | Path) -> Path:
    """Write `points` to `<root>/.points/<hash>.csv` (the same set, the same file) for a job to
    read; keeps the newest STORE_KEEP files (a run copies its set into its own folder at start)."""
    raw = to_csv(checked(points))
    folder = Path(root) / ".points"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(raw).hexdigest()[:16]}.csv"
    if path.is_file():
        path.touch()
    else:
        tmp = path.with_suffix(f".{time.monotonic_ns()}.tmp")
        tmp.write_bytes(raw)
        tmp.replace(path)
    for old in sorted(folder.glob("*.csv"), key=lambda p: p.stat().st_mtime)[:-STORE_KEEP]:
        old.unlink(missing_ok=True)
    return path


def store_dir(root: str | Path) -> Path:
    return Path(root) / ".points"
