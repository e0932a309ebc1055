"""The GAN Lab view of a 2D run: real and generated points over the discriminator's field, with
G's gradient at each generated point drawn as an arrow, and G's manifold (a regular grid of noise
vectors as G maps it into the plane) as a mesh. Reads the trainer's
`samples/step-XXXXXXX.npz` (numpy only, no torch) or an in-memory snapshot from the stepper.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas  # noqa: F401  (before plotly: see docs/ARCHITECTURE.md, 'pandas before plotly')
import plotly.graph_objects as go

from ganplay.config import DRAWN_DATASET, MODE_CENTRES
from ganplay.lab.play import outside_view
from ganplay.modes import modes_hit
from ganplay.train.rundir import RunDir, series, step_of


def mode_centres(name: str) -> tuple[np.ndarray, float] | None:
    """The counted mixture's mode centres (K, 2) and std; None for data without modes."""
    if name not in MODE_CENTRES:
        return None
    centres, std = MODE_CENTRES[name]
    return np.asarray(centres, dtype=np.float32), std


@dataclass
class Snapshot2D:
    step: int
    real: np.ndarray  # (N, 2)
    fake: np.ndarray  # (M, 2)
    field: np.ndarray  # (R, R): D's output over the extent, row = y, column = x
    extent: tuple[float, float]  # the same lo..hi on both axes
    g_grad: np.ndarray  # (M, 2): -dL_G/dx at each fake point
    manifold: np.ndarray | None = None  # (2, L, P, 2): G's image of a noise grid's two families of
    # lines (snapshots before it was recorded have none: no mesh)
    manifold_z_dim: int = 0  # G's noise dimensions: the grid spans the first two, the rest held at 0
    centres: np.ndarray | None = None  # drawn data: the modes found in it (K, 2) ...
    mode_std: np.ndarray | None = None  # ... and each one's std (K,); mixtures' are in the config

    def modes(self, data_name: str) -> tuple[np.ndarray, float | np.ndarray] | None:
        """What coverage counts against: the modes the snapshot carries, else the mixture's."""
        if self.centres is not None and self.mode_std is not None:
            return self.centres, self.mode_std
        return mode_centres(data_name)


def load_snapshot(path: str | Path) -> Snapshot2D:
    with np.load(path) as z:
        lo, hi = (float(v) for v in z["field_extent"])
        return Snapshot2D(int(z["step"]) if "step" in z else step_of(Path(path)), z["real"], z["fake"],
                          z["field"], (lo, hi), z["g_grad"],
                          manifold=z["manifold"] if "manifold" in z else None,
                          manifold_z_dim=int(z["manifold_z_dim"]) if "manifold_z_dim" in z else 0,
                          centres=z["centres"] if "centres" in z else None,
                          mode_std=z["mode_std"] if "mode_std" in z else None)


@functools.lru_cache(maxsize=8192)
def _modes_hit_file(path: str, mtime_ns: int, data_name: str) -> float:
    with np.load(path) as z:
        if "centres" in z:  # drawn data: the modes found in it travel with each snapshot
            return modes_hit(z["fake"], z["centres"], z["mode_std"])
        centres, std = mode_centres(data_name)  # type: ignore[misc]
        return modes_hit(z["fake"], centres, std)


def mode_count(paths: list[Path], data_name: str) -> int:
    """How many modes a run's coverage counts: the mixture's, or those found in its drawn data."""
    known = mode_centres(data_name)
    if known is not None:
        return len(known[0])
    for p in reversed(paths):
        try:
            with np.load(p) as z:
                if "centres" in z:
                    return len(z["centres"])
        except (OSError, KeyError, ValueError, EOFError):
            continue
    return 0


def logged_modes(rows: list[dict]) -> list[tuple[int, float]]:
    """(step, covered modes) from the run's own eval lines ([] when it logs none)."""
    return list(zip(*series(rows, "modes")))


def snapshot_coverage(rows: list[dict], run_path: str | Path, data_name: str) -> list[tuple[int, float]]:
    """(step, modes hit) counted on the run's snapshots, for a run that logs no `modes` of its
    own ([] when it does: its eval lines count on more samples than a snapshot holds)."""
    if logged_modes(rows):
        return []
    return coverage_history(RunDir(run_path).sample_paths(".npz"), data_name)


