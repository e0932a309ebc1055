"""The mode collapse lab page's pieces (the page, `views/collapse_lab.py`, lays them out; the
lesson's logic, its timeline, numbers, published anchors and live pairs, is `ganplay.lab.play`).

A lesson is a pair: on the left a vanilla GAN that collapses, on the right the same GAN with one
cure switched on (`ganplay.lab.scenarios`). The page plays back the shipped replays
(`ganplay.lab.replay`) on one shared timeline, or trains the pair live as two jobs. Here:

- loading a side's replay (cached by file and modification time), with the message to show when it
  is missing or unreadable;
- the Plotly figures: samples (2D points over the grey real points, fixed equal axes), coverage
  over steps (marker at the current step, dashed line at the full count, the published number for
  that method dotted, the high-quality share on a second axis for 2D), the class histogram
  (digits); all of them larger in presenter view;
- live mode: the two configs (eval and sample lines every few percent, this server's limits
  applied);
- the presenter view's CSS.

No torch and no matplotlib here (the slides module is imported only when exporting).
"""

from __future__ import annotations

import functools
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas  # noqa: F401  (before plotly: see docs/ARCHITECTURE.md, 'pandas before plotly')
import plotly.graph_objects as go

from ganplay import jobs
from ganplay.config import Config
from ganplay.dashboard import view2d
from ganplay.lab.play import (HQ_MIN_MODES, REAL_COLOUR, Numbers, anchor_for, points_limit, side_colour,
                              side_title)
from ganplay.lab.play import never_digit_like as play_never_digit_like
from ganplay.lab.play import numbers as play_numbers
from ganplay.lab.replay import Replay, load_replay, replay_path
from ganplay.lab.scenarios import LabError, Scenario, scenario, side_config, side_overrides

PLAY_EVERY_S = 0.7  # seconds per frame while playing
LIVE_POLL_S = 1.0
LIVE_EVALS = 30  # coverage numbers logged over a live run
LIVE_SNAPSHOTS = 15  # sample snapshots saved over a live run
REAL_POINTS = 250  # grey real points drawn (more look the same and slow the browser down)
UNIT_LABEL = {"modes": "modes covered", "classes": "classes covered"}


# ---------------------------------------------------------------------------------------------
# Sides and their replays
# ---------------------------------------------------------------------------------------------
def record_command(scenario_name: str) -> str:
    return f"ganplay lab record --scenario {scenario_name}"


@dataclass
class Side:
    """One side of a lesson as the page finds it: a replay, or why there is none."""

    scenario: str
    side: str
    path: Path
    replay: Replay | None = None
    error: str = ""  # a corrupt or foreign file
    missing: bool = False
    key: tuple = ()  # (path, mtime_ns, size): what the caches below are keyed by

    @property
    def ok(self) -> bool:
        return self.replay is not None

    def message(self) -> str:
        """What the page says instead of the replay (Markdown)."""
        if self.missing:
            return (f"**No recorded replay for {side_title(self.side)}** ({self.scenario}): nothing at "
                    f"`{self.path}`. Record this lesson's replays with `{record_command(self.scenario)}` "
                    "(a few minutes on a CPU), or train the pair live right here.")
        return (f"**The replay for {side_title(self.side)} cannot be read**: {self.error}. Record it "
                f"again with `{record_command(self.scenario)}`, or train the pair live.")


@functools.lru_cache(maxsize=32)
def _load_cached(path: str, mtime_ns: int, size: int) -> Replay:
    return load_replay(path)


def load_side(scenario_name: str, side: str, root: str | Path | None = None) -> Side:
    """The replay of one side (cached by path and modification time), or the reason it is not
    there. Never raises for a missing or broken file."""
    path = replay_path(scenario_name, side, root)
    found = Side(scenario_name, side, path)
    try:
        st_ = path.stat()
    except OSError:
        found.missing = True
        return found
    try:
        replay = _load_cached(str(path), st_.st_mtime_ns, st_.st_size)
    except LabError as exc:
        found.error = str(exc)
        return found
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:  # load_replay lets a
        found.error = f"{path} is not a ganplay lab replay ({exc})"  # truncated zip through
        return found
    if replay.scenario != scenario_name or replay.side != side:
        found.error = (f"{path} holds {replay.scenario}/{replay.side}, not {scenario_name}/{side}")
        return found
    if len(replay) == 0:
        found.error = f"{path} has no frames"
        return found
    found.replay = replay
    found.key = (str(path), st_.st_mtime_ns, st_.st_size)
    return found


