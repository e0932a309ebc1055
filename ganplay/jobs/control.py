"""Steering, stopping and deleting jobs: requests go through `ganplay.train.control`'s channel (the
one the CLI and tests use); in demo mode only the visitor who started a job may send them."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path
from typing import Any

from ganplay.config import Config
from ganplay.jobs.limits import _check_control, cost_errors, demo_mode, limits
from ganplay.jobs.listing import RunInfo
from ganplay.jobs.records import JOB_FILE, JobError, _job_alive
from ganplay.train import control
from ganplay.train.rundir import RunDir, atomic_write_json

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
    if lim.has_budget and "n_critic" in settings and info.config:
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
        _drop_reservation(info.job)
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
        _drop_reservation(info.job)


def _drop_reservation(job: dict | None) -> None:
    """Remove the run directory named for a job that never wrote to it."""
    reserved = Path(job["run_dir"]) if job and job.get("run_dir") else None
    if reserved is not None and reserved.is_dir() and not RunDir(reserved).is_run():
        shutil.rmtree(reserved, ignore_errors=True)