def modes_over_time(rows: list[dict], run_path: str | Path, data_name: str) -> list[tuple[int, float]]:
    """(step, covered modes): the run's own eval lines when it logs them, else counted on its
    snapshots."""
    return logged_modes(rows) or coverage_history(RunDir(run_path).sample_paths(".npz"), data_name)


def coverage_history(paths: list[Path], data_name: str) -> list[tuple[int, float]]:
    """(step, modes hit) for each snapshot of a ring8/grid25 run; [] for the other shapes.
    Each file is read once (cached by path and modification time), so polling stays cheap."""
    if mode_centres(data_name) is None and data_name != DRAWN_DATASET:
        return []
    out = []
    for p in paths:
        try:
            out.append((step_of(p), float(_modes_hit_file(str(p), p.stat().st_mtime_ns, data_name))))
        except (OSError, KeyError, ValueError, EOFError):
            continue  # vanished or unreadable
    return out


# ---------------------------------------------------------------------------------------------
# The figure: D's field on a scale that stays put, every generated point, readable arrows
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FieldScale:
    """How D's field is coloured: `lo`..`hi` with the neutral colour at `mid`, the same for every
    frame. `centred`: the field is drawn minus its median over the view (a critic's score has no
    fixed zero; only its differences mean something)."""

    lo: float
    hi: float
    mid: float
    title: str
    centred: bool = False


PROBABILITY = FieldScale(0.0, 1.0, 0.5, "D(x)<br>1 = real<br>0 = fake")


def critic_spread(field: np.ndarray) -> float:
    """How far a critic's field strays from its median (98th percentile), for `critic_scale`."""
    finite = field[np.isfinite(field)]
    return float(np.percentile(np.abs(finite - np.median(finite)), 98)) if finite.size else 0.0


def critic_scale(spread: float) -> FieldScale:
    """The scale for a critic without a sigmoid: its score minus the median, ±`spread` (the
    caller holds it fixed over a run: the largest `critic_spread` of its frames)."""
    spread = max(spread, 1e-6)
    return FieldScale(-spread, spread, 0.0, "critic score<br>minus its median<br>+ = more real", centred=True)


@functools.lru_cache(maxsize=4096)
def _spread_of_file(path: str, mtime_ns: int) -> float:
    with np.load(path) as z:
        return critic_spread(z["field"])


@functools.lru_cache(maxsize=8192)
def _reach_of_file(path: str, mtime_ns: int) -> float:
    """Half the side of the square this snapshot's field surely covers."""
    with np.load(path) as z:
        return float(np.abs(z["field_extent"]).min())


def _of_each_file(read, paths: list[Path]) -> list[float]:
    """`read(path, mtime_ns)` (cached) of every snapshot that can be read (one being written is skipped)."""
    values = []
    for p in paths:
        try:
            values.append(read(str(p), p.stat().st_mtime_ns))
        except (OSError, KeyError, ValueError, EOFError):
            continue
    return values


def run_view(paths: list[Path]) -> tuple[float, float] | None:
    """One square for every frame of a run (each snapshot's own view follows its points, so frame
    by frame the data would seem to grow and shrink): the narrowest any snapshot drew. Each
    snapshot widened its view around the real data to hold its points, so every frame's field
    covers this square, and points beyond it sit on its edge, counted. (The widest let one frame
    with stray points shrink the ring and leave the other frames' fields in a sea of white.)"""
    reaches = _of_each_file(_reach_of_file, paths)
    return (-min(reaches), min(reaches)) if reaches else None


def run_field_scale(paths: list[Path], logits: bool) -> FieldScale:
    """One scale for every frame of a run: D's probability 0..1, or the critic's widest frame."""
    if logits:
        return PROBABILITY
    return critic_scale(max(_of_each_file(_spread_of_file, paths), default=1.0))