@functools.lru_cache(maxsize=32)
def _never_digit_like(key: tuple) -> bool:
    return play_never_digit_like(_load_cached(*key))


def never_digit_like(side: Side) -> bool:
    """`play.never_digit_like` of a side's replay, measured once per file: it takes 0.2-0.4 s a
    replay (every frame's samples), and Play redraws both sides every 0.7 s."""
    return side.ok and _never_digit_like(side.key)


# Building a Plotly figure costs tens of milliseconds; while a replay plays, every frame is drawn
# again and again (Play, the slider, both sides), so the figures of a replay's frames are cached.
@functools.lru_cache(maxsize=256)
def _replay_figure(key: tuple, what: str, i: int, big: bool, height: int) -> go.Figure:
    rep = _load_cached(*key)
    sc = scenario(rep.scenario)
    if what == "samples":
        return points_figure(rep.frames[i], rep.real, rep.side, big=big, height=height,
                             note=drawn_note(play_numbers(rep, i)))
    # the curve so far, on the whole run's axis: opened at step 0, the chart gives nothing away
    # ("what will happen next?"); scrubbed back, it shows what had happened by then
    n, hq = i + 1, rep.series.get("hq")
    return coverage_figure(sc, rep.side, rep.steps[:n], rep.coverage[:n],
                           current=(int(rep.steps[i]), float(rep.coverage[i])),
                           hq=None if hq is None else hq[:n], anchor=anchor_for(sc, rep.side), big=big,
                           height=height, x_max=int(rep.steps[-1]))


def stamped(fig: go.Figure, draw: int, copy: bool = True) -> go.Figure:
    """`fig` (a copy, when it is a cached one) marked with a per-draw number in `layout.meta`.

    Streamlit sends a large element again as a reference to a copy the browser already holds when
    the message is identical; after `st.rerun()` (Play's start and end) it trusted a list of held
    copies the browser had already dropped, and the page broke ("Cached ForwardMsg MISS"). A chart
    that is never sent twice the same cannot be sent as such a reference."""
    out = go.Figure(fig) if copy else fig
    out.update_layout(meta={"draw": int(draw)})
    return out


def samples_figure(side: Side, i: int, big: bool = False, height: int = 400) -> go.Figure:
    """The 2D samples of frame `i` of a loaded side (cached; do not modify the figure)."""
    return _replay_figure(side.key, "samples", i, big, height)


def replay_coverage_figure(side: Side, i: int, big: bool = False, height: int = 300) -> go.Figure:
    """The coverage chart of a loaded side with the marker at frame `i` (cached)."""
    return _replay_figure(side.key, "coverage", i, big, height)


