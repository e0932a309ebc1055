"""Training jobs as child processes: the one place that starts, lists, steers and deletes them.

The dashboard never trains in its own process. `submit(cfg)` starts

    python -m ganplay train --config <root>/.jobs/<id>.config.json --out <root> --quiet

in a new session (so it outlives a browser tab, and even the dashboard), and everything after that
is read back from disk, so a refresh or a second tab reattaches instead of starting anything twice:

    <root>/.jobs/<id>.json          a launch record (pid, config file, log) until the job has
                                    created its run directory
    <root>/.jobs/<id>.phase.json    written by the job while it starts: its phase (importing
                                    torch, loading data, building models) and then its run directory
    <root>/<run-id>/job.json        then: who runs this directory (pid, host, job id, log)
    <root>/<run-id>/job.log         the job's stdout/stderr (moved in from .jobs/)
    <root>/queue/<id>.json          jobs waiting for a free slot (demo mode caps concurrent jobs)
    <root>/.jobs/standby/<id>.*     a process started ahead, torch imported, waiting to become the
                                    next job (the dashboard server keeps one: `keep_standby`)

A run whose status says starting/running/paused but whose process is gone shows as `interrupted`
and can be continued with `ganplay train --resume`. Pause, resume, stop and mid-run settings go
through `ganplay.train.control.send`, the same channel the CLI and tests use.

Nothing here imports torch: listing runs must stay cheap enough to poll every second.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganplay.config import Config
from ganplay.train import control
from ganplay.train.rundir import (FINAL_STATES, RunDir, atomic_write_json, new_run_dir, read_json,
                                  runs_root, runs_vanish)  # noqa: F401  (runs_vanish: for the pages)

ACTIVE_STATES = ("launching", "starting", "running", "paused")
JOB_FILE = "job.json"
LOG_FILE = "job.log"
PHASE_FILE = "job.phase.json"  # a continued run's start phases (a new job's are in .jobs/)
# What a starting job does, in order, with the share of its start-up done when each begins (torch's
# import is most of it); "starting python" is implied until the job writes its first phase.
PHASES = {"starting python": 0.05, "importing torch": 0.15, "loading data": 0.7,
          "building models": 0.8, "starting": 0.9}
LAUNCH_DIR = ".jobs"
QUEUE_DIR = "queue"
STALE_AFTER_S = 600  # a run with no job.json and no status update for this long is flagged


class JobError(ValueError):
    """A job request that cannot be honoured; the message says why and what to do."""


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
    most `max_per_visitor` jobs running or waiting."""

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
    def budget(self):
        """The per-job cost budget (`ganplay.train.cost.Budget`-like), or None without one."""
        if not (self.max_cpu_s or self.max_job_bytes):
            return None
        return (self.max_cpu_s or float("inf"), self.max_job_bytes or 2**62)


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


def cost_errors(cfg: Config, lim: Limits) -> list[str]:
    """The budget lines `cfg` exceeds (none without a budget)."""
    if lim.budget is None:
        return []
    cost = _cost_module()
    return cost.over_budget(cfg, cost.Budget(*lim.budget))


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
    if lim.budget is not None and steps > 1:
        cost = _cost_module()
        fitted = cost.max_steps_within(cfg.with_overrides([f"train.steps={steps}"]), cost.Budget(*lim.budget))
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


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------
def _proc_start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks (Linux), to tell a reused pid from ours."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _proc_state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def process_alive(pid: int | None, start_ticks: int | None = None) -> bool:
    """Whether process `pid` (started at `start_ticks`, when known) still runs on this machine."""
    if not pid or pid <= 0:
        return False
    if hasattr(os, "WNOHANG"):
        try:  # our own child that has exited: reap it, so it does not linger as a zombie
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                return False
        except ChildProcessError:
            pass  # not our child (started by an earlier dashboard): look at it from outside
        except OSError:
            pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, belongs to someone else
    except OSError:
        return False
    if _proc_state(pid) == "Z":
        return False
    if start_ticks is not None:
        now = _proc_start_ticks(pid)
        if now is not None and now != start_ticks:
            return False  # the pid was reused by another process
    return True


