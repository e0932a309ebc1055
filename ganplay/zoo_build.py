"""Regenerating a zoo entry (`ganplay zoo build NAME`): train its preset, export the generator
(EMA if kept) into a weights-only file, evaluate it as `ganplay eval` does, write its card and the
Home page's preview grid (the evaluation includes, for digit models, the memorisation check;
`add_memorisation` runs that step alone on shipped weights). A measurement over training seeds of
the same config (`ganplay zoo measure NAME`, `ganplay.zoo_measure`) becomes the card's
`training_seeds` block. The catalogue it writes into is `ganplay.zoo`."""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import torch

from ganplay import previews
from ganplay.config import Config
from ganplay.metrics import evaluate
from ganplay.sampling import load_generator
from ganplay.train import Trainer, checkpoint as ckpt
from ganplay.train.rundir import atomic_write_json
from ganplay.zoo import (PRETRAINED, ZOO, ZooError, card_kind, card_path, describe_card, read_card, responsible_use,
                         weights_path)

EVAL_N = 10_000
EVAL_SEED = 0


def export_weights(checkpoint: Path, out: Path, name: str | None = None) -> dict:
    """Copy a run checkpoint's generator (EMA if present) into a small weights-only file; `name`
    renames the config it carries (a measurement's seed run shipped under the entry's name)."""
    c = ckpt.load_checkpoint(checkpoint)
    config = {**c.config, "name": name} if name is not None else c.config
    prefix = "G_ema" if c.has("G_ema") else "G"
    tensors = {f"G.{k}": v for k, v in c.state_dict(prefix).items()}
    keep = ("step", "steps", "wall_time", "device", "world_size", "n_classes", "sample_shape", "class_names")
    meta = {k: c.meta[k] for k in keep if k in c.meta}
    meta["weights_only"] = True
    meta["from_ema"] = prefix == "G_ema"
    ckpt.save_checkpoint(out, config, meta, tensors, sidecar=False)  # the card is the sidecar
    return meta


def build(name: str, root: Path = PRETRAINED, runs: Path = Path("runs/zoo"), progress: bool = True,
          evaluate: bool = True, measured: Path | None = None) -> dict:
    """Train the entry's preset, export its generator into `root`, evaluate it, write its card.
    `measured`: the runs folder of `ganplay zoo measure`; when it holds a finished training of this
    very config and seed, that one is exported instead of training the same run again."""
    from ganplay.zoo_measure import finished_run

    if name not in ZOO:
        raise ZooError(f"unknown zoo model {name!r}; known: {', '.join(ZOO)}")
    entry = ZOO[name]
    cfg = Config.from_preset(entry.preset, list(entry.overrides) + [f"name=zoo-{name}"])
    run = finished_run(measured, name, cfg) if measured is not None else None
    if run is None:
        run = _train(name, cfg, runs, progress)
    elif progress:
        print(f"{name}: exporting the measurement's finished training {run.path}", file=sys.stderr)
    root.mkdir(parents=True, exist_ok=True)
    meta = export_weights(run.latest_checkpoint(), weights_path(name, root), name=cfg.name)
    card = {
        "name": name,
        "help": entry.help,
        "kind": card_kind(cfg.to_dict()),
        "preset": entry.preset,
        "overrides": list(entry.overrides),
        "command": entry.command,
        "config": cfg.to_dict(),
        "steps": meta["step"],
        "wall_time_s": round(meta.get("wall_time", 0.0), 1),
        "device": meta.get("device", "cpu"),
        "device_name": _device_name(meta.get("device", "cpu")),
        "torch": torch.__version__,
        "from_ema": meta["from_ema"],
        "created": time.strftime("%Y-%m-%d"),
        "run": str(run.path),
        "responsible_use": responsible_use(cfg.data.name),
    }
    from ganplay.zoo_measure import card_block

    block = card_block(card, root)  # `ganplay zoo measure NAME` of this very config: over training seeds
    if block is not None:
        card["training_seeds"] = block
    if evaluate:
        card.update(evaluate_card(name, root))
        card["help"] = describe_card(card)  # written from the measurements, never more than they say
        projected = projection_block(card, root)
        if projected is not None:
            card["projection"] = projected
    atomic_write_json(card_path(name, root), card)
    write_preview(name, root)
    return card


