"""The pretrained zoo: small generators that ship in `pretrained/`, each with a JSON card.

    pretrained/<name>.safetensors   the generator's weights (the EMA copy when the run kept one),
                                    in ganplay's checkpoint format, config in the header
    pretrained/<name>.json          the card: full config, steps, wall time, device, and the
                                    metrics `ganplay eval` measured on these weights

`ganplay zoo build NAME` regenerates one entry (train, export, evaluate, write the card);
`ganplay zoo table` prints the README's results table from the cards.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ganplay.assets import pretrained_dir
from ganplay.train import checkpoint as ckpt
from ganplay.train.rundir import atomic_write_json

PRETRAINED = pretrained_dir()
EVAL_N = 10_000
EVAL_SEED = 0


@dataclass(frozen=True)
class ZooEntry:
    name: str
    preset: str
    help: str
    overrides: tuple[str, ...] = field(default_factory=tuple)

    @property
    def command(self) -> str:
        return f"ganplay zoo build {self.name}"


ZOO: dict[str, ZooEntry] = {
    e.name: e
    for e in [
        ZooEntry("mnist-cdcgan", "mnist-cdcgan", "Conditional DCGAN on MNIST-5k.",
                 ("train.steps=6000", "optim.ema=0.999")),
        ZooEntry("mnist-cwgan-gp", "mnist-cwgan-gp", "Conditional WGAN-GP on MNIST-5k.", ()),
        ZooEntry("mnist-cstylegan-lite", "mnist-cstylegan-lite", "Conditional StyleGAN-lite on MNIST-5k.",
                 ()),
        ZooEntry("mnist-dcgan", "mnist-dcgan", "Unconditional DCGAN on MNIST-5k: nobody asks for a digit, and its digits come out uneven.",
                 ("train.steps=6000", "optim.ema=0.999")),
        ZooEntry("ring8-gan", "ring8-gan", "Vanilla GAN on ring8: collapsed onto one mode.", ()),
        ZooEntry("ring8-pacgan", "ring8-pacgan", "PacGAN on ring8: covers every mode.", ()),
        ZooEntry("grid25-gan", "grid25-gan", "Vanilla GAN on grid25: misses modes.", ()),
        ZooEntry("grid25-pacgan", "grid25-pacgan", "PacGAN on grid25: covers every mode.", ()),
    ]
}


class ZooError(ValueError):
    pass


def weights_path(name: str, root: Path = PRETRAINED) -> Path:
    return root / f"{name}.safetensors"


def card_path(name: str, root: Path = PRETRAINED) -> Path:
    return root / f"{name}.json"


def resolve(name_or_path: str | Path, root: Path = PRETRAINED) -> Path:
    """A zoo name (`mnist-cdcgan`) -> its weights file; anything else is taken as a path."""
    text = str(name_or_path)
    if not Path(text).exists() and "/" not in text and not text.endswith(".safetensors"):
        path = weights_path(text, root)
        if path.exists():
            return path
        if text in ZOO:
            raise ZooError(f"zoo model {text!r} is not built here; build it with: {ZOO[text].command}")
    return Path(text)


def read_card(name: str, root: Path = PRETRAINED) -> dict:
    path = card_path(name, root)
    if not path.exists():
        raise ZooError(f"no card for {name!r} in {root}")
    return json.loads(path.read_text())


def cards(root: Path = PRETRAINED) -> list[dict]:
    """Every generator card in the zoo, in ZOO order, then any others by name."""
    found = {p.stem: json.loads(p.read_text()) for p in sorted(root.glob("*.json"))
             if weights_path(p.stem, root).exists() and p.stem != "classifier"}
    order = [n for n in ZOO if n in found] + sorted(n for n in found if n not in ZOO)
    return [found[n] for n in order]


def export_weights(checkpoint: Path, out: Path) -> dict:
    """Copy a run checkpoint's generator (EMA if present) into a small weights-only file."""
    c = ckpt.load_checkpoint(checkpoint)
    prefix = "G_ema" if c.has("G_ema") else "G"
    tensors = {f"G.{k}": v for k, v in c.state_dict(prefix).items()}
    keep = ("step", "steps", "wall_time", "device", "world_size", "n_classes", "sample_shape", "class_names")
    meta = {k: c.meta[k] for k in keep if k in c.meta}
    meta["weights_only"] = True
    meta["from_ema"] = prefix == "G_ema"
    ckpt.save_checkpoint(out, c.config, meta, tensors, sidecar=False)  # the card is the sidecar
    return meta


def build(name: str, root: Path = PRETRAINED, runs: Path = Path("runs/zoo"), progress: bool = True,
          evaluate: bool = True) -> dict:
    """Train the entry's preset, export its generator into `root`, evaluate it, write its card."""
    from ganplay.config import Config
    from ganplay.train import Trainer

    if name not in ZOO:
        raise ZooError(f"unknown zoo model {name!r}; known: {', '.join(ZOO)}")
    entry = ZOO[name]
    cfg = Config.from_preset(entry.preset, list(entry.overrides) + [f"name=zoo-{name}"])
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
    root.mkdir(parents=True, exist_ok=True)
    meta = export_weights(run.latest_checkpoint(), weights_path(name, root))
    card = {
        "name": name,
        "help": entry.help,
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
    }
    if evaluate:
        card.update(evaluate_card(name, root))
    atomic_write_json(card_path(name, root), card)
    write_preview(name, root)
    return card


def write_preview(name: str, root: Path = PRETRAINED) -> Path:
    """Render the Home page's shipped grid of a built zoo model (`pretrained/previews/NAME.png`)."""
    from ganplay import previews

    if not weights_path(name, root).exists():
        raise ZooError(f"zoo model {name!r} is not built here; build it with: ganplay zoo build {name}")
    return previews.write(name, root)


def evaluate_card(name: str, root: Path = PRETRAINED, n: int = EVAL_N, seed: int = EVAL_SEED) -> dict:
    """The `metrics` part of a card, measured as `ganplay eval` measures it."""
    from ganplay.metrics import evaluate
    from ganplay.sampling import load_generator

    gen = load_generator(weights_path(name, root))
    return {"eval": {"n": n, "seed": seed}, "metrics": evaluate(gen, n=n, seed=seed)}


def _device_name(device: str) -> str:
    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name()
    return platform.processor() or platform.machine()
