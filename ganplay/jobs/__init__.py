"""Training jobs as child processes: the one place that starts, lists, steers and deletes them.

The dashboard never trains in its own process. `submit(cfg)` starts

    python -m ganplay train --config <root>/.jobs/<id>.config.json --run-dir <root>/<run-id> --quiet

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

The package: `records` (what jobs leave on disk, their processes and start phases), `limits`
(demo mode: caps, the cost budget, who may touch a job), `listing` (what the pages list),
`start` (submitting, the queue, the process started ahead), `control` (pause, resume, steer, stop,
delete). Pages use the names below.

Nothing here imports torch: listing runs must stay cheap enough to poll every second (the cost
estimate loads it, only where a budget applies).
"""

from ganplay.jobs.control import delete, pause, resume, steer, stop
from ganplay.jobs.limits import (Limits, cost_errors, demo_mode, fit_to_limits, limit_errors, limits,
                                 may_control, owner_id)
from ganplay.jobs.listing import RunInfo, active_jobs, find, list_runs, run_info
from ganplay.jobs.records import (ACTIVE_STATES, JOB_FILE, LAUNCH_DIR, LOG_FILE, PHASES, JobError, Phase,
                                  log_tail, phase_reporter, process_alive, read_phase)
from ganplay.jobs.start import (continue_run, enable_standby, folder_bytes, keep_standby, make_room, poll,
                                standby_main, start_queued, submit)
from ganplay.train.rundir import runs_root, runs_vanish

__all__ = [
    "ACTIVE_STATES", "JOB_FILE", "LAUNCH_DIR", "LOG_FILE", "PHASES", "JobError", "Limits", "Phase",
    "RunInfo", "active_jobs", "continue_run", "cost_errors", "delete", "demo_mode", "enable_standby",
    "find", "fit_to_limits", "folder_bytes", "keep_standby", "limit_errors", "limits", "list_runs", "log_tail",
    "make_room", "may_control", "owner_id", "pause", "phase_reporter", "poll", "process_alive",
    "read_phase", "resume", "run_info", "runs_root", "runs_vanish", "standby_main", "start_queued",
    "steer", "stop", "submit",
]
