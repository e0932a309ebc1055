"""What jobs leave on disk and how their processes are told apart: the file names, JobError, process
checks (a pid reused by another process is not ours), and the start phases a job reports."""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganplay.train.rundir import atomic_write_json, read_json

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


def log_tail(path: str | Path, max_bytes: int = 8000) -> str:
    """The end of a job's output file (at most `max_bytes`, read from the end, so a long log costs
    no more than a short one); "" when there is no such file."""
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - max_bytes))
            return f.read(max_bytes).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _read_json_or(path: Path, default: Any) -> Any:
    try:
        return read_json(path)
    except (OSError, json.JSONDecodeError):
        return default


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