def arrow_grid(points: np.ndarray, vectors: np.ndarray, lo: float, hi: float,
               cells: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """G's push averaged over the generated points in each cell of a `cells` x `cells` grid:
    (K, 2) mean positions and (K, 2) mean vectors, one per occupied cell."""
    ok = np.isfinite(points).all(axis=1) & np.isfinite(vectors).all(axis=1)
    points, vectors = np.clip(points[ok], lo, hi), vectors[ok]
    if not len(points):
        return np.zeros((0, 2)), np.zeros((0, 2))
    ij = np.clip(((points - lo) / (hi - lo) * cells).astype(int), 0, cells - 1)
    cell = ij[:, 0] * cells + ij[:, 1]
    keys, inverse, counts = np.unique(cell, return_inverse=True, return_counts=True)
    where = np.zeros((len(keys), 2))
    push = np.zeros((len(keys), 2))
    np.add.at(where, inverse, points)
    np.add.at(push, inverse, vectors)
    return where / counts[:, None], push / counts[:, None]


def _arrow_segments(points: np.ndarray, vectors: np.ndarray, length: float) -> tuple[list, list]:
    """Line segments (with None breaks) for arrows of at most `length`, heads included; the
    longest arrows are the strongest pushes, the rest in proportion."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    scale = length / max(float(norms.max()) if len(norms) else 1.0, 1e-12)
    vec = vectors * scale
    xs: list = []
    ys: list = []
    for (x, y), (dx, dy) in zip(points, vec):
        tx, ty = x + dx, y + dy
        xs += [x, tx, None]
        ys += [y, ty, None]
        norm = math.hypot(dx, dy)
        if norm > 1e-9:  # two short strokes for the head
            ux, uy = dx / norm, dy / norm
            h = min(0.35 * norm, 0.3 * length)
            for sx, sy in ((-uy, ux), (uy, -ux)):
                xs += [tx, tx - h * ux + 0.5 * h * sx, None]
                ys += [ty, ty - h * uy + 0.5 * h * sy, None]
    return xs, ys


def add_generated(fig: go.Figure, fake: np.ndarray, lo: float, hi: float, marker: dict, meta: str | None = None,
                  note_size: int = 12, webgl: bool = True) -> int:
    """Generated points into `fig`: those inside the square view as they are, those beyond it on
    its edge as open triangles of the same colour (whose points they are), with a note counting
    them (and any that are not numbers). `webgl=False` draws them as SVG: a page that redraws
    several plots a second (the lab's Play) would otherwise run out of the browser's WebGL contexts.
    Returns the height in px the note needs above the plot (0 without one): the caller's top margin."""
    Scatter = go.Scattergl if webgl else go.Scatter
    edge_colour = marker.get("color", "#d62728")
    away = outside_view(fake, lo, hi)
    inside = fake[~away]
    fig.add_trace(Scatter(x=inside[:, 0], y=inside[:, 1], mode="markers", name="generated", meta=meta,
                               marker=marker, hoverinfo="skip"))
    finite_away = fake[away & np.isfinite(fake).all(axis=1)]
    if len(finite_away):
        edge = np.clip(finite_away, lo, hi)
        fig.add_trace(Scatter(x=edge[:, 0], y=edge[:, 1], mode="markers", name="generated, beyond the view",
                                   marker={"size": marker.get("size", 5) + 3, "symbol": "triangle-up-open",
                                           "color": edge_colour}, hoverinfo="skip"))
    if away.any():
        fig.add_annotation(text=beyond_note(int(away.sum()), len(fake), int(away.sum() - len(finite_away))),
                           # over the plot's right end, clear of the title on the left and of the data
                           xref="x domain", yref="y domain", x=1.0, y=1.0, xanchor="right", yanchor="bottom",
                           align="right", showarrow=False,
                           font={"color": edge_colour, "size": note_size})
        return int(2.7 * note_size)  # two lines
    return 0


def beyond_note(away: int, total: int, not_finite: int) -> str:
    """The count of generated points beyond the view, as two short lines in the plot's corner: one
    line centred over the plot ran past both edges of a phone's half-width chart and of the
    presenter view's (a note of 45 characters at 18 px)."""
    return (f"{away:,} of {total:,} points<br>beyond the view "
            + (f"({not_finite:,} not finite)" if not_finite else "(on its edge)"))


MANIFOLD_NAME = "G's manifold (noise grid)"
MANIFOLD_LINE = {"color": "#4b2a7b", "width": 1.2}  # dark purple: reads on blue, white and red


def clip_lines(lines: np.ndarray, lo: float, hi: float) -> tuple[list, list]:
    """Polylines (K, P, 2) clipped to the square view lo..hi, as x and y lists with None between
    pieces (one plotly trace): a line that leaves the view ends on its edge and starts again
    where it comes back; pieces wholly beyond it, and segments touching a point that is not a
    number, are dropped. So the mesh never reaches past the axes the snapshot's extent fixes."""
    lines = np.asarray(lines, dtype=np.float64)
    p0, p1 = lines[:, :-1].reshape(-1, 2), lines[:, 1:].reshape(-1, 2)
    d = p1 - p0
    t0, t1 = np.zeros(len(p0)), np.ones(len(p0))
    ok = np.isfinite(p0).all(axis=1) & np.isfinite(p1).all(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):  # Liang-Barsky against the four edges
        for p, q in ((-d, p0 - lo), (d, hi - p0)):
            for k in range(2):
                r = q[:, k] / p[:, k]
                ok &= ~((p[:, k] == 0) & (q[:, k] < 0))
                t0 = np.where(p[:, k] < 0, np.maximum(t0, r), t0)
                t1 = np.where(p[:, k] > 0, np.minimum(t1, r), t1)
    ok &= t0 <= t1
    a, b = p0 + t0[:, None] * d, p0 + t1[:, None] * d
    per_line = lines.shape[1] - 1
    xs: list = []
    ys: list = []
    joined = False  # the previous segment ended, unclipped, where this one starts
    for i in range(len(p0)):
        if i % per_line == 0:
            joined = False
        if not ok[i]:
            joined = False
            continue
        if not (joined and t0[i] == 0):
            if xs:
                xs.append(None)
                ys.append(None)
            xs.append(float(a[i, 0]))
            ys.append(float(a[i, 1]))
        xs.append(float(b[i, 0]))
        ys.append(float(b[i, 1]))
        joined = t1[i] == 1
    return xs, ys


def add_manifold(fig: go.Figure, manifold: np.ndarray, lo: float, hi: float) -> None:
    """G's manifold into `fig`: its two families of grid lines, one thin-line trace each (one
    legend entry for both), clipped to the view. WebGL like the points, added after them: Plotly
    draws WebGL traces above SVG ones, so an SVG mesh would vanish under a cloud of samples, which
    is where it folds."""
    for family in range(2):
        xs, ys = clip_lines(manifold[family], lo, hi)
        fig.add_trace(go.Scattergl(x=xs, y=ys, mode="lines", name=MANIFOLD_NAME, legendgroup="manifold",
                                 showlegend=family == 0, line=MANIFOLD_LINE, opacity=0.6,
                                 hoverinfo="skip", connectgaps=False))


def manifold_note(z_dim: int) -> str | None:
    """What the mesh is a grid over, for G's with other than 2 noise dimensions (None for 2: the
    mesh is G's whole manifold)."""
    if z_dim > 2:
        return (f"G has {z_dim} noise dimensions: the mesh is a grid over the first two, the others "
                "held at 0 (the noise is isotropic, so no pair of directions is special).")
    if z_dim == 1:
        return ("G has 1 noise dimension: its manifold is a curve, drawn by the mesh's lines along "
                "it (the lines across it are single points).")
    return None


def figure_2d(snap: Snapshot2D, scale: FieldScale = PROBABILITY, show_field: bool = True,
              show_arrows: bool = True, height: int = 560, title: str | None = None,
              arrow_cells: int = 12, show_manifold: bool = False,
              view: tuple[float, float] | None = None) -> go.Figure:
    """Real points (grey), generated ones (orange; those beyond the view drawn on its edge as
    triangles and counted), D's field on `scale`, G's push averaged on a grid of arrows, and
    (`show_manifold`, where the snapshot has one) G's manifold as a mesh clipped to the view.
    `view` (a run's `run_view`) holds the axes still from frame to frame; D's field covers the
    snapshot's own extent within it."""
    lo, hi = view or snap.extent
    fig = go.Figure()
    if show_field:
        res = snap.field.shape[0]
        axis = np.linspace(*snap.extent, res)
        z = snap.field - np.median(snap.field[np.isfinite(snap.field)]) if scale.centred else snap.field
        fig.add_trace(go.Heatmap(x=axis, y=axis, z=z, colorscale="RdBu", zmin=scale.lo, zmax=scale.hi,
                                 zmid=scale.mid, opacity=0.75, zsmooth="best", name="D's field",
                                 colorbar={"title": {"text": scale.title}, "thickness": 12},
                                 hovertemplate="x=%{x:.2f} y=%{y:.2f} D=%{z:.3f}<extra></extra>"))
    fig.add_trace(go.Scattergl(x=snap.real[:, 0], y=snap.real[:, 1], mode="markers", name="real data",
                               marker={"size": 4, "color": "#8c8c8c", "opacity": 0.6}))
    add_generated(fig, snap.fake, lo, hi, {"size": 5, "color": "#ff7f0e", "line": {"width": 0.5, "color": "white"}})
    if show_manifold and snap.manifold is not None:
        add_manifold(fig, snap.manifold, lo, hi)
    if show_arrows and len(snap.fake):
        where, push = arrow_grid(snap.fake, snap.g_grad, lo, hi, arrow_cells)
        xs, ys = _arrow_segments(where, push, 0.8 * (hi - lo) / arrow_cells)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="G's push (mean per cell)",
                                 line={"color": "#1a7f1a", "width": 2}, hoverinfo="skip"))
    fig.update_xaxes(range=[lo, hi], constrain="domain", showgrid=False, zeroline=False)
    # constrained on both axes: a plot taller than wide (a phone) otherwise stretched y past the view,
    # and blank bands framed a field that stops at the view's edge
    fig.update_yaxes(range=[lo, hi], scaleanchor="x", scaleratio=1, constrain="domain", showgrid=False,
                     zeroline=False)
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      legend={"orientation": "h", "y": -0.08}, title=title or f"step {snap.step:,}",
                      uirevision="keep")
    return fig


