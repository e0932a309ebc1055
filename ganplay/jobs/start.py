"""Starting jobs: submitting (within the limits), the queue, continuing a run, the runs folder's
disk budget, and the process started ahead that the next job starts in."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the thread lock alone
    fcntl = None

from ganplay import pointsets
from ganplay.clients import per_address
from ganplay.config import DRAWN_DATASET, Config
from ganplay.jobs.limits import (Limits, _check_control, _cost_module, address_id, limit_errors, limits,
                                 owner_id)
from ganplay.jobs.listing import RunInfo, _queued, active_jobs, find, list_runs, run_info
from ganplay.jobs.records import (JOB_FILE, LAUNCH_DIR, LOG_FILE, PHASE_FILE, QUEUE_DIR, JobError, _new_id,
                                  _proc_start_ticks, _read_json_or, process_alive)
from ganplay.train.rundir import RunDir, atomic_write_bytes, atomic_write_json, new_run_dir, runs_root

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
# A process started ahead: most of a job's start is importing torch (2-2.5 s of the 3.5 s before
# a ring8-gan job's first metrics line on the 2-core machine), so the dashboard server keeps one
# `ganplay train --standby` process that has imported it and waits for its arguments; the next job
# starts in it. It leaves when the server that started it is gone, or after STANDBY_IDLE_S.
# ---------------------------------------------------------------------------------------------
STANDBY_DIR = "standby"
STANDBY_IDLE_S = 1800
# at most one standby started per this many seconds: one that dies at once (a broken install, no
# memory) must not be started again on every page poll
STANDBY_RETRY_S = 30.0
_last_standby_start = -STANDBY_RETRY_S
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
    global _last_standby_start
    if not _standby_enabled or time.monotonic() - _last_standby_start < STANDBY_RETRY_S:
        return False
    root = runs_root(root)
    if (busy if busy is not None else active_jobs(root) > 0) or _standbys(root):
        return False
    _last_standby_start = time.monotonic()
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
def _reserve_run_dir(root: Path, cfg_dict: dict) -> Path:
    """Name the job's run directory now (reserved by creating it), so the pages show the run's
    own name from the moment it is submitted, queued or not, and find it without asking the job."""
    return new_run_dir(root, Config.from_dict(cfg_dict).run_label).path


def _own_points(cfg_dict: dict, run_dir: Path) -> dict:
    """Drawn data: the job's own copy of its points (`data.path`), made as it is submitted, in its
    reserved run directory, where the trainer keeps it (`POINTS_FILE`). The pages' store keeps
    only its newest files: other visitors' sets would drop the original while the job waits.
    Returns the config naming the copy; JobError (nothing copied) when the file can't be read."""
    data = cfg_dict.get("data") or {}
    if data.get("name") != DRAWN_DATASET or not data.get("path"):
        return cfg_dict
    source, copy = Path(data["path"]), RunDir(run_dir).points_path
    try:
        pointsets.check_size(source.stat().st_size, f"data.path: {source.name}")
        atomic_write_bytes(copy, source.read_bytes())
    except OSError as exc:
        raise JobError(f"data.path: cannot read {source.name}: {exc.strerror or exc}; draw or load the "
                       "points again") from None
    except pointsets.PointsError as exc:
        raise JobError(str(exc)) from None
    return {**cfg_dict, "data": {**data, "path": str(copy.resolve())}}


def _reserve_with_points(root: Path, cfg_dict: dict) -> tuple[Path, dict]:
    """A new job's run directory, reserved, holding its own copy of drawn points (`_own_points`),
    and the config that names the copy. Raises JobError and reserves nothing when the copy fails."""
    run_dir = _reserve_run_dir(root, cfg_dict)
    try:
        return run_dir, _own_points(cfg_dict, run_dir)
    except JobError:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise


def _marks(owner: str | None, address: str | None) -> dict:
    """Who a job is for, as its record keeps it: the visitor's hashed token (who may control it)
    and hashed address (what the per-visitor cap counts too); nothing outside demo mode."""
    return {key: value for key, value in (("owner", owner), ("address", address)) if value}


