"""How reliable is each lesson? Train every side over several seeds and count the verdicts.

    ganplay lab measure --seeds 5 --jobs 2            # all scenarios, all sides
    ganplay lab measure --scenario ring8 --record     # ... and write seed 0's replays

Results merge into `pretrained/lab/reliability.json` (one entry per scenario and side, with every
run's final coverage), and `ganplay lab table --write-readme` puts the rates into README.md. Each
entry carries a fingerprint of the side's settings: runs made with other settings are dropped
when new ones merge, and are not reported as the rate of the settings shipped now.
Runs go to worker processes with one thread each: on a small CPU, two single-threaded trainings
side by side beat one two-threaded training (OpenMP spin-waits otherwise).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Iterable

from ganplay.cpu import one_thread_worker
from ganplay.lab.replay import REPLAY_DIR, replay_path
from ganplay.readme import write_block
from ganplay.lab.scenarios import COLLAPSE, SCENARIOS, LabError, scenario, side_config

RELIABILITY_PATH = REPLAY_DIR / "reliability.json"



def _run(scenario_name: str, side: str, seed: int, record_to: str | None) -> dict:
    from ganplay.lab.record import record_side

    replay = record_side(scenario_name, side, seed, frames=None if record_to else 0)
    if replay.meta["state"] == "stopped":  # interrupted (SIGTERM): neither a verdict nor a replay
        return {"scenario": scenario_name, "side": side, "seed": seed, "state": "stopped"}
    if record_to:
        replay.save(record_to)
    return {"scenario": scenario_name, "side": side, "seed": seed,
            "coverage": float(replay.final.get("modes", replay.final.get("classes", 0.0))),
            "verdict": replay.meta["verdict"], "state": replay.meta["state"],
            "wall_time": replay.meta["wall_time"], "final": replay.final}


def sides_of(scenario_name: str) -> list[str]:
    return [COLLAPSE, *scenario(scenario_name).cures]


# Config fields added after lessons were measured, at the value that leaves a run as it was: left
# out of the fingerprint at that value, so a new option does not void every measurement.
ADDED_LATER = {("data", "per_class"): 0, ("loss", "adv_weight"): 1.0, ("loss", "l1_weight"): 0.0,
               ("data", "path"): "", ("data", "modes"): 0}


def settings_key(scenario_name: str, side: str) -> str:
    """A short fingerprint of a side's settings (its whole config but the seed)."""
    values = side_config(scenario_name, side).to_dict()
    values["train"].pop("seed")
    for (section, name), neutral in ADDED_LATER.items():
        if values[section].get(name) == neutral:
            values[section].pop(name)
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:12]


def current_entry(data: dict, scenario_name: str, side: str) -> dict | None:
    """The measured entry of a side, or None when it is missing or was measured with other
    settings than the ones `scenarios.py` has now."""
    entry = data.get("scenarios", {}).get(scenario_name, {}).get(side)
    if not entry or entry.get("settings") != settings_key(scenario_name, side):
        return None
    return entry


def load_reliability(path: str | Path = RELIABILITY_PATH) -> dict:
    path = Path(path)
    if not path.is_file():
        return {"scenarios": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def summarise(runs: list[dict]) -> dict:
    n = len(runs)
    cov = [r["coverage"] for r in runs]
    return {
        "n": n,
        "collapsed": sum(r["verdict"] == "collapsed" for r in runs),
        "covered": sum(r["verdict"] == "covered" for r in runs),
        "mean_coverage": round(sum(cov) / n, 2) if n else 0.0,
        "mean_wall_time": round(sum(r["wall_time"] for r in runs) / n, 1) if n else 0.0,
        "runs": sorted(runs, key=lambda r: r["seed"]),
    }


def measure(
    scenarios: Iterable[str],
    sides: Iterable[str] | None = None,
    seeds: Iterable[int] = range(5),
    jobs: int = 2,
    record: bool = False,
    replay_root: str | Path | None = None,
    out: str | Path = RELIABILITY_PATH,
    progress: bool = True,
) -> dict:
    """Train each (scenario, side, seed); merge the verdicts into `out`; return the whole file.

    With `record`, seed 0 of each side (when measured) is recorded with frames and saved as the
    shipped replay."""
    seeds = list(seeds)
    tasks = []
    # seed-major order: every side's first seed (and its replay) lands before any second seed, so
    # a measurement cut short still covers every side
    for seed in seeds:
        for sc in scenarios:
            for side in (list(sides) if sides else sides_of(sc)):
                to = str(replay_path(sc, side, replay_root)) if record and seed == 0 else None
                tasks.append((sc, side, seed, to))
    done: list[dict] = []
    data = load_reliability(out)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), unit="run", desc="lab runs", dynamic_ncols=True)
    import multiprocessing as mp

    with ProcessPoolExecutor(max(1, jobs), mp_context=mp.get_context("spawn"),
                             initializer=one_thread_worker) as pool:
        futures = [pool.submit(_run, *t) for t in tasks]
        for fut in as_completed(futures):
            r = fut.result()
            counted = r["state"] != "stopped"  # an interrupted run says nothing about the settings
            if counted:
                done.append(r)
                # re-read first: another measurement may have written other sides meanwhile
                data = load_reliability(out)
                _merge(data, done, r["scenario"], r["side"], jobs)
                _write(data, out)  # after every run: an interrupted measurement keeps what it has
            if bar is not None:
                verdict = r["verdict"] if counted else "stopped, not counted"
                bar.set_postfix_str(f"{r['scenario']}/{r['side']} seed {r['seed']}: {verdict}")
                bar.update()
    if bar is not None:
        bar.close()
    return data


