"""The pretrained zoo: small generators that ship in `pretrained/`, each with a JSON card.

    pretrained/<name>.safetensors   the generator's weights (the EMA copy when the run kept one),
                                    in ganplay's checkpoint format, config in the header
    pretrained/<name>.json          the card: full config, steps, wall time, device, and the
                                    metrics `ganplay eval` measured on these weights

This module is the catalogue (names, paths, cards), light enough for `ganplay.sampling` to resolve
a zoo name; `ganplay.zoo_build` regenerates an entry (`ganplay zoo build NAME`: train, export,
evaluate, write the card) and `ganplay zoo table` prints the README's results table from the cards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ganplay.assets import pretrained_dir

PRETRAINED = pretrained_dir()


@dataclass(frozen=True)
class ZooEntry:
    name: str
    preset: str
    help: str
    overrides: tuple[str, ...] = field(default_factory=tuple)

    @property
    def command(self) -> str:
        return f"ganplay zoo build {self.name}"


# What every card, the Home page and the README say about using these models (issue: responsible use).
DATA_LIMITS = {
    "mnist5k": "learned from MNIST-5k, 5,000 handwritten digits (28 x 28, grey) from the MNIST collection, "
               "written in the 1990s by US Census Bureau employees and high-school students, and from "
               "nothing else: what comes out most readily is the handwriting most common there",
    "stacked-mnist": "learned from Stacked MNIST (three MNIST-5k digits per picture, one per colour "
                     "channel) and from nothing else",
}
POINTS_LIMITS = "learned from a synthetic mixture of 2D Gaussians: points on a plane, not pictures of anything"
MISUSE = ("Realistic generators can be misused to deceive (deepfakes: faces, voices and documents that never "
          "existed); say so when a picture is generated. Generated data carries the biases of the data it "
          "came from and can amplify them: a GAN drops rare kinds of examples first (mode collapse), so a "
          "data set made with it under-represents them further.")


def responsible_use(data_name: str) -> str:
    """A card's note: what its model learned from (the data's limits), and what any generator's
    pictures and data can do."""
    from ganplay.config import POINT_DATASETS

    limits = POINTS_LIMITS if data_name in POINT_DATASETS else DATA_LIMITS.get(
        data_name, f"learned from the {data_name} data set only, with that data's gaps and biases")
    return f"This model {limits}. {MISUSE}"


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
        # image-to-image: their Home grids are rows of inputs, answers and true digits
        ZooEntry("mnist-srgan", "mnist-srgan", "4x super-resolution, L1 + adversarial: rows of 7x7 inputs, "
                 "the GAN's answers, the true digits.", ()),
        ZooEntry("mnist-sr-l1", "mnist-sr-l1", "The same 4x super-resolution G trained with L1 only: rows of "
                 "inputs, its answers, the true digits.", ()),
        ZooEntry("mnist-pix2pix", "mnist-pix2pix", "pix2pix, outline to digit: rows of outlines, the GAN's "
                 "answers, the true digits.", ()),
        ZooEntry("mnist-pix2pix-l1", "mnist-pix2pix-l1", "The same outline-to-digit U-Net trained with L1 "
                 "only: rows of outlines, its answers, the true digits.", ()),
    ]
}


# What a card's model makes from what (`card_kind`): every consumer of the zoo asks this.
KINDS = {"points": "2D points from noise", "noise": "images from noise",
         "lowres": "a 28 px digit from a 7x7 one (4x super-resolution)",
         "outline": "a digit from its outline (image-to-image)"}


def card_kind(config: dict) -> str:
    """"points", "noise", "lowres" or "outline" for a card's (or a run's) config as plain data."""
    from ganplay.config import POINT_DATASETS, TRANSLATOR_INPUTS

    if config.get("data", {}).get("name") in POINT_DATASETS:
        return "points"
    return TRANSLATOR_INPUTS.get(config.get("model", {}).get("arch"), "noise")


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


def has_card(name: str, root: Path = PRETRAINED) -> bool:
    """`name` is one of `cards()`' generators (a card beside its weights), found without reading
    every card: the panel asks this on each request."""
    return name != "classifier" and (root / f"{name}.json").is_file() and weights_path(name, root).exists()


def cards(root: Path = PRETRAINED) -> list[dict]:
    """Every generator card in the zoo, in ZOO order, then any others by name."""
    found = {p.stem: json.loads(p.read_text()) for p in sorted(root.glob("*.json"))
             if weights_path(p.stem, root).exists() and p.stem != "classifier"}
    order = [n for n in ZOO if n in found] + sorted(n for n in found if n not in ZOO)
    return [found[n] for n in order]
