"""The `ganplay` command line: train, sample, eval, export, eject, zoo, lab, presets, bench, app, space, panel. A thin shell over the library."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_STOPPED = 0, 1, 2, 3


class UserError(Exception):
    """Bad input from the person at the keyboard: print the message, no traceback."""


# Bad-input errors by the module that raises them. Only modules already imported are looked up: an
# error of a module that was never imported cannot have been raised, and importing them all here
# would import torch just to print "error: ..." for a bad config (seconds, on a laptop).
_USER_ERROR_CLASSES = {
    "ganplay.config": "ConfigError", "ganplay.data.dataset": "DataError", "ganplay.sampling": "SamplingError",
    "ganplay.train.checkpoint": "CheckpointError", "ganplay.train.distributed": "DeviceError",
    "ganplay.zoo": "ZooError", "ganplay.lab.scenarios": "LabError", "ganplay.eject": "EjectError",
}


def _user_errors() -> tuple[type[BaseException], ...]:
    found = [getattr(sys.modules[m], name) for m, name in _USER_ERROR_CLASSES.items() if m in sys.modules]
    # Paths the person named that cannot be written: a folder for a file, a file for a folder.
    paths = (FileNotFoundError, IsADirectoryError, NotADirectoryError, FileExistsError, PermissionError)
    return (UserError, *paths, *found)


def _file_to_write(path: str | Path | None, flag: str, suffixes: tuple[str, ...] = ()) -> None:
    """Refuse an output path that cannot take the file before any work is done (a bench or an
    export takes minutes, and an error at the end would lose it)."""
    if path is None:
        return
    if Path(path).is_dir():
        raise UserError(f"{flag} {path} is a folder; give the name of the file to write")
    if suffixes and Path(path).suffix.lower() not in suffixes:
        raise UserError(f"{flag} must end in {' or '.join(suffixes)}; got {path}")


# ---------------------------------------------------------------------------------------------
# train
# ---------------------------------------------------------------------------------------------
def _train_config(args: argparse.Namespace):
    from ganplay.config import Config, load_config

    overrides = list(args.set or [])
    if args.steps is not None:
        overrides.append(f"train.steps={args.steps}")
    if args.device:
        overrides.append(f"train.device={args.device}")
    if args.seed is not None:
        overrides.append(f"train.seed={args.seed}")
    if args.tensorboard:
        overrides.append("train.tensorboard=true")
    if args.preset and args.config:
        raise UserError("give either --preset or --config, not both")
    if args.preset:
        return Config.from_preset(args.preset, overrides)
    if args.config:
        return load_config(args.config, overrides)
    raise UserError("say what to train: --preset NAME (see `ganplay presets`) or --config FILE, "
                    "or --resume RUN_DIR")


def _set_threads(data_name: str | None) -> None:
    """One thread for 2D point data, before anything is computed (see ganplay/cpu.py)."""
    import torch

    from ganplay.config import POINT_DATASETS
    from ganplay.cpu import training_threads

    threads = training_threads(data_name in POINT_DATASETS)
    if threads:
        torch.set_num_threads(threads)


def cmd_train(args: argparse.Namespace) -> int:
    if args.standby:  # started ahead by the dashboard: torch imported, waiting for the job's arguments
        from ganplay.jobs import standby_main

        argv = standby_main(args.standby)
        return EXIT_OK if argv is None else cmd_train(build_parser().parse_args(["train", *argv]))
    from ganplay.jobs import phase_reporter

    report = phase_reporter(args.phase_file)  # what a job is doing before it trains (the dashboard shows it)
    if args.resume:
        if args.preset or args.config or args.set or args.run_dir:
            raise UserError("--resume continues a run as it was configured, in its own directory; drop "
                            "--preset/--config/--set/--run-dir (only --steps may change the total)")
        report("importing torch")
        from ganplay.train import Trainer
        from ganplay.train.rundir import RunDir, read_json

        config_path = RunDir(args.resume).config_path
        if config_path.is_file():
            _set_threads(read_json(config_path).get("data", {}).get("name"))
        trainer = Trainer.from_run(args.resume, steps=args.steps, on_phase=report)
        report("starting")
        run = trainer.run
    else:
        cfg = _train_config(args)  # a bad config fails here, before torch is imported
        if args.run_dir:
            from ganplay.train.rundir import RunDir

            if RunDir(args.run_dir).is_run():
                raise UserError(f"--run-dir {args.run_dir} already holds a run; continue it with "
                                f"--resume {args.run_dir}, or pick another folder")
        report("importing torch")
        from ganplay.train import Trainer

        _set_threads(cfg.data.name)
        trainer = Trainer(cfg, on_phase=report)  # loads data and builds models: fails before anything is written
        # before start(): once the run directory exists the dashboard takes the phase file away
        report("starting")
        run = trainer.start(args.out, run_dir=args.run_dir)
    main = trainer.dist.is_main
    total = trainer.cfg.train.steps
    if main:
        from ganplay.cpu import precision_warning

        what = "resuming" if args.resume else "training"
        print(f"{what} {trainer.cfg.name or trainer.cfg.data.name} on {trainer.device} "
              f"(x{trainer.dist.world_size}, {trainer.precision}) -> {run.path}", file=sys.stderr)
        warning = precision_warning(trainer.precision, trainer.device.type)
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
    bar = None
    if main and not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=total, initial=trainer.step, unit="step", dynamic_ncols=True, file=sys.stderr)

    def on_step(step: int, total: int, row: dict | None) -> None:
        if bar is None:
            return
        bar.update(step - bar.n)
        if row is not None:
            bar.set_postfix(loss_d=f"{row['loss_d']:.3f}", loss_g=f"{row['loss_g']:.3f}",
                            img_s=f"{row['images_per_s']:.0f}", refresh=False)

    try:
        state = trainer.fit(on_step=on_step)
    finally:
        if bar is not None:
            bar.close()
        from ganplay.train.distributed import shutdown_distributed

        shutdown_distributed()
    if not main:
        return EXIT_OK if state == "done" else EXIT_FAILED
    status = run.read_status()
    if state == "done":
        print(f"done: {status.get('step')} steps in {status.get('wall_time', 0):.1f} s -> {run.path}")
        return EXIT_OK
    if state == "stopped":
        print(f"stopped at step {status.get('step')}; continue with: ganplay train --resume {run.path}",
              file=sys.stderr)
        return EXIT_STOPPED
    print(f"error: run failed: {status.get('error')}\n  run directory: {run.path}", file=sys.stderr)
    return EXIT_FAILED


# ---------------------------------------------------------------------------------------------
# sample, presets, bench
# ---------------------------------------------------------------------------------------------
def cmd_sample(args: argparse.Namespace) -> int:
    from ganplay.sampling import load_generator, sampled_png
    from ganplay.train.rundir import atomic_write_bytes

    if not 1 <= args.n <= 4096:
        raise UserError(f"--n must be 1..4096, got {args.n}")
    _file_to_write(args.out, "--out", (".png",))
    gen = load_generator(args.source, use_ema=not args.no_ema)
    data, warning = sampled_png(gen, args.n, args.seed, args.label)
    if warning:  # the picture is still written: it shows what the weights do
        print(f"warning: {warning}", file=sys.stderr)
    atomic_write_bytes(args.out, data)
    print(f"wrote {args.n} samples (step {gen.step}, seed {args.seed}) to {args.out}")
    return EXIT_OK


def cmd_presets(args: argparse.Namespace) -> int:
    from ganplay.presets import PRESETS

    if args.json:
        print(json.dumps({name: p for name, p in PRESETS.items()}, indent=2))
        return EXIT_OK
    width = max(map(len, PRESETS))
    for name, p in PRESETS.items():
        print(f"{name:<{width}}  {p['help']}")
    return EXIT_OK


def cmd_augment(args: argparse.Namespace) -> int:
    from ganplay.augmentation import AugmentError, Settings, format_table, run_study

    if not 1 <= args.seeds <= 100:
        raise UserError(f"--seeds must be 1..100, got {args.seeds}")
    settings = Settings(n_values=tuple(args.n), seeds=tuple(range(args.first_seed, args.first_seed + args.seeds)),
                        gan_steps=args.gan_steps, classifier_steps=args.classifier_steps)
    try:
        settings.check()
    except AugmentError as exc:
        raise UserError(str(exc)) from None
    from ganplay.train.rundir import runs_root

    study, folder = run_study(runs_root(args.out), settings, progress=not args.quiet)
    print(format_table(study))
    print(f"results: {folder / 'results.json'}")
    if args.write_readme:
        from ganplay.augmentation import publish, shipped_path

        changed = publish(folder)
        print(f"shipped as {shipped_path()}; README's table {'rewritten' if changed else 'already current'}")
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    _file_to_write(args.json, "--json")
    if not 1 <= args.steps <= 100_000:
        raise UserError(f"--steps must be 1..100000, got {args.steps}")
    if not 1 <= args.repeats <= 100:
        raise UserError(f"--repeats must be 1..100, got {args.repeats}")
    if args.first_page:
        from ganplay.bench_pages import BenchError, every_page, first_page, first_run, pages_table, table_of

        try:
            report = first_page(repeats=args.repeats).as_dict()
            print(table_of(report))
            if args.first_run:
                report["quick_start"] = first_run(repeats=args.repeats)
                qs = report["quick_start"]
                print(f"Quick start -> first live chart: median {qs['first_chart_s'].get('median')} s, "
                      f"max {qs['first_chart_s'].get('max')} s; ETA error {qs['eta_error']}")
            if args.all_pages:
                report["pages_drawn_s"] = every_page(repeats=args.repeats)
                print(pages_table(report["pages_drawn_s"]))
        except BenchError as exc:
            raise UserError(str(exc)) from None
        out = json.dumps(report, indent=2)
        Path(args.json).write_text(out) if args.json else print(out)
        return EXIT_OK
    if args.cost:
        from ganplay.cpu import passive_waits

        passive_waits()  # as in the jobs whose cost it checks
        from ganplay.bench_cost import cost_bench, format_table

        report = cost_bench()
        print(format_table(report))
        out = json.dumps(report, indent=2)
        Path(args.json).write_text(out) if args.json else print(out)
        return EXIT_OK
    if args.panel:
        from ganplay.panel.bench import format_table, panel_bench

        report = panel_bench()
        print(format_table(report))
        out = json.dumps(report, indent=2)
        Path(args.json).write_text(out) if args.json else print(out)
        return EXIT_OK
    from ganplay.bench import BenchStopped, run_bench

    try:
        report = run_bench(preset=args.preset, overrides=args.set, steps=args.steps, repeats=args.repeats,
                           batch_size=args.batch_size, include_bf16=args.bf16,
                           include_compile=args.compile, progress=True)
    except BenchStopped as exc:
        print(f"bench stopped: {exc}; no numbers reported", file=sys.stderr)
        return EXIT_STOPPED
    print(report.table())
    if args.json:
        Path(args.json).write_text(json.dumps(report.as_dict(), indent=2))
    else:
        print(json.dumps(report.as_dict()))
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from ganplay.metrics import evaluate, format_report
    from ganplay.sampling import load_generator

    if not 50 <= args.n <= 100_000:
        raise UserError(f"--n must be 50..100000, got {args.n}")
    if args.seeds is not None and not 1 <= args.seeds <= 100:
        raise UserError(f"--seeds must be 1..100, got {args.seeds}")
    if args.spread is not None and args.spread not in range(2, 21) and args.spread != 0:
        raise UserError(f"--spread must be 0 (none) or 2..20 sample sets, got {args.spread}")
    to_stdout = args.json == "-"
    if not to_stdout:
        _file_to_write(args.json, "--json")
    gen = load_generator(args.source, use_ema=not args.no_ema)
    progress = not args.quiet and args.n * (args.seeds or 1) >= 2000
    spread = {} if args.spread is None else {"spread": args.spread}
    result = evaluate(gen, n=args.n, seed=args.seed, seeds=args.seeds, progress=progress, **spread)
    result = {"source": str(gen.source), "step": gen.step, **result}
    if to_stdout:  # JSON alone, for a pipe
        print(json.dumps(result, indent=2))
        return EXIT_OK
    print(format_report(result, f"{gen.source} (step {gen.step})"))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.json}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from ganplay.export import export_dataset, export_onnx
    from ganplay.sampling import load_generator

    if not (args.onnx or args.dataset):
        raise UserError("say what to export: --onnx FILE.onnx and/or --dataset FILE.zip")
    _file_to_write(args.onnx, "--onnx", (".onnx",))
    _file_to_write(args.dataset, "--dataset", (".zip",))
    gen = load_generator(args.source)
    if args.onnx:
        path = export_onnx(gen, args.onnx)
        inputs = ("inputs [B, %s] (the input image, in [-1, 1])" % ", ".join(map(str, gen.G.in_shape))
                  if gen.is_translator else
                  "z [B, %d]" % gen.z_dim + (", labels [B] (int64)" if gen.n_classes else ""))
        print(f"wrote {path} (inputs: {inputs})")
    if args.dataset:
        path = export_dataset(gen, args.dataset, args.n, seed=args.seed, per_class=args.per_class)
        print(f"wrote {path}")
    return EXIT_OK


def cmd_eject(args: argparse.Namespace) -> int:
    from ganplay.eject import eject

    _file_to_write(args.out, "--out", (".py",))
    for path in eject(args.source, args.out, list(args.set or [])):
        print(f"wrote {path}")
    print(f"train with: python {args.out} [--steps N]")
    return EXIT_OK


def _measure_runs(args: argparse.Namespace) -> Path:
    """Where `zoo measure` trains its seeds (and `zoo build` looks for them): --runs, else the runs
    root's zoo-measure/."""
    from ganplay.train.rundir import runs_root

    return Path(args.runs) if args.runs else runs_root() / "zoo-measure"


