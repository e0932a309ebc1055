"""Lessons that check themselves: a small TOML file sets a starting state, locks every setting but
a few, states a task in plain words, and says which measured number the run has to reach.

    [file: ganplay/lessons/cover-all-modes.toml]
    title = "Cover all 8 modes"
    task = "... change only the two learning rates until it covers all 8."
    preset = "ring8-gan"                      # the starting state: a preset ...
    set = ["optim.lr_g=1e-4", "train.seed=0"] # ... plus overrides
    unlock = ["optim.lr_g", "optim.lr_d"]     # every other setting is locked
    points = "drawing.csv"                    # optional: drawn data beside the file (data.name=points)
    max_changes = 1                           # optional: change at most this many unlocked settings
    solution = ["optim.lr_g=1e-3"]            # optional: one answer (the tests train it; no page shows it)
    order = 1                                 # optional: where lists show it (lower first)
    [check]
    metric = "modes"                          # read from the run's last evaluation line
    at_least = 8                              # and/or at_most
    hint = "..."                              # optional: shown under a run that missed

`load_lesson(name)` validates everything and names the file and the key in every error
(`LessonError`); `lesson_config(lesson, changes)` is the starting config plus a learner's
changes, refusing a change to a locked setting; `check(lesson, rows, cfg)` reads a run's metrics
lines and config: pending until its final evaluation, then passed or failed (a run whose config
differs from the start in a locked setting fails, whatever it measured).

The shipped lessons are the `*.toml` files in this folder; `$GANPLAY_LESSONS` names more folders
(separated by the OS path separator, `:` on Linux), whose lessons replace shipped ones of the
same name. Torch-free: the Train page imports it.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ganplay import pointsets
from ganplay.config import (DRAWN_DATASET, MODE_CENTRES, Config, ConfigError, apply_overrides, field_help,
                            parse_value)
from ganplay.glossary import metric as glossary_metric
from ganplay.presets import PRESETS, preset_values

SHIPPED_DIR = Path(__file__).parent
ENV = "GANPLAY_LESSONS"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")  # a lesson's name is its file's stem: it goes in links
MAX_BYTES = 64_000  # a lesson is a few hundred bytes of text
RUN_PREFIX = "lesson-"  # a run started from a lesson is named `lesson-<name>` (locked)
KEYS = ("title", "task", "preset", "set", "unlock", "points", "max_changes", "solution", "order", "check")
REQUIRED = ("title", "task", "preset", "check")
CHECK_KEYS = ("metric", "at_least", "at_most", "hint")
# Settings a lesson never unlocks: the run's name marks it as the lesson's, and the drawn data's
# file is the lesson's own (`points`).
NEVER_UNLOCKED = ("name", "data.path")
# What a run's evaluation lines hold (`train.eval_every`), by data; `ganplay.metrics.cheap_metrics`
# writes them (this table is its torch-free summary; the lesson tests train each shipped lesson).
MIXTURE_METRICS = ("modes", "hq", "kl")
DRAWN_METRICS = ("modes", "hq", "kl", "precision", "recall", "density", "coverage")
DIGIT_METRICS = ("classes", "class_kl", "confidence", "class_min_share", "label_acc")
STACKED_METRICS = ("modes", "kl")
TRANSLATION_METRICS = ("psnr", "ssim", "label_acc")
# What the trainer's steering ("event": "set" lines) can change mid-run, as config keys
STEERED = {"lr_g": "optim.lr_g", "lr_d": "optim.lr_d", "n_critic": "optim.n_critic"}
PENDING, PASSED, FAILED = "pending", "passed", "failed"


class LessonError(ValueError):
    """A lesson file that can't be used, or a change a lesson does not allow; the message names
    the file (or lesson) and the key."""


@dataclass(frozen=True)
class Check:
    metric: str
    at_least: float | None = None
    at_most: float | None = None
    hint: str = ""

    @property
    def label(self) -> str:
        return glossary_metric(self.metric).label

    def bounds(self) -> str:
        """The condition on the number: "≥ 8", "≤ 2", "≥ 1 and ≤ 3"."""
        parts = []
        if self.at_least is not None:
            parts.append(f"≥ {_num(self.at_least)}")
        if self.at_most is not None:
            parts.append(f"≤ {_num(self.at_most)}")
        return " and ".join(parts)

    def goal(self) -> str:
        """The condition in words: "modes covered ≥ 8"."""
        return f"{self.label} {self.bounds()}"

    def met_by(self, value: float) -> bool:
        return (math.isfinite(value)
                and (self.at_least is None or value >= self.at_least)
                and (self.at_most is None or value <= self.at_most))


@dataclass(frozen=True)
class Lesson:
    name: str
    path: Path
    title: str
    task: str
    preset: str
    set: tuple[str, ...]
    unlock: tuple[str, ...]
    check: Check
    points: Path | None = None
    max_changes: int | None = None
    solution: tuple[str, ...] = ()
    order: float = 100.0  # where lists show it (lower first; then by name)

    @property
    def run_name(self) -> str:
        return RUN_PREFIX + self.name

    def start_config(self) -> Config:
        """The starting state as a validated config (drawn data read from the lesson's file)."""
        return Config.from_dict(self.start_values())

    def start_values(self) -> dict[str, Any]:
        """The starting state as nested plain data."""
        values = apply_overrides(preset_values(self.preset), list(self.set))
        values["name"] = self.run_name
        if self.points is not None:
            values.setdefault("data", {}).update(name=DRAWN_DATASET, path=str(self.points))
        return values

    def start_flat(self) -> dict[str, Any]:
        """The starting config as {dotted key: value} (every field)."""
        return flatten(self.start_config().to_dict())

    def locked(self, key: str) -> bool:
        return key not in self.unlock

    def read_points(self) -> pointsets.PointSet | None:
        return pointsets.read_file(self.points) if self.points is not None else None

    def solution_changes(self) -> dict[str, Any]:
        """The file's `solution` as {dotted key: value}."""
        return dict(_override(item) for item in self.solution)


@dataclass(frozen=True)
class CheckResult:
    state: str  # PENDING, PASSED or FAILED
    message: str
    value: float | None = None  # the measured number, once there is one
    step: int | None = None  # the step of the evaluation it comes from

    @property
    def passed(self) -> bool:
        return self.state == PASSED


# -- finding and loading ------------------------------------------------------------------------
def lesson_dirs() -> list[Path]:
    """Where lessons are looked up, later folders first when names clash: the shipped folder,
    then each folder in `$GANPLAY_LESSONS`."""
    extra = [Path(p).expanduser() for p in os.environ.get(ENV, "").split(os.pathsep) if p.strip()]
    return [SHIPPED_DIR, *extra]


def lesson_files() -> dict[str, Path]:
    """Lesson name -> file, the later folder winning a clash (a teacher's replaces a shipped one)."""
    found: dict[str, Path] = {}
    for folder in lesson_dirs():
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                if NAME_RE.match(path.stem):
                    found[path.stem] = path
    return found


def list_lessons() -> list[Lesson]:
    """Every lesson that loads, by `order` then name; a broken file is left out (`lesson_problems`
    names it)."""
    out = []
    for path in lesson_files().values():
        try:
            out.append(load_file(path))
        except LessonError:
            continue
    return sorted(out, key=lambda lesson: (lesson.order, lesson.name))


def lesson_problems() -> list[str]:
    """The error of every lesson file that does not load (for a teacher writing one)."""
    problems = []
    for path in lesson_files().values():
        try:
            load_file(path)
        except LessonError as exc:
            problems.append(str(exc))
    return problems


def load_lesson(name: str) -> Lesson:
    """The lesson called `name` (its file's stem), validated."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise LessonError(f"{str(name)[:60]!r} is not a lesson name (lower-case letters, digits and "
                          "dashes, as in cover-all-modes)")
    files = lesson_files()
    if name not in files:
        raise LessonError(f"no lesson called {name!r}; lessons: {', '.join(files) or 'none'}")
    return load_file(files[name])


def load_file(path: str | Path) -> Lesson:
    """Read and validate one lesson file. Every problem is a LessonError naming the file and key."""
    path = Path(path)
    where = path.name
    if not NAME_RE.match(path.stem):
        raise LessonError(f"{where}: the file's name is the lesson's name in links; use lower-case "
                          "letters, digits and dashes (e.g. cover-all-modes.toml)")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LessonError(f"{where}: cannot read it: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise LessonError(f"{where}: {len(raw):,} bytes is not a lesson (at most {MAX_BYTES:,})")
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise LessonError(f"{where}: not a text file (save it as UTF-8 TOML)") from None
    except tomllib.TOMLDecodeError as exc:
        raise LessonError(f"{where}: not valid TOML: {exc}") from None
    return _validate(doc, path)


def _validate(doc: dict, path: Path) -> Lesson:
    where = path.name
    unknown = [k for k in doc if k not in KEYS]
    if unknown:
        raise LessonError(f"{where}: unknown key {unknown[0]!r}; a lesson has: {', '.join(KEYS)}")
    missing = [k for k in REQUIRED if k not in doc]
    if missing:
        raise LessonError(f"{where}: missing {', '.join(repr(k) for k in missing)} (needed: "
                          f"{', '.join(REQUIRED)})")
    title = _text(doc, "title", where)
    task = _text(doc, "task", where)
    preset = doc["preset"]
    if preset not in PRESETS:
        raise LessonError(f"{where}: preset: unknown preset {str(preset)[:60]!r}; presets: {', '.join(PRESETS)}")
    fields = field_help()
    overrides = _text_list(doc, "set", where)
    for item in overrides:
        key = _override(item, f"{where}: set")[0]
        if key not in fields:
            raise LessonError(f"{where}: set: {key!r} is not a setting (settings look like optim.lr_g)")
        if key == "data.path":
            raise LessonError(f"{where}: set: drawn data comes from `points = \"FILE.csv\"` beside the lesson, "
                              "not data.path")
    unlock = _text_list(doc, "unlock", where)
    for key in unlock:
        if key not in fields:
            raise LessonError(f"{where}: unlock: {key!r} is not a setting; settings look like optim.lr_g")
        if key in NEVER_UNLOCKED:
            raise LessonError(f"{where}: unlock: {key} stays locked in a lesson")
    if not unlock:
        raise LessonError(f"{where}: unlock: name at least one setting the learner may change")
    points = None
    if "points" in doc:
        points = _points_file(doc["points"], path)
    max_changes = doc.get("max_changes")
    if max_changes is not None and (isinstance(max_changes, bool) or not isinstance(max_changes, int)
                                    or not 1 <= max_changes <= len(unlock)):
        raise LessonError(f"{where}: max_changes: a whole number from 1 to the {len(unlock)} unlocked "
                          f"setting(s); got {max_changes!r}")
    order = doc.get("order", 100)
    if isinstance(order, bool) or not isinstance(order, (int, float)) or not math.isfinite(order):
        raise LessonError(f"{where}: order: a number (lists show lower first); got {order!r}")
    check_ = _check(doc["check"], where)
    solution = _text_list(doc, "solution", where)
    lesson = Lesson(path.stem, path, title, task, preset, tuple(overrides), tuple(unlock), check_,
                    points, max_changes, tuple(solution), float(order))
    try:
        start = lesson.start_config()
    except ConfigError as exc:
        raise LessonError(f"{where}: set: the starting state is not a valid config: {_one_line(exc)}") from None
    if not start.train.eval_every:
        raise LessonError(f"{where}: set: the check reads the run's evaluation lines; set "
                          "train.eval_every (e.g. train.eval_every=250)")
    offered = eval_metrics(start)
    if check_.metric not in offered:
        raise LessonError(f"{where}: check.metric: a run on {start.data.name} logs "
                          f"{', '.join(offered) or 'no evaluation metrics'}; got {check_.metric!r}")
    if solution:
        changes = {}
        for item in solution:
            key, value = _override(item, f"{where}: solution")
            if key not in fields:
                raise LessonError(f"{where}: solution: {key!r} is not a setting")
            if lesson.locked(key):
                raise LessonError(f"{where}: solution: changes {key}, which the lesson locks (unlock it "
                                  "or leave it out)")
            changes[key] = value
        try:
            lesson_config(lesson, changes)
        except (LessonError, ConfigError) as exc:
            raise LessonError(f"{where}: solution: {_one_line(exc)}") from None
    return lesson


def _one_line(exc: Exception) -> str:
    return str(exc).removeprefix("invalid config:").strip().replace("\n  ", "; ")


def _text(doc: dict, key: str, where: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LessonError(f"{where}: {key}: give it as text, e.g. {key} = \"...\"")
    return value.strip()


def _text_list(doc: dict, key: str, where: str) -> list[str]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LessonError(f"{where}: {key}: give a list of text, e.g. {key} = [\"optim.lr_g\"]")
    return [v.strip() for v in value]


def _override(item: str, where: str = "change") -> tuple[str, Any]:
    if "=" not in item:
        raise LessonError(f"{where}: {item[:60]!r} is not key=value (e.g. optim.lr_g=1e-4)")
    key, raw = item.split("=", 1)
    return key.strip(), parse_value(raw.strip())


def _points_file(value: Any, lesson_path: Path) -> Path:
    where = lesson_path.name
    if not isinstance(value, str) or not value.strip():
        raise LessonError(f"{where}: points: give the name of a CSV beside the lesson, e.g. points = \"drawing.csv\"")
    rel = Path(value.strip())
    if rel.is_absolute() or ".." in rel.parts:
        raise LessonError(f"{where}: points: {value!r}: name a file beside the lesson (no absolute path, no ..)")
    path = lesson_path.parent / rel
    if not path.is_file():
        raise LessonError(f"{where}: points: {value!r} is not a file beside the lesson ({path.parent})")
    try:
        pointsets.checked(pointsets.read_file(path))
    except pointsets.PointsError as exc:
        raise LessonError(f"{where}: points: {value}: {exc}") from None
    return path.resolve()


def _check(value: Any, where: str) -> Check:
    if not isinstance(value, dict):
        raise LessonError(f"{where}: check: a table ([check] with metric and at_least or at_most)")
    unknown = [k for k in value if k not in CHECK_KEYS]
    if unknown:
        raise LessonError(f"{where}: check.{unknown[0]}: unknown key; [check] has: {', '.join(CHECK_KEYS)}")
    metric = value.get("metric")
    if not isinstance(metric, str) or not metric:
        raise LessonError(f"{where}: check.metric: name the evaluation number to reach, e.g. metric = \"modes\"")
    bounds = {}
    for key in ("at_least", "at_most"):
        if key in value:
            bound = value[key]
            if isinstance(bound, bool) or not isinstance(bound, (int, float)) or not math.isfinite(bound):
                raise LessonError(f"{where}: check.{key}: a number; got {bound!r}")
            bounds[key] = float(bound)
    if not bounds:
        raise LessonError(f"{where}: check: give at_least or at_most (or both)")
    if len(bounds) == 2 and bounds["at_least"] > bounds["at_most"]:
        raise LessonError(f"{where}: check: at_least {_num(bounds['at_least'])} is above at_most "
                          f"{_num(bounds['at_most'])}: no run can pass")
    hint = value.get("hint", "")
    if not isinstance(hint, str):
        raise LessonError(f"{where}: check.hint: give it as text")
    return Check(metric, bounds.get("at_least"), bounds.get("at_most"), hint.strip())


def eval_metrics(cfg: Config) -> tuple[str, ...]:
    """The numbers a run of `cfg` logs on its evaluation lines."""
    if cfg.g_input != "noise":
        return TRANSLATION_METRICS
    if cfg.data.name == DRAWN_DATASET:
        return DRAWN_METRICS
    if cfg.data.name in MODE_CENTRES:
        return MIXTURE_METRICS
    if cfg.data.name == "stacked-mnist":
        return STACKED_METRICS
    if cfg.data.name in ("mnist5k", "mnist"):
        return DIGIT_METRICS
    return ()


# -- the learner's config -------------------------------------------------------------------------
def flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def lesson_config(lesson: Lesson, changes: Mapping[str, Any]) -> Config:
    """The starting state plus `changes` ({dotted key: value}; a whole form may be passed: values
    equal to the start are no change). A change to a locked setting is a LessonError naming it;
    a bad value is the config's own ConfigError."""
    start = lesson.start_flat()
    fields = field_help()
    unknown = [k for k in changes if k not in fields]
    if unknown:
        raise LessonError(f"lesson {lesson.name}: {unknown[0]!r} is not a setting")
    locked = [k for k, v in changes.items()
              if lesson.locked(k) and k != "data.path" and not _same(v, start.get(k))]
    if locked:
        raise LessonError(f"lesson {lesson.name}: {', '.join(locked)} "
                          f"{'is' if len(locked) == 1 else 'are'} locked; this lesson lets you change "
                          f"{', '.join(lesson.unlock)}")
    values = lesson.start_values()
    for key, value in changes.items():
        if not lesson.locked(key):
            section, _, name = key.rpartition(".")
            (values.setdefault(section, {}) if section else values)[name] = value
    return Config.from_dict(values)


def changed_settings(lesson: Lesson, cfg: Config) -> dict[str, tuple[Any, Any]]:
    """{dotted key: (start value, run's value)} for every setting where `cfg` differs from the
    lesson's start. Drawn data counts as changed when the points differ (cfg.data.path must be
    readable: a run's config with `with_data_under(run dir)` applied)."""
    start = lesson.start_flat()
    now = flatten(cfg.to_dict())
    out = {k: (start.get(k), v) for k, v in now.items() if k != "data.path" and not _same(start.get(k), v)}
    if lesson.points is not None and cfg.data.name == DRAWN_DATASET and not _same_points(lesson, cfg.data.path):
        out["data.path"] = (str(lesson.points), cfg.data.path)
    return out


def _same_points(lesson: Lesson, path: str) -> bool:
    try:
        theirs = pointsets.read_file(path)
    except pointsets.PointsError:
        return False
    ours = lesson.read_points()
    return ours is not None and ours.xy.shape == theirs.xy.shape and bool(np.array_equal(ours.xy, theirs.xy))


# -- the check ------------------------------------------------------------------------------------
def check(lesson: Lesson, rows: list[dict], cfg: Config, ended: bool = False) -> CheckResult:
    """Whether the run whose metrics lines are `rows` and whose config is `cfg` meets the lesson.

    PENDING until the run has logged its final evaluation (with `ended`, the run is over: one
    that stopped before its last evaluation FAILED). FAILED when the run's config differs from
    the start in a locked setting (or the run was steered in one), changes more unlocked settings
    than `max_changes`, or misses the check; PASSED otherwise, with the measured value."""
    changed = changed_settings(lesson, cfg)
    locked = [k for k in changed if lesson.locked(k)]
    if locked:
        return CheckResult(FAILED, "This run is not the lesson's: it changes " + ", ".join(
            f"{k} ({_show(changed[k][0])} → {_show(changed[k][1])})" if k != "data.path" else "the data"
            for k in locked) + f", which the lesson locks. Change only {', '.join(lesson.unlock)}.")
    steered = sorted({STEERED[k] for r in rows if r.get("event") == "set" for k in r if k in STEERED}
                     & {k for k in STEERED.values() if lesson.locked(k)})
    if steered:
        return CheckResult(FAILED, f"This run was steered in {', '.join(steered)}, which the lesson "
                                   "locks. Start a new run without steering it.")
    if lesson.max_changes is not None and len(changed) > lesson.max_changes:
        return CheckResult(FAILED, f"This run changes {len(changed)} settings ({', '.join(changed)}); "
                                   f"the lesson allows at most {lesson.max_changes}.")
    evals = [r for r in rows if r.get("event") == "eval"]
    metric, total = lesson.check.metric, cfg.train.steps
    last = evals[-1] if evals else None
    value = _float(last.get(metric)) if last else None
    step = int(last.get("step", 0)) if last else None
    goal = lesson.check.goal()
    if last is None or step < total:
        so_far = f" So far: {_num(value)} at step {step:,}." if value is not None else ""
        if ended:
            return CheckResult(FAILED, f"The run ended before its last evaluation (step {total:,}); "
                                       f"the check reads that one. Start a new run.{so_far}", value, step)
        return CheckResult(PENDING, f"Not yet: the check reads the evaluation at the run's last step "
                                    f"({total:,}).{so_far}", value, step)
    if value is None:
        return CheckResult(FAILED, f"The run's last evaluation has no {metric!r}.", None, step)
    if lesson.check.met_by(value):
        return CheckResult(PASSED, f"Passed: {lesson.check.label} {_num(value)} at step {step:,} "
                                   f"(needed {lesson.check.bounds()}).", value, step)
    hint = f" Hint: {lesson.check.hint}" if lesson.check.hint else ""
    if not changed:  # the hint is about the cure tried; here none was
        hint = (f" This run is the lesson's start as given: it changes none of the settings you may "
                f"change ({', '.join(lesson.unlock)}).")
    return CheckResult(FAILED, f"Not this time: {lesson.check.label} {_num(value)} at step {step:,}; "
                               f"the lesson needs {goal}.{hint}", value, step)


def _float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:g}" if float(value).is_integer() else f"{value:.3g}"


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
