"""Progress of a run from its own files: fraction done, speed, an honest ETA, the device.

The ETA uses the speed the job reported over its most recent log intervals (`steps_per_s`, measured
wall time between logs, so sampling and checkpoint time are included), and says "estimating" until
there are two intervals to go on, instead of guessing from the first, slowest steps.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass


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

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.steps) if self.steps else 0.0

    def text(self) -> str:
        parts = [f"step {self.step:,} / {self.steps:,}"]
        if self.images_per_s:
            parts.append(f"{self.images_per_s:,.0f} images/s")
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


def recent_speed(rows: list[dict], window: int = 5) -> float | None:
    """Median steps/s of the last `window` log intervals (None with fewer than two)."""
    speeds = [r["steps_per_s"] for r in rows if "event" not in r and r.get("steps_per_s")]
    if len(speeds) < 2:
        return None
    return statistics.median(speeds[-window:])


def progress(status: dict, rows: list[dict], now: float | None = None) -> Progress:
    metrics = [r for r in rows if "event" not in r]
    last = metrics[-1] if metrics else {}
    step = int(status.get("step") or last.get("step") or 0)
    steps = int(status.get("steps") or 0)
    state = status.get("state", "starting")
    speed = recent_speed(metrics)
    eta = None
    if speed and state == "running" and steps:
        # the status is written at each log: count the time since then as already spent
        since = max(0.0, (now or time.time()) - float(status.get("updated", now or time.time())))
        eta = max(0.0, (steps - step) / speed - since)
    return Progress(step, steps, state, str(status.get("device", "")), last.get("images_per_s"),
                    speed, eta)
