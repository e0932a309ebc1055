"""What the pages list: run directories, jobs still launching, the queue; each with its effective
state (a run whose process is gone is `interrupted`). Pure reading, except attaching a launch to
its run directory once the job has written its config there."""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ganplay.config import POINT_DATASETS, Config, ConfigError
from ganplay.jobs.records import (ACTIVE_STATES, JOB_FILE, LAUNCH_DIR, LOG_FILE, QUEUE_DIR, STALE_AFTER_S,
                                  Phase, _job_alive, _read_json_or, log_tail, process_alive,
                                  read_phase)
from ganplay.train.rundir import FINAL_STATES, RunDir, atomic_write_json, runs_root

# ---------------------------------------------------------------------------------------------
# What the dashboard lists
# ---------------------------------------------------------------------------------------------
@dataclass
class RunInfo:
    """One row of the jobs list: a run directory, a job still launching, or a queued job.

    `state` is the effective state: the status file's, except `interrupted` (its process is gone),
    `launching` (process started, no run directory yet), `queued`, and `failed` for a launch that
    died before creating its run directory (`note` then holds its error output)."""

    kind: str  # "run" | "launch" | "queued"
    id: str
    path: Path
    state: str
    config: dict = field(default_factory=dict)
    status: dict = field(default_factory=dict)
    job: dict | None = None
    note: str = ""
    queue_position: int = 0

    @property
    def name(self) -> str:
        if self.kind == "run":
            return self.path.name
        if (self.job or {}).get("run_dir"):  # the run it will be, from the start
            return Path(self.job["run_dir"]).name
        return f"{self.config.get('name') or 'job'} ({self.id})"

    @property
    def step(self) -> int:
        return int(self.status.get("step", 0) or 0)

    @property
    def steps(self) -> int:
        return int(self.status.get("steps") or self.config.get("train", {}).get("steps", 0) or 0)

    @property
    def error(self) -> str:
        return self.status.get("error") or (self.note if self.state == "failed" else "")

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def can_continue(self) -> bool:
        """Stopped or interrupted runs with a checkpoint continue with `--resume`."""
        return (self.kind == "run" and self.state in ("stopped", "interrupted")
                and RunDir(self.path).latest_checkpoint() is not None)

    @functools.cached_property
    def settings(self) -> Config:
        """The run's config as the validated object, every default filled in (so no page keeps
        defaults of its own); a config.json that no longer validates reads as the defaults."""
        try:
            return Config.from_dict(self.config)
        except ConfigError:
            return Config()

    @property
    def is_points(self) -> bool:
        return self.config.get("data", {}).get("name") in POINT_DATASETS

    @property
    def run(self) -> RunDir:
        return RunDir(self.path)

    @property
    def owner(self) -> str | None:
        """The hashed token of the visitor who started it (demo mode), else None."""
        return (self.job or {}).get("owner")

    @property
    def address(self) -> str | None:
        """The hashed client address it was started (or continued) from (demo mode), else None."""
        return (self.job or {}).get("address")

    @property
    def phase(self) -> Phase | None:
        """While launching (or starting a continued run): what the job is doing."""
        if self.state not in ("launching", "starting"):
            return None
        if self.kind == "run" and not (self.job or {}).get("phase_file"):
            return read_phase(self.job or {"started": self.status.get("updated")}, default="starting")
        return read_phase(self.job)

    def summary(self) -> str:
        if self.state == "queued":
            return f"queued (#{self.queue_position})"
        if self.kind == "launch":
            return self.state
        return f"{self.state}, step {self.step:,}/{self.steps:,}"


def run_info(path: str | Path) -> RunInfo | None:
    """The effective state of one run directory (None if `path` is not one)."""
    run = RunDir(path)
    if not run.is_run():
        return None
    status = run.read_status()
    config = _read_json_or(run.config_path, {})
    job = _read_json_or(run.path / JOB_FILE, None)
    state = status.get("state", "starting")
    note = ""
    alive = _job_alive(job) if job else None
    # a status written before this job's process started belongs to an earlier session (the run
    # is being continued): until the new process writes its own, the run is starting
    stale = bool(job) and float(status.get("updated", 0)) < float(job.get("started", 0))
    if alive and stale:
        state = "starting"
    elif alive is False and (stale or state not in FINAL_STATES):
        if job.get("stop_requested") and (stale or state == "starting"):
            state = "stopped"  # stopped by request before it began training
        elif state not in FINAL_STATES:
            state = "interrupted"
            note = "its process ended without finishing; continue it from its last checkpoint"
        else:
            note = "continuing it failed: " + (_launch_output(job, 5) or "see job.log")
    elif job is None and state == "running":
        age = time.time() - float(status.get("updated", time.time()))
        if age > STALE_AFTER_S:
            note = f"no update for {age / 60:.0f} min (started elsewhere; it may have been killed)"
    return RunInfo("run", run.path.name, run.path, state, config, status, job, note)


