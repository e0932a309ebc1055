"""Training data: 2D mixtures, your own 2D points (a CSV: `ganplay.pointsets`), bundled MNIST-5k (and Stacked MNIST made from it), sklearn digits, torchvision sets, your own
folders of images; which samples make up each batch; differentiable augmentation.

    data = load_dataset(cfg)                      # a Dataset, all in memory
    idx = batch_indices(len(data), 64, b, seed)   # batch b of a seeded endless stream
    x, labels = data.batch(idx)                   # float32; images in [-1, 1]

Every problem with the data raises `DataError` (a ValueError) with a message that says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch

from ganplay import pointsets
from ganplay.config import DRAWN_DATASET, POINT_DATASETS, Config
from ganplay.data.augment import diff_augment
from ganplay.data.dataset import DataError, Dataset
from ganplay.data.mixtures import MIXTURES, mixture
from ganplay.data.pairs import make_inputs
from ganplay.data.sampler import batch_indices

__all__ = ["DataError", "Dataset", "MIXTURES", "batch_indices", "diff_augment", "load_dataset",
           "mixture", "N_POINTS", "Modes", "modes_of", "read_points"]

N_POINTS = 100_000  # points in a 2D training set
SPLITS = ("train", "heldout")
HELDOUT_SETS = ("mnist5k",)


def load_dataset(cfg: Config, split: str = "train") -> Dataset:
    """The data set `cfg.data` names, at `cfg.image_size` for images.

    `split="heldout"` gives mnist5k's 500 held-out digits (50 per class), never trained on.
    """
    name = cfg.data.name
    if split not in SPLITS:
        raise DataError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
    if split == "heldout" and name not in HELDOUT_SETS:
        raise DataError(f"{name} has no held-out split; only {', '.join(HELDOUT_SETS)} has one")
    if name == DRAWN_DATASET:
        return _drawn(cfg)
    if name in POINT_DATASETS:
        return _points(name, cfg.train.seed)

    data = _images(cfg, split)
    if cfg.data.per_class and split == "train":
        data = per_class(data, cfg.data.per_class, cfg.train.seed)
    if cfg.g_input != "noise":  # image-to-image: each image with the input made from it
        data.inputs = make_inputs(cfg.g_input, data.x)
    return data


def per_class(data: Dataset, n: int, seed: int) -> Dataset:
    """The first `n` images of each class after a shuffle seeded by `seed` (the same n digits for
    the same seed, and the digits of a smaller n among those of a larger one)."""
    if data.labels is None:
        raise DataError(f"data.per_class: {data.name} has no labels to count per class")
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    keep = []
    for c in range(data.n_classes):
        members = order[data.labels[order] == c]
        if len(members) < n:
            raise DataError(f"data.per_class: {data.name} has {len(members)} images of class "
                            f"{data.class_names[c] if data.class_names else c}; asked for {n}")
        keep.append(members[:n])
    keep = torch.cat(keep)
    return Dataset(data.name, data.kind, data.x[keep], data.labels[keep], data.n_classes,
                   list(data.class_names))


def _images(cfg: Config, split: str) -> Dataset:
    from ganplay.data import folder, images

    name = cfg.data.name
    size = cfg.image_size
    if name == "mnist5k":
        return images.mnist5k(size, split)
    if name == "stacked-mnist":
        return images.stacked_mnist(size)
    if name == "digits":
        return images.digits(size)
    if name in images.TORCHVISION_SETS:
        return images.torchvision_set(name, cfg.data.root, cfg.data.download, size)
    if name == "folder":
        return folder.load_folder(cfg.data.root, size, cfg.data.channels)
    raise DataError(f"unknown data set {name!r}")


@dataclass(frozen=True)
class Modes:
    """What "modes covered" counts against: centres (K, 2) and the std of each mode (one float
    for a mixture's equal modes, a (K,) tensor for modes found by clustering)."""

    centres: torch.Tensor
    std: float | torch.Tensor
    found: bool = False  # found by k-means (drawn data), not known from the data's definition


def modes_of(cfg: Config) -> Modes | None:
    """The modes of 2D data: a mixture's own, or (for `points`) those k-means finds in the set
    (`pointsets.find_modes`; `data.modes` fixes their number). None for shapes without modes."""
    if cfg.data.name == DRAWN_DATASET:
        centres, stds = _found_modes(*_file_key(cfg.data.path), cfg.data.modes)
        return Modes(centres.clone(), stds.clone(), found=True)
    if not cfg.is_points:
        return None
    dist = mixture(cfg.data.name)
    return Modes(dist.centres.clone(), dist.std) if dist.centres is not None else None


def read_points(path: str | Path) -> pointsets.PointSet:
    """A points CSV, checked for training; DataError (with the reason) when it can't train."""
    try:
        return pointsets.checked(pointsets.read_file(path))
    except pointsets.PointsError as exc:
        raise DataError(f"data.path: {exc}") from None


def _file_key(path: str) -> tuple[str, int, int]:
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise DataError(f"data.path: cannot read {p}: {exc.strerror or exc}") from None
    return str(p.resolve()), st.st_mtime_ns, st.st_size


@lru_cache(maxsize=8)  # k-means takes ~1 s; the periodic metrics ask at every eval
def _found_modes(path: str, _mtime: int, _size: int, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    centres, stds = pointsets.find_modes(read_points(path).xy, k)
    return torch.from_numpy(centres), torch.from_numpy(stds)


def _drawn(cfg: Config) -> Dataset:
    points = read_points(cfg.data.path)
    # the file's order, float32: an ejected script reads the same CSV into the same tensor
    x = torch.from_numpy(points.xy.astype("float32"))
    modes = modes_of(cfg)
    return Dataset(DRAWN_DATASET, "points", x, centres=modes.centres, std=modes.std)


def _points(name: str, seed: int) -> Dataset:
    dist = mixture(name)
    x = dist.sample(N_POINTS, torch.Generator().manual_seed(seed))
    centres = dist.centres.clone() if dist.centres is not None else None
    return Dataset(name, "points", x, centres=centres, std=dist.std)
