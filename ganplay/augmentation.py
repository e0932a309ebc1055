"""Does synthetic data help a small classifier? `ganplay augment` measures it, also when it hurts.

The same small CNN (the metrics' `DigitClassifier`, fresh weights) is trained for the same number
of steps on each arm's training set and tested on mnist5k's 500 held-out digits (50 per class,
never trained on by anything here):

- `real`: n real digits per class, drawn from mnist5k's 4,500 training digits (`data.per_class`,
  seeded: the digits of a smaller n are among those of a larger one).
- `classical`: those digits plus 10 copies of each, moved by torchvision's v2 transforms (a small
  random affine, then an elastic warp): the honest baseline any augmentation must beat.
- `gan-k=n`, `gan-k=10n`: those digits plus k synthetic digits per class from a conditional
  DCGAN trained on those same n digits per class and nothing else (no leak: the zoo's models saw
  all 450 per class).
- `zoo-k=10n`: plus 10n per class from the zoo's mnist-cdcgan, which saw 450 per class: a
  generator that saw more data, shown apart, never as the augmentation result.

Five seeds per n by default; a seed picks the real digits, trains the generator and the
classifiers. Results go to `<runs>/augment/<settings>/results.json` with every cell, and the
generators' run directories beside it, so a second call (or the dashboard) shows them again
without training; a study cut short resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported where the training happens: the dashboard reads results without it
    import torch

ARMS = ("real", "classical", "gan-k=n", "gan-k=10n", "zoo-k=10n")
ARM_TEXT = {
    "real": "real digits only",
    "classical": "real + 10 classical augmentations of each (affine, elastic)",
    "gan-k=n": "real + n synthetic per class (GAN trained on the same n)",
    "gan-k=10n": "real + 10n synthetic per class (GAN trained on the same n)",
    "zoo-k=10n": "real + 10n per class from the zoo's cDCGAN (saw 450 per class: not a fair arm)",
}
ZOO_MODEL = "mnist-cdcgan"
GAN_PRESET = "mnist-cdcgan"
CLASSICAL_COPIES = 10
STUDIES = "augment"  # the studies' folder in the runs folder: <runs>/augment/<Settings.key()>/results.json
RESULTS = "results.json"


class AugmentError(ValueError):
    """Settings the study cannot run with; the message says what is allowed."""


@dataclass(frozen=True)
class Settings:
    n_values: tuple[int, ...] = (10, 50, 400)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    gan_steps: int = 1500  # the conditional DCGAN of each (n, seed)
    classifier_steps: int = 500  # every arm's classifier: the same budget of batches
    batch_size: int = 64

    def check(self) -> "Settings":
        if not self.n_values or any(not 1 <= n <= 450 for n in self.n_values):
            raise AugmentError(f"n (real digits per class) must be 1..450 (mnist5k has 450 per class "
                               f"to train on); got {list(self.n_values)}")
        if not self.seeds or any(s < 0 for s in self.seeds):
            raise AugmentError(f"seeds must be whole numbers >= 0; got {list(self.seeds)}")
        if not 1 <= self.gan_steps <= 100_000 or not 1 <= self.classifier_steps <= 100_000:
            raise AugmentError("gan_steps and classifier_steps must be 1..100000")
        return self

    def key(self) -> str:
        """The study's folder name: what it measured, readable, plus a short hash of the rest."""
        digest = hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:8]
        return f"n{'-'.join(map(str, self.n_values))}_seeds{len(self.seeds)}_{digest}"


@dataclass
class Study:
    settings: Settings
    cells: list[dict] = field(default_factory=list)  # {n, seed, arm, accuracy, train_images}

    def summary(self) -> list[dict]:
        """Per (arm, n): mean, spread (sample std) and range of held-out accuracy over the seeds."""
        rows = []
        for arm in ARMS:
            for n in self.settings.n_values:
                accs = [c["accuracy"] for c in self.cells if c["arm"] == arm and c["n"] == n]
                if accs:
                    rows.append({"arm": arm, "n": n, "seeds": len(accs), "mean": statistics.mean(accs),
                                 "std": statistics.stdev(accs) if len(accs) > 1 else 0.0,
                                 "min": min(accs), "max": max(accs)})
        return rows

    @property
    def expected(self) -> int:
        """Classifiers a finished study holds: one per arm, n and seed."""
        return len(self.settings.n_values) * len(self.settings.seeds) * len(ARMS)

    @property
    def missing(self) -> int:
        """Classifiers still to measure (a study cut short carries on with them)."""
        s = self.settings
        done = {(c.get("n"), c.get("seed"), c.get("arm")) for c in self.cells}
        return sum((n, seed, arm) not in done for n in s.n_values for seed in s.seeds for arm in ARMS)

    def as_dict(self) -> dict:
        return {"settings": asdict(self.settings), "cells": self.cells, "summary": self.summary(),
                "arms": ARM_TEXT, "test_set": "mnist5k held-out: 500 digits, 50 per class"}