def _job_alive(job: dict) -> bool | None:
    """True/False for a job of this machine; None when it ran elsewhere (cannot tell)."""
    if job.get("host") and job["host"] != socket.gethostname():
        return None
    return process_alive(job.get("pid"), job.get("pid_start"))


def _spawn(args: list[str], log_path: Path, **env_extra: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1", **env_extra)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        kwargs: dict[str, Any] = {"stdout": log, "stderr": subprocess.STDOUT,
                                  "stdin": subprocess.DEVNULL, "env": env}
        if os.name == "posix":
            kwargs["start_new_session"] = True  # its own session: a browser or Ctrl+C does not end it
        else:  # pragma: no cover - Windows
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
        return subprocess.Popen([sys.executable, "-m", "ganplay", "train", *args], **kwargs)


def _job_record(proc: subprocess.Popen, job_id: str, log: Path, command: list[str],
                started: float | None = None) -> dict:
    return {"id": job_id, "pid": proc.pid, "pid_start": _proc_start_ticks(proc.pid),
            "host": socket.gethostname(), "started": started or time.time(), "log": str(log),
            "command": command}


# ---------------------------------------------------------------------------------------------
# Start-up phases: the job reports them (`ganplay train --phase-file`), the pages show them
# ---------------------------------------------------------------------------------------------
def phase_reporter(path: str | Path | None):
    """A function `report(phase, **extra)` that records the job's phase in `path` (a no-op
    without a path, and on ranks other than 0 under torchrun). It never fails the job."""
    if not path or os.environ.get("RANK", "0") != "0":
        return lambda phase, **extra: None
    target = Path(path)

    def report(phase: str, **extra: Any) -> None:
        try:
            atomic_write_json(target, {"phase": phase, "time": time.time(), "pid": os.getpid(), **extra})
        except OSError:
            pass  # the dashboard only loses its progress text

    return report


@dataclass(frozen=True)
class Phase:
    """What a starting job is doing: `name` (a key of PHASES), the share of its start-up done,
    and seconds since the job was started."""

    name: str
    fraction: float
    elapsed_s: float

    def text(self) -> str:
        return f"starting: {self.name}… ({self.elapsed_s:.0f} s)"


def read_phase(record: dict | None, now: float | None = None, default: str = "starting python") -> Phase | None:
    """The phase of a job record's process (None without a record); `default` until the job
    has written one (a job that has not is still starting python)."""
    if not record:
        return None
    path = record.get("phase_file")
    data = _read_json_or(Path(path), {}) if path else {}
    name = data.get("phase") if isinstance(data, dict) and data.get("phase") in PHASES else default
    elapsed = max(0.0, (now or time.time()) - float(record.get("started") or now or time.time()))
    return Phase(name, PHASES[name], elapsed)


def _new_id() -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


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

    @property
    def is_points(self) -> bool:
        from ganplay.config import POINT_DATASETS

        return self.config.get("data", {}).get("name") in POINT_DATASETS

    @property
    def run(self) -> RunDir:
        return RunDir(self.path)

    @property
    def owner(self) -> str | None:
        """The hashed token of the visitor who started it (demo mode), else None."""
        return (self.job or {}).get("owner")

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


def _read_json_or(path: Path, default: Any) -> Any:
    try:
        return read_json(path)
    except (OSError, json.JSONDecodeError):
        return default


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
    try:
        text = Path(record["log"]).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def _announced_run_dir(record: dict) -> Path | None:
    """The job's run directory (given to it with --run-dir; older launch records: the one it
    reported in its phase file), once the job has written its config there."""
    path = Path(record["run_dir"]) if record.get("run_dir") else None
    if path is None and record.get("phase_file"):
        phase = _read_json_or(Path(record["phase_file"]), {})
        path = Path(phase["run_dir"]) if isinstance(phase, dict) and phase.get("run_dir") else None
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


def poll(root: str | Path | None = None) -> list[RunInfo]:
    """What a page calls on every refresh: attach new run directories, start queued jobs when a
    slot is free, keep a standby process while nothing trains (in the server), and list
    everything."""
    root = runs_root(root)
    start_queued(root)
    runs = list_runs(root)
    if _standby_enabled:
        keep_standby(root, busy=any(r.is_active for r in runs))
    return runs


