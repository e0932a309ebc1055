"""Shipped preview grids of the zoo: the Home page's first pictures, drawn without torch.

    pretrained/previews/<name>.png   the Home grid of zoo model <name> at seed PREVIEW_SEED

`ganplay zoo build NAME` renders it next to the card (`ganplay zoo previews --all` renders them
for models already built), and a test checks that every shipped preview is what the shipped
weights draw today. Listing and sizing read JSON only; rendering imports the sampling code.
"""

from __future__ import annotations

from pathlib import Path

PREVIEW_SEED = 0
POINTS_N = 1000  # 2D generators: a scatter of this many points
GRID_N = 64  # image generators: an 8x8 grid (whole rows of classes for a conditional model)
PAIRS_N = 16  # image-to-image models: two groups of 8 (inputs, answers, true digits): 6 rows


def sample_count(card: dict) -> int:
    """How many samples a Home grid of this card's model shows: 64 images, whole rows of classes
    for a conditional model (6 per class for 10), 16 inputs for an image-to-image model (each
    over its answer and the true digit), or 1,000 points for a 2D generator."""
    from ganplay.zoo import card_kind

    config = card.get("config", {})
    kind = card_kind(config)
    if kind == "points":
        return POINTS_N
    if kind != "noise":
        return PAIRS_N
    classes = int(config.get("model", {}).get("n_classes", 0) or 0)
    return classes * max(1, GRID_N // classes) if 0 < classes <= 16 else GRID_N


def preview_path(name: str, root: Path) -> Path:
    return Path(root) / "previews" / f"{name}.png"


def render(weights: Path, card: dict, seed: int = PREVIEW_SEED) -> bytes:
    """The PNG the Home page shows for these weights at `seed` (imports torch)."""
    from ganplay.sampling import load_generator, sample_png

    return sample_png(load_generator(weights), sample_count(card), seed, strict=True)


def write(name: str, root: Path) -> Path:
    """Render zoo model `name`'s preview from its weights and card in `root`; returns its path."""
    import json

    from ganplay.train.rundir import atomic_write_bytes

    root = Path(root)
    card = json.loads((root / f"{name}.json").read_text())
    out = preview_path(name, root)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, render(root / f"{name}.safetensors", card))
    return out
