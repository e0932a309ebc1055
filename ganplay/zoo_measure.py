"""`ganplay zoo measure NAME`: a zoo entry trained over several training seeds, each training scored
on fresh samples. A card (`zoo_build`) describes one trained model, its spread only over sampling
seeds; this says how often the recipe itself works.

    <runs>/NAME/<settings>/seed-S/   one training per seed (`<settings>`: the config's fingerprint,
                                     so other settings never train over these runs)
    pretrained/measure/NAME.json     the results, rewritten atomically after every seed

Per seed S: the entry's preset + its overrides (as `zoo_build.build`) + `overrides` (`--set`) +
`train.seed=S`. A run directory that holds a finished run is not trained again; an interrupted one
(stopped, killed) continues from its newest checkpoint (`Trainer.from_run`, as `ganplay train
--resume`). The final generator (the EMA copy when the run kept one) is scored by
`metrics.evaluate` on fresh samples: sampling seed 1000 + S, the card's `n` (2D: the protocol's
2,500 points), the headline numbers only (no spread sets, no memorisation check, no floor).

The results file records the settings: the config but for `train.seed` and `name`, and the eval
settings. Seeds already in it are re-used ("measured earlier"), so a long measurement is a series
of short commands, and `--first-seed`/`--seeds` add seeds later. A call with other settings is
refused (`MeasureError` naming `--fresh`, which replaces the file, and `--out`, which keeps a
measurement apart) so seeds of two settings are never mixed. `summarise` is the file's `summary`:
each metric's per-seed values, min, median and max, and the goals (2D: in how many seeds every
mode is covered; digits: the rarest digit's smallest share, ...). When the card beside the results
(`root`) has the same config but for the seed and name, its `training_seeds` block is that summary
and its one line says what it shows (`zoo.describe_card`); the card is re-read just before writing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from ganplay.cpu import one_thread_worker
from ganplay.zoo import (PRETRAINED, ZOO, ZooError, card_kind, card_path, describe_card, measure_path, read_card,
                         training_seeds_words)

if TYPE_CHECKING:
    from ganplay.train.rundir import RunDir

SAMPLING_SEED = 1000  # a training seed S is scored on the samples of sampling seed SAMPLING_SEED + S
EVAL_N = 10_000  # samples per training seed for digits when the card says nothing (as zoo_build)
# numbers in evaluate's result that describe the measurement, not the model
NOT_METRICS = ("n", "n_modes", "image_size", "std", "hq_radius", "kid_std", "is_std")
SEED_LINE_KEYS = {"points": ("modes", "hq", "kl"),
                  "images": ("label_acc", "classes", "class_min_share", "confidence", "class_kl", "fid"),
                  "translation": ("label_acc", "confidence", "psnr", "ssim")}


class MeasureError(ZooError):
    """Bad input to a measurement (other settings than the results file's, ...): a user error."""


class MeasureStopped(RuntimeError):
    """A training was stopped (Ctrl+C, SIGTERM): its checkpoint is kept, the same call continues it."""


# ---------------------------------------------------------------------------------------------
# settings
# ---------------------------------------------------------------------------------------------
def seedless(config: dict) -> dict:
    """A config as plain data without `train.seed` and `name`: what the seeds of one measurement
    share. Read through today's `Config` first where it can be (fields added since get their
    defaults), so a card written before a new option still matches."""
    from ganplay.config import Config, ConfigError

    try:
        values = Config.from_dict(config).to_dict()
    except ConfigError:
        values = json.loads(json.dumps(config))
    values.pop("name", None)
    values.get("train", {}).pop("seed", None)
    return values


def fingerprint(config: dict) -> str:
    """12 hex digits naming a seedless config (the run directories' settings folder)."""
    return hashlib.sha256(json.dumps(seedless(config), sort_keys=True).encode()).hexdigest()[:12]


def differences(a: dict, b: dict, prefix: str = "") -> list[str]:
    """'train.steps: 60 there, 80 here' for each setting that differs (nested keys dotted)."""
    out = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        if isinstance(x, dict) and isinstance(y, dict):
            out += differences(x, y, f"{prefix}{key}.")
        elif x != y:
            out.append(f"{prefix}{key}: {json.dumps(x)} there, {json.dumps(y)} here")
    return out


def seed_config(name: str, seed: int, overrides: Iterable[str] = ()):
    """The config of training seed `seed`: the entry's preset and overrides, then `overrides`."""
    from ganplay.config import Config

    if name not in ZOO:
        raise MeasureError(f"unknown zoo model {name!r}; known: {', '.join(ZOO)}")
    overrides = list(overrides)
    for item in overrides:
        key = item.split("=", 1)[0].strip()
        if key in ("train.seed", "name"):
            raise MeasureError(f"--set {key}: the measurement sets it (the training seeds are --first-seed "
                               f"and --seeds; each run is named zoo-{name}-seed-S)")
    entry = ZOO[name]
    return Config.from_preset(entry.preset, [*entry.overrides, *overrides, f"train.seed={seed}",
                                             f"name=zoo-{name}-seed-{seed}"])


def run_path(runs: str | Path, name: str, cfg) -> Path:
    """Where a training seed trains: a fixed folder per settings (the config's fingerprint) and seed,
    so a second call finds it and other settings never train over it."""
    return Path(runs) / name / fingerprint(cfg.to_dict()) / f"seed-{cfg.train.seed}"


def eval_settings(config: dict, n: int) -> dict:
    """How each training is scored, as the results file records it (part of its settings)."""
    from ganplay.metrics.points import PROTOCOL_N

    kind = card_kind(config)
    return {"n": PROTOCOL_N if kind == "points" else n if kind == "noise" else "the held-out digits",
            "sampling_seed": f"{SAMPLING_SEED} + the training seed", "spread": 0, "memorisation": False,
            "floor": False}


# ---------------------------------------------------------------------------------------------
# one seed: train (or resume, or find it done), then score
# ---------------------------------------------------------------------------------------------
LOCK_NAME = "measure.lock"


def lock_holder(path: Path) -> int | None:
    """The pid of the live process training in run directory `path`, or None."""
    from ganplay.jobs.records import process_alive

    try:
        holder = json.loads((Path(path) / LOCK_NAME).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(holder, dict):
        return None
    pid = holder.get("pid")
    return pid if isinstance(pid, int) and process_alive(pid, holder.get("pid_start")) else None


@contextlib.contextmanager
def _training_lock(path: Path) -> Iterator[None]:
    """Hold `path`/measure.lock while this process trains there: two measurements given the same
    seed would otherwise both resume one run directory and write over each other's checkpoints. A
    lock whose process has gone (killed, machine restarted) is taken over."""
    from ganplay.jobs.records import _proc_start_ticks

    path.mkdir(parents=True, exist_ok=True)
    lock = path / LOCK_NAME
    me = {"pid": os.getpid(), "pid_start": _proc_start_ticks(os.getpid())}  # as job records name them
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = lock_holder(path)
            if holder is not None:
                raise MeasureError(f"{path} is being trained by another measurement (process {holder}); "
                                   "wait for it, or measure other --first-seed/--seeds") from None
            lock.unlink(missing_ok=True)  # stale: its process is gone
            continue
        with os.fdopen(fd, "w") as f:
            json.dump(me, f)
        break
    else:
        raise MeasureError(f"could not take {lock}: another measurement keeps taking it")
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def train_seed(cfg, path: Path, progress: bool = False, desc: str = "") -> dict:
    """Train `cfg` in run directory `path` (holding its lock): nothing when it holds a finished run,
    resumed from its newest checkpoint when it holds an interrupted one (`Trainer.from_run`), else
    from the start. {"state", "step", "wall_time", "device", "how"} ("how": "trained", "resumed at
    step K" or "finished earlier")."""
    with _training_lock(Path(path)):
        return _train_seed(cfg, Path(path), progress, desc)


def _train_seed(cfg, path: Path, progress: bool, desc: str) -> dict:
    from ganplay.train import Trainer
    from ganplay.train.rundir import RunDir, read_json

    run = RunDir(path)
    if run.is_run():
        there, here = seedless(read_json(run.config_path)), seedless(cfg.to_dict())
        if there != here:
            raise MeasureError(f"{path} holds a run of other settings ({'; '.join(differences(there, here)[:3])}); "
                               "move it away or measure into another --runs folder")
        if _finished(run):
            return {**_status(run), "how": "finished earlier"}
        trainer = Trainer.from_run(path)  # `ganplay train --resume`: config and newest checkpoint
        how = f"resumed at step {trainer.step:,}" if trainer.step else "trained"
    else:
        trainer = Trainer(cfg)
        trainer.start(run_dir=path)
        how = "trained"
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=trainer.cfg.train.steps, initial=trainer.step, unit="step", desc=desc,
                   dynamic_ncols=True, file=sys.stderr)
    try:
        state = trainer.fit(on_step=(lambda s, t, r: bar.update(s - bar.n)) if bar else None)
    finally:
        if bar is not None:
            bar.close()
    return {**_status(run), "state": state, "how": how}


def finished_run(runs: str | Path, name: str, cfg) -> RunDir | None:
    """The finished training of exactly `cfg` (its seed included) that a measurement left under
    `runs`, as a RunDir, or None: `ganplay zoo build` exports it rather than train it again."""
    from ganplay.train.rundir import RunDir, read_json

    run = RunDir(run_path(runs, name, cfg))  # the folder names the settings and the seed
    if not run.is_run():
        return None
    try:
        there = read_json(run.config_path)
    except (OSError, ValueError):
        return None
    return run if seedless(there) == seedless(cfg.to_dict()) and _finished(run) else None


def _finished(run) -> bool:
    return run.read_status().get("state") == "done" and run.latest_checkpoint() is not None


def _status(run) -> dict:
    status = run.read_status()
    return {"state": status.get("state"), "step": status.get("step"), "wall_time": status.get("wall_time", 0.0),
            "device": status.get("device", "cpu"), "error": status.get("error", "")}


def scalar_metrics(result: dict) -> dict[str, float]:
    """Every number `evaluate` measured on the model, flat: a {"mean", ...} block's mean (the 2D
    protocol's form, here of one sampling seed); the measurement's own facts left out."""
    out = {}
    for key, value in result.items():
        if key in NOT_METRICS or isinstance(value, bool):
            continue
        if isinstance(value, dict) and isinstance(value.get("mean"), (int, float)):
            value = value["mean"]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = float(value)
    return out


def score(path: Path, n: int, sampling_seed: int) -> dict:
    """A finished run's final generator (EMA when kept), measured on fresh samples: the headline
    numbers, plus the facts the summary needs (kind, n_modes, conditional, class shares)."""
    from ganplay.metrics import evaluate
    from ganplay.sampling import load_generator

    result = evaluate(load_generator(path), n=n, seed=sampling_seed, seeds=1, spread=0, memorisation=False,
                      floor=False)
    if not result.get("available"):
        raise MeasureError(f"no metrics for this model: {result.get('reason')}")
    facts = {k: result[k] for k in ("kind", "n_modes", "conditional") if k in result}
    if result.get("class_shares"):
        facts["class_shares"] = result["class_shares"][0]
    return {"metrics": scalar_metrics(result), "facts": facts}


def measure_seed(job: dict, progress: bool = False) -> dict:
    """Train and score one seed (`job`: name, seed, overrides, runs, n): the results file's entry
    for it, plus "how" and the facts. A worker process runs this too (`jobs` > 1)."""
    name, seed = job["name"], job["seed"]
    cfg = seed_config(name, seed, job["overrides"])
    path = run_path(job["runs"], name, cfg)
    done = train_seed(cfg, path, progress, desc=f"{name} seed {seed}")
    entry = {"seed": seed, "state": done["state"], "steps": done["step"], "wall_time_s": round(done["wall_time"], 1),
             "device": done["device"], "run": str(path), "measured": time.strftime("%Y-%m-%d"), "how": done["how"]}
    if done["state"] == "failed":
        entry["error"] = done["error"]
    if done["state"] != "done":
        return entry
    scored = score(path, job["n"], SAMPLING_SEED + seed)
    entry.update(sampling_seed=SAMPLING_SEED + seed, metrics=scored["metrics"], facts=scored["facts"])
    if "class_shares" in scored["facts"]:
        entry["class_shares"] = scored["facts"]["class_shares"]
    return entry



# ---------------------------------------------------------------------------------------------
# the results file and its summary
# ---------------------------------------------------------------------------------------------
def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def summarise(results: dict) -> dict:
    """The results' `summary` (also a card's `training_seeds`): per metric, the values in seed
    order, min, median, max, over the seeds that trained to the end; `n` counts every seed, a
    failed training among them (`failed`). Goals: 2D points `every_mode_seeds` (seeds whose
    samples cover every mode), `hq_min`, `hq_median`; digits `class_min_share_min` (the rarest
    digit's smallest share over the seeds), `digit_missing_seeds` (seeds whose rarest digit has
    under 1% of the samples), `class_kl_max`, `confidence_mean`, and `label_acc_min` when
    conditional."""
    entries = sorted(results.get("per_seed") or [], key=lambda e: e["seed"])
    done = [e for e in entries if e.get("state", "done") == "done" and e.get("metrics")]
    failed = [e["seed"] for e in entries if e.get("state") == "failed"]
    keys = [k for k in (done[0]["metrics"] if done else {}) if all(k in e["metrics"] for e in done)]
    metrics = {}
    for key in keys:
        values = [e["metrics"][key] for e in done]
        metrics[key] = {"values": values, "min": min(values), "median": _median(values), "max": max(values)}
    kind = results.get("kind")
    out = {"kind": kind, "n": len(done) + len(failed), "seeds": [e["seed"] for e in done], "failed": failed,
           "metrics": metrics}
    if kind == "points" and "modes" in metrics:
        k = results["n_modes"]
        out.update(n_modes=k, every_mode_seeds=sum(v >= k for v in metrics["modes"]["values"]))
        if "hq" in metrics:
            out.update(hq_min=metrics["hq"]["min"], hq_median=metrics["hq"]["median"])
    elif kind == "images" and done:
        out["conditional"] = bool(results.get("conditional"))
        if out["conditional"] and "label_acc" in metrics:
            out["label_acc_min"] = metrics["label_acc"]["min"]
        if "class_min_share" in metrics:
            out["class_min_share_min"] = metrics["class_min_share"]["min"]
            out["digit_missing_seeds"] = sum(v < 0.01 for v in metrics["class_min_share"]["values"])
        if "class_kl" in metrics:
            out["class_kl_max"] = metrics["class_kl"]["max"]
        if "confidence" in metrics:
            out["confidence_mean"] = sum(metrics["confidence"]["values"]) / len(done)
    return out


def load_results(path: str | Path) -> dict | None:
    path = Path(path)
    return json.loads(path.read_text()) if path.is_file() else None


def _setting_differences(results: dict, settings: dict) -> list[str]:
    """How a results file's settings (config but for the seed, eval) differ from `settings`."""
    diff = differences(seedless(results.get("config") or {}), settings["config"])
    if results.get("eval") != settings["eval"]:
        diff.append(f"eval: {json.dumps(results.get('eval'))} there, {json.dumps(settings['eval'])} here")
    return diff


def _check_same(results: dict, settings: dict, path: Path) -> None:
    """Refuse to add seeds of other settings to a results file."""
    diff = _setting_differences(results, settings)
    if diff:
        n = len(results.get("per_seed") or [])
        raise MeasureError(
            f"{path} holds {n} seed{'s' if n != 1 else ''} measured with other settings ({'; '.join(diff[:4])}"
            f"{f'; and {len(diff) - 4} more' if len(diff) > 4 else ''}): add --fresh to replace them, or --out DIR "
            "to keep this measurement apart")


def seed_line(entry: dict, results: dict) -> str:
    """'seed 2: measured earlier; modes 8/8, hq 91.2%, kl 0.004': one seed as the command prints it."""
    from ganplay.metrics.evaluation import ROWS

    how = entry.get("how", "measured earlier")
    if entry.get("state") != "done":
        return (f"seed {entry['seed']}: training {entry.get('state')} at step {entry.get('steps')}: "
                f"{entry.get('error', '')}")
    if how == "trained":
        how = f"trained {entry['steps']:,} steps in {entry['wall_time_s']:.1f} s"
    elif how.startswith("resumed"):
        how += f", {entry['steps']:,} steps in {entry['wall_time_s']:.1f} s of training in all"
    elif how == "finished earlier":
        how = "its run finished earlier, scored now"
    m = entry.get("metrics") or {}
    cells = []
    for key in SEED_LINE_KEYS.get(results.get("kind"), ()):
        if key in m:
            text = (f"{m[key]:g}/{results['n_modes']}" if key == "modes"
                    else ROWS.get(key, ("{:.4g}",))[0].format(m[key]))
            cells.append(f"{key} {text}")
    return f"seed {entry['seed']}: {how}; {', '.join(cells)}"


def summary_line(name: str, summary: dict) -> str:
    """'ring8-pacgan: over 5 training seeds: every mode in 5 of 5, high quality 90.1-91.3% (median 90.6%)'."""
    words = training_seeds_words(summary)
    return f"{name}: {words}" if words else f"{name}: no training seed measured yet"


# ---------------------------------------------------------------------------------------------
# the card
# ---------------------------------------------------------------------------------------------
def card_block(card: dict, root: Path = PRETRAINED) -> dict | None:
    """The card's `training_seeds` block: `root`'s measure/NAME.json summary, with where it came
    from, when that measurement's config is the card's (but for train.seed and name); else None."""
    name = card.get("name", "")
    path = measure_path(name, root)
    results = load_results(path)
    if not results or not results.get("summary", {}).get("n") or "config" not in card:
        return None
    if seedless(card["config"]) != seedless(results["config"]):
        return None
    return {**results["summary"], "results": path.relative_to(root).as_posix(), "eval": results["eval"],
            "updated": results.get("updated")}


def update_card(name: str, root: Path = PRETRAINED) -> str:
    """Write (or take away) the card's `training_seeds` block from `root`'s results, and its one
    line; the card re-read just before. Returns what happened, in words ('' when there is no card)."""
    from ganplay.train.rundir import atomic_write_json

    if not card_path(name, root).is_file():
        return ""
    card = read_card(name, root)
    block = card_block(card, root)
    if block is None and "training_seeds" not in card:
        return f"card {name}: not changed (its config is not the measured one)"
    if block is None:
        del card["training_seeds"]
        what = f"card {name}: training_seeds block taken away (the results now hold other settings)"
    else:
        card["training_seeds"] = block
        what = f"card {name}: training_seeds block written ({block['n']} seeds)"
    card["help"] = describe_card(card)
    atomic_write_json(card_path(name, root), card)
    return what


# ---------------------------------------------------------------------------------------------
# the measurement
# ---------------------------------------------------------------------------------------------
def measure(name: str, seeds: Iterable[int] = range(5), runs: str | Path = Path("runs/zoo-measure"),
            root: Path = PRETRAINED, out_dir: str | Path | None = None, overrides: Iterable[str] = (),
            n: int | None = None, jobs: int = 1, fresh: bool = False, progress: bool = True,
            say: Callable[[str], None] | None = None) -> dict:
    """Train and score `name` over training `seeds` (see the module's doc); returns the results
    file's content. `out_dir` (default `root`/measure) holds NAME.json; the card at `root` gets the
    summary when the results are its own (`out_dir` is `root`/measure) and the configs match.
    `n`: samples per seed for digits (default: the card's eval n, else 10,000). `jobs` > 1: that
    many seeds at a time in worker processes, one thread each. `fresh`: replace a results file of
    other settings. `say(line)`: one line per seed as it is done, then the card's news."""
    from ganplay.train.rundir import atomic_write_json

    seeds = sorted(set(int(s) for s in seeds))
    if not seeds or seeds[0] < 0:
        raise MeasureError(f"training seeds must be 0 or more; got {seeds}")
    if jobs < 1:
        raise MeasureError(f"jobs must be at least 1; got {jobs}")
    overrides = list(overrides)
    cfg = seed_config(name, seeds[0], overrides)  # a bad name or override fails before anything runs
    out_dir = Path(out_dir) if out_dir is not None else root / "measure"
    path = out_dir / f"{name}.json"
    own = out_dir.resolve() == (root / "measure").resolve()
    if n is None:
        n = ((read_card(name, root).get("eval") or {}).get("n") if card_path(name, root).is_file() else None) or EVAL_N
    settings = {"config": seedless(cfg.to_dict()), "eval": eval_settings(cfg.to_dict(), n)}
    if say is None:
        say = (lambda line: print(line, file=sys.stderr)) if progress else (lambda line: None)

    results = load_results(path)
    if results is not None and not fresh:
        _check_same(results, settings, path)
    if results is None or fresh:
        results = {"name": name, "what": f"{name} trained once per training seed, each training scored on fresh "
                                         f"samples (ganplay zoo measure)",
                   "preset": ZOO[name].preset, "overrides": list(ZOO[name].overrides), "extra_overrides": overrides,
                   "config": settings["config"], "fingerprint": fingerprint(cfg.to_dict()), "eval": settings["eval"],
                   "per_seed": [], "summary": {}, "updated": time.strftime("%Y-%m-%d %H:%M:%S")}
        if fresh and path.is_file():  # start over now: the seeds below merge into this, not the old file
            atomic_write_json(path, results)

    earlier = {e["seed"]: e for e in results["per_seed"]}
    for seed in seeds:
        if seed in earlier:
            say(seed_line({**earlier[seed], "how": "measured earlier"}, results))
    todo = []
    for s in seeds:
        if s in earlier:
            continue
        holder = lock_holder(run_path(runs, name, seed_config(name, s, overrides)))
        if holder is not None:  # another command has it: it writes the seed into the same file
            say(f"seed {s}: being trained by another measurement (process {holder}); skipped")
            continue
        todo.append({"name": name, "seed": s, "overrides": overrides, "runs": str(runs), "n": n})
    stopped = []

    def record(entry: dict) -> None:
        nonlocal results
        if entry["state"] == "stopped":
            stopped.append(entry)
            return
        facts = entry.pop("facts", {})
        how = entry.pop("how", "")
        current = load_results(path)  # re-read: another command may have added seeds meanwhile
        if current is not None and not _setting_differences(current, settings):
            results = current
        results.update({k: v for k, v in facts.items() if k != "class_shares"})
        results["per_seed"] = sorted([e for e in results["per_seed"] if e["seed"] != entry["seed"]] + [entry],
                                     key=lambda e: e["seed"])
        results["summary"] = summarise(results)
        results["updated"] = time.strftime("%Y-%m-%d %H:%M:%S")
        results = _ordered(results)
        out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path, results)
        say(seed_line({**entry, "how": how}, results))

    if jobs > 1 and len(todo) > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), unit="seed", desc=f"{name}, {min(jobs, len(todo))} at a time",
                       dynamic_ncols=True, file=sys.stderr)
        with ProcessPoolExecutor(min(jobs, len(todo)), mp_context=mp.get_context("spawn"),
                                 initializer=one_thread_worker) as pool:
            for fut in as_completed([pool.submit(measure_seed, job) for job in todo]):
                record(fut.result())
                if bar is not None:
                    bar.update()
        if bar is not None:
            bar.close()
    else:
        for job in todo:
            record(measure_seed(job, progress))
            if stopped:
                break
    if stopped:
        e = stopped[0]
        raise MeasureStopped(f"{name} seed {e['seed']} stopped at step {e['steps']} (its checkpoint is kept in "
                             f"{e['run']}); the same command continues it")
    if results["per_seed"] and not results.get("summary"):
        results["summary"] = summarise(results)
    if own:
        news = update_card(name, root)
        if news:
            say(news)
    return results


ORDER = ("name", "what", "preset", "overrides", "extra_overrides", "kind", "n_modes", "conditional", "eval",
         "fingerprint", "updated", "summary", "per_seed", "config")


def _ordered(results: dict) -> dict:
    """The results file's keys in reading order: what was measured, the summary, the seeds, the config."""
    return {**{k: results[k] for k in ORDER if k in results}, **{k: v for k, v in results.items() if k not in ORDER}}