def find(root: str | Path | None, ident: str) -> RunInfo | None:
    """A run by directory name, launch/queue id, or the job id recorded in its job.json."""
    direct = runs_root(root) / ident
    if ident and not ident.startswith(".") and RunDir(direct).is_run():  # the cheap, common case
        return run_info(direct)
    for info in list_runs(root):
        if ident in (info.id, info.path.name, str(info.path)) or (info.job or {}).get("id") == ident:
            return info
    return None


# ---------------------------------------------------------------------------------------------
# A process started ahead: most of a job's start is importing torch (2-2.5 s of the 3.5 s before
# a ring8-gan job's first metrics line on the 2-core machine), so the dashboard server keeps one
# `ganplay train --standby` process that has imported it and waits for its arguments; the next job
# starts in it. It leaves when the server that started it is gone, or after STANDBY_IDLE_S.
# ---------------------------------------------------------------------------------------------
STANDBY_DIR = "standby"
STANDBY_IDLE_S = 1800
_standby_enabled = False


def enable_standby() -> None:
    """Let this process (the dashboard server) keep a standby job process (`keep_standby`)."""
    global _standby_enabled
    _standby_enabled = True


def _standby_dir(root: Path) -> Path:
    return root / LAUNCH_DIR / STANDBY_DIR


# A standby's state is one file, moved atomically: BASE.pending.json (written by the server as it
# starts the process: [pid, start ticks]) -> BASE.ready.json (moved by the standby once torch is
# imported) -> BASE.claimed.json (moved by the session that gives it a job, from either state, so
# two sessions never share one; then BASE.go.json carries the job's arguments).
def _standbys(root: Path) -> list[dict]:
    """Live standby processes, ready ones first (then those still importing), oldest first."""
    out = []
    for state in ("ready", "pending"):
        for path in sorted(_standby_dir(root).glob(f"*.{state}.json")):
            pid, ticks = (_read_json_or(path, None) or [None, None])[:2]
            if process_alive(pid, ticks):
                base = Path(str(path)[: -len(f".{state}.json")])
                out.append({"pid": pid, "pid_start": ticks, "file": str(path), "base": str(base),
                            "log": str(base) + ".log"})
            else:
                path.unlink(missing_ok=True)
    return out


def keep_standby(root: str | Path | None = None, busy: bool | None = None) -> bool:
    """Start a standby process under `root` unless one is there, or a job is active (`busy`,
    looked up when not given: the import would take a core from the job). Returns whether one
    was started."""
    if not _standby_enabled:
        return False
    root = runs_root(root)
    if _standbys(root) or (busy if busy is not None else active_jobs(root) > 0):
        return False
    folder = _standby_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    base = (folder / _new_id()).resolve()
    proc = _spawn(["--standby", str(base)], Path(str(base) + ".log"), GANPLAY_STANDBY_PARENT=str(os.getpid()))
    atomic_write_json(Path(str(base) + ".pending.json"), [proc.pid, _proc_start_ticks(proc.pid)])
    return True


def _claim_standby(root: Path) -> dict | None:
    """Take a standby for one job, ready or still importing (it starts the job when it is)."""
    for record in _standbys(root):
        claimed = Path(record["base"] + ".claimed.json")
        try:
            os.replace(record["file"], claimed)
        except FileNotFoundError:
            continue  # another session took it, or it moved to ready: look again next time
        claimed.unlink(missing_ok=True)
        return record
    return None


def standby_main(base: str | Path, idle_s: float = STANDBY_IDLE_S) -> list[str] | None:
    """The standby's side (`ganplay train --standby BASE`): import what a job needs, move
    BASE.pending.json to BASE.ready.json, and wait for BASE.go.json. Returns the `ganplay train`
    arguments found there, or None when the server that started it is gone or nobody came."""
    parent = int(os.environ.get("GANPLAY_STANDBY_PARENT") or os.getppid())
    import ganplay.metrics  # noqa: F401  the periodic evaluations
    import ganplay.train.trainer  # noqa: F401  torch, the models, the data loaders

    base = str(base)
    go, pending, ready = Path(base + ".go.json"), Path(base + ".pending.json"), Path(base + ".ready.json")
    deadline = time.monotonic() + idle_s
    while time.monotonic() < deadline and os.getppid() == parent:
        if go.exists():
            args = _read_json_or(go, None)
            go.unlink(missing_ok=True)
            return [str(a) for a in args] if isinstance(args, list) else None
        if pending.exists():
            try:
                os.replace(pending, ready)
            except FileNotFoundError:
                pass  # claimed meanwhile: its arguments are on the way
        time.sleep(0.05)
    for leftover in (pending, ready):
        leftover.unlink(missing_ok=True)
    return None


