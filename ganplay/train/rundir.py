"""The run directory: the contract between the trainer (the only writer) and every reader.

```
runs/<run-id>/config.json        the resolved config, as trained
runs/<run-id>/status.json        state, step, steps, device, error text, timestamps
runs/<run-id>/metrics.jsonl      one JSON object per logged step (plus `event` lines)
runs/<run-id>/samples/           step-XXXXXXX.png fixed-noise grids; .npz for 2D data
runs/<run-id>/checkpoints/       step-XXXXXXX.safetensors + step-XXXXXXX.json
runs/<run-id>/control.jsonl      requests to the trainer (see control.py)
```

Whole-file writes are atomic (temp file in the same folder + `os.replace`), so a reader sees the
old file or the new one, never half of one. metrics.jsonl is appended a line at a time; readers
skip a half-written last line.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

STATES = ("starting", "running", "paused", "done", "failed", "stopped")
FINAL_STATES = ("done", "failed", "stopped")


# Where runs live
SPACE_DATA = Path("/data")  # a Hugging Face Space's persistent storage, when the Space has it


def runs_root(path: str | Path | None = None) -> Path:
    """The folder holding run directories: `path`, else $GANPLAY_RUNS, else on a Space with
    persistent storage (/data writable) /data/ganplay-runs, so runs survive a restart, else ./runs."""
    chosen = path or os.environ.get("GANPLAY_RUNS")
    if chosen:
        return Path(chosen).expanduser()
    if os.environ.get("SPACE_ID") and SPACE_DATA.is_dir() and os.access(SPACE_DATA, os.W_OK):
        return SPACE_DATA / "ganplay-runs"
    return Path("runs")


def runs_vanish(root: str | Path) -> bool:
    """On a Space, whether runs under `root` are lost when the Space restarts (they are unless
    they live on its persistent storage, /data)."""
    if not os.environ.get("SPACE_ID"):
        return False
    return not Path(root).expanduser().resolve().is_relative_to(SPACE_DATA.resolve())



def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; run files are for every reader (dashboard, Space)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_json(path: str | Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2) + "\n").encode("utf-8"))


def read_json(path: str | Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def append_jsonl(path: str | Path, obj: dict) -> None:
    # One write() of a whole line with O_APPEND: concurrent appenders never interleave mid-line.
    line = (json.dumps(obj, separators=(",", ":"), allow_nan=True) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def read_jsonl(path: str | Path) -> list[dict]:
    """All complete JSON lines; a half-written (or otherwise broken) line is skipped."""
    return list(iter_jsonl(path))


def iter_jsonl(path: str | Path) -> Iterator[dict]:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue  # the writer is mid-line, or the file was cut by a crash
        if isinstance(obj, dict):
            yield obj


def truncate_jsonl_after(path: str | Path, step: int) -> None:
    """Drop lines logged after `step` (used on resume: a killed run may have logged past its last
    checkpoint, and those steps are about to be trained again)."""
    path = Path(path)
    if not path.exists():
        return
    kept = [r for r in iter_jsonl(path) if r.get("step", 0) <= step]
    buf = io.StringIO()
    for r in kept:
        buf.write(json.dumps(r, separators=(",", ":")) + "\n")
    atomic_write_bytes(path, buf.getvalue().encode("utf-8"))


POINTS_FILE = "points.csv"


class NoCheckpointError(ValueError):
    """A folder that is not a run, or a run with no checkpoint yet (`RunDir.require_checkpoint`)."""


class RunDir:
    """Paths and small read/write helpers for one run directory."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    # paths
    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def status_path(self) -> Path:
        return self.path / "status.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def control_path(self) -> Path:
        return self.path / "control.jsonl"

    @property
    def points_path(self) -> Path:
        """The run's own copy of drawn 2D points (data.name=points); config.json names it relatively."""
        return self.path / POINTS_FILE

    @property
    def samples_dir(self) -> Path:
        return self.path / "samples"

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    def is_run(self) -> bool:
        return self.config_path.is_file()

    def create(self) -> None:
        self.samples_dir.mkdir(parents=True, exist_ok=True)
        self.checkpoints_dir.mkdir(parents=True, exist_ok=True)

    # status
    def read_status(self) -> dict:
        try:
            return read_json(self.status_path)
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def write_status(self, **fields: Any) -> dict:
        status = self.read_status()
        status.update(fields)
        status["updated"] = time.time()
        atomic_write_json(self.status_path, status)
        return status

    # metrics
    def read_metrics(self) -> list[dict]:
        return read_jsonl(self.metrics_path)

    def append_metrics(self, row: dict) -> None:
        append_jsonl(self.metrics_path, row)

    # samples and checkpoints
    def sample_paths(self, suffix: str = ".png") -> list[Path]:
        return sorted(self.samples_dir.glob(f"step-*{suffix}"))

    def checkpoint_paths(self) -> list[Path]:
        return sorted(self.checkpoints_dir.glob("step-*.safetensors"))

    def latest_checkpoint(self) -> Path | None:
        paths = self.checkpoint_paths()
        return paths[-1] if paths else None

    def require_checkpoint(self, name: str | None = None) -> Path:
        """The newest checkpoint, or `NoCheckpointError` saying why there is none; `name`: what the
        message calls the run (default its path; a public page passes a name, not a server path)."""
        name = str(self.path) if name is None else name
        if not self.is_run():
            raise NoCheckpointError(f"{name} is not a run folder (no config.json)")
        latest = self.latest_checkpoint()
        if latest is None:
            raise NoCheckpointError(f"{name} has no checkpoint yet (a run saves one every "
                                    "train.checkpoint_every steps and at its end)")
        return latest


def step_name(step: int, suffix: str) -> str:
    return f"step-{step:07d}{suffix}"


def new_run_dir(out: str | Path, label: str) -> RunDir:
    """A fresh, uniquely named run directory under `out` (created)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in label)[:40] or "run"
    for n in range(1000):
        name = f"{stamp}-{safe}" + (f"-{n}" if n else "")
        try:
            (out / name).mkdir()
        except FileExistsError:
            continue
        run = RunDir(out / name)
        run.create()
        return run
    raise RuntimeError(f"could not create a run directory under {out}")


# Reading files back
_STEP_FILE = re.compile(r"step-(\d+)(?:\.|$)")
MEASURED = (None, "eval")  # the `event` of metrics.jsonl's lines that carry measurements: training, eval


def step_of(path: str | Path) -> int:
    """The step a `step_name` file is of (`step-0000120.npz` -> 120); 0 for another name."""
    match = _STEP_FILE.match(Path(path).name)
    return int(match.group(1)) if match else 0


def series(rows: Iterable[dict], key: str, event: str | None | tuple[str | None, ...] = "eval",
           ) -> tuple[list[int], list[float]]:
    """(steps, values) of `key` in metrics.jsonl's lines whose `event` is `event` (None: the
    training lines, which have none; a tuple: any of those). Lines without a finite number for
    `key` are left out, so each value keeps its step."""
    events = event if isinstance(event, tuple) else (event,)
    steps, values = [], []
    for row in rows:
        value = row.get(key)
        if (row.get("event") in events and isinstance(value, (int, float)) and not isinstance(value, bool)
                and math.isfinite(value)):
            steps.append(int(row.get("step", 0)))
            values.append(float(value))
    return steps, values
