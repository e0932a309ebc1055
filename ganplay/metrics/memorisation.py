"""What G copies: the nearest training digits of any image, and the run-level memorisation check.

    idx, dist = nearest_real(images, k=5, space="features")   # or space="pixels"
    block = memorisation_check(gen, n=10_000, seed=0)          # `ganplay eval` adds it for digit G

Both measure against mnist5k's 4,500 training digits (what every digit G here learned from).

- `nearest_real`: the k closest training digits of each image, in the bundled classifier's
  penultimate features (128 numbers: what the digit looks like to a reader) or in pixels
  (Euclidean distance between the pictures with pixels in 0..1). The training set's features are
  computed once per process (`evaluation.reference_set`, cached).
- `memorisation_check`: the distance from each of n generated samples to its nearest training
  digit (feature space), against the same distance for mnist5k's 500 held-out digits, which were
  never trained on: they are the curve of "new digits". A generator that copies its training
  digits sits left of that curve (distances near 0). Summary: both medians, the share of generated
  samples closer than the held-out 5th percentile (about 5% for samples as new as real new digits;
  `FLAG_SHARE` or more is flagged), and the two-sample Kolmogorov-Smirnov statistic (scipy when
  installed, else the same number in numpy). `quantiles` keep both curves (every 2nd percentile)
  so the plot can be drawn from a card without sampling. `check_digits` refuses the generators it
  cannot measure (`NotDigitsError`); `reading` words a block for a page, `report_lines` for `ganplay eval`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from torch import Tensor

from ganplay import protocol
from ganplay.data.images import mnist5k
from ganplay.metrics import classifier as clf
from ganplay.metrics.evaluation import _digit_samples, reference_set
from ganplay.metrics.image import _sqdist
from ganplay.metrics.registry import DIGIT_DATASETS

SPACES = ("features", "pixels")
MAX_K = 50
FLAG_SHARE = protocol.MEMO_FLAG_SHARE
QUANTILES = [q / 100 for q in range(0, 101, 2)]
READING = ("how to read it: a generator that copies its training digits sits left of the held-out "
           "curve (nearest distances near 0, many samples closer than the held-out 5th percentile, "
           f"flagged at {FLAG_SHARE:.0%}); new digits show about 5%")
CHUNK = 1024


@lru_cache(maxsize=4)
def _training_images(size: int) -> Tensor:
    """mnist5k's training digits at `size` px as floats in [0, 1] (the order `nearest_real`
    indexes), flattened; once per process and size."""
    return mnist5k(size, "train").x.reshape(-1, size * size).double() / 255.0


def training_digits(size: int = 28):
    """The mnist5k training split (a `Dataset`: uint8 `x`, `labels`) that the indices point into."""
    return mnist5k(size, "train")


def _check_images(images: Tensor) -> Tensor:
    if not isinstance(images, Tensor) or images.dim() != 4 or images.shape[1] != 1:
        shape = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
        raise ValueError(f"nearest_real takes greyscale digit images (B, 1, H, W) in [-1, 1]; got {shape}")
    if images.shape[-1] != images.shape[-2]:
        raise ValueError(f"nearest_real takes square images; got {tuple(images.shape[-2:])}")
    return images.float().cpu()


def _nearest(query: Tensor, ref: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """(indices, distances) of the k nearest rows of `ref` for each row of `query`, chunked. The
    squared-distance expansion finds them; the distances are then computed directly (a row's
    distance to itself is exactly 0)."""
    query, ref = query.double(), ref.double()
    idx = []
    for i in range(0, len(query), CHUNK):
        idx.append(_sqdist(query[i:i + CHUNK], ref).topk(k, dim=1, largest=False).indices)
    idx = torch.cat(idx) if idx else torch.empty(0, k, dtype=torch.long)
    dist = (query[:, None, :] - ref[idx]).square().sum(-1).sqrt() if len(idx) else torch.empty(0, k)
    order = dist.argsort(dim=1, stable=True)  # ties in the expansion may have come out of order
    return idx.gather(1, order), dist.gather(1, order)


def features_of(images: Tensor, classifier_path=None) -> Tensor:
    """The classifier's penultimate features of images in [-1, 1] (what `evaluate` measures)."""
    return clf.classify(clf.load_classifier(classifier_path), images)[0]


def nearest_real(images: Tensor, k: int = 5, space: str = "features",
                 classifier_path=None) -> tuple[Tensor, Tensor]:
    """The k closest mnist5k training digits of each image: `(indices (B, k), distances (B, k))`,
    nearest first; the indices point into `training_digits(size)` (size: the images' side).

    `space="features"`: Euclidean distance between the classifier's penultimate features (the
    training digits taken through the same resize as `evaluate` takes them); `space="pixels"`:
    between the pictures, pixels in 0..1."""
    if space not in SPACES:
        raise ValueError(f"space must be one of {', '.join(SPACES)}; got {space!r}")
    k = int(k)
    if not 1 <= k <= MAX_K:
        raise ValueError(f"k must be 1..{MAX_K}; got {k}")
    x = _check_images(images)
    size = x.shape[-1]
    if space == "pixels":
        query = ((x.clamp(-1, 1) + 1) / 2).reshape(len(x), -1)
        return _nearest(query, _training_images(size), k)
    ref = reference_set("train", size, classifier_path).features
    return _nearest(features_of(x, classifier_path), ref, k)


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """The two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical CDFs
    (scipy's `ks_2samp` when installed, the same number computed here otherwise)."""
    a, b = np.sort(np.asarray(a, float)), np.sort(np.asarray(b, float))
    try:
        from scipy.stats import ks_2samp
    except ImportError:
        both = np.concatenate([a, b])
        gap = np.searchsorted(a, both, side="right") / len(a) - np.searchsorted(b, both, side="right") / len(b)
        return float(np.abs(gap).max())
    return float(ks_2samp(a, b).statistic)