# ---------------------------------------------------------------------------------------------
# Starting jobs
# ---------------------------------------------------------------------------------------------
def _launch(cfg_dict: dict, root: Path, job_id: str | None = None, owner: str | None = None) -> RunInfo:
    job_id = job_id or _new_id()
    launch_dir = root / LAUNCH_DIR
    launch_dir.mkdir(parents=True, exist_ok=True)
    config_path = launch_dir / f"{job_id}.config.json"
    atomic_write_json(config_path, cfg_dict)
    log = launch_dir / f"{job_id}.log"
    phase_file = launch_dir / f"{job_id}.phase.json"
    # the run directory is named now (the name reserved by creating it), so the page shows the
    # run's own name from the start and finds it without asking the job
    data, model = cfg_dict.get("data", {}), cfg_dict.get("model", {})
    run_dir = new_run_dir(root, cfg_dict.get("name") or f"{data.get('name')}-{model.get('arch')}").path
    args = ["--config", str(config_path.resolve()), "--run-dir", str(run_dir.resolve()), "--quiet",
            "--phase-file", str(phase_file.resolve())]
    started = time.time()
    standby = _claim_standby(root)
    if standby is not None:  # torch imported, or on its way: hand it the arguments
        atomic_write_json(Path(standby["base"] + ".go.json"), args)
        log = Path(standby["log"])
        record = {"id": job_id, "pid": standby["pid"], "pid_start": standby["pid_start"],
                  "host": socket.gethostname(), "started": started, "log": str(log),
                  "command": ["train", *args], "standby": True}
    else:
        proc = _spawn(args, log)
        record = _job_record(proc, job_id, log, ["train", *args], started)
    record["config_path"] = str(config_path)
    record["phase_file"] = str(phase_file)
    record["run_dir"] = str(run_dir)
    if owner:
        record["owner"] = owner
    record_path = launch_dir / f"{job_id}.json"
    atomic_write_json(record_path, record)
    return RunInfo("launch", job_id, record_path, "launching", cfg_dict, {}, record)


def _resume(run_path: Path, job_id: str | None = None, owner: str | None = None) -> RunInfo:
    job_id = job_id or _new_id()
    log = run_path / LOG_FILE
    phase_file = run_path / PHASE_FILE
    phase_file.unlink(missing_ok=True)  # an earlier continuation's
    args = ["--resume", str(run_path.resolve()), "--quiet", "--phase-file", str(phase_file.resolve())]
    started = time.time()
    proc = _spawn(args, log)
    record = _job_record(proc, job_id, log, ["train", *args], started)
    record["phase_file"] = str(phase_file)
    if owner:
        record["owner"] = owner
    atomic_write_json(run_path / JOB_FILE, record)
    return run_info(run_path)  # type: ignore[return-value]


def _has_free_slot(root: Path, lim: Limits) -> bool:
    return not lim.max_jobs or active_jobs(root) < lim.max_jobs


def _enqueue(root: Path, entry: dict, lim: Limits) -> RunInfo:
    waiting = len(_queued(root))
    if lim.max_queue and waiting >= lim.max_queue:
        raise JobError(f"the queue is full ({waiting} jobs waiting for {lim.max_jobs or 'a'} slot"
                       f"{'s' if (lim.max_jobs or 1) > 1 else ''}); try again when one has started")
    qdir = root / QUEUE_DIR
    qdir.mkdir(parents=True, exist_ok=True)
    job_id = _new_id()
    atomic_write_json(qdir / f"{job_id}.json", {"queued": time.time(), **entry})
    return next(q for q in _queued(root) if q.id == job_id)


