"""What the Home page shows: samples from the pretrained zoo (`pretrained/*.safetensors` with their
JSON cards), or, until the zoo is built, the newest sample grids of finished runs.

Listing reads JSON and file names only; torch is imported only to sample a pretrained generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ganplay import previews
from ganplay.assets import pretrained_dir
from ganplay.jobs import RunInfo
from ganplay.zoo import card_kind, cards, describe_card, weights_path

PRETRAINED = pretrained_dir()


@dataclass(frozen=True)
class ZooModel:
    name: str
    help: str  # the card's one line, written from its measurements (`zoo.describe_card`)
    weights: Path
    card: dict
    preview: Path | None = None  # the shipped grid at seed previews.PREVIEW_SEED, if there is one


def zoo_models(root: Path = PRETRAINED) -> list[ZooModel]:
    """The zoo's generators (`zoo.cards`: a card beside its weights), in its catalogue's order."""
    out = []
    for card in cards(root):
        name = card["name"]
        shipped = previews.preview_path(name, root)
        out.append(ZooModel(name, describe_card(card), weights_path(name, root), card,
                            shipped if shipped.is_file() else None))
    return out


def grid_size(model: ZooModel) -> int:
    return previews.sample_count(model.card)


IMAGE_TO_IMAGE = ("**Image to image.** These answer an input instead of noise: a 7x7 digit made 4x "
                  "sharper, or a digit's outline filled in. Each grid's rows: the inputs, the model's "
                  "answers, the true digits. Beside each GAN, the same network trained on L1 alone.")


def by_kind(models: list[ZooModel]) -> list[tuple[str, list[ZooModel]]]:
    """Home's groups of grids: (heading, models), generators from noise first, then the
    image-to-image models (in `zoo_models`' order: each GAN beside its L1-only twin) under a
    heading that says how to read their grids; empty groups left out."""
    noise = [m for m in models if card_kind(m.card.get("config", {})) in ("noise", "points")]
    pairs = [m for m in models if m not in noise]
    return [(title, group) for title, group in (("", noise), (IMAGE_TO_IMAGE, pairs)) if group]


def sample_png(weights: Path, n: int, seed: int) -> bytes:
    """A PNG grid of `n` samples (a conditional model gets labels cycling through its classes).
    A generator that outputs NaN raises SamplingError, which Home shows in place of the grid."""
    from ganplay.sampling import load_generator
    from ganplay.sampling import sample_png as _sample_png

    return _sample_png(load_generator(weights), n, seed, strict=True)


@dataclass(frozen=True)
class RunGrid:
    name: str
    caption: str
    image: Path


def newest_grids(runs: list[RunInfo], limit: int = 3) -> list[RunGrid]:
    """The newest sample grid of the most recent runs that have one, finished runs first."""
    ranked = sorted((r for r in runs if r.kind == "run"),
                    key=lambda r: (r.state == "done", r.path.name), reverse=True)
    out = []
    for info in ranked:
        samples = info.run.sample_paths(".png")
        if not samples:
            continue
        out.append(RunGrid(info.path.name, f"{info.settings.summary()} · {info.summary()}", samples[-1]))
        if len(out) == limit:
            break
    return out