def _launch(cfg_dict: dict, root: Path, job_id: str | None = None, marks: dict | None = None,
            run_dir: Path | None = None) -> RunInfo:
    job_id = job_id or _new_id()
    launch_dir = root / LAUNCH_DIR
    launch_dir.mkdir(parents=True, exist_ok=True)
    config_path = launch_dir / f"{job_id}.config.json"
    atomic_write_json(config_path, cfg_dict)
    log = launch_dir / f"{job_id}.log"
    phase_file = launch_dir / f"{job_id}.phase.json"
    if run_dir is None or RunDir(run_dir).is_run():
        run_dir = _reserve_run_dir(root, cfg_dict)
    run_dir.mkdir(parents=True, exist_ok=True)  # a queued job's reservation may have been cleaned up
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
    record.update(marks or {})
    record_path = launch_dir / f"{job_id}.json"
    atomic_write_json(record_path, record)
    return RunInfo("launch", job_id, record_path, "launching", cfg_dict, {}, record)


def _resume(run_path: Path, job_id: str | None = None, marks: dict | None = None) -> RunInfo:
    job_id = job_id or _new_id()
    log = run_path / LOG_FILE
    phase_file = run_path / PHASE_FILE
    phase_file.unlink(missing_ok=True)  # an earlier continuation's
    args = ["--resume", str(run_path.resolve()), "--quiet", "--phase-file", str(phase_file.resolve())]
    started = time.time()
    proc = _spawn(args, log)
    record = _job_record(proc, job_id, log, ["train", *args], started)
    record["phase_file"] = str(phase_file)
    record.update(marks or {})
    atomic_write_json(run_path / JOB_FILE, record)
    return run_info(run_path)  # type: ignore[return-value]


ADMIT_LOCK = ".admit.lock"
_admit_threads = threading.Lock()


@contextlib.contextmanager
def _admitting(root: Path) -> Iterator[None]:
    """One admission at a time in `root`: the checks on slots, the queue, a visitor's share and the
    disk, and the launch or queue entry they allow, by every session (the thread lock) and every
    process (a file lock, where there is fcntl) using the folder. Without it, visitors pressing
    Start together all pass the checks before any of them has launched."""
    root.mkdir(parents=True, exist_ok=True)
    with _admit_threads, open(root / ADMIT_LOCK, "a") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


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
    if "config" in entry:  # a new run: its name from now on, as it will be while it trains
        run_dir, config = _reserve_with_points(root, entry["config"])
        entry = {**entry, "config": config, "run_dir": str(run_dir)}
    atomic_write_json(qdir / f"{job_id}.json", {"queued": time.time(), **entry})
    return next(q for q in _queued(root) if q.id == job_id)


def _check_visitor_cap(root: Path, marks: dict, lim: Limits) -> None:
    """A visitor's share: `max_per_visitor` jobs running or waiting for their token, and as many
    for their address (a new page is a new token; `ganplay.clients`)."""
    if not lim.max_per_visitor:
        return
    if not marks.get("owner"):
        raise JobError("this demo starts jobs only for a visitor it can tell apart; reload the page")
    waiting = [r for r in list_runs(root) if r.is_active or r.state == "queued"]
    mine = [r for r in waiting if r.owner == marks["owner"]]
    if len(mine) >= lim.max_per_visitor:
        raise JobError(f"you already have {len(mine)} job{'s' if len(mine) > 1 else ''} running or "
                       f"waiting (this demo allows {lim.max_per_visitor} per visitor); stop one or wait "
                       "for it to finish")
    ours = [r for r in waiting if marks.get("address") and r.address == marks["address"]]
    if len(ours) >= per_address(lim.max_per_visitor):
        raise JobError(f"{len(ours)} jobs started from your address are running or waiting (this demo "
                       f"allows {per_address(lim.max_per_visitor)} per address, however many pages it "
                       "opens); stop one or wait for it to finish")


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