def cmd_zoo(args: argparse.Namespace) -> int:
    from ganplay import zoo, zoo_build

    if args.action == "list":
        for name, entry in zoo.ZOO.items():
            built = zoo.has_card(name)
            text = zoo.describe_card(zoo.read_card(name)) if built else entry.help
            print(f"{name:<22} {'built' if built else 'not built':<10} {text}")
        return EXIT_OK
    if args.action == "table":
        from ganplay.zoo_table import readme_table, update_readme

        if args.write_readme:
            update_readme()
            print("README.md results table updated")
        else:
            print(readme_table())
        return EXIT_OK
    names = list(zoo.ZOO) if args.all else args.names
    if not names:
        raise UserError(f"name the zoo models to {args.action} (or --all): {', '.join(zoo.ZOO)}")
    if args.action == "measure":
        return _zoo_measure(args, names)
    if args.action == "previews":
        for name in names:
            print(f"wrote {zoo_build.write_preview(name)}")
        return EXIT_OK
    if args.action == "projection":  # the projection numbers alone, on the shipped weights
        for name in names:
            block = zoo_build.add_projection(name, progress=lambda text, name=name: print(f"{name} {text}",
                                                                                         file=sys.stderr))
            if block is None:
                print(f"{name}: not a digit model from noise; no projection numbers")
                continue
            print(json.dumps({"name": name, "projection": block}))
        return EXIT_OK
    if args.action == "memorisation":  # the one step alone, on the shipped weights
        for name in names:
            block = zoo_build.add_memorisation(name)
            if block is None:
                print(f"{name}: not a digit model from noise; no memorisation check")
                continue
            block = {k: v for k, v in block.items() if k != "quantiles"}
            print(json.dumps({"name": name, "memorisation": block}))
        return EXIT_OK
    for name in names:
        if args.action == "build":  # a finished training seed of `zoo measure` is exported, not retrained
            card = zoo_build.build(name, measured=_measure_runs(args))
        else:  # eval: the card's metrics and its one line, measured again on the shipped weights
            card = zoo_build.reevaluate(name)
        print(json.dumps({"name": name, "steps": card["steps"], "wall_time_s": card["wall_time_s"],
                          "metrics": card.get("metrics")}))
    return EXIT_OK


