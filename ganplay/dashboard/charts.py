"""Plotly figures of a run's metrics: the live loss curves and the overlay of several runs.

Input is `metrics.jsonl` as read by `RunDir.read_metrics()`: rows with a `step` and numbers, plus
`{"step", "event": "set", ...}` lines when someone steered the job (vertical markers on the charts)
and `{"step", "event": "eval", ...}` lines with periodic quality metrics (their own chart).
"""

from __future__ import annotations

import math
import textwrap
from typing import Iterable

import pandas  # noqa: F401  (before plotly: see docs/ARCHITECTURE.md, 'pandas before plotly')
import plotly.graph_objects as go

from ganplay.glossary import metric
from ganplay.train.rundir import MEASURED, series

# (key, legend label, colour)
LOSS_SERIES = (("loss_d", "D loss", "#1f77b4"), ("loss_g", "G loss", "#ff7f0e"),
               ("wasserstein", "Wasserstein estimate", "#2ca02c"))
SCORE_SERIES = (("d_real", "D(x) real", "#2ca02c"), ("d_fake", "D(G(z)) fake", "#d62728"))
GRAD_SERIES = (("grad_norm_d", "‖∇D‖", "#1f77b4"), ("grad_norm_g", "‖∇G‖", "#ff7f0e"))
COUNTS = ("modes", "classes")  # eval metrics that count whole things
PANELS = ("Losses", "Discriminator outputs", "Gradient norms")


QUALITY_FIRST = ("modes", "hq", "classes", "fid", "kid", "kl", "label_acc", "psnr", "ssim")  # what a comparison opens on


def explain(keys: Iterable[str]) -> str:
    """One Markdown line per metric: what it is and which way is better."""
    lines = []
    for key in keys:
        m = metric(key)
        if m.meaning:
            better = f" *{m.better.capitalize()} is better.*" if m.better else ""
            lines.append(f"- **{m.label}**: {m.meaning}.{better}")
    return "\n".join(lines)


def split_events(rows: Iterable[dict]) -> tuple[list[dict], list[dict]]:
    """(training metric rows, steering events). Other event lines (eval) are in neither."""
    metrics, events = [], []
    for row in rows:
        if "event" not in row:
            metrics.append(row)
        elif row["event"] == "set":
            events.append(row)
    return metrics, events


def _numeric(row: dict) -> dict:
    return {k: v for k, v in row.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in ("step", "time")}


def eval_keys(rows: Iterable[dict]) -> list[str]:
    """The quality metrics the run's eval lines (`"event": "eval"`) carry, in the order first logged."""
    return list(dict.fromkeys(k for r in rows if r.get("event") == "eval" for k in _numeric(r)))


def eval_figures(rows: list[dict], height: int = 230) -> list[go.Figure]:
    """One small chart per eval metric (modes covered, classes, ...), titled by the glossary; []
    if none were logged. Separate figures, so a phone's page stacks them (four panels in one
    figure were unreadable there)."""
    figs = []
    for key in eval_keys(rows):
        xs, ys = series(rows, key)
        fig = go.Figure(go.Scatter(x=xs, y=ys, name=metric(key).label, mode="lines+markers",
                                   line={"color": "#9467bd"}, meta=key))
        fig.update_xaxes(title_text="step", rangemode="tozero")  # one point: not an axis of 249..251
        if key in COUNTS and ys:  # whole numbers of modes or classes: no tick at 0.5
            fig.update_yaxes(rangemode="tozero", tick0=0, dtick=max(1, math.ceil(max(ys) / 5)))
        fig.update_layout(title={"text": metric(key).label, "font": {"size": 14}}, height=height,
                          showlegend=False, margin={"l": 10, "r": 10, "t": 40, "b": 10}, uirevision="keep")
        figs.append(fig)
    return figs


def event_label(event: dict) -> str:
    changes = ", ".join(f"{k}={event[k]:g}" if isinstance(event[k], float) else f"{k}={event[k]}"
                        for k in ("lr_g", "lr_d", "n_critic") if k in event)
    return f"step {event.get('step', 0)}: {event.get('event', 'event')} {changes}".strip()


def loss_figures(rows: list[dict], height: int = 330) -> list[go.Figure]:
    """Losses (+ Wasserstein estimate), D's outputs, gradient norms: one figure each (side by side
    on a wide page, one under another on a phone), each with its legend under it and steering
    events as dotted vertical lines."""
    _, events = split_events(rows)
    figs = []
    for title, group in zip(PANELS, (LOSS_SERIES, SCORE_SERIES, GRAD_SERIES)):
        fig = go.Figure()
        for key, label, colour in group:
            xs, ys = series(rows, key, event=None)
            if not xs:
                continue
            fig.add_trace(go.Scatter(x=xs, y=ys, name=label, mode="lines" if len(xs) > 2 else "lines+markers",
                                     line={"color": colour, "width": 2},  # a new run's first points show
                                     meta=key))
        for event in events:
            fig.add_vline(x=event.get("step", 0), line={"dash": "dot", "color": "#7f7f7f", "width": 1})
            fig.add_annotation(x=event.get("step", 0), y=1.0, yref="paper", xref="x", text="set",
                               hovertext=event_label(event), showarrow=False, yanchor="bottom",
                               font={"size": 10, "color": "#7f7f7f"})
        fig.update_xaxes(title_text="step", rangemode="tozero")  # one point: not an axis of 249..251
        fig.update_layout(title={"text": title, "font": {"size": 14}}, height=height, showlegend=True,
                          legend={"orientation": "h", "x": 0, "y": -0.3, "yanchor": "top", "font": {"size": 11}},
                          margin={"l": 10, "r": 10, "t": 40, "b": 10}, uirevision="keep")
        figs.append(fig)
    figs[2].update_yaxes(type="log", dtick=1)  # one tick per decade
    return figs