def make_room(root: Path, need: int, lim: Limits, keep: Path | None = None) -> list[str]:
    """Keep the runs folder within `lim.max_total_bytes` once `need` more bytes are written:
    delete the oldest finished runs first (never `keep`). Returns the names deleted; raises
    JobError when runs still in progress leave no room."""
    if not lim.max_total_bytes:
        return []
    runs = [r for r in list_runs(root) if r.kind == "run"]
    sizes = {r.path: folder_bytes(r.path) for r in runs}
    used = sum(sizes.values())
    deleted = []
    for info in sorted(runs, key=lambda r: (float(r.status.get("updated", 0) or 0), r.path.name)):
        if used + need <= lim.max_total_bytes:
            break
        if info.is_active or (keep is not None and info.path.resolve() == Path(keep).resolve()):
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
           visitor: str | None = None, address: str | None = None) -> RunInfo:
    """Start training `cfg` as a child process, or queue it when every slot is taken.
    Raises JobError when the limits refuse the config, the queue or the visitor's share is full,
    or (demo mode) the runs folder cannot make room for it. `visitor` is the token of the
    person starting it (demo mode: only they may control it), `address` their client address
    (demo mode: counted toward their share too)."""
    root = runs_root(root)
    lim = lim or limits()
    errors = limit_errors(cfg, lim)
    if errors:
        raise JobError("\n".join(errors))
    marks = _marks(owner_id(visitor), address_id(address) if lim.demo else None)
    with _admitting(root):
        _check_visitor_cap(root, marks, lim)
        if _has_free_slot(root, lim) and not _queued(root):
            _make_room_for(root, cfg.to_dict(), lim)
            run_dir, cfg_dict = _reserve_with_points(root, cfg.to_dict())
            return _launch(cfg_dict, root, marks=marks, run_dir=run_dir)
        entry = {"config": cfg.to_dict(), **marks}
        queued = _enqueue(root, entry, lim)  # first come, first served
        _start_queued(root, lim)
    return find(root, queued.id) or queued


def _make_room_for(root: Path, cfg_dict: dict, lim: Limits, continuing: Path | None = None) -> None:
    """Room for a job of `cfg_dict` (less what its run folder already holds, when `continuing` one,
    which is never deleted to make it)."""
    if not lim.max_total_bytes:
        return
    cost = _cost_module()
    need = cost.estimate(Config.from_dict(cfg_dict)).disk_bytes
    if continuing is not None:
        need = max(0, need - folder_bytes(continuing))
    running = len([r for r in list_runs(root) if r.kind == "run" and r.is_active])
    make_room(root, need + running * (lim.max_job_bytes or 0), lim, keep=continuing)


def continue_run(path: str | Path, root: str | Path | None = None, lim: Limits | None = None,
                 visitor: str | None = None, address: str | None = None) -> RunInfo:
    """Continue a stopped or interrupted run from its newest checkpoint (`--resume`); `visitor`
    and `address` as for `submit`."""
    info = run_info(path)
    if info is None:
        raise JobError(f"{path} is not a ganplay run directory")
    if not info.can_continue:
        raise JobError(f"{info.name} is {info.state}; only stopped or interrupted runs with a "
                       "checkpoint can continue")
    lim = lim or limits()
    _check_control(info, visitor, "continue")
    root = runs_root(root)
    marks = _marks(info.owner, address_id(address) if lim.demo else None)
    with _admitting(root):
        if info.owner:  # (only its owner may continue it: _check_control)
            _check_visitor_cap(root, marks, lim)
        if not _has_free_slot(root, lim):
            return _enqueue(root, {"resume": str(Path(path).resolve()), **marks}, lim)
        _make_room_for(root, info.config, lim, continuing=Path(path))
        return _resume(Path(path), marks=marks)


def start_queued(root: str | Path | None = None, lim: Limits | None = None) -> list[RunInfo]:
    """Start queued jobs, oldest first, while slots are free. Safe to call from many sessions and
    processes: they take turns (`_admitting`), and each entry is claimed by an atomic rename."""
    root = runs_root(root)
    if not any((root / QUEUE_DIR).glob("*.json")):
        return []  # the common case, every second from every page: nothing waits, no lock
    with _admitting(root):
        return _start_queued(root, lim or limits())


def _start_queued(root: Path, lim: Limits) -> list[RunInfo]:
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
                started.append(_resume(Path(entry.job["resume"]), entry.id, _marks(entry.owner, entry.address)))
            else:
                try:
                    _make_room_for(root, entry.job["config"], lim)
                except JobError:
                    os.replace(claimed, entry.path)  # no room yet: it waits for a run to finish
                    break
                reserved = Path(entry.job["run_dir"]) if entry.job.get("run_dir") else None
                started.append(_launch(entry.job["config"], root, entry.id, _marks(entry.owner, entry.address), reserved))
        finally:
            claimed.unlink(missing_ok=True)
    return started


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