def nn_distances(features: Tensor, size: int = 28, classifier_path=None) -> Tensor:
    """Each feature row's distance to its nearest training digit (feature space)."""
    ref = reference_set("train", size, classifier_path).features
    return _nearest(features, ref, 1)[1][:, 0]


def summarise(generated: Tensor | np.ndarray, heldout: Tensor | np.ndarray) -> dict:
    """The memorisation block from the two sets of nearest-neighbour distances."""
    g = np.asarray(generated, dtype=np.float64)
    h = np.asarray(heldout, dtype=np.float64)
    if not len(g) or not len(h):
        raise ValueError("the memorisation check needs generated and held-out distances")
    p5 = float(np.quantile(h, 0.05))
    share = float((g < p5).mean())
    r = lambda v: round(float(v), 4)  # noqa: E731  (cards stay readable; far finer than the spread)
    return {
        "space": "classifier features",
        "n": int(len(g)),
        "n_heldout": int(len(h)),
        "generated_median": r(np.median(g)),
        "heldout_median": r(np.median(h)),
        "heldout_p5": r(p5),
        "closer_than_heldout_p5": r(share),
        "ks": r(ks_statistic(g, h)),
        "flagged": bool(share >= FLAG_SHARE),
        "quantiles": {"q": QUANTILES,
                      "generated": [r(v) for v in np.quantile(g, QUANTILES)],
                      "heldout": [r(v) for v in np.quantile(h, QUANTILES)]},
    }


def heldout_distances(size: int = 28, classifier_path=None) -> Tensor:
    """The 500 held-out digits' distances to their nearest training digit (feature space)."""
    return nn_distances(reference_set("heldout", size, classifier_path).features, size, classifier_path)


class NotDigitsError(ValueError):
    """The generator does not draw MNIST digits: mnist5k's training digits are no measure for it."""


def check_digits(gen, what: str = "The memorisation check") -> None:
    """Refuse (`NotDigitsError`, naming `what`) a generator this module cannot measure: one that
    learned other data than MNIST's digits (its config says so), or draws other than 1 x H x W."""
    data = gen.config.data.name if gen.config is not None else None
    if data is not None and data not in DIGIT_DATASETS:
        raise NotDigitsError(f"{what} is measured against MNIST-5k's training digits; this generator learned "
                             f"from {data}")
    if len(gen.out_shape) != 3 or gen.out_shape[0] != 1:
        raise NotDigitsError(f"{what} is for digit generators (1 x H x W); this one makes "
                             f"{'x'.join(map(str, gen.out_shape))}")


def memorisation_check(gen, n: int = 10_000, seed: int = 0, classifier_path=None,
                       features: Tensor | None = None) -> dict:
    """`summarise` for n samples of `gen` (a `LoadedGenerator` of 1-channel digits, `check_digits`)
    drawn as `evaluate` draws them (seed, labels cycling 0..K-1); `features`: those samples'
    features when the caller has them already (evaluate does)."""
    check_digits(gen)
    size = gen.out_shape[-1]
    if features is None:
        if n < 50:
            raise ValueError(f"the memorisation check needs n >= 50 samples; got {n}")
        model = clf.load_classifier(classifier_path)
        features = _digit_samples(gen, n, seed, model, False).features
    return {"seed": seed, **summarise(nn_distances(features, size, classifier_path),
                                      heldout_distances(size, classifier_path))}


def report_lines(block: dict) -> list[str]:
    """The memorisation block as the text report prints it."""
    flag = "FLAGGED: looks like copying" if block["flagged"] else "not flagged"
    return [f"memorisation (nearest training digit, {block['space']}; {block['n']:,} generated vs "
            f"{block['n_heldout']} held-out real digits): median distance {block['generated_median']:.3f} "
            f"vs {block['heldout_median']:.3f}; {block['closer_than_heldout_p5']:.1%} closer than the "
            f"held-out 5th percentile ({block['heldout_p5']:.3f}); KS {block['ks']:.3f}; {flag}",
            f"  {READING}"]


def reading(block: dict) -> str:
    """The block in plain words (Markdown) for a page beside its plot (`quantiles`): how to read
    the two curves, then this block's numbers."""
    return (f"Each curve climbs from 0 to 100% as the distance grows. A generator that copies its training "
            f"digits sits left of the real curve (many samples almost on a training digit); one as new as real "
            f"new digits lies on it or to its right. Here: median distance {block['generated_median']:.2f} for "
            f"the {block['n']:,} generated samples against {block['heldout_median']:.2f} for the "
            f"{block['n_heldout']} held-out digits; **{block['closer_than_heldout_p5']:.1%}** of the generated samples "
            f"are closer than the held-out 5th percentile ({block['heldout_p5']:.2f}), where new digits show 5% "
            f"(flagged from {FLAG_SHARE:.0%}); KS statistic {block['ks']:.3f} (the largest gap between the "
            f"curves).")