# ---------------------------------------------------------------------------------------------
# The shared timeline
# ---------------------------------------------------------------------------------------------
def fmt(value: float) -> str:
    """Coverage counts as people say them: 7, 6.5 (never 7.0)."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


# ---------------------------------------------------------------------------------------------
# Published numbers and what differs
# ---------------------------------------------------------------------------------------------
def anchors_markdown(sc: Scenario) -> str:
    """All published numbers of a scenario on one line, with their sources."""
    if not sc.anchors:
        return ""
    items = " · ".join(f"{method} **{fmt(value)}** ({source})" for method, value, source in sc.anchors)
    return f"Published {sc.unit} covered (of {sc.n_modes:,}) on this data: {items}."


def overrides_text(scenario_name: str, cure_name: str) -> str:
    """The right side's config is the left's plus these lines."""
    return "\n".join(side_overrides(scenario_name, cure_name)) or "# (no changes)"


# What a cure's config line means, in words a learner reads (the line itself goes in a tooltip).
# A key maps to a template of its value ({v}; {layers} and {width} for a list of hidden layers);
# a "key=value" entry wins over its key.
PLAIN_WORDS = {
    "optim.unroll": "G looks {v} steps ahead of D (unrolled GAN)",
    "model.spectral_norm=true": "D's layers are scaled so D changes smoothly (spectral norm)",
    "optim.n_critic": "D trains {v} steps for every step of G",
    "model.minibatch_std=true": "D also sees how spread out the whole batch is (minibatch std)",
    "model.pack": "D judges {v} samples at a time (PacGAN)",
    "loss.name=wasserstein": "Wasserstein loss: D becomes a critic that scores how far fake is from real",
    "loss.gp_weight": "a gradient penalty (weight {v}) keeps the critic smooth",
    "model.z_dim": "G's noise input has {v} numbers",
    "model.g_hidden": "G has {layers} hidden layers of {width} units",
    "model.d_hidden": "D has {layers} hidden layers of {width} units",
    "optim.beta2": "Adam's β2 is {v} (as in the WGAN-GP paper)",
    "optim.lr_g": "G's learning rate is {v}",
    "optim.lr_d": "D's learning rate is {v}",
}


def plain_change(line: str) -> str:
    """One config line (`key=value`) in plain words; the line itself when we have no words for it."""
    key, _, value = line.partition("=")
    template = PLAIN_WORDS.get(line) or PLAIN_WORDS.get(key)
    if template is None:
        return line
    layers = [w.strip() for w in value.strip("[]").split(",") if w.strip()]
    width = layers[0] if layers and len(set(layers)) == 1 else "/".join(layers)
    return template.format(v=value, layers=len(layers), width=width)


def plain_changes(scenario_name: str, cure_name: str) -> list[tuple[str, str]]:
    """(plain words, config line) for each change the right side makes."""
    return [(plain_change(line), line) for line in side_overrides(scenario_name, cure_name)]


def changes_markdown(scenario_name: str, cure_name: str) -> tuple[str, str]:
    """The right side's changes as a Markdown list in plain words, and the tooltip that holds the
    exact config lines."""
    changes = plain_changes(scenario_name, cure_name)
    if not changes:
        return "- (no changes)", "No config lines change."
    words = "\n".join(f"- {w[0].upper()}{w[1:]}" for w, _ in changes)
    tooltip = ("The right side's config is the left's plus these lines:\n\n```\n"
               + overrides_text(scenario_name, cure_name) + "\n```")
    return words, tooltip


def coverage_caption(sc: Scenario) -> str:
    """One sentence under a coverage chart: what it measures and which way is better (it stands
    for the legend, which the normal view leaves out: on a phone it covered the axis)."""
    n = f"{sc.n_modes:,}"
    if sc.kind == "points":
        return (f"Solid: {sc.unit} G reaches at each step; dotted: its share of high-quality samples "
                f"(right axis); higher is better for both, the dashed line is all {n}.")
    return f"The {sc.unit} G reaches at each step: higher is better, the dashed line is all {n}."


def hist_caption(n: int) -> str:
    return (f"Which digits G draws, as our classifier reads them: best is an even {100 / max(1, n):.0f}% "
            "each (the dashed line); one tall bar is mode collapse. The classifier names a digit for "
            "any picture, noise too: look at the samples to see whether G draws that digit at all.")


SAMPLES_CAPTION = "Colour: G's samples; grey: the real data. The more grey blobs covered, the better."


def drawn_caption(num: Numbers, unit: str) -> str:
    """What the samples picture draws beside what the big number counts (2D): the picture's points
    are a separate, smaller draw, so they can touch fewer modes than the number says."""
    if num.drawn is None:
        return SAMPLES_CAPTION
    counted = f"{num.counted_n:,}" if num.counted_n else "more"
    text = (f"Colour: {num.drawn_n:,} of G's samples, touching {num.drawn:,} of the {num.full:,} "
            f"grey {unit} (within 3 std). The number above counts {counted} other samples")
    if num.drawn < num.coverage:
        return text + (": with so few samples near any mode, a bigger draw finds more of them.")
    return text + "."


def drawn_note(num: Numbers) -> str | None:
    """The samples figure's own line saying what it draws (short: it fits a phone's half-width
    chart, and the presenter view has no captions)."""
    if num.drawn is None:
        return None
    return f"{num.drawn_n:,} drawn: on {num.drawn:,} of {num.full:,}"


SHARP_SHARE = 0.5  # under this share of high-quality samples, a covered side is said to be a spread
HQ_LABEL = "high quality"  # the metric's label in the lab (the glossary's "high-quality samples" was
# cut to "high-quality s…" in a half-width tile at 1,024 px)


def touched_not_sharp(coverage: float, full: int, hq: float, unit: str) -> str:
    """What coverage at the lesson's "covered" line with few high-quality samples means, said
    where it happens."""
    touched = f"All {full:,} {unit} are" if coverage >= full else f"{fmt(coverage)} of the {full:,} {unit} are"
    return (f"{touched} touched, but only {100 * hq:.0f}% of the samples lie near one "
            "(within 3 std): most fall between them.")


def hq_hidden_note(num: Numbers, unit: str) -> str:
    """Why the high-quality share is not shown while G covers at most one mode."""
    if num.step == 0:
        return (f"Not shown on {fmt(num.coverage)} {unit}: an untrained G sits in the middle "
                "(on the grid, on its centre blob), so its share near a mode says nothing yet.")
    return (f"Not shown on {fmt(num.coverage)} {unit}: samples piled on one mode are collapse, "
            "however sharp.")


def no_digit_note(rep: Replay, num: Numbers) -> str:
    """For an image side that never drew a digit-like picture (`play.never_digit_like`): what its
    count is, then."""
    unit = rep.meta.get("unit") or scenario(rep.scenario).unit
    one = {"classes": "class", "modes": "mode"}.get(unit, unit) if num.coverage == 1 else unit
    return (f"This G drew no digit-like picture in any recorded frame, only speckle (neighbouring "
            f"pixels agree far less than in real digits). The classifier names a digit for any "
            f"picture, so the speckle still counts as {fmt(num.coverage)} {one}.")


def covered_vs_quality(sc: Scenario, nums: Iterable[Numbers]) -> str | None:
    """Why "7 / 8 modes" can sit beside "1% high-quality samples" (2D lessons), when a side on show
    does that (at its lesson's "covered" line with a low share); None otherwise."""
    shown = [n for n in nums if n is not None and n.touched_not_sharp(sc, SHARP_SHARE)]
    if not shown:
        return None
    num = shown[0]
    return (f"**{fmt(num.coverage)} / {num.full:,} {sc.unit} beside {100 * num.hq:.0f}% high-quality samples?** "
            "A mode counts as covered when at least one sample lands within 3 standard deviations of "
            "its centre; \"high quality\" is the share of *all* samples that land that close. So G "
            "can touch the modes with a few samples while most of its samples fall between them.")


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------
def _style(fig: go.Figure, big: bool, height: int, title: str | None = None) -> go.Figure:
    """Sizes for the normal or the presenter (`big`) view. The normal view has no legends: the page
    says what the lines and points are under each chart, and a legend under a half-width chart on a
    phone covered the axis title."""
    fig.update_layout(
        showlegend=bool(big),
        height=int(height * (1.35 if big else 1.0)),
        margin={"l": 10, "r": 10, "t": 50 if title else 16, "b": 10},
        font={"size": 20 if big else 13},
        title={"text": title, "font": {"size": 26 if big else 16}} if title else None,
        legend={"orientation": "h", "y": -0.22, "x": 0, "font": {"size": 18 if big else 12}},
        uirevision="keep",
    )
    # Streamlit's theme sizes the axes' own fonts: set them too
    tick, axis_title = (18, 20) if big else (12, 13)
    fig.update_xaxes(tickfont={"size": tick}, title_font={"size": axis_title})
    fig.update_yaxes(tickfont={"size": tick}, title_font={"size": axis_title})
    return fig


def coverage_figure(sc: Scenario, side: str, steps: Iterable[int], values: Iterable[float], *,
                    current: tuple[int, float] | None = None, hq: Iterable[float] | None = None,
                    anchor: tuple[str, float, str] | None = None, big: bool = False,
                    height: int = 300, x_max: int | None = None) -> go.Figure:
    """Coverage over training steps: the side's line (trace meta "coverage:<side>"), a marker at
    the current step ("now:<side>"), a dashed line at the full count, the published number dotted,
    and for 2D the share of high-quality points on a second axis ("hq:<side>")."""
    colour = side_colour(side)
    steps, values = [int(s) for s in steps], [float(v) for v in values]
    label = UNIT_LABEL.get(sc.unit, f"{sc.unit} covered")
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=steps, y=values, name=label, mode="lines+markers", meta=f"coverage:{side}",
                             line={"color": colour, "width": 5 if big else 3},
                             marker={"size": 8 if big else 6},
                             hovertemplate="step %{x:,}: %{y:g} " + sc.unit + "<extra></extra>"))
    if hq is not None:
        # a gap while G covers at most one mode: all samples sharp on one mode is no quality
        # (an untrained G on the grid's centre blob read "74%" at step 0)
        shares = [100 * float(h) if c > HQ_MIN_MODES else None for h, c in zip(hq, values)]
        fig.add_trace(go.Scatter(x=steps, y=shares, name="% high quality",
                                 mode="lines", yaxis="y2", meta=f"hq:{side}", opacity=0.55,
                                 line={"color": colour, "width": 2, "dash": "dot"},
                                 hovertemplate="step %{x:,}: %{y:.0f}% high quality<extra></extra>"))
        fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "range": [0, 115], "tickmode": "array",
                                  "tickvals": [0, 50, 100], "ticktext": ["0%", "50%", "100%"],
                                  "showgrid": False, "zeroline": False, "title": None})
    if current is not None:
        fig.add_trace(go.Scatter(x=[int(current[0])], y=[float(current[1])], name="now", mode="markers",
                                 meta=f"now:{side}", showlegend=False,
                                 marker={"size": 20 if big else 14, "color": colour,
                                         "line": {"width": 3, "color": "white"}},
                                 hovertemplate="now: step %{x:,}, %{y:g}<extra></extra>"))
    fig.add_hline(y=sc.n_modes, line={"dash": "dash", "color": "#555555", "width": 2},
                  annotation_text=f"all {sc.n_modes:,} {sc.unit}", annotation_position="top right",
                  annotation_font_size=18 if big else 12)
    if anchor is not None:
        method, value, source = anchor
        fig.add_hline(y=value, line={"dash": "dot", "color": "#8c8c8c", "width": 1.5},
                      # the method's name only where there is room (a phone's half-width chart
                      # cut it off); the header names the side's method, the anchors line all of them
                      annotation_text=f"published ({method}): {fmt(value)}" if big else f"published: {fmt(value)}",
                      annotation_position="bottom left" if value > sc.n_modes / 2 else "top left",
                      annotation_font_size=16 if big else 11,
                      annotation_font_color="#6b6b6b")
    fig.update_layout(yaxis={"range": [0, sc.n_modes * 1.15], "title": {"text": label}})
    # 1k, 2k, 3k: short enough not to be turned sideways on a phone's half-width chart
    fig.update_xaxes(title_text="training step", range=_x_range(steps + ([0, x_max] if x_max else [])),
                     tickformat="~s")
    fig = _style(fig, big, height)
    if hq is None:  # one line: the axis title says what it is, and the space goes to the chart
        fig.update_layout(showlegend=False)
    return fig


