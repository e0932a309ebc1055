"""Alarms from a run's own numbers: is it failing, diverging, or collapsing?

Each rule looks only at what the run wrote (status, metrics rows, and for 2D runs the mode
coverage of its snapshots), needs a few logs of evidence before it fires, and says in plain words
what it saw and what usually helps.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from ganplay.config import LOGIT_LOSSES, NONNEGATIVE_D_LOSSES
from ganplay.train.rundir import MEASURED, series

EVIDENCE = 5  # consecutive logs a pattern must hold before it counts


@dataclass(frozen=True)
class Alarm:
    level: str  # "error" | "warning"
    title: str
    text: str


def _metric_rows(rows: list[dict]) -> list[dict]:
    return [r for r in rows if "event" not in r]


def _values(rows: list[dict], key: str) -> list[float]:
    # not rundir.series: non-finite values stay, since an inf gradient norm is itself an alarm
    return [float(r[key]) for r in rows if isinstance(r.get(key), (int, float))]


def _coverage_keys(rows: list[dict]) -> list[str]:
    """Eval metrics that count covered modes or classes (the metrics layer logs these)."""
    keys: dict[str, None] = {}
    for r in rows:
        for k, v in r.items():
            if isinstance(v, (int, float)) and any(s in k for s in ("modes", "classes", "coverage")):
                keys.setdefault(k)
    return list(keys)


def coverage_drop(points: list[tuple[int, float]], what: str) -> Alarm | None:
    """A peak of coverage that has since halved: the classic picture of mode collapse."""
    if len(points) < 4:
        return None
    peak_step, peak = max(points, key=lambda p: p[1])
    step, now = points[-1]
    if peak >= 3 and now <= 0.5 * peak and step > peak_step:
        return Alarm("warning", "Mode collapse: coverage is dropping",
                     f"{what} went from {peak:g} at step {peak_step:,} to {now:g} at step {step:,}. "
                     "G has found a few outputs that fool D and stopped making the rest. "
                     "A Wasserstein loss with gradient penalty, minibatch std or PacGAN packing "
                     "often help, and so do learning rates closer to each other: a G much faster "
                     "than D jumps from mode to mode, one much slower never spreads out.")
    return None


def diagnose(rows: list[dict], loss_name: str, state: str, error: str = "",
             coverage: list[tuple[int, float]] | None = None) -> list[Alarm]:
    alarms: list[Alarm] = []
    if state == "failed":
        alarms.append(Alarm("error", "The run failed", error or "the job stopped with an error "
                            "(see its job.log in the run directory)"))
    metrics = _metric_rows(rows)
    last = metrics[-1] if metrics else {}
    bad = [k for k in ("loss_d", "loss_g") if isinstance(last.get(k), float) and not math.isfinite(last[k])]
    if bad:
        alarms.append(Alarm("error", "Diverging", f"{' and '.join(bad)} became non-finite at step "
                            f"{last.get('step', 0):,}. Lower the learning rates or add a gradient "
                            "penalty / spectral norm."))
    recent = metrics[-EVIDENCE:]
    if len(recent) == EVIDENCE and loss_name in NONNEGATIVE_D_LOSSES:
        d_losses = _values(recent, "loss_d")
        if len(d_losses) == EVIDENCE and max(d_losses) < 0.02:
            alarms.append(Alarm("warning", "D loss pinned at zero",
                                f"The discriminator's loss has been below 0.02 for the last {EVIDENCE} "
                                "logs: it rejects every fake, so G's gradients vanish and G stops "
                                "learning. Try a lower D learning rate, label smoothing, instance "
                                "noise, or a Wasserstein loss."))
    if len(recent) == EVIDENCE and loss_name in LOGIT_LOSSES:  # d_real / d_fake are probabilities
        real, fake = _values(recent, "d_real"), _values(recent, "d_fake")
        if len(real) == EVIDENCE and min(real) > 0.95 and max(fake) < 0.05:
            alarms.append(Alarm("warning", "The discriminator is winning",
                                "D(x) is near 1 and D(G(z)) near 0 for the last "
                                f"{EVIDENCE} logs: D tells real from fake perfectly, and G gets little "
                                "signal from it."))
    if len(metrics) > EVIDENCE:
        for key, who in (("grad_norm_d", "D"), ("grad_norm_g", "G")):
            values = _values(metrics, key)
            if len(values) <= EVIDENCE:
                continue
            typical = statistics.median(values[:-1])
            now = values[-1]
            if not math.isfinite(now) or (now > 100 and now > 20 * max(typical, 1e-8)):
                alarms.append(Alarm("warning", f"{who}'s gradients are exploding",
                                    f"‖∇{who}‖ is {now:.3g} now against a typical {typical:.3g}. "
                                    "Lower the learning rates, or add a gradient penalty or "
                                    "spectral norm."))
    for key in _coverage_keys([r for r in rows if r.get("event") in MEASURED]):
        alarm = coverage_drop(sorted(zip(*series(rows, key, event=MEASURED))), key.replace("_", " "))
        if alarm:
            alarms.append(alarm)
    if coverage:
        alarm = coverage_drop(coverage, "The number of modes G hits")
        if alarm:
            alarms.append(alarm)
    return alarms
