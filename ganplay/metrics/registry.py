"""The metric registry: which metrics exist, which data each applies to, which are cheap.

A metric is a function of one `MetricInput` (the generated set, the reference set and the facts
about the data) returning a flat dict of floats. Register one with

    @register_metric("my_metric", kinds=("digits",))
    def my_metric(inp: MetricInput) -> dict[str, float]: ...

`kinds`: "points" (2D mixtures with known centres: ring8, grid25), "digits" (MNIST-like 28 px
greyscale digits, measured with the bundled classifier) or "stacked" (Stacked MNIST: each colour
channel classified on its own). `cheap=True` marks metrics that need no
reference set and run in well under a second; the trainer logs those every `train.eval_every`
steps (`ganplay.metrics.cheap_metrics`). `data_kind(cfg)` decides the kind, or says in words why
no metric applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from torch import Tensor

from ganplay.config import Config
from ganplay.metrics import image, points, stacked

KINDS = ("points", "digits", "stacked")
DIGIT_DATASETS = ("mnist5k", "mnist")


@dataclass
class SampleSet:
    """One set of samples as the metrics see it. Points: `x` (N, 2). Digits: the classifier's
    `features` (N, F) and softmax `probs` (N, 10); Stacked MNIST: `probs` (N, 3, 10), one row per
    channel. Images themselves are not kept. `labels`: the
    class each sample was generated for (conditional G) or its true class (real data)."""

    x: Tensor | None = None
    features: Tensor | None = None
    probs: Tensor | None = None
    labels: Tensor | None = None

    def __len__(self) -> int:
        for t in (self.x, self.features, self.probs):
            if t is not None:
                return len(t)
        return 0


@dataclass
class MetricInput:
    kind: str  # one of KINDS
    fake: SampleSet  # what is being judged
    real: SampleSet | None = None  # the reference (digits); None for cheap metrics and points
    centres: Tensor | None = None  # points: (K, 2) mode centres
    std: float | Tensor = 0.0  # points: each mode's std (a (K,) tensor for found modes)
    seed: int = 0  # for the metrics' own random subsets


@dataclass(frozen=True)
class Metric:
    name: str
    kinds: tuple[str, ...]
    fn: Callable[[MetricInput], dict[str, float]]
    cheap: bool = False
    help: str = ""


METRICS: dict[str, Metric] = {}


def register_metric(name: str, kinds: tuple[str, ...] | str, cheap: bool = False,
                    help: str = "") -> Callable:
    """Decorator: register `fn(MetricInput) -> dict[str, float]` under `name`."""
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"register_metric({name!r}): unknown kinds {unknown}; known: {', '.join(KINDS)}")

    def wrap(fn: Callable[[MetricInput], dict[str, float]]):
        if name in METRICS:
            raise ValueError(f"metric {name!r} is already registered")
        METRICS[name] = Metric(name, kinds, fn, cheap, help or (fn.__doc__ or "").strip().split("\n")[0])
        return fn

    return wrap


def metrics_for(kind: str, cheap_only: bool = False) -> list[Metric]:
    return [m for m in METRICS.values() if kind in m.kinds and (m.cheap or not cheap_only)]


def run_metrics(inp: MetricInput, cheap_only: bool = False) -> dict[str, float]:
    """Every registered metric for `inp.kind` (only the cheap ones if asked), merged flat."""
    out: dict[str, float] = {}
    for metric in metrics_for(inp.kind, cheap_only):
        if not metric.cheap and inp.real is None and inp.kind == "digits":
            continue
        out.update(metric.fn(inp))
    return out


def data_kind(cfg: Config, channels: int | None = None) -> tuple[str | None, str]:
    """("points" | "digits", "") when ganplay can measure this data; (None, why not) otherwise."""
    name = cfg.data.name
    if cfg.is_points:
        from ganplay.data import modes_of

        if modes_of(cfg) is None:
            return None, (f"{name} is a continuous shape with no modes: the 2D metrics (modes, "
                          "high-quality samples, reverse KL) need a mixture with known centres "
                          "(ring8, grid25); metrics not available")
        return "points", ""
    if name in DIGIT_DATASETS and channels in (None, 1):
        return "digits", ""
    if name == "stacked-mnist" and channels in (None, 3):
        return "stacked", ""
    if name == "digits":
        return None, ("no bundled classifier for digits (sklearn's 8x8 digits): ganplay's MNIST "
                      "classifier recognises only about a third of them once upsampled, so image "
                      "metrics are not available")
    what = "folder images" if name == "folder" else name
    return None, f"no bundled classifier for {what}: image metrics not available"


# ---------------------------------------------------------------------------------------------
# the metrics
# ---------------------------------------------------------------------------------------------
@register_metric("modes", "points", cheap=True)
def _modes(inp: MetricInput) -> dict[str, float]:
    """modes covered, high-quality share, reverse KL (the VEEGAN/PacGAN protocol)"""
    return points.mode_metrics(inp.fake.x, inp.centres, inp.std)


@register_metric("points_prdc", "points", cheap=True)
def _points_prdc(inp: MetricInput) -> dict[str, float]:
    """precision/recall (k=3), density/coverage (k=5) on the points themselves (when real points
    are given: drawn data, whose modes are only found, not known)"""
    if inp.real is None or inp.real.x is None:
        return {}
    return image.prdc(*image.equal_size(inp.real.x.float(), inp.fake.x.float(), inp.seed))


@register_metric("stacked_modes", "stacked", cheap=True)
def _stacked_modes(inp: MetricInput) -> dict[str, float]:
    """digit triples covered (of 1,000) and their reverse KL (the VEEGAN/PacGAN protocol)"""
    return stacked.stacked_mode_metrics(inp.fake.probs)


@register_metric("label_acc", "digits", cheap=True)
def _label_acc(inp: MetricInput) -> dict[str, float]:
    """share of samples asked for digit k that the classifier calls k (conditional G)"""
    if inp.fake.labels is None:
        return {}
    return {"label_acc": image.label_accuracy(inp.fake.probs, inp.fake.labels)}


@register_metric("classes", "digits", cheap=True)
def _classes(inp: MetricInput) -> dict[str, float]:
    """digits with >= 1% of the predictions; KL(class histogram || uniform)"""
    return image.class_stats(inp.fake.probs)


@register_metric("confidence", "digits", cheap=True)
def _confidence(inp: MetricInput) -> dict[str, float]:
    """the classifier's mean top probability on the samples: how plainly each reads as a digit"""
    return {"confidence": image.mean_confidence(inp.fake.probs)}


