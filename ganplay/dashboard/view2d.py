"""The GAN Lab view of a 2D run: real and generated points over the discriminator's field, with
G's gradient at each generated point drawn as an arrow. Reads the trainer's
`samples/step-XXXXXXX.npz` (numpy only, no torch) or an in-memory snapshot from the stepper.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas  # noqa: F401  (before plotly: see docs/ARCHITECTURE.md, 'pandas before plotly')
import plotly.graph_objects as go

from ganplay.config import MODE_CENTRES

def mode_centres(name: str) -> tuple[np.ndarray, float] | None:
    """The counted mixture's mode centres (K, 2) and std; None for data without modes."""
    if name not in MODE_CENTRES:
        return None
    centres, std = MODE_CENTRES[name]
    return np.asarray(centres, dtype=np.float32), std


def modes_hit(fake: np.ndarray, centres: np.ndarray, std: float) -> int:
    """Covered modes as the VEEGAN/PacGAN protocol counts them (`ganplay.metrics.points`): modes
    with at least one generated point within 3 std of their centre (here on the snapshot's points)."""
    if len(fake) == 0:
        return 0
    fake = fake[np.isfinite(fake).all(axis=1)]
    dist = np.linalg.norm(fake[:, None, :] - centres[None, :, :], axis=2)
    nearest = dist.argmin(axis=1)
    close = dist[np.arange(len(fake)), nearest] <= 3 * std
    return int(len(np.unique(nearest[close])))


@dataclass
class Snapshot2D:
    step: int
    real: np.ndarray  # (N, 2)
    fake: np.ndarray  # (M, 2)
    field: np.ndarray  # (R, R): D's output over the extent, row = y, column = x
    extent: tuple[float, float]  # the same lo..hi on both axes
    g_grad: np.ndarray  # (M, 2): -dL_G/dx at each fake point


_STEP = re.compile(r"step-(\d+)\.npz$")


def snapshot_paths(run_path: str | Path) -> list[Path]:
    return sorted(Path(run_path, "samples").glob("step-*.npz"))


def step_of(path: Path) -> int:
    match = _STEP.search(path.name)
    return int(match.group(1)) if match else 0


def load_snapshot(path: str | Path) -> Snapshot2D:
    with np.load(path) as z:
        lo, hi = (float(v) for v in z["field_extent"])
        return Snapshot2D(int(z["step"]) if "step" in z else step_of(Path(path)), z["real"], z["fake"],
                          z["field"], (lo, hi), z["g_grad"])


@functools.lru_cache(maxsize=8192)
def _modes_hit_file(path: str, mtime_ns: int, data_name: str) -> int:
    centres, std = mode_centres(data_name)  # type: ignore[misc]
    with np.load(path) as z:
        return modes_hit(z["fake"], centres, std)


def modes_over_time(rows: list[dict], run_path: str | Path, data_name: str) -> list[tuple[int, float]]:
    """(step, covered modes): the run's own eval lines when it logs them, else counted on its
    snapshots."""
    logged = [(int(r["step"]), float(r["modes"])) for r in rows
              if r.get("event") == "eval" and isinstance(r.get("modes"), (int, float))]
    return logged or coverage_history(snapshot_paths(run_path), data_name)


def coverage_history(paths: list[Path], data_name: str) -> list[tuple[int, float]]:
    """(step, modes hit) for each snapshot of a ring8/grid25 run; [] for the other shapes.
    Each file is read once (cached by path and modification time), so polling stays cheap."""
    if mode_centres(data_name) is None:
        return []
    out = []
    for p in paths:
        try:
            out.append((step_of(p), float(_modes_hit_file(str(p), p.stat().st_mtime_ns, data_name))))
        except (OSError, KeyError, ValueError, EOFError):
            continue  # vanished or unreadable
    return out


def _arrow_segments(points: np.ndarray, vectors: np.ndarray, length: float) -> tuple[list, list]:
    """Line segments (with None breaks) for arrows of at most `length`, heads included."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    scale = length / max(float(np.percentile(norms, 95)) if len(norms) else 1.0, 1e-12)
    vec = vectors * scale
    too_long = np.linalg.norm(vec, axis=1) > length
    vec[too_long] *= length / np.linalg.norm(vec[too_long], axis=1, keepdims=True)
    xs: list = []
    ys: list = []
    for (x, y), (dx, dy) in zip(points, vec):
        tx, ty = x + dx, y + dy
        xs += [x, tx, None]
        ys += [y, ty, None]
        norm = math.hypot(dx, dy)
        if norm > 1e-9:  # two short strokes for the head
            ux, uy = dx / norm, dy / norm
            h = 0.35 * norm
            for sx, sy in ((-uy, ux), (uy, -ux)):
                xs += [tx, tx - h * ux + 0.5 * h * sx, None]
                ys += [ty, ty - h * uy + 0.5 * h * sy, None]
    return xs, ys


def figure_2d(snap: Snapshot2D, field_label: str = "D(x)", max_arrows: int = 250,
              show_field: bool = True, show_arrows: bool = True, height: int = 560,
              title: str | None = None) -> go.Figure:
    lo, hi = snap.extent
    fig = go.Figure()
    if show_field:
        res = snap.field.shape[0]
        axis = np.linspace(lo, hi, res)
        fig.add_trace(go.Heatmap(x=axis, y=axis, z=snap.field, colorscale="RdBu", opacity=0.75, zsmooth="best",
                                 colorbar={"title": field_label, "thickness": 12}, name="D's field",
                                 hovertemplate="x=%{x:.2f} y=%{y:.2f} D=%{z:.3f}<extra></extra>"))
    fig.add_trace(go.Scattergl(x=snap.real[:, 0], y=snap.real[:, 1], mode="markers", name="real data",
                               marker={"size": 4, "color": "#222222", "opacity": 0.5}))
    fig.add_trace(go.Scattergl(x=snap.fake[:, 0], y=snap.fake[:, 1], mode="markers", name="generated",
                               marker={"size": 5, "color": "#ff7f0e", "line": {"width": 0.5, "color": "white"}}))
    if show_arrows and len(snap.fake):
        idx = np.linspace(0, len(snap.fake) - 1, min(max_arrows, len(snap.fake))).astype(int)
        xs, ys = _arrow_segments(snap.fake[idx], snap.g_grad[idx], 0.06 * (hi - lo))
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="G's gradient",
                                 line={"color": "#2ca02c", "width": 1.2}, hoverinfo="skip"))
    fig.update_xaxes(range=[lo, hi], constrain="domain", showgrid=False, zeroline=False)
    fig.update_yaxes(range=[lo, hi], scaleanchor="x", scaleratio=1, showgrid=False, zeroline=False)
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      legend={"orientation": "h", "y": -0.08}, title=title or f"step {snap.step:,}",
                      uirevision="keep")
    return fig