def _train(name: str, cfg: Config, runs: Path, progress: bool):
    trainer = Trainer(cfg)
    run = trainer.start(runs)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=cfg.train.steps, unit="step", desc=name)
    state = trainer.fit(on_step=(lambda s, t, r: bar.update(s - bar.n)) if bar else None)
    if bar:
        bar.close()
    if state != "done":
        raise ZooError(f"training {name} ended {state}: {run.read_status().get('error')}")
    return run


def write_preview(name: str, root: Path = PRETRAINED) -> Path:
    """Render the Home page's shipped grid of a built zoo model (`pretrained/previews/NAME.png`)."""
    if not weights_path(name, root).exists():
        raise ZooError(f"zoo model {name!r} is not built here; build it with: ganplay zoo build {name}")
    return previews.write(name, root)


def evaluate_card(name: str, root: Path = PRETRAINED, n: int = EVAL_N, seed: int = EVAL_SEED,
                  **options) -> dict:
    """The `metrics` part of a card, measured as `ganplay eval` measures it (for digit models this
    includes the memorisation block: `add_memorisation` is the same step alone). `options` go to
    `evaluate` (e.g. `spread=0, memorisation=False` for the headline numbers alone)."""
    gen = load_generator(weights_path(name, root))
    return {"eval": {"n": n, "seed": seed}, "metrics": evaluate(gen, n=n, seed=seed, **options)}


def reevaluate(name: str, root: Path = PRETRAINED) -> dict:
    """`ganplay zoo eval NAME`: measure a built model's shipped weights again with the card's own
    eval settings, then write the card's `eval`, `metrics` and the `help` line written from them
    (`zoo.describe_card`), re-reading the card just before so nothing else on it is lost."""
    settings = read_card(name, root).get("eval", {})
    fresh = evaluate_card(name, root, n=settings.get("n", EVAL_N), seed=settings.get("seed", EVAL_SEED))
    card = read_card(name, root)
    card.update(fresh)
    card["help"] = describe_card(card)
    atomic_write_json(card_path(name, root), card)
    return card


def add_memorisation(name: str, root: Path = PRETRAINED) -> dict | None:
    """Measure the memorisation check on a built digit model's shipped weights, with the card's
    own eval settings (so the numbers are those `evaluate` gives), and write it into the card's
    metrics (`ganplay zoo memorisation NAME|--all`). None for models it does not apply to."""
    from ganplay.metrics.memorisation import memorisation_check

    card = read_card(name, root)
    metrics = card.get("metrics") or {}
    if metrics.get("kind") != "images":
        return None
    settings = card.get("eval", {})
    gen = load_generator(weights_path(name, root))
    metrics["memorisation"] = memorisation_check(gen, n=settings.get("n", EVAL_N), seed=settings.get("seed", EVAL_SEED))
    card["metrics"] = metrics
    atomic_write_json(card_path(name, root), card)
    return metrics["memorisation"]


def projection_block(card: dict, root: Path = PRETRAINED, progress=None) -> dict | None:
    """A card's `projection`: how well its generator reproduces 100 held-out digits when their
    latent codes are searched for (`ganplay.projection.evaluate_projection`). None for models it
    does not apply to (2D points, image-to-image, data other than MNIST-5k's 28 px digits)."""
    from ganplay.projection import evaluate_projection

    config = card.get("config", {})
    if card_kind(config) != "noise" or config.get("data", {}).get("name") != "mnist5k":
        return None
    return evaluate_projection(load_generator(weights_path(card["name"], root)), progress=progress)


def add_projection(name: str, root: Path = PRETRAINED, progress=None) -> dict | None:
    """The projection step alone, on a built model's shipped weights (`ganplay zoo projection
    NAME|--all`): measured, then written into its card (re-read just before, so nothing else on
    the card is lost). None for models it does not apply to."""
    from ganplay.zoo import read_card

    block = projection_block(read_card(name, root), root, progress)
    if block is not None:
        card = read_card(name, root)
        card["projection"] = block
        atomic_write_json(card_path(name, root), card)
    return block


def _device_name(device: str) -> str:
    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name()
    return platform.processor() or platform.machine()
