"""Progress of a run from its own files: fraction done, speed, an honest ETA, the device.

The trainer's `steps_per_s` on each metrics line is measured over wall time since the line
before, so the lines' intervals add up to the whole session, sample grids, eval lines and
checkpoints included. The ETA divides the steps left by the rate over the newest lines that
cover one full cycle of that periodic work (the longest of sample_every, eval_every,
checkpoint_every, at least two log intervals), as many whole cycles as the run has done since it
was last steered, so a slow snapshot interval counts as often as it recurs: neither ignored (a
median of intervals did that) nor taken as the speed; and a few noisy seconds do not swing the
estimate (a Quick start watched in Chromium ran 90-260 steps/s from one line to the next). The first line
of a run is left out (its interval holds the start-up and the first grid), and the estimate says
"estimating" until two intervals of at least one log_every are in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ganplay.config import Config


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@dataclass
class Progress:
    step: int
    steps: int
    state: str
    device: str
    images_per_s: float | None
    steps_per_s: float | None
    eta_s: float | None
    unit: str = "images"  # what a training example is: "points" for 2D data

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.steps) if self.steps else 0.0

    def text(self) -> str:
        parts = [f"step {self.step:,} / {self.steps:,}"]
        if self.images_per_s and self.state == "running":
            parts.append(f"{self.images_per_s:,.0f} {self.unit}/s")
        if self.state == "running":
            if self.eta_s is not None:
                parts.append(f"about {format_duration(self.eta_s)} left")
            else:
                parts.append("estimating time left")
        elif self.state in ("paused", "interrupted", "stopped"):
            parts.append(self.state)
        if self.device:
            parts.append(f"on {self.device}")
        return " · ".join(parts)


def cycle_steps(config: Config | None) -> int:
    """Steps of one full cycle of a run's periodic work (see the module docstring)."""
    t = (config or Config()).train
    return max(2 * t.log_every, t.sample_every, t.eval_every, t.checkpoint_every)


def run_rate(rows: list[dict], window_steps: int, min_steps: int = 0) -> float | None:
    """Steps per wall-clock second over the newest metrics lines that cover `window_steps` steps
    (all but the first line while the run is shorter). None with fewer than two intervals, or
    fewer than `min_steps` steps, to go on."""
    lines = [r for r in rows if "event" not in r and r.get("steps_per_s")]
    intervals = []  # (steps, seconds) of each line's interval
    for prev, row in zip(lines, lines[1:]):
        steps = int(row["step"]) - int(prev["step"])
        if steps > 0:
            intervals.append((steps, steps / float(row["steps_per_s"])))
    total_steps, total_s, used = 0, 0.0, 0
    for steps, seconds in reversed(intervals):
        total_steps += steps
        total_s += seconds
        used += 1
        if total_steps >= window_steps:
            break
    if used < 2 or total_steps < min_steps or total_s <= 0:
        return None
    return total_steps / total_s


def progress(status: dict, rows: list[dict], now: float | None = None, config: Config | None = None) -> Progress:
    metrics = [r for r in rows if "event" not in r]
    last = metrics[-1] if metrics else {}
    step = int(status.get("step") or last.get("step") or 0)
    steps = int(status.get("steps") or 0)
    state = status.get("state", "starting")
    log_every = config.train.log_every if config else 1
    # every whole cycle of periodic work since the speed last changed on purpose (a steer): a
    # browser redrawing beside the job swings the rate over one cycle by a quarter either way
    cycle = cycle_steps(config)
    steered = max((int(r.get("step", 0)) for r in rows if r.get("event") == "set"), default=0)
    # (whole cycles after the run's first one, whose first line holds the start-up)
    speed = run_rate(metrics, cycle * max(1, (step - steered - 1) // cycle), min_steps=log_every)
    eta = None
    images = last.get("images_per_s")
    if speed:
        if last.get("steps_per_s"):  # images per step: batch x n_critic x processes
            images = speed * float(last["images_per_s"]) / float(last["steps_per_s"])
        if state == "running" and steps:
            # the status is written at each log: count the time since then as already spent
            now = now or time.time()
            since = max(0.0, now - float(status.get("updated", now)))
            eta = max(0.0, (steps - step) / speed - since)
    unit = "points" if config is not None and config.is_points else "images"
    return Progress(step, steps, state, str(status.get("device", "")), images, speed, eta, unit)
