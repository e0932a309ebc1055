"""Image metrics for MNIST-like digits, all measured with ganplay's own MNIST classifier.

Features are the classifier's 128 penultimate activations (`classifier.py`); probabilities its
softmax. Every function here takes those tensors, so one pass of the classifier serves them all.

- `fid`: Fréchet distance between Gaussians fitted to real and generated features (Heusel et al.
  2017), via torchmetrics' `FrechetInceptionDistance` with a custom `feature=` module. Biased
  upward at small sample sizes: compare runs at the same n.
- `kid`: kernel (cubic polynomial) MMD², unbiased, mean and std over random subsets (Bińkowski et
  al. 2018), via torchmetrics' `KernelInceptionDistance`; subsets of min(1000, n_real, n_fake).
- `inception_score`: exp(E_x KL(p(y|x) || p(y))) over 10 splits (Salimans et al. 2016), via
  torchmetrics' `InceptionScore` with the classifier's logits; at most 10 for 10 digits.
- `class_stats`: `classes` = digits that get at least `MIN_CLASS_SHARE` (1%, a tenth of the
  fair share) of the argmax predictions; `class_kl` = KL(class histogram || uniform), log 10 =
  2.303 when every sample is one digit, 0 when all ten are equally common.
- `mean_confidence`: the classifier's mean top softmax probability on the samples: how plainly
  each reads as some digit (smudges and in-between shapes score low).
- `min_class_share`: the smallest share of the argmax predictions over the classes: the rarest
  digit's share (an even share is 0.1; 0 when a digit never comes up).
- `label_accuracy`: for a conditional G, the fraction of samples asked for digit k that the
  classifier calls k.
- `prdc`: precision and recall (Kynkäänniemi et al. 2019, k = 3 nearest-neighbour radii) and
  density and coverage (Naeem et al. 2020, k = 5), a chunked torch implementation (our own: the
  `prdc` package builds full N x N distance matrices; this one checks against it, see tests).
  Both sets are first cut to the same size (the smaller one), as in the papers, so numbers at
  different n stay comparable.

torchmetrics facts this relies on (1.9): with a custom `feature=` module, images reach the module
unchanged (`normalize` only picks the dtype of the dummy input used to guess `num_features`, and we
set `num_features`); FID accepts `input_img_size`, KID does not. We give the metrics precomputed
features through `Precomputed`, a pass-through module, so the classifier runs once per image.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor, nn

from ganplay.metrics.points import kl_from_uniform

MIN_CLASS_SHARE = 0.01
PR_K = 3
DC_K = 5
KID_SUBSET = 1000
KID_SUBSETS = 100
IS_SPLITS = 10


class Precomputed(nn.Module):
    """A torchmetrics `feature=` module for features computed beforehand: forward is identity."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, x: Tensor) -> Tensor:
        return x


def _check(real: Tensor, fake: Tensor) -> None:
    if real.dim() != 2 or fake.dim() != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"feature sets must be (N, D) with the same D; got {tuple(real.shape)} and "
                         f"{tuple(fake.shape)}")


def fid(real: Tensor, fake: Tensor) -> float:
    """Fréchet distance between two feature sets (N, D)."""
    from torchmetrics.image.fid import FrechetInceptionDistance

    _check(real, fake)
    if len(real) < 2 or len(fake) < 2:
        raise ValueError("FID needs at least 2 samples in each set")
    metric = FrechetInceptionDistance(feature=Precomputed(real.shape[1]))
    metric.update(real.double(), real=True)
    metric.update(fake.double(), real=False)
    return max(float(metric.compute()), 0.0)  # tiny negative values are round-off


