"""Demo mode's limits: caps on steps, batch size and jobs, the cost budget a job is held to before it
starts (`ganplay.train.cost`), and which visitor may touch a job."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ganplay.config import DRAWN_DATASET, Config
from ganplay.jobs.records import JobError

if TYPE_CHECKING:
    from ganplay.jobs.listing import RunInfo

# ---------------------------------------------------------------------------------------------
# Where runs live, and the limits that apply (demo mode)
# ---------------------------------------------------------------------------------------------
def demo_mode() -> bool:
    """On with GANPLAY_DEMO=1, and by itself on a Hugging Face Space (SPACE_ID is set)."""
    flag = os.environ.get("GANPLAY_DEMO", "").strip().lower()
    if flag in ("0", "false", "no", "off"):
        return False
    return flag in ("1", "true", "yes", "on") or bool(os.environ.get("SPACE_ID"))


@dataclass(frozen=True)
class Limits:
    """Caps on what jobs may ask for and cost. `None` means no cap.

    In demo mode a job is also held to a budget of CPU time (`max_cpu_s`, seconds of this kind of
    2-core machine) and disk (`max_job_bytes`), estimated before it starts by
    `ganplay.train.cost`; the demo's runs folder keeps under `max_total_bytes` by deleting its
    oldest finished runs. The queue holds at most `max_queue` jobs, and one visitor may have at
    most `max_per_visitor` jobs running or waiting: counted per visitor token, and per client
    address (every page a visitor opens gets a new token; `ganplay.clients`)."""

    demo: bool = False
    max_steps: int | None = None
    max_batch_size: int | None = None
    max_jobs: int | None = None
    max_queue: int | None = None
    max_per_visitor: int | None = None
    max_cpu_s: float | None = None
    max_job_bytes: int | None = None
    max_total_bytes: int | None = None

    def describe(self) -> str:
        parts = []
        if self.max_steps:
            parts.append(f"at most {self.max_steps:,} steps")
        if self.max_batch_size:
            parts.append(f"batch size at most {self.max_batch_size}")
        if self.max_cpu_s:
            parts.append(f"about {self.max_cpu_s / 60:.0f} minutes of CPU per job")
        if self.max_job_bytes:
            parts.append(f"{self.max_job_bytes / 1e6:.0f} MB of disk per job")
        if self.max_jobs:
            parts.append(f"{self.max_jobs} job{'s' if self.max_jobs > 1 else ''} at a time "
                         + (f"(up to {self.max_queue} more wait in a queue)" if self.max_queue
                            else "(more wait in a queue)"))
        if self.max_per_visitor:
            parts.append(f"{self.max_per_visitor} running or waiting job{'s' if self.max_per_visitor > 1 else ''} "
                         "per visitor")
        return ", ".join(parts) or "no limits"

    @property
    def has_budget(self) -> bool:
        """Whether jobs are held to a CPU or disk budget (`cost_errors`, `fit_to_limits`)."""
        return bool(self.max_cpu_s or self.max_job_bytes)


def _env_int(name: str, default: int | None) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        return default
    return value if value > 0 else None


DEMO_CPU_MINUTES = 10
DEMO_JOB_MB = 200
DEMO_TOTAL_MB = 2000


def limits() -> Limits:
    """Demo mode: 2,000 steps, batch 256, 10 minutes of CPU and 200 MB per job, a runs folder
    of at most 2 GB, one job at a time with 4 more in the queue, 2 per visitor (each settable:
    GANPLAY_DEMO_MAX_STEPS, _MAX_BATCH, _MAX_JOBS, _MAX_QUEUE, _MAX_PER_VISITOR, _CPU_MINUTES,
    _JOB_MB, _TOTAL_MB). Otherwise only GANPLAY_MAX_JOBS."""
    if demo_mode():
        cpu_min = _env_int("GANPLAY_DEMO_CPU_MINUTES", DEMO_CPU_MINUTES)
        job_mb = _env_int("GANPLAY_DEMO_JOB_MB", DEMO_JOB_MB)
        total_mb = _env_int("GANPLAY_DEMO_TOTAL_MB", DEMO_TOTAL_MB)
        return Limits(True, _env_int("GANPLAY_DEMO_MAX_STEPS", 2000),
                      _env_int("GANPLAY_DEMO_MAX_BATCH", 256), _env_int("GANPLAY_DEMO_MAX_JOBS", 1),
                      _env_int("GANPLAY_DEMO_MAX_QUEUE", 4), _env_int("GANPLAY_DEMO_MAX_PER_VISITOR", 2),
                      cpu_min * 60.0 if cpu_min else None, job_mb * 1_000_000 if job_mb else None,
                      total_mb * 1_000_000 if total_mb else None)
    return Limits(False, max_jobs=_env_int("GANPLAY_MAX_JOBS", None))


def _cost_module():
    # torch (the estimate builds the job's models): loaded only where a budget applies, so
    # listing runs and an unlimited server stay torch-free
    from ganplay.train import cost

    return cost


def _budget(lim: Limits):
    """`lim`'s per-job budget as `ganplay.train.cost.Budget` (call only when `lim.has_budget`)."""
    return _cost_module().Budget(lim.max_cpu_s or float("inf"), lim.max_job_bytes or 2**62)