RUN_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
               "#e377c2", "#7f7f7f", "#bcbd22")
RUN_DASHES = ("solid", "dash", "dot")


def overlay_figure(runs: dict[str, list[dict]], key: str, height: int = 380) -> go.Figure:
    """One metric of several runs on one chart, each run its own colour (and dash past ten),
    named in a legend even when alone; the runs that never logged it are named above the chart."""
    fig = go.Figure()
    missing = []
    for i, (name, rows) in enumerate(runs.items()):
        xs, ys = series(rows, key, event=MEASURED)
        if not xs:
            missing.append(name)
        if xs:
            line = {"color": RUN_COLOURS[i % len(RUN_COLOURS)], "width": 2,
                    "dash": RUN_DASHES[i // len(RUN_COLOURS) % len(RUN_DASHES)]}
            fig.add_trace(go.Scatter(x=xs, y=ys, name=name, mode="lines+markers" if len(xs) < 30 else "lines",
                                     line=line))
    m = metric(key)
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}, xaxis_title="step",
                      yaxis_title=m.label + (f" ({m.better} is better)" if m.better else ""),
                      legend={"orientation": "h", "y": -0.2}, showlegend=True)
    if missing:
        fig.update_layout(margin={"t": 40})
        fig.add_annotation(text=f"not logged by {', '.join(missing)}", xref="paper", yref="paper", x=0,
                           y=1.0, xanchor="left", yanchor="bottom", showarrow=False,
                           font={"size": 12, "color": "#6b6b6b"})
    return fig


def comparison_order(keys) -> list[str]:
    """Metrics in the order a comparison offers them: quality measures (QUALITY_FIRST's order),
    then the others every loss shares, then the loss-dependent ones (each group by label)."""
    def rank(k: str) -> tuple:
        return (k not in QUALITY_FIRST, not metric(k).comparable,
                QUALITY_FIRST.index(k) if k in QUALITY_FIRST else 0, metric(k).label)

    return sorted(keys, key=rank)


def default_metric(keys) -> str:
    """What a comparison opens on: the first of `comparison_order`."""
    return comparison_order(keys)[0]


def _measurements(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r.get("event") in MEASURED]


def numeric_keys(rows: list[dict]) -> list[str]:
    """Metric names present in the rows, training and eval ones (for choosing what to overlay)."""
    keys: dict[str, None] = {}
    for row in _measurements(rows):
        for k in _numeric(row):
            keys.setdefault(k)
    return list(keys)


def last_values(rows: list[dict]) -> dict:
    """The newest value of each metric (eval metrics are logged less often, so look back)."""
    out: dict = {}
    for row in _measurements(rows):
        out.update(_numeric(row))
    return out


LEGEND_WRAP = 48  # characters per legend line: what a phone's (390 px) chart shows


def augmentation_figure(summary: list[dict], arm_text: dict[str, str], height: int = 380) -> go.Figure:
    """Held-out accuracy (mean over seeds, the bars spanning one standard deviation) against real
    digits per class, one line per arm; the arm whose generator saw more data is dashed."""
    fig = go.Figure()
    ns = sorted({r["n"] for r in summary})
    for arm in dict.fromkeys(r["arm"] for r in summary):
        rows = sorted((r for r in summary if r["arm"] == arm), key=lambda r: r["n"])
        fig.add_trace(go.Scatter(
            x=[r["n"] for r in rows], y=[100 * r["mean"] for r in rows],
            # wrapped: plotly never wraps a legend entry, and a phone cut the longest off
            name=textwrap.fill(arm_text.get(arm, arm), LEGEND_WRAP).replace("\n", "<br>"),
            mode="lines+markers", line={"dash": "dash" if arm.startswith("zoo") else "solid"},
            error_y={"type": "data", "array": [100 * r["std"] for r in rows], "visible": True},
            hovertemplate="%{x} real per class: %{y:.1f}%<extra>" + arm + "</extra>"))
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      legend={"orientation": "h", "y": -0.25},
                      # ticks at the measured n only: a log axis's own minor labels ("2 3 4 5" between
                      # 10 and 100) read as n = 2, 3, 4, 5
                      xaxis={"title": "real digits per class (n)", "type": "log", "tickmode": "array",
                             "tickvals": ns, "ticktext": [str(n) for n in ns]},
                      yaxis={"title": "held-out accuracy (%)"})
    return fig
