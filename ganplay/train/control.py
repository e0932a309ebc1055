"""The control channel: how another process (the dashboard, `ganplay` CLI, a test) steers a job.

Requests are appended as JSON lines to `<run>/control.jsonl`; the trainer polls the file (a
`stat` every few hundred milliseconds, so a request is honoured well within a second) and applies
each new line once, in order. An append-only file means no request is lost when two arrive
between polls, and the file doubles as a log of what was asked.

Commands: `pause`, `resume`, `stop`, and `set` with any of `lr_g`, `lr_d`, `n_critic`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ganplay.config import OptimConfig, format_validation_error
from ganplay.train.rundir import RunDir, append_jsonl, iter_jsonl

COMMANDS = ("pause", "resume", "stop", "set")
SETTABLE = {"lr_g": float, "lr_d": float, "n_critic": int}


class ControlError(ValueError):
    pass


def validate_settings(settings: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if key not in SETTABLE:
            raise ControlError(f"cannot set {key!r} on a running job; settable: {', '.join(SETTABLE)}")
        try:
            value = SETTABLE[key](value)
        except (TypeError, ValueError):
            raise ControlError(f"{key}: expected a number, got {value!r}") from None
        try:  # the config's own bounds: a running job takes what a new one would
            OptimConfig.model_validate({key: value})
        except ValidationError as exc:
            raise ControlError(format_validation_error(exc).replace("invalid config:\n  ", "")) from None
        out[key] = value
    return out


def send(run_dir: str | Path, command: str, **settings: Any) -> dict:
    """Ask the job writing `run_dir` to pause, resume, stop, or `set` lr_g/lr_d/n_critic."""
    if command not in COMMANDS:
        raise ControlError(f"unknown command {command!r}; use one of {', '.join(COMMANDS)}")
    run = RunDir(run_dir)
    if not run.is_run():
        raise ControlError(f"{run_dir} is not a ganplay run directory (no config.json)")
    if command == "set":
        if not settings:
            raise ControlError("set needs at least one of " + ", ".join(SETTABLE))
        settings = validate_settings(settings)
    elif settings:
        raise ControlError(f"{command} takes no settings")
    request = {"command": command, "time": time.time(), **settings}
    append_jsonl(run.control_path, request)
    return request


class ControlReader:
    """Trainer side: returns each new request once. Cheap to call every step."""

    def __init__(self, run_dir: str | Path, poll_interval: float = 0.2, skip_existing: bool = True):
        self.path = RunDir(run_dir).control_path
        self.poll_interval = poll_interval
        self._next_check = 0.0
        self._size = -1
        # on resume, requests from before (e.g. the `stop` that ended the last session) are old news
        self._seen = len(list(iter_jsonl(self.path))) if skip_existing else 0

    def poll(self, force: bool = False) -> list[dict]:
        now = time.monotonic()
        if not force and now < self._next_check:
            return []
        self._next_check = now + self.poll_interval
        try:
            # the file only grows (appends), so its size tells whether anything new arrived;
            # mtime would miss two appends within one clock tick
            size = os.stat(self.path).st_size
        except FileNotFoundError:
            return []
        if size == self._size and not force:
            return []
        self._size = size
        requests = [r for r in iter_jsonl(self.path) if r.get("command") in COMMANDS]
        new = requests[self._seen :]
        self._seen = len(requests)
        return new