def _merge(data: dict, done: list[dict], sc: str, side: str, jobs: int) -> None:
    """Replace (scenario, side)'s entry with this measurement's runs so far, keeping runs of
    seeds this measurement did not train."""
    data["measured"] = _dt.date.today().isoformat()
    data["machine"] = f"{platform.machine()}, {os.cpu_count()} CPUs, {jobs} runs at a time, 1 thread each"
    entry = data.setdefault("scenarios", {}).setdefault(sc, {})
    for gone in set(entry) - set(sides_of(sc)):  # a side the lesson no longer offers
        del entry[gone]
    new = [r for r in done if r["scenario"] == sc and r["side"] == side]
    seeds = {r["seed"] for r in new}
    kept = current_entry(data, sc, side) or {}  # runs of other settings are not kept
    old = [r for r in kept.get("runs", []) if r["seed"] not in seeds]
    entry[side] = {"settings": settings_key(sc, side), **summarise(old + new)}


def _write(data: dict, out: str | Path) -> None:
    from ganplay.train.rundir import atomic_write_bytes

    Path(out).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(Path(out), (json.dumps(data, indent=1) + "\n").encode("utf-8"))


def rate_text(scenario_name: str, side: str, data: dict | None = None) -> str:
    """"collapsed (≤ 2 of 8 modes) in 4 of 5 seeds" / "covered (≥ 22 of 25 modes) in 4 of 5
    seeds" / "covered (all 10 classes) in 5 of 5 seeds" / "not measured yet": the verdict's
    threshold in the words, since "covered" alone reads as every mode."""
    data = load_reliability() if data is None else data
    entry = current_entry(data, scenario_name, side)
    if not entry:
        return "not measured yet"
    sc = scenario(scenario_name)
    if side == COLLAPSE:
        what, bar = "collapsed", f"≤ {sc.collapsed_at_most:,} of {sc.n_modes:,} {sc.unit}"
    else:
        what = "covered"
        bar = (f"all {sc.n_modes:,} {sc.unit}" if sc.covered_at_least >= sc.n_modes
               else f"≥ {sc.covered_at_least:,} of {sc.n_modes:,} {sc.unit}")
    return f"{what} ({bar}) in {entry[what]} of {entry['n']} seeds"


def pair_time_text(scenario_name: str, sides: Iterable[str], data: dict | None = None) -> str | None:
    """How long the slower of these sides took per run when measured (two runs at a time, as
    the page trains a pair): "under a minute", "about 5 minutes"; None when one is not measured."""
    data = load_reliability() if data is None else data
    entries = [current_entry(data, scenario_name, side) for side in sides]
    if not entries or not all(e and e.get("mean_wall_time") for e in entries):
        return None
    slowest = max(float(e["mean_wall_time"]) for e in entries)
    if slowest < 60:
        return "under a minute"
    minutes = round(slowest / 60)
    return f"about {minutes} minute{'s' if minutes > 1 else ''}"


def table_markdown(data: dict | None = None) -> str:
    """The README table: for each scenario and side, the measured rate and mean final coverage."""
    data = load_reliability() if data is None else data
    lines = ["| scenario | side | collapsed | covered | final coverage (mean) | time per run |",
             "|---|---|---|---|---|---|"]
    for name, sc in SCENARIOS.items():
        for side in sides_of(name):
            e = current_entry(data, name, side)
            if not e:
                lines.append(f"| {name} | {side} | not measured | | | |")
                continue
            lines.append(f"| {name} | {side} | {e['collapsed']}/{e['n']} | {e['covered']}/{e['n']} | "
                         f"{e['mean_coverage']:g} / {sc.n_modes} {sc.unit} | {e['mean_wall_time']:.0f} s |")
    return "\n".join(lines)


def write_readme(readme: str | Path, data: dict | None = None) -> bool:
    """Replace the block between the lab markers in README.md; True when it changed. Refused when
    no side has a measurement of today's settings: the table would say "not measured" everywhere
    and lose the rows it has."""
    data = load_reliability() if data is None else data
    if not any(current_entry(data, name, side) for name in SCENARIOS for side in sides_of(name)):
        raise LabError("no lab measurement of the lessons' current settings to write (run `ganplay lab "
                       "measure` first); README.md left as it is")
    return write_block("lab", table_markdown(data), readme)