def _check_visitor_cap(root: Path, owner: str | None, lim: Limits) -> None:
    if not lim.max_per_visitor:
        return
    if owner is None:
        raise JobError("this demo starts jobs only for a visitor it can tell apart; reload the page")
    mine = [r for r in list_runs(root) if r.owner == owner and (r.is_active or r.state == "queued")]
    if len(mine) >= lim.max_per_visitor:
        raise JobError(f"you already have {len(mine)} job{'s' if len(mine) > 1 else ''} running or "
                       f"waiting (this demo allows {lim.max_per_visitor} per visitor); stop one or wait "
                       "for it to finish")


def folder_bytes(path: Path) -> int:
    """Bytes of the files under `path` (0 if it has gone)."""
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def make_room(root: Path, need: int, lim: Limits) -> list[str]:
    """Keep the runs folder within `lim.max_total_bytes` once `need` more bytes are written:
    delete the oldest finished runs first. Returns the names deleted; raises JobError when
    runs still in progress leave no room."""
    if not lim.max_total_bytes:
        return []
    runs = [r for r in list_runs(root) if r.kind == "run"]
    sizes = {r.path: folder_bytes(r.path) for r in runs}
    used = sum(sizes.values())
    deleted = []
    for info in sorted(runs, key=lambda r: (float(r.status.get("updated", 0) or 0), r.path.name)):
        if used + need <= lim.max_total_bytes:
            break
        if info.is_active:
            continue
        shutil.rmtree(info.path, ignore_errors=True)
        used -= sizes[info.path]
        deleted.append(info.path.name)
    if used + need > lim.max_total_bytes:
        raise JobError(f"this demo's runs folder is full ({used / 1e6:,.0f} MB of "
                       f"{lim.max_total_bytes / 1e6:,.0f} MB, held by runs still in progress); "
                       "try again when one has finished")
    return deleted


def submit(cfg: Config, root: str | Path | None = None, lim: Limits | None = None,
           visitor: str | None = None) -> RunInfo:
    """Start training `cfg` as a child process, or queue it when every slot is taken.
    Raises JobError when the limits refuse the config, the queue or the visitor's share is full,
    or (demo mode) the runs folder cannot make room for it. `visitor` is the token of the
    person starting it (demo mode: only they may control it)."""
    root = runs_root(root)
    lim = lim or limits()
    errors = limit_errors(cfg, lim)
    if errors:
        raise JobError("\n".join(errors))
    owner = owner_id(visitor)
    _check_visitor_cap(root, owner, lim)
    root.mkdir(parents=True, exist_ok=True)
    if _has_free_slot(root, lim) and not _queued(root):
        _make_room_for(root, cfg.to_dict(), lim)
        return _launch(cfg.to_dict(), root, owner=owner)
    entry = {"config": cfg.to_dict(), **({"owner": owner} if owner else {})}
    queued = _enqueue(root, entry, lim)  # first come, first served
    start_queued(root, lim)
    return find(root, queued.id) or queued


def _make_room_for(root: Path, cfg_dict: dict, lim: Limits) -> None:
    if not lim.max_total_bytes:
        return
    cost = _cost_module()
    need = cost.estimate(Config.from_dict(cfg_dict)).disk_bytes
    running = len([r for r in list_runs(root) if r.kind == "run" and r.is_active])
    make_room(root, need + running * (lim.max_job_bytes or 0), lim)


def continue_run(path: str | Path, root: str | Path | None = None, lim: Limits | None = None,
                 visitor: str | None = None) -> RunInfo:
    """Continue a stopped or interrupted run from its newest checkpoint (`--resume`)."""
    info = run_info(path)
    if info is None:
        raise JobError(f"{path} is not a ganplay run directory")
    if not info.can_continue:
        raise JobError(f"{info.name} is {info.state}; only stopped or interrupted runs with a "
                       "checkpoint can continue")
    lim = lim or limits()
    _check_control(info, visitor, "continue")
    root = runs_root(root)
    if not _has_free_slot(root, lim):
        return _enqueue(root, {"resume": str(Path(path).resolve()), **({"owner": info.owner} if info.owner else {})},
                        lim)
    return _resume(Path(path), owner=info.owner)