def _x_range(steps: list[int]) -> list[float] | None:
    if not steps:
        return None
    lo, hi = min(steps), max(steps)
    pad = max(1.0, (hi - lo) * 0.03)
    return [lo - pad, hi + pad]


def points_figure(fake: np.ndarray, real: np.ndarray | None, side: str, *, big: bool = False,
                  height: int = 400, title: str | None = None, note: str | None = None) -> go.Figure:
    """Generated points (the side's colour; points off the square are drawn on its edge and
    counted) over the grey real points, on fixed, equal axes; `note` at the foot of the plot
    (what the picture draws, where that differs from what the page counts)."""
    lim = points_limit(real)
    fig = go.Figure()
    if real is not None:
        real = np.asarray(real, dtype=np.float32)[:REAL_POINTS]
        fig.add_trace(go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="real data",
                                 marker={"size": 6 if big else 4, "color": REAL_COLOUR}, hoverinfo="skip"))
    # the same square on both sides and at every frame (nothing jumps); points beyond it are
    # drawn on its edge and counted
    room = view2d.add_generated(fig, np.asarray(fake, dtype=np.float32), -lim, lim,
                         {"size": 7 if big else 5, "color": side_colour(side), "opacity": 0.6},
                         meta=f"samples:{side}", note_size=18 if big else 12, webgl=False)
    fig.update_xaxes(range=[-lim, lim], constrain="domain", showgrid=False, zeroline=False,
                     showticklabels=False, fixedrange=True)
    # y gives way (toward the top) when the figure is taller than wide, as in a phone's half-width
    # column, where PHONE_CSS then cuts the empty rest of the figure off
    fig.update_yaxes(range=[-lim, lim], scaleanchor="x", scaleratio=1, showgrid=False, zeroline=False,
                     showticklabels=False, fixedrange=True, constrain="domain", constraintoward="top")
    if note:
        fig.add_annotation(text=note, xref="paper", yref="paper", x=0.5, y=0.0, yanchor="bottom",
                           showarrow=False, bgcolor="rgba(255,255,255,0.8)",
                           font={"color": side_colour(side), "size": 18 if big else 12})
    fig = _style(fig, big, height, title)
    # no legend in presenter view either: under a quarter-width figure it took the room of the
    # plot (the note names the points; the presenter says grey is the data)
    fig.update_layout(plot_bgcolor="white", showlegend=False)
    if room:  # the count of points beyond the view, over the plot: its two lines' room
        fig.update_layout(margin_t=max(fig.layout.margin.t or 0, room))
    return fig