def cost_errors(cfg: Config, lim: Limits) -> list[str]:
    """The budget lines `cfg` exceeds (none without a budget)."""
    if not lim.has_budget:
        return []
    return _cost_module().over_budget(cfg, _budget(lim))


def fit_to_limits(cfg: Config, lim: Limits) -> tuple[Config, str]:
    """`cfg` as this server offers it: steps and batch size lowered to the caps, then fewer steps
    when that alone brings it within the CPU and disk budget; and a note saying what changed
    ("" when nothing did). For presets and lessons; a visitor's own setup is refused instead."""
    changes = []
    if lim.max_batch_size and cfg.train.batch_size > lim.max_batch_size:
        batch = lim.max_batch_size - lim.max_batch_size % cfg.model.pack
        changes.append(f"train.batch_size {cfg.train.batch_size:,} → {batch:,}")
        cfg = cfg.with_overrides([f"train.batch_size={batch}"])
    steps = cfg.train.steps
    if lim.max_steps and steps > lim.max_steps:
        steps = lim.max_steps
    if lim.has_budget and steps > 1:
        fitted = _cost_module().max_steps_within(cfg.with_overrides([f"train.steps={steps}"]), _budget(lim))
        if fitted:
            steps = min(steps, fitted)
    if steps != cfg.train.steps:
        changes.append(f"train.steps {cfg.train.steps:,} → {steps:,}")
        cfg = cfg.with_overrides([f"train.steps={steps}"])
    return cfg, ", ".join(changes)


def limit_errors(cfg: Config, lim: Limits) -> list[str]:
    """What in `cfg` the limits refuse, one line per field, in the config's own error style."""
    errors = []
    if lim.max_steps and cfg.train.steps > lim.max_steps:
        errors.append(f"train.steps: this demo allows at most {lim.max_steps:,} steps; got {cfg.train.steps:,}")
    if lim.max_batch_size and cfg.train.batch_size > lim.max_batch_size:
        errors.append(f"train.batch_size: this demo allows at most {lim.max_batch_size}; "
                      f"got {cfg.train.batch_size}")
    if lim.demo and cfg.data.download:
        errors.append("data.download: this demo does not download data sets; use mnist5k or digits")
    if lim.demo and cfg.data.name == "folder":
        errors.append("data.name: this demo cannot read folders on the server; use a bundled data set")
    elif lim.demo and cfg.data.root:
        errors.append("data.root: this demo reads data sets only from its own folders; leave data.root "
                      "empty (a visitor names no folder on the server)")
    if lim.demo and cfg.data.name == DRAWN_DATASET and not _in_points_store(cfg.data.path):
        errors.append("data.path: this demo trains only on points drawn or loaded on its pages "
                      "(the 2D playground's Draw your data, or Your points on the Train page)")
    if not errors:  # the estimate needs a config the demo would run at all
        errors += cost_errors(cfg, lim)
    return errors


# ---------------------------------------------------------------------------------------------
# Visitors (demo mode): who may touch a job
# ---------------------------------------------------------------------------------------------
def owner_id(visitor: str | None) -> str | None:
    """What a job records of the visitor who started it: a hash of their token, so a run's
    files never hold a token someone could present as theirs."""
    if not visitor:
        return None
    return hashlib.sha256(f"ganplay-visitor:{visitor}".encode()).hexdigest()[:32]


def address_id(address: str | None) -> str | None:
    """What a job records of the client address it was started from (demo mode, where one address
    may hold `max_per_visitor` jobs however many pages it opens): a hash, so run files list no
    visitor's address."""
    if not address:
        return None
    return hashlib.sha256(f"ganplay-address:{address}".encode()).hexdigest()[:32]


def may_control(info: "RunInfo", visitor: str | None, lim: Limits | None = None) -> bool:
    """Whether `visitor` may stop, pause, steer or continue `info`: anyone, except in demo
    mode, where only the visitor who started it."""
    lim = lim or limits()
    if not lim.demo:
        return True
    owner = info.owner
    return owner is not None and owner == owner_id(visitor)


def _check_control(info: "RunInfo", visitor: str | None, what: str) -> None:
    if not may_control(info, visitor):
        raise JobError(f"cannot {what} {info.name}: another visitor started it; in this demo you "
                       "can watch it, not change it")


def _in_points_store(path: str) -> bool:
    """Whether `path` is a file the pages stored (`pointsets.store`) under this server's runs
    folder: a visitor names no other file on the server."""
    from pathlib import Path

    from ganplay.pointsets import store_dir
    from ganplay.train.rundir import runs_root

    try:
        return Path(path).resolve().parent == store_dir(runs_root()).resolve()
    except (OSError, ValueError):
        return False