def start_queued(root: str | Path | None = None, lim: Limits | None = None) -> list[RunInfo]:
    """Start queued jobs, oldest first, while slots are free. Safe to call from many sessions:
    each entry is claimed by an atomic rename, so it starts once."""
    root = runs_root(root)
    lim = lim or limits()
    started = []
    for entry in _queued(root):
        if not _has_free_slot(root, lim):
            break
        claimed = entry.path.with_suffix(".starting")
        try:
            os.replace(entry.path, claimed)
        except FileNotFoundError:
            continue  # another session took it
        try:
            if entry.job.get("resume"):
                started.append(_resume(Path(entry.job["resume"]), entry.id, entry.owner))
            else:
                try:
                    _make_room_for(root, entry.job["config"], lim)
                except JobError:
                    os.replace(claimed, entry.path)  # no room yet: it waits for a run to finish
                    break
                started.append(_launch(entry.job["config"], root, entry.id, entry.owner))
        finally:
            claimed.unlink(missing_ok=True)
    return started


# ---------------------------------------------------------------------------------------------
# Steering, stopping, deleting
# ---------------------------------------------------------------------------------------------
def _need_run(info: RunInfo, what: str) -> Path:
    if info.kind != "run":
        raise JobError(f"cannot {what} {info.name}: it is {info.state}, not running yet")
    return info.path


def pause(info: RunInfo, visitor: str | None = None) -> dict:
    _check_control(info, visitor, "pause")
    return control.send(_need_run(info, "pause"), "pause")


def resume(info: RunInfo, visitor: str | None = None) -> dict:
    _check_control(info, visitor, "resume")
    return control.send(_need_run(info, "resume"), "resume")


def steer(info: RunInfo, visitor: str | None = None, **settings: Any) -> dict:
    """Change lr_g, lr_d and/or n_critic of a running job (logged by the job as an event)."""
    _check_control(info, visitor, "change")
    lim = limits()
    if lim.budget is not None and "n_critic" in settings and info.config:
        # more critic steps make the rest of the run dearer: the budget holds for steering too
        cfg = Config.from_dict(info.config).with_overrides([f"optim.n_critic={int(settings['n_critic'])}"])
        over = cost_errors(cfg, lim)
        if over:
            raise JobError(f"optim.n_critic={int(settings['n_critic'])}: " + over[0])
    try:
        return control.send(_need_run(info, "change"), "set", **settings)
    except control.ControlError as exc:
        raise JobError(str(exc)) from None


def _terminate(record: dict) -> None:
    if _job_alive(record):
        try:
            os.kill(int(record["pid"]), signal.SIGTERM)  # the trainer saves a checkpoint and stops
        except OSError:
            pass


def stop(info: RunInfo, visitor: str | None = None) -> None:
    """Stop a job: a queued one leaves the queue; a launching one is terminated; a run gets a
    `stop` request (it saves a checkpoint and can continue later)."""
    _check_control(info, visitor, "stop")
    if info.kind == "queued":
        info.path.unlink(missing_ok=True)
        return
    record_path = info.path if info.kind == "launch" else info.path / JOB_FILE
    if info.job is not None:
        atomic_write_json(record_path, {**info.job, "stop_requested": time.time()})
    if info.kind == "launch" or info.state == "starting":
        _terminate(info.job or {})  # not polling its control file yet
    if info.kind == "run":
        control.send(info.path, "stop")  # a paused job reads requests too


def delete(info: RunInfo) -> None:
    """Delete a run directory (or a failed launch, or a queue entry). Active runs must be stopped
    first."""
    if info.is_active:
        raise JobError(f"{info.name} is {info.state}; stop it before deleting it")
    if demo_mode() and info.kind == "run":
        # a public demo is shared by every visitor: nobody deletes someone else's run
        raise JobError("deleting runs is off in demo mode")
    if info.kind == "run":
        if not RunDir(info.path).is_run():
            raise JobError(f"{info.path} is not a ganplay run directory; not deleting it")
        shutil.rmtree(info.path)
        return
    info.path.unlink(missing_ok=True)
    if info.job:
        for key in ("config_path", "log", "phase_file"):
            if info.job.get(key):
                Path(info.job[key]).unlink(missing_ok=True)
        reserved = Path(info.job["run_dir"]) if info.job.get("run_dir") else None
        if reserved is not None and reserved.is_dir() and not RunDir(reserved).is_run():
            shutil.rmtree(reserved, ignore_errors=True)  # named for a job that never wrote to it
