"""Export a lesson for slides: a PNG figure of one moment, an animated GIF of the whole replay.

Layout (both): the collapsing GAN on the left, the cure on the right; samples on top, the coverage
line under each with a marker at the current step and a dashed line at the full count. Large type:
slides are read from the back of a room. Uses matplotlib's object API (no pyplot, no global state).
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure

from ganplay.lab.play import REAL_COLOUR, numbers, outside_view, points_limit, side_colour, side_title
from ganplay.lab.replay import Replay
from ganplay.lab.scenarios import scenario


def _draw_samples(ax, replay: Replay, i: int, colour: str) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    frame = replay.frames[i]
    if replay.kind == "points":
        lim = points_limit(replay.real)
        if replay.real is not None:
            real = replay.real.astype(np.float32)
            ax.scatter(real[:, 0], real[:, 1], s=6, c=REAL_COLOUR, label="real")
        pts = frame.astype(np.float32)
        finite = np.isfinite(pts).all(axis=1)
        away = outside_view(pts, -lim, lim)
        inside = pts[~away]
        ax.scatter(inside[:, 0], inside[:, 1], s=6, c=colour, alpha=0.6, label="generated")
        if away.any():  # as on the page: on the edge, open triangles, counted
            edge = np.clip(pts[away & finite], -lim, lim)
            ax.scatter(edge[:, 0], edge[:, 1], s=40, marker="^", facecolors="none", edgecolors=colour,
                       clip_on=False)
            ax.text(0.5, 0.01, f"{int(away.sum()):,} of {len(pts):,} beyond the view (on its edge)",
                    transform=ax.transAxes, ha="center", va="bottom", fontsize=13, color=colour,
                    bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"})
        num = numbers(replay, i)
        if num.drawn is not None:  # the picture is a separate, smaller draw than the count
            others = f" (count: {num.counted_n:,} others)" if num.counted_n else ""
            ax.text(0.5, 0.99, f"{num.drawn_n:,} drawn: on {num.drawn:,} of {num.full:,}{others}",
                    transform=ax.transAxes, ha="center", va="top", fontsize=13, color=colour,
                    bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"})
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
    else:
        ax.imshow(frame, cmap="gray" if frame.ndim == 2 else None, vmin=0, vmax=255)


def _draw_coverage(ax, replay: Replay, i: int, colour: str) -> None:
    sc = scenario(replay.scenario)
    # the curve so far, on the whole run's axis, as on the page
    ax.plot(replay.steps[:i + 1], replay.coverage[:i + 1], color=colour, lw=3)
    last = float(replay.steps[-1])
    ax.set_xlim(-0.03 * last, 1.03 * last)
    ax.plot([replay.steps[i]], [replay.coverage[i]], "o", color=colour, ms=12)
    ax.axhline(sc.n_modes, ls="--", color="#555555", lw=1.5)
    ax.set_ylim(0, sc.n_modes * 1.08)
    ax.set_xlabel("training step", fontsize=16)
    ax.set_ylabel(f"{sc.unit} covered", fontsize=16)
    ax.tick_params(labelsize=13)
    ax.grid(alpha=0.3)


def lab_count(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def render(left: Replay, right: Replay, i_left: int | None = None, i_right: int | None = None,
           dpi: int = 100) -> Figure:
    """The figure at frame `i_left` / `i_right` (default: the last frames)."""
    i_left = len(left) - 1 if i_left is None else i_left
    i_right = len(right) - 1 if i_right is None else i_right
    fig = Figure(figsize=(12, 9), dpi=dpi, layout="constrained")
    axes = fig.subplots(2, 2, height_ratios=[3, 2])
    sc = scenario(left.scenario)
    for col, (rep, i) in enumerate(((left, i_left), (right, i_right))):
        colour = side_colour(rep.side)
        _draw_samples(axes[0, col], rep, i, colour)
        num = numbers(rep, i)
        # the share of high-quality samples only where G covers more than one mode (an untrained G
        # on the grid's centre blob read "74% high quality" at step 0)
        quality = f", {100 * num.hq:.0f}% high quality" if num.hq_means_something else ""
        axes[0, col].set_title(f"{side_title(rep.side)}\nstep {num.step:,}: "
                               f"{lab_count(num.coverage)} / {sc.n_modes:,} {sc.unit}{quality}",
                               fontsize=20 if not quality else 17, color=colour)
        _draw_coverage(axes[1, col], rep, i, colour)
    fig.suptitle(f"Mode collapse lab: {sc.title}", fontsize=24)
    return fig


def figure_png(left: Replay, right: Replay, i_left: int | None = None, i_right: int | None = None) -> bytes:
    """A PNG of `render` (1200 x 900 px)."""
    buf = io.BytesIO()
    render(left, right, i_left, i_right).savefig(buf, format="png")
    return buf.getvalue()


def animation_gif(left: Replay, right: Replay, frame_ms: int = 400, dpi: int = 60) -> bytes:
    """An animated GIF: one frame per recorded step (the two sides' timelines matched by step),
    holding the last frame three times as long."""
    from PIL import Image

    steps = sorted(set(left.steps.tolist()) | set(right.steps.tolist()))
    images = []
    for step in steps:
        buf = io.BytesIO()
        render(left, right, left.frame_at(step), right.frame_at(step), dpi=dpi).savefig(buf, format="png")
        images.append(Image.open(io.BytesIO(buf.getvalue())).convert("RGB").quantize(colors=128))
    durations = [frame_ms] * (len(images) - 1) + [frame_ms * 3]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0)
    return out.getvalue()