def _check_seeds_and_jobs(args: argparse.Namespace) -> None:
    """`zoo measure` and `lab measure`/`record`: refuse counts that would build a huge seed list, train
    nothing, or start no (or thousands of) worker processes."""
    if not 1 <= args.seeds <= 100:
        raise UserError(f"--seeds must be 1..100 training seeds, got {args.seeds}")
    if not 0 <= args.first_seed <= 10_000:
        raise UserError(f"--first-seed must be 0..10000, got {args.first_seed}")
    if not 1 <= args.jobs <= 16:
        raise UserError(f"--jobs must be 1..16 trainings at a time, got {args.jobs}")


def _zoo_measure(args: argparse.Namespace, names: list[str]) -> int:
    """`ganplay zoo measure NAME...`: train and score each over training seeds (ganplay.zoo_measure)."""
    _check_seeds_and_jobs(args)
    from ganplay import zoo, zoo_measure

    runs = _measure_runs(args)
    out = Path(args.out) if args.out else zoo.PRETRAINED / "measure"  # the cards read this one
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    for name in names:
        cfg = zoo_measure.seed_config(name, args.first_seed, args.set or [])  # bad --set: before torch works
        if args.jobs == 1:
            _set_threads(cfg.data.name)
        try:
            results = zoo_measure.measure(name, seeds, runs=runs, out_dir=out, overrides=args.set or [],
                                          jobs=args.jobs, fresh=args.fresh, progress=not args.quiet, say=print)
        except zoo_measure.MeasureStopped as exc:
            print(f"stopped: {exc}", file=sys.stderr)
            return EXIT_STOPPED
        print(zoo_measure.summary_line(name, results["summary"]))
        print(f"results: {out / (name + '.json')}")
    return EXIT_OK