# ---------------------------------------------------------------------------------------------
# Coverage over a run, beside the figure
# ---------------------------------------------------------------------------------------------
COVERAGE_COLOUR = "#ff7f0e"  # the generated points' orange


def coverage_figure(coverage: list[tuple[int, float]], total: int, steps: int, height: int = 220) -> go.Figure:
    """Modes covered at each check, on a step axis from 0 to the run's length (so the line grows
    across the run instead of filling a frame that starts at the first check) and whole-mode ticks."""
    fig = go.Figure(go.Scatter(x=[c[0] for c in coverage], y=[c[1] for c in coverage], mode="lines+markers",
                               line={"color": COVERAGE_COLOUR},
                               hovertemplate="step %{x:,}: %{y:g} modes<extra></extra>"))
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}, title="modes covered over time",
                      yaxis={"range": [0, total + 0.5], "rangemode": "tozero", "tickformat": "d"},
                      xaxis={"range": [0, max(steps, max((c[0] for c in coverage), default=0))],
                             "title": "training step", "tickformat": "~s"})
    return fig


def coverage_note(now: float, total: int, loss_name: str) -> str:
    """What to look for, said of this run: the collapse story where the run shows it, else what it
    shows (a fixed "the points bunch on one or two modes" sat under runs that covered them all)."""
    if now <= total / 4:
        return (f"Mode collapse: the orange points sit on {now:.0f} of the {total} modes. A vanilla GAN's "
                "points tend to bunch on one or two modes and hop between them; a Wasserstein loss with "
                "gradient penalty (WGAN-GP) usually spreads them over far more.")
    if now >= total:
        return (f"The orange points reach all {total} modes. Watch whether they stay there: a vanilla "
                "GAN's points often bunch on one or two modes later and hop between them (mode collapse).")
    return (f"The orange points reach {now:.0f} of the {total} modes. Fewer over time would be mode collapse "
            f"(the points bunching on a few modes); {'this loss' if loss_name == 'wasserstein' else 'WGAN-GP'} "
            "tends to spread them over more.")
