"""The small MNIST classifier behind ganplay's image metrics.

A 3-conv CNN (16 -> 32 -> 64 channels, 3x3, BatchNorm, max-pool) with a 128-unit penultimate
layer, trained on mnist5k's 4,500 training digits with small random shifts and evaluated on the 500
held-out digits it never saw. It plays the part Inception-v3 plays for FID/KID/IS on photos: its
penultimate features feed FID, KID, precision/recall and density/coverage, and its softmax feeds
the Inception Score, class coverage and label accuracy. Numbers measured with it compare with each
other and with the real-data floor, never with published Inception-based numbers.

    model = load_classifier()              # pretrained/classifier.safetensors, cached
    logits = model(x)                      # x: (B, 1, H, W) in [-1, 1] (or uint8), any H
    feats = model.features(x)              # (B, model.num_features)

Regenerate the weights (deterministic for a given seed, torch build and thread count):

    python -m ganplay.metrics.classifier --out pretrained/classifier.safetensors

which writes the weights (safetensors, never a pickle) and `classifier.json`, the card.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors import SafetensorError, safe_open
from safetensors.torch import load as st_load_bytes
from safetensors.torch import save as st_save_bytes
from torch import Tensor, nn

from ganplay.assets import pretrained_dir
from ganplay.train.checkpoint import CheckpointError
from ganplay.train.rundir import atomic_write_bytes, atomic_write_json

PRETRAINED = pretrained_dir()
DEFAULT_PATH = PRETRAINED / "classifier.safetensors"
REGENERATE = "python -m ganplay.metrics.classifier --out pretrained/classifier.safetensors"
FORMAT = "ganplay-classifier"
VERSION = "1"
SIZE = 28  # the classifier's input side; other sizes are resized to it
DEFAULT_EPOCHS = 8
MAX_SHIFT = 2  # augmentation: random shifts of up to this many pixels each way


class ClassifierError(CheckpointError):
    """The classifier weights are missing, foreign or do not fit (the CLI maps this to exit 2)."""


class DigitClassifier(nn.Module):
    """CNN for 28x28 greyscale digits in [-1, 1]. `forward` gives logits, `features` the
    penultimate activations (`num_features` of them, after ReLU)."""

    def __init__(self, channels: tuple[int, int, int] = (16, 32, 64), num_features: int = 128,
                 n_classes: int = 10, dropout: float = 0.3):
        super().__init__()
        self.channels = tuple(channels)
        self.num_features = num_features  # torchmetrics reads this attribute
        self.n_classes = n_classes
        layers: list[nn.Module] = []
        c_in = 1
        for c in channels:  # 28 -> 14 -> 7 -> 3
            layers += [nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                       nn.MaxPool2d(2)]
            c_in = c
        self.trunk = nn.Sequential(*layers, nn.Flatten(), nn.Linear(c_in * 3 * 3, num_features), nn.ReLU())
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(num_features, n_classes)

    def arch(self) -> dict:
        return {"channels": list(self.channels), "num_features": self.num_features, "n_classes": self.n_classes}

    def features(self, x: Tensor) -> Tensor:
        return self.trunk(prepare(x, self.device))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.dropout(self.features(x)))

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device


class FeatureExtractor(nn.Module):
    """The classifier seen as torchmetrics' `feature=` module: forward gives the penultimate
    features (the classifier's own forward gives logits), `num_features` says how many.

        FrechetInceptionDistance(feature=FeatureExtractor(clf), input_img_size=(1, 28, 28))

    torchmetrics hands a custom module the images unchanged (its `normalize` flag only picks the
    dummy input's dtype), so update() takes what `prepare` takes: [-1, 1] floats or uint8.
    """

    def __init__(self, classifier: DigitClassifier):
        super().__init__()
        self.classifier = classifier
        self.num_features = classifier.num_features

    def forward(self, x: Tensor) -> Tensor:
        with torch.no_grad():
            return self.classifier.features(x)


def prepare(x: Tensor, device: torch.device | str = "cpu") -> Tensor:
    """Images as the classifier eats them: float32 (B, 1, 28, 28) in [-1, 1].

    uint8 input is read as 0..255; other sizes are resized (bilinear, antialiased)."""
    if x.dim() != 4 or x.shape[1] != 1:
        raise ValueError(f"the digit classifier takes greyscale images (B, 1, H, W); got {tuple(x.shape)}")
    x = x.to(device)
    x = x.float().div(127.5).sub(1.0) if x.dtype == torch.uint8 else x.float()
    if x.shape[-2:] != (SIZE, SIZE):
        x = F.interpolate(x, size=(SIZE, SIZE), mode="bilinear", antialias=True, align_corners=False)
    return x


@torch.no_grad()
def classify(model: DigitClassifier, x: Tensor, batch_size: int = 500, progress=None) -> tuple[Tensor, Tensor]:
    """(features, softmax probabilities) of images `x`, in batches, on the CPU. `progress` is an
    optional callable taking the number of images just done (e.g. a tqdm bar's update)."""
    feats, probs = [], []
    for i in range(0, len(x), batch_size):
        f = model.features(x[i:i + batch_size])
        feats.append(f.float().cpu())
        probs.append(model.head(f).softmax(1).float().cpu())
        if progress is not None:
            progress(len(f))
    if not feats:
        return torch.empty(0, model.num_features), torch.empty(0, model.n_classes)
    return torch.cat(feats), torch.cat(probs)


# ---------------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------------
def random_shift(x: Tensor, max_shift: int, generator: torch.Generator) -> Tensor:
    """Shift each image by its own random (dy, dx) in [-max_shift, max_shift], filling with -1."""
    b, c, h, w = x.shape
    padded = F.pad(x, (max_shift,) * 4, value=-1.0)
    dy = torch.randint(0, 2 * max_shift + 1, (b,), generator=generator)
    dx = torch.randint(0, 2 * max_shift + 1, (b,), generator=generator)
    rows = (dy[:, None] + torch.arange(h))[:, None, :, None]  # (B, 1, H, 1)
    cols = (dx[:, None] + torch.arange(w))[:, None, None, :]  # (B, 1, 1, W)
    bi = torch.arange(b)[:, None, None, None]
    ci = torch.arange(c)[None, :, None, None]
    return padded[bi, ci, rows, cols]


@torch.no_grad()
def accuracy(model: DigitClassifier, x: Tensor, labels: Tensor) -> float:
    was = model.training
    model.eval()
    _, probs = classify(model, x)
    model.train(was)
    return float((probs.argmax(1) == labels).float().mean())


def train_classifier(seed: int = 0, epochs: int = DEFAULT_EPOCHS, batch_size: int = 64, lr: float = 3e-3,
                     log=None) -> tuple[DigitClassifier, float]:
    """Train on mnist5k's 4,500 training digits; return (model in eval mode, held-out accuracy).

    Every random number (init, shuffles, shifts, dropout) comes from `seed`."""
    from ganplay.data.images import mnist5k

    train, held = mnist5k(SIZE, "train"), mnist5k(SIZE, "heldout")
    x = train.x.float().div(127.5).sub(1.0)
    y = train.labels
    torch.manual_seed(seed)  # init and dropout
    gen = torch.Generator().manual_seed(seed)  # shuffles and shifts
    model = DigitClassifier()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * ((len(x) + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.2)
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        total = 0.0
        for i in range(0, len(x), batch_size):
            idx = order[i:i + batch_size]
            xb = random_shift(x[idx], MAX_SHIFT, gen)
            loss = F.cross_entropy(model(xb), y[idx], label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        if log is not None:
            log(f"epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f}")
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model, accuracy(model, held.x, held.labels)


def save_classifier(model: DigitClassifier, path: str | Path, card: dict) -> None:
    """Weights as safetensors (architecture in the header) plus `<path>.json`, the card."""
    path = Path(path)
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    header = {"format": FORMAT, "version": VERSION, "arch": json.dumps(model.arch())}
    atomic_write_bytes(path, st_save_bytes(tensors, metadata=header))
    atomic_write_json(path.with_suffix(".json"), card)


def load_classifier(path: str | Path | None = None, device: str | torch.device = "cpu") -> DigitClassifier:
    """The pretrained classifier (eval mode, no gradients), cached per file and device."""
    path = Path(path) if path is not None else DEFAULT_PATH
    if not path.is_file():
        raise ClassifierError(f"the metrics classifier is missing: {path} not found. "
                              f"Regenerate it (about a minute on a CPU) with: {REGENERATE}")
    return _load(str(path.resolve()), path.stat().st_mtime_ns, str(torch.device(device)))


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int, device: str) -> DigitClassifier:
    try:
        with safe_open(path, framework="pt") as f:
            header = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as exc:
        raise ClassifierError(f"{path} is not a safetensors file ({exc}); regenerate it with: {REGENERATE}") from None
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise ClassifierError(f"{path} is not a ganplay classifier (format {header.get('format')!r}, "
                              f"version {header.get('version')!r}); regenerate it with: {REGENERATE}")
    try:
        arch = json.loads(header["arch"])
        model = DigitClassifier(tuple(arch["channels"]), arch["num_features"], arch["n_classes"])
        model.load_state_dict(st_load_bytes(Path(path).read_bytes()), strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError, SafetensorError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ClassifierError(f"{path}: damaged classifier ({first}); regenerate it with: {REGENERATE}") from None
    model.to(device).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def classifier_card(path: str | Path | None = None) -> dict:
    """The JSON card next to the weights ({} when there is none)."""
    card = (Path(path) if path is not None else DEFAULT_PATH).with_suffix(".json")
    return json.loads(card.read_text()) if card.is_file() else {}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ganplay.metrics.classifier",
                                description="Train the MNIST classifier behind ganplay's image metrics.")
    p.add_argument("--out", default=str(DEFAULT_PATH), help="weights file (.safetensors); the card goes "
                   "next to it as .json")
    p.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    start = time.perf_counter()
    model, acc = train_classifier(seed=args.seed, epochs=args.epochs, log=print)
    seconds = time.perf_counter() - start
    card = {
        "name": "classifier",
        "format": FORMAT,
        "version": VERSION,
        "arch": model.arch(),
        "parameters": sum(p.numel() for p in model.parameters()),
        "train": "mnist5k train split (4,500 digits), random shifts of up to 2 px",
        "heldout": "mnist5k held-out split (500 digits, 50 per class, never trained on)",
        "heldout_accuracy": round(acc, 4),
        "epochs": args.epochs,
        "seed": args.seed,
        "seconds": round(seconds, 1),
        "device": "cpu",
        "device_name": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "created": time.strftime("%Y-%m-%d"),
        "command": REGENERATE,
    }
    save_classifier(model, args.out, card)
    print(f"held-out accuracy {acc:.2%} after {args.epochs} epochs in {seconds:.0f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