def cmd_lab(args: argparse.Namespace) -> int:
    from ganplay.lab import SCENARIOS, scenario
    from ganplay.lab import measure as lab_measure
    from ganplay.lab.replay import load_replay, replay_path

    if args.action == "list":
        data = lab_measure.load_reliability()
        for name, sc in SCENARIOS.items():
            print(f"{name}: {sc.title} ({sc.n_modes} {sc.unit})")
            for side in lab_measure.sides_of(name):
                shipped = "replay" if replay_path(name, side).is_file() else "no replay"
                print(f"  {side:<14} {shipped:<9}  {lab_measure.rate_text(name, side, data)}")
        return EXIT_OK
    if args.action == "table":
        if args.write_readme:
            changed = lab_measure.write_readme(Path(__file__).resolve().parents[1] / "README.md")
            print("README.md lab table " + ("updated" if changed else "already up to date"))
        else:
            print(lab_measure.table_markdown())
        return EXIT_OK
    names = args.scenario or list(SCENARIOS)
    for name in names:
        scenario(name)  # unknown names fail before any training
    if args.action in ("measure", "record"):
        _check_seeds_and_jobs(args)
        _file_to_write(args.results, "--results")
        seeds = (range(args.first_seed, args.first_seed + args.seeds) if args.action == "measure"
                 else [0])
        data = lab_measure.measure(names, args.side or None, seeds, jobs=args.jobs,
                                   record=args.record or args.action == "record",
                                   out=args.results or lab_measure.RELIABILITY_PATH,
                                   progress=not args.quiet)
        for name in names:
            for side in args.side or lab_measure.sides_of(name):
                print(f"{name:<14} {side:<14} {lab_measure.rate_text(name, side, data)}")
        return EXIT_OK
    # export
    from ganplay.lab import slides

    if len(names) != 1 or not args.side or len(args.side) != 1:
        raise UserError("export takes one --scenario and one --side (the cure shown on the right)")
    out = Path(args.out or f"lab-{names[0]}-{args.side[0]}.png")
    _file_to_write(out, "--out", (".png", ".gif"))
    left = load_replay(replay_path(names[0], "collapse"))
    right = load_replay(replay_path(names[0], args.side[0]))
    data = slides.figure_png(left, right) if out.suffix.lower() == ".png" else slides.animation_gif(left, right)
    out.write_bytes(data)
    print(f"wrote {out} ({len(data) / 1024:.0f} KiB)")
    return EXIT_OK