def shipped_path() -> Path:
    """The study that ships with ganplay (the README's table): `pretrained/augment/results.json`."""
    from ganplay.assets import pretrained

    return pretrained("augment", "results.json")


def study_dir(root: str | Path, settings: Settings) -> Path:
    return Path(root) / STUDIES / settings.key()


def results_path(folder: str | Path) -> Path:
    return Path(folder) / RESULTS


def list_studies(root: str | Path) -> list[Path]:
    """The study folders under the runs folder `root` (`study_dir`) with results, newest first."""
    found = []
    for path in (Path(root) / STUDIES).glob(f"*/{RESULTS}"):
        try:
            found.append((path.stat().st_mtime, path.parent))
        except OSError:  # deleted since the listing
            continue
    return [folder for _, folder in sorted(found, key=lambda t: t[0], reverse=True)]


def load_study(folder: str | Path) -> Study | None:
    """A study's results as written (None when there are none yet)."""
    path = results_path(folder)
    try:
        d = json.loads(path.read_text())
        return Study(Settings(**{k: tuple(v) if isinstance(v, list) else v for k, v in d["settings"].items()}),
                     list(d["cells"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


# -- the parts ---------------------------------------------------------------------------------
def _test_set() -> tuple[torch.Tensor, torch.Tensor]:
    from ganplay.data.images import mnist5k

    held = mnist5k(28, "heldout")
    return held.x, held.labels


def real_digits(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n training digits per class (uint8) and their labels, as `data.per_class` picks them."""
    from ganplay.data import per_class
    from ganplay.data.images import mnist5k

    d = per_class(mnist5k(28, "train"), n, seed)
    return d.x, d.labels


def classical_copies(x: torch.Tensor, y: torch.Tensor, copies: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`copies` augmented versions of each image: a small random affine, then an elastic warp."""
    import torch
    from torchvision.transforms import v2

    warp = v2.Compose([v2.RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.1)),
                       v2.ElasticTransform(alpha=30.0, sigma=4.0)])
    torch.manual_seed(seed)  # v2 draws from torch's global generator
    out = torch.stack([warp(img) for _ in range(copies) for img in x])
    return out, y.repeat(copies)


def synthetic(generator, k: int, n_classes: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """k generated digits per class as uint8 images, with the labels they were asked for."""
    import torch

    labels = torch.arange(n_classes).repeat_interleave(k)
    z = torch.randn(len(labels), generator.z_dim, generator=torch.Generator().manual_seed(10_000 + seed))
    with torch.inference_mode():
        x = generator.generate(z, labels)
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8), labels


def classifier_accuracy(x: torch.Tensor, y: torch.Tensor, test: tuple[torch.Tensor, torch.Tensor],
                        seed: int, steps: int, batch_size: int) -> float:
    """Train a fresh DigitClassifier for `steps` batches on (x, y); its held-out accuracy."""
    import torch
    import torch.nn.functional as F

    from ganplay.metrics.classifier import DigitClassifier, accuracy

    xf = x.float().div(127.5).sub(1.0)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = DigitClassifier()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.2)
    model.train()
    for _ in range(steps):
        idx = torch.randint(len(xf), (batch_size,), generator=gen)
        loss = F.cross_entropy(model(xf[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    model.eval()
    return accuracy(model, *test)


def train_gan(folder: Path, n: int, seed: int, steps: int):
    """The conditional DCGAN of one (n, seed), trained on those n digits per class only; an earlier
    finished run in `folder` is reused."""
    from ganplay.config import Config
    from ganplay.sampling import load_generator
    from ganplay.train import Trainer
    from ganplay.train.rundir import RunDir

    run = RunDir(folder)
    if not (run.is_run() and run.read_status().get("state") == "done"):
        if run.is_run():  # cut short earlier: start it again
            import shutil

            shutil.rmtree(folder)
        cfg = Config.from_preset(GAN_PRESET, [f"data.per_class={n}", f"train.seed={seed}", f"train.steps={steps}",
                                              "train.device=cpu", "train.eval_every=0",
                                              f"train.sample_every={steps}", f"train.checkpoint_every={steps}",
                                              f"name=augment-gan-n{n}-seed{seed}"])
        trainer = Trainer(cfg)
        trainer.start(run_dir=folder)
        if trainer.fit() != "done":
            raise AugmentError(f"the generator for n={n}, seed {seed} did not finish: "
                               f"{RunDir(folder).read_status().get('error', '')}")
    return load_generator(folder)


# -- the study ---------------------------------------------------------------------------------
def run_study(root: str | Path, settings: Settings = Settings(), progress: bool = True) -> tuple[Study, Path]:
    """Measure every arm for every n and seed (what `results.json` already holds is kept)."""
    import torch
    from tqdm import tqdm

    from ganplay.sampling import load_generator
    from ganplay.train.rundir import atomic_write_json

    settings.check()
    folder = study_dir(root, settings)
    folder.mkdir(parents=True, exist_ok=True)
    study = load_study(folder) or Study(settings)
    done = {(c["n"], c["seed"], c["arm"]) for c in study.cells}
    test = _test_set()
    zoo = None
    todo = [(n, s) for n in settings.n_values for s in settings.seeds
            if any((n, s, arm) not in done for arm in ARMS)]
    bar = tqdm(total=len(todo) * (1 + len(ARMS)), unit="model", desc="augment", disable=not progress)
    for n, seed in todo:
        bar.set_postfix_str(f"n={n} seed={seed}: training its GAN")
        gan = train_gan(folder / f"gan-n{n}-seed{seed}", n, seed, settings.gan_steps)
        bar.update(1)
        x, y = real_digits(n, seed)
        for arm in ARMS:
            if (n, seed, arm) in done:
                bar.update(1)
                continue
            bar.set_postfix_str(f"n={n} seed={seed}: classifier on {arm}")
            if arm == "real":
                xs, ys = x, y
            elif arm == "classical":
                xa, ya = classical_copies(x, y, CLASSICAL_COPIES, seed)
                xs, ys = torch.cat([x, xa]), torch.cat([y, ya])
            else:
                if arm.startswith("zoo"):
                    zoo = zoo or load_generator(ZOO_MODEL)
                source, k = (zoo, 10 * n) if arm.startswith("zoo") else (gan, n if arm == "gan-k=n" else 10 * n)
                xg, yg = synthetic(source, k, 10, seed)
                xs, ys = torch.cat([x, xg]), torch.cat([y, yg])
            acc = classifier_accuracy(xs, ys, test, seed, settings.classifier_steps, settings.batch_size)
            study.cells.append({"n": n, "seed": seed, "arm": arm, "accuracy": round(acc, 4),
                                "train_images": len(xs)})
            atomic_write_json(results_path(folder), study.as_dict())  # a study cut short resumes here
            bar.update(1)
    bar.close()
    atomic_write_json(results_path(folder), study.as_dict())
    return study, folder


def format_table(study: Study) -> str:
    """Markdown: held-out accuracy, mean +- std over the seeds, one row per arm, one column per n."""
    ns = study.settings.n_values
    by = {(r["arm"], r["n"]): r for r in study.summary()}
    lines = ["| training set | " + " | ".join(f"n = {n} per class" for n in ns) + " |",
             "|---|" + "---|" * len(ns)]
    for arm in ARMS:
        cells = [f"{100 * by[arm, n]['mean']:.1f}% ± {100 * by[arm, n]['std']:.1f}" if (arm, n) in by else "–"
                 for n in ns]
        lines.append(f"| {ARM_TEXT[arm]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def takeaways(study: Study) -> list[str]:
    """What a learner should take from the numbers, in plain sentences, as measured (also when the
    GAN's digits hurt)."""
    by = {(r["arm"], r["n"]): r for r in study.summary()}
    out = []
    for n in study.settings.n_values:
        if not all((arm, n) in by for arm in ("real", "classical", "gan-k=10n")):
            continue
        real, classical, gan = (by[a, n]["mean"] for a in ("real", "classical", "gan-k=10n"))
        spread = max(by[a, n]["std"] for a in ("real", "classical", "gan-k=10n"))
        gain = gan - real

        def pts(v: float) -> str:
            return f"{100 * abs(v):.1f} points"

        if abs(gain) <= spread:
            verdict = f"changed accuracy by less than the seeds' spread: {gain * 100:+.1f} points"
        else:
            verdict = f"{'raised' if gain > 0 else 'lowered'} accuracy by {pts(gain)}"
        versus = "beat" if gan > classical else "did not beat"
        out.append(f"With {n} real digits per class, adding 10n of the GAN's own digits {verdict} "
                   f"({100 * real:.1f}% -> {100 * gan:.1f}%); it {versus} classical augmentation "
                   f"({100 * classical:.1f}%).")
    return out


def readme_text(study: Study) -> str:
    """The README's block: the table, then how it was measured and what to take from it."""
    s = study.settings
    how = (f"`ganplay augment` ({len(s.seeds)} seeds, each with its own real digits, GAN and classifiers; "
           f"GANs {s.gan_steps:,} steps, classifiers {s.classifier_steps:,} batches of {s.batch_size}; "
           "mean ± standard deviation over the seeds of the accuracy on the 500 held-out digits).")
    return "\n".join([format_table(study), "", how, "", *[f"- {t}" for t in takeaways(study)]])


def publish(folder: str | Path) -> bool:
    """Ship a finished study: its results become `pretrained/augment/results.json` and the README's
    table is rewritten from them. True when the README changed."""
    from ganplay.readme import write_block
    from ganplay.train.rundir import atomic_write_json

    study = load_study(folder)
    if study is None:
        raise AugmentError(f"{folder} holds no results.json to publish")
    if study.missing:
        raise AugmentError(f"the study in {folder} is not finished ({study.missing} classifiers to go); "
                           "run `ganplay augment` with the same settings first")
    shipped = shipped_path()
    shipped.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(shipped, study.as_dict())
    return write_block("augment", readme_text(study))
