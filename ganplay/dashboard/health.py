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


def coverage_low(points: list[tuple[int, float]], total: int) -> Alarm | None:
    """Coverage that stays at a quarter of the modes or less: a run collapsed from its start,
    which never shows the drop `coverage_drop` looks for (its losses can look perfectly calm)."""
    points = [p for p in points if p[0] > 0]  # step 0 is the untrained G: no evidence of anything
    if total < 4 or len(points) < EVIDENCE - 1:  # a good run can take 2-3 checks to spread out
        return None
    tail = points[-3:]
    if max(v for _, v in tail) <= total / 4:
        step, now = tail[-1]
        return Alarm("warning", f"Mode collapse: G covers {now:g} of {total} modes",
                     f"At each of the last {len(tail)} measurements (to step {step:,}) G's samples "
                     f"reached at most {total // 4} of the {total} modes: G makes a few kinds of "
                     "samples only. D(x) and D(G(z)) near 0.5 do not mean G is good here: a few "
                     "outputs can fool D. Learning rates closer to each other, a Wasserstein loss "
                     "with gradient penalty, minibatch std or PacGAN packing often help.")
    return None


def _collapse(points: list[tuple[int, float]], what: str, total: int | None) -> Alarm | None:
    return coverage_drop(points, what) or (coverage_low(points, total) if total else None)


def diagnose(rows: list[dict], loss_name: str, state: str, error: str = "",
             coverage: list[tuple[int, float]] | None = None, modes_total: int | None = None) -> list[Alarm]:
    """The run's alarms; `coverage` is (step, modes hit) counted on 2D snapshots when the run logs
    no `modes` of its own, `modes_total` how many modes its data has (0 or None: unknown)."""
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
        alarm = _collapse(sorted(zip(*series(rows, key, event=MEASURED))), key.replace("_", " "),
                          modes_total if key == "modes" else None)
        if alarm:
            alarms.append(alarm)
    if coverage:
        alarm = _collapse(coverage, "The number of modes G hits", modes_total)
        if alarm:
            alarms.append(alarm)
    return alarms