def cmd_panel(args: argparse.Namespace) -> int:
    import os

    if args.port:
        os.environ["GRADIO_SERVER_PORT"] = str(args.port)
    if args.host:
        os.environ["GRADIO_SERVER_NAME"] = args.host
    from ganplay.panel.__main__ import main as serve_panel

    serve_panel()
    return EXIT_OK


def cmd_space(args: argparse.Namespace) -> int:
    from ganplay import space

    try:
        files = space.build(args.out) if args.out else space.file_set()
    except space.SpaceError as exc:
        raise UserError(str(exc)) from None
    if args.out:
        size = sum((Path(args.out) / f).stat().st_size for f in files)
        print(f"wrote {len(files)} files ({size / 2**20:.1f} MiB) to {args.out}: upload that folder to the Space")
    else:
        print("\n".join(files))
    return EXIT_OK


def cmd_app(args: argparse.Namespace) -> int:
    from ganplay import server

    server.serve(args.port, args.host)  # replaces this process; returns only if exec fails
    return EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ganplay", description="An interactive GAN playground.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a GAN into a run directory")
    t.add_argument("--preset", help="a named preset (see `ganplay presets`)")
    t.add_argument("--config", help="a YAML or JSON config file")
    t.add_argument("--set", action="extend", nargs="+", metavar="KEY=VALUE",
                   help="override config values, e.g. --set optim.lr_g=1e-4 train.batch_size=128")
    t.add_argument("--steps", type=int, help="total steps of the run (also when resuming)")
    t.add_argument("--out", default="runs", help="parent folder for new run directories (default: runs)")
    t.add_argument("--run-dir", metavar="DIR", help="write the run into DIR (created if missing; it must "
                   "hold no run yet) instead of a new time-stamped folder under --out")
    t.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], help="where to train")
    t.add_argument("--seed", type=int, help="random seed")
    t.add_argument("--resume", metavar="RUN_DIR", help="continue a stopped or killed run")
    t.add_argument("--standby", metavar="BASE", help=argparse.SUPPRESS)  # the dashboard's process started ahead
    t.add_argument("--tensorboard", action="store_true", help="also write TensorBoard events")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument("--phase-file", metavar="FILE", help="write what the job is doing while it starts "
                   "(importing torch, loading data, ...) and then its run directory to FILE as JSON; "
                   "the dashboard's jobs follow their start this way")
    t.set_defaults(func=cmd_train)

    s = sub.add_parser("sample", help="sample a grid from a trained generator")
    s.add_argument("source", metavar="RUN_DIR_OR_WEIGHTS")
    s.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--label", type=int, help="class label for a conditional generator")
    s.add_argument("--out", default="samples.png", help="output PNG (default samples.png)")
    s.add_argument("--no-ema", action="store_true", help="use the raw G even if an EMA copy exists")
    s.set_defaults(func=cmd_sample)

    pr = sub.add_parser("presets", help="list the presets")
    pr.add_argument("--json", action="store_true", help="print the presets' configs as JSON")
    pr.set_defaults(func=cmd_presets)

    au = sub.add_parser("augment", help="does synthetic data help a small classifier? real digits alone, "
                        "with classical augmentation, and with a GAN's digits, measured on held-out digits")
    au.add_argument("--n", type=int, nargs="+", default=[10, 50, 400], help="real digits per class (1..450)")
    au.add_argument("--seeds", type=int, default=5, help="seeds per n, 1..100 (each: its digits, its GAN, its classifiers)")
    au.add_argument("--first-seed", type=int, default=0)
    au.add_argument("--gan-steps", type=int, default=1500, help="training steps of each arm's conditional DCGAN")
    au.add_argument("--classifier-steps", type=int, default=500, help="batches of 64 for every classifier")
    au.add_argument("--out", default=None, help="runs folder (default: GANPLAY_RUNS or ./runs); results "
                    "go to OUT/augment/<settings>/, and a second call reads them back")
    au.add_argument("--quiet", action="store_true", help="no progress bar")
    au.add_argument("--write-readme", action="store_true", help="ship the finished study with ganplay "
                    "(pretrained/augment/results.json, shown by the dashboard page) and rewrite README's table")
    au.set_defaults(func=cmd_augment)

    b = sub.add_parser("bench", help="training throughput: ganplay's loop vs a plain PyTorch loop")
    b.add_argument("--preset", default="mnist-dcgan")
    b.add_argument("--set", action="extend", nargs="+", metavar="KEY=VALUE", default=[],
                   help="config overrides for the measured models and data, e.g. a 64 px DCGAN: "
                        "data.image_size=64 model.z_dim=100 model.g_channels=64 model.d_channels=64")
    b.add_argument("--steps", type=int, default=100, help="timed steps per measurement")
    b.add_argument("--repeats", type=int, default=5, help="alternating measurements per variant")
    b.add_argument("--batch-size", type=int, default=64)
    bf16 = b.add_mutually_exclusive_group()
    bf16.add_argument("--bf16", dest="bf16", action="store_true", default=None,
                      help="measure bf16 autocast even on a CPU that only emulates it (by default: only "
                           "on a GPU or a CPU with native bf16)")
    bf16.add_argument("--no-bf16", dest="bf16", action="store_false", help="skip the bf16 autocast variant")
    b.add_argument("--compile", action="store_true", help="also measure torch.compile'd models (slow start)")
    b.add_argument("--panel", action="store_true",
                   help="the explorer panel's numbers instead: ms per image, 8x8 grid and 16-frame "
                        "interpolation; a slider release through Gradio's HTTP API, gradio_client and "
                        "Chromium; 20 clients releasing sliders at once")
    b.add_argument("--cost", action="store_true",
                   help="the demo's job-cost estimate beside measured short trainings (presets and "
                        "the switches that make a job dear): estimate / measured per case")
    b.add_argument("--first-page", action="store_true",
                   help="what a newcomer waits for instead: start a cold server --repeats times, load "
                        "Home in Chromium, time the first and the last zoo grid painted")
    b.add_argument("--first-run", action="store_true",
                   help="with --first-page: also click Quick start on a cold server and time the first "
                        "live chart; compare the ETA shown at 20-50%% with the real rest of the run")
    b.add_argument("--all-pages", action="store_true",
                   help="with --first-page: also time every page's first draw on a cold server")
    b.add_argument("--json", metavar="FILE", help="write the JSON report here instead of stdout")
    b.set_defaults(func=cmd_bench)
    ev = sub.add_parser("eval", help="quality metrics of a trained generator (modes, FID, precision/recall, ...)")
    ev.add_argument("source", metavar="RUN_DIR_OR_WEIGHTS")
    ev.add_argument("--n", type=int, default=10_000,
                    help="samples per seed for image metrics (default 10000); the 2D protocol always uses 2500")
    ev.add_argument("--seed", type=int, default=0, help="first sampling seed (default 0)")
    ev.add_argument("--seeds", type=int, help="number of sampling seeds (default 5 for 2D data, 1 for images)")
    ev.add_argument("--spread", type=int, metavar="N",
                    help="image metrics, one seed: sample sets of --n (seeds from --seed on) behind each "
                         "number's standard error and the 'within noise of real data' mark (default 5; "
                         "0: none, faster)")
    ev.add_argument("--json", metavar="FILE", help="also write every number (quantiles, per-class shares, "
                    "spreads) as JSON to FILE; '-': print only the JSON, to stdout")
    ev.add_argument("--no-ema", action="store_true", help="use the raw G even if an EMA copy exists")
    ev.add_argument("--quiet", action="store_true", help="no progress bar")
    ev.set_defaults(func=cmd_eval)

    ex = sub.add_parser("export", help="export a generator as ONNX or a synthetic data set")
    ex.add_argument("source", metavar="RUN_DIR_OR_WEIGHTS")
    ex.add_argument("--onnx", metavar="FILE.onnx", help="write the generator as ONNX")
    ex.add_argument("--dataset", metavar="FILE.zip", help="write a zip of PNGs plus labels.csv")
    ex.add_argument("--n", type=int, default=1000, help="images to generate (per class with --per-class)")
    ex.add_argument("--per-class", action="store_true", help="--n images for every class")
    ex.add_argument("--seed", type=int, default=0)
    ex.set_defaults(func=cmd_export)

    ej = sub.add_parser("eject", help="write one self-contained PyTorch script (no ganplay import) that "
                        "trains a preset, run or config exactly as ganplay does")
    ej.add_argument("source", metavar="RUN_OR_PRESET", help="a preset name, a run directory or a config file")
    ej.add_argument("--out", default="train.py", help="the script to write (default train.py); drawn points "
                    "go beside it as a CSV")
    ej.add_argument("--set", action="extend", nargs="+", metavar="KEY=VALUE", help="override config values first")
    ej.set_defaults(func=cmd_eject)

    z = sub.add_parser("zoo", help="the pretrained zoo: list, build (train + evaluate + preview), eval, "
                                   "previews (re-render Home's shipped grids), memorisation (add the "
                                   "memorisation check to digit models' cards), projection (how well "
                                   "searched latent codes reproduce 100 held-out digits, into the digit "
                                   "models' cards; build runs it too), measure (train over several "
                                   "training seeds, score each, resumable seed by seed), table")
    z.add_argument("action", choices=["list", "build", "eval", "previews", "memorisation", "projection", "measure",
                                      "table"])
    z.add_argument("names", nargs="*", help="zoo model names")
    z.add_argument("--all", action="store_true", help="every zoo model")
    z.add_argument("--write-readme", action="store_true", help="with table: rewrite README.md's table")
    z.add_argument("--seeds", type=int, default=5, help="measure: this many training seeds (default 5); seeds "
                   "measured earlier are re-used, so run it again to continue an interrupted measurement")
    z.add_argument("--first-seed", type=int, default=0, help="measure: the first training seed (default 0); "
                   "add seeds to a measurement with e.g. --first-seed 5 --seeds 5")
    z.add_argument("--set", action="extend", nargs="+", metavar="KEY=VALUE",
                   help="measure: extra config overrides on top of the entry's (try a change without editing "
                        "the preset); a measurement with other settings goes to another --out, or --fresh")
    z.add_argument("--jobs", type=int, default=1, help="measure: seeds trained at a time, one thread each "
                   "(default 1)")
    z.add_argument("--fresh", action="store_true", help="measure: replace a results file measured with other "
                   "settings (or start over: finished runs are scored again, not retrained)")
    z.add_argument("--out", metavar="DIR", help="measure: results folder (default pretrained/measure, which "
                   "the cards read); NAME.json goes there")
    z.add_argument("--runs", metavar="DIR", help="measure: the trainings' folder (default: GANPLAY_RUNS or "
                   "./runs, then zoo-measure/); build exports a finished training of its config and seed "
                   "found there instead of training it again")
    z.add_argument("--quiet", action="store_true", help="measure: no progress bars")
    z.set_defaults(func=cmd_zoo)

    lb = sub.add_parser("lab", help="the mode collapse lab: list lessons, measure reliability, record "
                                    "replays, export a figure or GIF")
    lb.add_argument("action", choices=["list", "measure", "record", "table", "export"],
                    help="list: lessons and measured rates; measure: train every side over --seeds "
                         "seeds and count collapses / covers; record: train seed 0 and write the "
                         "shipped replays; table: the README table; export: PNG or GIF of a replay")
    lb.add_argument("--scenario", action="append", help="ring8, grid25, mnist5k or stacked-mnist "
                    "(repeatable; default all)")
    lb.add_argument("--side", action="append", help="collapse or a cure (repeatable; default all)")
    lb.add_argument("--seeds", type=int, default=5, help="measure: this many seeds (default 5)")
    lb.add_argument("--first-seed", type=int, default=0,
                    help="measure: start at this seed, to add seeds to an earlier measurement "
                         "(default 0)")
    lb.add_argument("--jobs", type=int, default=2, help="runs at a time, one thread each (default 2)")
    lb.add_argument("--record", action="store_true", help="measure: also write seed 0's replays")
    lb.add_argument("--out", help="export: the .png or .gif to write")
    lb.add_argument("--results", metavar="FILE.json",
                    help="measure: merge the verdicts into this file instead of "
                         "pretrained/lab/reliability.json")
    lb.add_argument("--write-readme", action="store_true", help="table: rewrite README.md's lab table")
    lb.add_argument("--quiet", action="store_true", help="no progress bar")
    lb.set_defaults(func=cmd_lab)

    ap = sub.add_parser("app", help="the dashboard with the panel at /panel/: what `streamlit run app.py` "
                                     "serves, from an installed package")
    ap.add_argument("--port", type=int, help="port (default Streamlit's, 8501)")
    ap.add_argument("--host", help="address to listen on (default every interface)")
    ap.set_defaults(func=cmd_app)

    sp = sub.add_parser("space", help="the Hugging Face Space's files (the Dockerfile's COPY sources minus "
                                       ".dockerignore): list them, or copy them into a folder to upload")
    sp.add_argument("--out", metavar="DIR", help="copy the files into this new folder (default: list them)")
    sp.set_defaults(func=cmd_space)

    pn = sub.add_parser("panel", help="the Gradio latent-space explorer on its own (also at /panel/ of the app)")
    pn.add_argument("--port", type=int, help="port (default $GRADIO_SERVER_PORT, else 7861)")
    pn.add_argument("--host", help="address (default $GRADIO_SERVER_NAME, else 127.0.0.1)")
    pn.set_defaults(func=cmd_panel)
    return p


def main(argv: list[str] | None = None) -> int:
    # OpenMP's wait policy is left alone here: on a quiet machine spinning threads train 1.6-2.2x
    # faster. Jobs the dashboard starts inherit the server's passive waits (ganplay/cpu.py).
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except _user_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    raise SystemExit(main())