def _launch_output(record: dict, lines: int = 30) -> str:
    return "\n".join(log_tail(record.get("log", "")).strip().splitlines()[-lines:])


def _announced_run_dir(record: dict) -> Path | None:
    """The job's run directory (given to it with --run-dir), once the job has written its config there."""
    path = Path(record["run_dir"]) if record.get("run_dir") else None
    return path if path is not None and RunDir(path).is_run() else None


def _attach(root: Path, record_path: Path, record: dict) -> Path | None:
    """Move a launch record into its run directory once that exists. Returns the run dir."""
    run_path = _announced_run_dir(record)
    if run_path is None:
        return None
    job = {k: v for k, v in record.items() if k not in ("config_path", "phase_file")}
    log = Path(record["log"])
    target_log = run_path / LOG_FILE
    try:
        os.replace(log, target_log)  # the child keeps writing to the same open file
        job["log"] = str(target_log)
    except OSError:
        pass
    if not (run_path / JOB_FILE).exists():
        atomic_write_json(run_path / JOB_FILE, job)
    for leftover in (record_path, Path(record.get("config_path", "")), Path(record.get("phase_file", ""))):
        if leftover.name:
            leftover.unlink(missing_ok=True)
    return run_path


def _launches(root: Path) -> list[RunInfo]:
    out = []
    for record_path in sorted((root / LAUNCH_DIR).glob("*.json")):
        if record_path.name.endswith((".config.json", ".phase.json")):
            continue
        record = _read_json_or(record_path, None)
        if not isinstance(record, dict):
            continue
        if _attach(root, record_path, record) is not None:
            continue
        if process_alive(record.get("pid"), record.get("pid_start")):
            state, note = "launching", read_phase(record).name
        elif _attach(root, record_path, record) is not None:  # it finished between the two looks
            continue
        else:
            state = "stopped" if record.get("stop_requested") else "failed"
            note = _launch_output(record) or "the job ended before it created its run directory"
        config = _read_json_or(Path(record.get("config_path", "")), {}) if record.get("config_path") else {}
        out.append(RunInfo("launch", record["id"], record_path, state, config, {}, record, note))
    return out


def _queued(root: Path) -> list[RunInfo]:
    out = []
    for n, path in enumerate(sorted((root / QUEUE_DIR).glob("*.json")), start=1):
        entry = _read_json_or(path, None)
        if not isinstance(entry, dict):
            continue
        config = entry.get("config") or _read_json_or(Path(entry.get("resume", "")) / "config.json", {})
        out.append(RunInfo("queued", path.stem, path, "queued", config, {}, entry, queue_position=n))
    return out


def list_runs(root: str | Path | None = None) -> list[RunInfo]:
    """Every run directory under `root` (or `root` itself if it is one), newest first, then jobs
    still launching, then the queue. Pure reading: see `poll` for the version that also acts."""
    root = runs_root(root)
    if RunDir(root).is_run():
        info = run_info(root)
        return [info] if info else []
    launches = _launches(root)  # first: attaching writes job.json into new run directories
    runs = []
    if root.is_dir():
        for p in sorted(root.iterdir(), key=lambda p: p.name, reverse=True):
            if p.is_dir() and not p.name.startswith(".") and p.name != QUEUE_DIR:
                info = run_info(p)
                if info is not None:
                    runs.append(info)
    return launches + runs + _queued(root)


def active_jobs(root: str | Path | None = None) -> int:
    """Jobs of this machine that hold a slot: launching, or running/paused with a live process."""
    root = runs_root(root)
    n = 0
    for info in list_runs(root):
        if info.kind == "launch" and info.state == "launching":
            n += 1
        elif info.kind == "run" and info.is_active and info.job and _job_alive(info.job):
            n += 1
    return n


def find(root: str | Path | None, ident: str) -> RunInfo | None:
    """A run by directory name, launch/queue id, or the job id recorded in its job.json."""
    direct = runs_root(root) / ident
    if ident and not ident.startswith(".") and RunDir(direct).is_run():  # the cheap, common case
        return run_info(direct)
    for info in list_runs(root):
        if ident in (info.id, info.path.name, str(info.path)) or (info.job or {}).get("id") == ident:
            return info
    return None