def hist_figure(hist: np.ndarray, side: str, *, big: bool = False, height: int = 240) -> go.Figure:
    """Share of generated digits per class (by our classifier), with the 10% a uniform G gets."""
    shares = 100 * np.asarray(hist, dtype=float)
    fig = go.Figure(go.Bar(x=[str(k) for k in range(len(shares))], y=shares, name="generated digits",
                           meta=f"hist:{side}", marker={"color": side_colour(side)},
                           hovertemplate="digit %{x}: %{y:.1f}%<extra></extra>"))
    fig.add_hline(y=100 / max(1, len(shares)), line={"dash": "dash", "color": "#555555", "width": 1.5},
                  annotation_text="uniform", annotation_position="top right",
                  annotation_font_size=16 if big else 11)
    # one scale on both sides and at every frame: a flat row beside one tall bar reads as it is
    fig.update_yaxes(range=[0, 105], ticksuffix="%", title_text="share of samples")
    # the presenter view has no room under a 1080p screen for the title: its 0-9 say "digit"
    fig.update_xaxes(title_text=None if big else "digit (as our classifier reads it)", type="category")
    fig = _style(fig, big, height)
    fig.update_layout(showlegend=False)  # one kind of bar, named by the axis and the caption
    return fig


def grid_image(frame: np.ndarray) -> np.ndarray:
    """A sample grid as st.image takes it: (H, W) grey or (H, W, 3) RGB uint8."""
    img = np.asarray(frame)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    return img.astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# Live mode