@register_metric("class_min_share", "digits", cheap=True)
def _class_min_share(inp: MetricInput) -> dict[str, float]:
    """the rarest digit's share of the predictions (an even share is 1/10)"""
    return {"class_min_share": image.min_class_share(inp.fake.probs)}


@register_metric("fid", "digits")
def _fid(inp: MetricInput) -> dict[str, float]:
    """Fréchet distance of classifier features to the reference set"""
    return {"fid": image.fid(inp.real.features, inp.fake.features)}


@register_metric("kid", "digits")
def _kid(inp: MetricInput) -> dict[str, float]:
    """kernel MMD² of classifier features to the reference set (unbiased)"""
    mean, std = image.kid(inp.real.features, inp.fake.features, seed=inp.seed)
    return {"kid": mean, "kid_std": std}


@register_metric("is", "digits")
def _is(inp: MetricInput) -> dict[str, float]:
    """Inception Score from the classifier's softmax (max 10)"""
    mean, std = image.inception_score(inp.fake.probs, seed=inp.seed)
    return {"is": mean, "is_std": std}


@register_metric("prdc", "digits")
def _prdc(inp: MetricInput) -> dict[str, float]:
    """precision/recall (k=3) and density/coverage (k=5) on classifier features"""
    return image.prdc(*image.equal_size(inp.real.features, inp.fake.features, inp.seed))