def kid(real: Tensor, fake: Tensor, subset_size: int = KID_SUBSET, subsets: int = KID_SUBSETS,
        seed: int = 0) -> tuple[float, float]:
    """(mean, std) of the unbiased polynomial-kernel MMD² over random subsets; seeded."""
    from torchmetrics.image.kid import KernelInceptionDistance

    _check(real, fake)
    size = min(subset_size, len(real), len(fake))
    if size < 2:
        raise ValueError("KID needs at least 2 samples in each set")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "will save all extracted features in buffer"
        metric = KernelInceptionDistance(feature=Precomputed(real.shape[1]), subset_size=size, subsets=subsets)
    metric.update(real.double(), real=True)
    metric.update(fake.double(), real=False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        mean, std = metric.compute()
    return float(mean), float(std)


def inception_score(probs: Tensor, splits: int = IS_SPLITS, seed: int = 0) -> tuple[float, float]:
    """(mean, std) over `splits` of exp(E KL(p(y|x) || p(y))), from softmax probabilities."""
    from torchmetrics.image.inception import InceptionScore

    if len(probs) < splits:
        splits = max(1, len(probs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        metric = InceptionScore(feature=Precomputed(probs.shape[1]), splits=splits)
    metric.update(probs.double().clamp_min(1e-12).log())  # torchmetrics softmaxes its input
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        mean, std = metric.compute()
    return float(mean), (float(std) if splits > 1 else 0.0)


def class_stats(probs: Tensor, min_share: float = MIN_CLASS_SHARE) -> dict[str, float]:
    """`classes` (digits with >= `min_share` of the argmax predictions) and `class_kl`."""
    k = probs.shape[1]
    counts = torch.bincount(probs.argmax(1), minlength=k)
    share = counts.double() / max(len(probs), 1)
    return {"classes": float((share >= min_share).sum()) if len(probs) else 0.0,
            "class_kl": kl_from_uniform(counts)}


def class_shares(probs: Tensor) -> list[float]:
    """The share of the samples the classifier reads as each class (argmax), in class order."""
    counts = torch.bincount(probs.argmax(1), minlength=probs.shape[1]).double()
    return (counts / max(len(probs), 1)).tolist()


def mean_confidence(probs: Tensor) -> float:
    """The mean of each sample's top probability (0 for no samples)."""
    return float(probs.max(1).values.double().mean()) if len(probs) else 0.0


def min_class_share(probs: Tensor) -> float:
    """The rarest class's share of the argmax predictions (0 for no samples)."""
    return min(class_shares(probs)) if len(probs) else 0.0


def label_accuracy(probs: Tensor, labels: Tensor) -> float:
    """Fraction of samples whose predicted digit is the label they were generated for."""
    return float((probs.argmax(1) == labels.to(probs.device)).double().mean())


# ---------------------------------------------------------------------------------------------
# precision / recall / density / coverage
# ---------------------------------------------------------------------------------------------
def _sqdist(a: Tensor, b: Tensor) -> Tensor:
    """Squared Euclidean distances, float64, never negative."""
    return (a.square().sum(1, keepdim=True) - 2 * a @ b.T + b.square().sum(1)[None]).clamp_min_(0)


def knn_radii(x: Tensor, ks: tuple[int, ...], chunk: int = 1024) -> dict[int, Tensor]:
    """For each k: the distance from every point of x to its k-th nearest other point."""
    x = x.double()
    kmax = max(ks)
    if len(x) <= kmax:
        raise ValueError(f"need more than {kmax} samples for {kmax}-NN radii; got {len(x)}")
    out = []
    for i in range(0, len(x), chunk):
        d = _sqdist(x[i:i + chunk], x)
        out.append(d.topk(kmax + 1, dim=1, largest=False).values)  # column 0 is the point itself
    nearest = torch.cat(out).sqrt()
    return {k: nearest[:, k] for k in ks}


def equal_size(real: Tensor, fake: Tensor, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Cut the larger set to the size of the smaller one (a seeded random subset)."""
    n = min(len(real), len(fake))
    gen = torch.Generator().manual_seed(seed)
    if len(real) > n:
        real = real[torch.randperm(len(real), generator=gen)[:n]]
    if len(fake) > n:
        fake = fake[torch.randperm(len(fake), generator=gen)[:n]]
    return real, fake


def prdc(real: Tensor, fake: Tensor, pr_k: int = PR_K, dc_k: int = DC_K, chunk: int = 1024) -> dict[str, float]:
    """Precision, recall (k = `pr_k`) and density, coverage (k = `dc_k`) of feature sets.

    precision: share of fake samples inside some real sample's k-NN ball (real manifold);
    recall:    share of real samples inside some fake sample's k-NN ball (fake manifold);
    density:   mean number of real balls (k = dc_k) around each fake sample, / k (1 ~ real-like);
    coverage:  share of real samples whose k = dc_k ball holds at least one fake sample.
    A ball includes its boundary (distance <= radius). Use `equal_size` first for fair numbers.
    """
    _check(real, fake)
    real, fake = real.double(), fake.double()
    r_real = knn_radii(real, (pr_k, dc_k), chunk)
    r_fake = knn_radii(fake, (pr_k,), chunk)[pr_k]
    in_real_pr = torch.zeros(len(fake), dtype=torch.bool)  # fake j within some real ball (pr_k)
    density_sum = 0.0
    real_covered = torch.zeros(len(real), dtype=torch.bool)  # real i has a fake within its dc_k ball
    in_fake = torch.zeros(len(real), dtype=torch.bool)  # real i within some fake ball (pr_k)
    for i in range(0, len(fake), chunk):
        d = _sqdist(fake[i:i + chunk], real).sqrt()  # (chunk, n_real)
        in_real_pr[i:i + chunk] = (d <= r_real[pr_k][None]).any(1)
        inside_dc = d <= r_real[dc_k][None]
        density_sum += float(inside_dc.sum())
        real_covered |= inside_dc.any(0)
        in_fake |= (d <= r_fake[i:i + chunk, None]).any(0)
    return {
        "precision": float(in_real_pr.double().mean()),
        "recall": float(in_fake.double().mean()),
        "density": density_sum / (dc_k * len(fake)),
        "coverage": float(real_covered.double().mean()),
    }