# ---------------------------------------------------------------------------------------------
def live_config(scenario_name: str, side: str, seed: int = 0, steps: int | None = None,
                lim: jobs.Limits | None = None) -> tuple[Config, list[str]]:
    """The config one side trains live with (coverage logged as `eval` lines LIVE_EVALS times and
    LIVE_SNAPSHOTS snapshots over the run), fitted to the server's limits the way presets are
    (`jobs.fit_to_limits`); and one note per setting the fitting changed."""
    lesson = side_config(scenario_name, side, seed, steps)
    cfg = _watchable(lesson)
    # each fit spaces the checks over fewer steps, which costs a little more per step: fit again
    for _ in range(3 if lim is not None else 0):
        fitted, change = jobs.fit_to_limits(cfg, lim)
        if not change:
            break
        cfg = _watchable(fitted)
    notes = [f"{what} lowered to {new:,} to fit this server's limits (the lesson uses {old:,})"
             for what, old, new in (("steps", lesson.train.steps, cfg.train.steps),
                                    ("batch size", lesson.train.batch_size, cfg.train.batch_size))
             if new != old]
    return cfg, notes


def _watchable(cfg: Config) -> Config:
    """`cfg` with coverage and snapshots often enough to watch over its steps."""
    t = cfg.train
    every_eval = max(1, t.steps // LIVE_EVALS)
    return cfg.with_overrides([f"train.eval_every={every_eval}", f"train.sample_every={max(1, t.steps // LIVE_SNAPSHOTS)}",
                               f"train.log_every={min(t.log_every, every_eval)}"])


# ---------------------------------------------------------------------------------------------
# Presenter view
# ---------------------------------------------------------------------------------------------
PRESENTER_QUERY = "presenter"

# Presenter figure heights (before `_style`'s x1.35): the figures start about 330 px down (a one-line
# title, the timeline, a side's name and its numbers), so samples and chart fit a 1280 x 720
# projector's first screen; the samples figure is cut to its column's width below (its plot is a
# square at the top), so a narrower screen shows no empty space under it.
PRESENTER_FIG_H = 275  # samples and coverage chart
PRESENTER_HIST_CHART_H, PRESENTER_HIST_H = 150, 130  # digits: the chart and the histogram under it

PRESENTER_CSS = """<style>
/* ganplay presenter view: no sidebar or toolbar, large type, for a projector; the figures start in
   the first screen of a 1280 x 720 projector (a compact head: one-line title, tighter gaps) */
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stHeader"] { display: none !important; }
[data-testid="stMainBlockContainer"], .block-container { padding-top: 0.8rem !important;
  padding-left: 2rem !important; padding-right: 2rem !important; max-width: 100% !important; }
[data-testid="stMain"] [data-testid="stVerticalBlock"] { gap: 0.55rem; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li { font-size: 1.45rem; line-height: 1.45; }
[data-testid="stMain"] h1 { font-size: 2rem !important; line-height: 1.25 !important; padding: 0 0 0.4rem 0 !important; }
[data-testid="stMain"] h3 { font-size: 1.8rem !important; padding: 0 !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] p { font-size: 3.4rem !important; line-height: 1.1 !important; }
[data-testid="stMetricLabel"] p { font-size: 1.35rem !important; }
[data-testid="stMetricDelta"] p, [data-testid="stMetricDeltaDescription"] p { font-size: 1.25rem !important; }
[data-testid="stCaptionContainer"] { font-size: 1.15rem !important; }
/* the samples figure: a square plot at its top; cut to its column's width (two sides of two
   columns, 2rem padding each side, 4rem between the sides, 1rem between a side's columns) */
[data-testid="stElementContainer"][class*="st-key-lab-samples-"],
[data-testid="stElementContainer"][class*="st-key-lab-live-samples-"] {
  max-height: calc((100vw - 10rem) / 4 + 0.75rem); overflow: hidden; }
[data-testid="stCode"] code { font-size: 1.3rem !important; }
[data-testid="stMain"] [data-testid="stSelectbox"] input { font-size: 1.25rem !important; }
[data-testid="stMain"] [data-testid="stWidgetLabel"] p { font-size: 1.25rem; }
</style>"""


# Normal view on a phone (Streamlit's columns stack under 640 px; the lab keeps its two sides side by
# side, `wrap=False`): a samples figure, square in a half-width column, is cut to about its column's
# width (half the screen, less the page's padding) instead of showing its full height of empty
# space below the plot, which sits at the figure's top (`points_figure`).
PHONE_CSS = """<style>
@media (max-width: 640px) {
  [data-testid="stElementContainer"][class*="st-key-lab-samples-"],
  [data-testid="stElementContainer"][class*="st-key-lab-live-samples-"] {
    max-height: calc(50vw - 1rem); overflow: hidden; }
}
</style>"""


def presenter_from_query(params: Any) -> bool:
    """`?presenter=1` (also true/yes/on) turns the presenter view on."""
    value = params.get(PRESENTER_QUERY) if params is not None else None
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


def slide_png(left: Replay, right: Replay, i_left: int, i_right: int) -> bytes:
    """The slides figure at these frames (matplotlib is imported here, on demand)."""
    from ganplay.lab import slides

    return slides.figure_png(left, right, i_left, i_right)


def slide_gif(left: Replay, right: Replay) -> bytes:
    """The animated GIF of the whole pair."""
    from ganplay.lab import slides

    return slides.animation_gif(left, right)


def export_name(scenario_name: str, cure_name: str, suffix: str, step: int | None = None) -> str:
    at = f"-step{step}" if step is not None else ""
    return f"lab-{scenario_name}-{cure_name}{at}.{suffix}"
