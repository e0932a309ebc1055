"""`evaluate` (everything, for `ganplay eval` and the zoo cards) and `cheap_metrics` (a few fast
numbers for the trainer's periodic log), plus the real-data reference sets and the text report.
"""

from __future__ import annotations

import contextlib
import math
from functools import lru_cache
from typing import Iterable, Sequence

import torch
from torch import Tensor

from ganplay import protocol
from ganplay.config import DRAWN_DATASET, Config
from ganplay.data import mixture, modes_of, read_points
from ganplay.data.images import mnist5k, stacked_mnist
from ganplay.metrics import classifier as clf
from ganplay.metrics import image as img
from ganplay.metrics import points as pts
from ganplay.metrics import stacked as stk
from ganplay.metrics.registry import METRICS, MetricInput, SampleSet, data_kind, run_metrics

POINT_SEEDS = 5  # default number of sampling seeds for the 2D protocol
SPREAD_SETS = 5  # sample sets (seeds) behind each digit metric's standard error (`evaluate`'s `spread`)
FLOOR_RESAMPLES = 10  # bootstrap resamples behind the real-data floor's standard errors
FLOOR_N = 500  # the floor's size (mnist5k's held-out digits): models are also measured at it
AT_FLOOR_SETS = 10  # disjoint sets of FLOOR_N of a model's samples for the comparison with the floor
NO_SPREAD = ("kid_std", "is_std")  # spreads over a metric's own subsets or splits, not metrics themselves
CHEAP_N = protocol.CHEAP_N
CHUNK = 1000  # images generated and classified at a time


# ---------------------------------------------------------------------------------------------
# real data
# ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _reference(split: str, size: int, clf_path: str, clf_mtime: int) -> SampleSet:
    data = mnist5k(size, split)
    feats, probs = clf.classify(clf.load_classifier(clf_path), data.x)
    return SampleSet(features=feats, probs=probs, labels=data.labels)


def reference_set(split: str = "train", size: int = 28, classifier_path=None) -> SampleSet:
    """mnist5k's `split` at `size` px (what a G of that size trained on), through the classifier.

    Real images take the same resize path as generated ones (to `size`, then to 28), so that
    resizing itself does not count against a generator."""
    path = clf.DEFAULT_PATH if classifier_path is None else classifier_path
    clf.load_classifier(path)  # a clear error when missing
    from pathlib import Path

    p = Path(path).resolve()
    return _reference(split, size, str(p), p.stat().st_mtime_ns)


def digits_floor(size: int = 28, seed: int = 0, classifier_path=None) -> dict[str, float]:
    """The image metrics of mnist5k's 500 held-out digits against its 4,500 training digits:
    what a perfect generator would score (label_acc is the classifier's held-out accuracy)."""
    held = reference_set("heldout", size, classifier_path)
    train = reference_set("train", size, classifier_path)
    return run_metrics(MetricInput("digits", held, train, seed=seed))


def _sd(rows: list[dict[str, float]]) -> dict[str, float]:
    """Each key's sample standard deviation over rows (the subset and split spreads left out)."""
    out = {}
    for key in rows[0]:
        if key not in NO_SPREAD:
            values = [row[key] for row in rows]
            mean = sum(values) / len(values)
            out[key] = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    return out


def _subset(fake: SampleSet, idx: Tensor) -> SampleSet:
    return SampleSet(features=fake.features[idx], probs=fake.probs[idx],
                     labels=None if fake.labels is None else fake.labels[idx])


def at_floor_size(fake: SampleSet, real: SampleSet, size: int = FLOOR_N, sets: int = AT_FLOOR_SETS,
                  seed: int = 0) -> dict | None:
    """A model measured as the floor is: every metric on `sets` disjoint sets of `size` of its
    samples (a seeded shuffle) against the same reference; their mean and standard deviation.
    FID, KID's subsets and the nearest-neighbour radii of precision/recall depend on the sample
    size, so a model's 10,000-sample number and the floor's 500-digit one are not comparable; these
    are (`zoo.within_noise` uses them). None when there are fewer than 2 such sets."""
    sets = min(sets, len(fake) // size)
    if sets < 2:
        return None
    order = torch.randperm(len(fake), generator=torch.Generator().manual_seed(seed))
    rows = [run_metrics(MetricInput("digits", _subset(fake, order[i * size:(i + 1) * size]), real, seed=seed + i))
            for i in range(sets)]
    return {"how": f"{sets} disjoint sets of {size} of the samples, each measured as the floor is",
            "n": size, "sets": sets,
            "mean": {k: sum(r[k] for r in rows) / sets for k in rows[0] if k not in NO_SPREAD}, "sd": _sd(rows)}


def bootstrap_spread(fake: SampleSet, real: SampleSet, resamples: int = FLOOR_RESAMPLES, seed: int = 0) -> dict:
    """Each digit metric's standard error over repeated draws, by the bootstrap: `resamples` sets of
    len(fake) samples drawn from `fake` with replacement (its features, probabilities and labels
    together), every metric measured on each against the same `real` reference, and the standard
    deviation over the resamples. No new generation: one set of samples' features is enough.

    {"how", "resamples", "n", "seed", "se": {metric: standard error}}. Seeded: the same call gives
    the same numbers. A resample repeats some samples, which pulls nearest-neighbour metrics
    (recall) a little down in it; the spread is read as the width around the measured value."""
    if resamples < 2:
        raise ValueError(f"a spread needs at least 2 resamples; got {resamples}")
    gen = torch.Generator().manual_seed(seed)
    rows = [run_metrics(MetricInput("digits", _subset(fake, torch.randint(len(fake), (len(fake),), generator=gen)),
                                    real, seed=seed + 1 + r)) for r in range(resamples)]
    return {"how": f"bootstrap: the standard deviation over {resamples} resamples (with replacement) of "
                   f"the {len(fake):,} samples, the reference held fixed",
            "resamples": resamples, "n": len(fake), "seed": seed, "se": _sd(rows)}


@lru_cache(maxsize=8)
def _floor_spread(size: int, seed: int, resamples: int, clf_path: str, clf_mtime: int) -> dict:
    held = reference_set("heldout", size, clf_path)
    return bootstrap_spread(held, reference_set("train", size, clf_path), resamples, seed)


def digits_floor_spread(size: int = 28, seed: int = 0, resamples: int = FLOOR_RESAMPLES,
                        classifier_path=None) -> dict:
    """The real-data floor's spread: `bootstrap_spread` over the 500 held-out digits (computed once
    per process)."""
    from pathlib import Path

    p = Path(clf.DEFAULT_PATH if classifier_path is None else classifier_path).resolve()
    return _floor_spread(size, seed, resamples, str(p), p.stat().st_mtime_ns)


# ---------------------------------------------------------------------------------------------
# evaluate
# ---------------------------------------------------------------------------------------------
def _seed_list(seed: int, seeds: int | Sequence[int] | None, default: int) -> list[int]:
    if seeds is None:
        seeds = default
    if isinstance(seeds, int):
        if seeds < 1:
            raise ValueError(f"seeds must be >= 1, got {seeds}")
        return [seed + i for i in range(seeds)]
    out = [int(s) for s in seeds]
    if not out:
        raise ValueError("seeds must name at least one seed")
    return out


def _aggregate(rows: list[dict[str, float]]) -> dict:
    """One seed: the row itself. Several: {"mean", "stderr", "values"} per key."""
    if len(rows) == 1:
        return dict(rows[0])
    return {k: pts.mean_stderr([r[k] for r in rows]) for k in rows[0]}


@contextlib.contextmanager
def _seeded(seed: int, device: torch.device):
    """Seed torch's global RNG (StyleGAN-lite draws its noise there) and restore it after."""
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def _bar(total: int, desc: str, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="img", dynamic_ncols=True, leave=False)


def _digit_samples(gen, n: int, seed: int, model, progress: bool) -> SampleSet:
    z = gen.noise(n, seed)
    labels = torch.arange(n) % gen.n_classes if gen.n_classes else None  # as gen.sample does
    feats, probs = [], []
    bar = _bar(n, f"seed {seed}: generate + classify", progress)
    try:
        with _seeded(seed, gen.device):
            for i in range(0, n, CHUNK):
                x = gen.generate(z[i:i + CHUNK], labels[i:i + CHUNK] if labels is not None else None)
                f, p = clf.classify(model, x)
                feats.append(f)
                probs.append(p)
                if bar is not None:
                    bar.update(len(x))
    finally:
        if bar is not None:
            bar.close()
    return SampleSet(features=torch.cat(feats), probs=torch.cat(probs), labels=labels)


def evaluate(gen, n: int = 10_000, seed: int = 0, seeds: int | Sequence[int] | None = None,
             progress: bool = False, floor: bool = True, classifier_path=None,
             memorisation: bool = True, spread: int = SPREAD_SETS) -> dict:
    """Every metric that applies to `gen` (a `ganplay.sampling.LoadedGenerator`), as a dict.

    - ring8 / grid25: the VEEGAN/PacGAN protocol (`points.py`): 2,500 samples per seed whatever
      `n` is (the protocol's size), over `seeds` (default 5 seeds from `seed`); each metric is
      {"mean", "stderr", "values"}; "floor" holds the same for samples of the true mixture;
      "where": the mode centres and, per seed, where the samples sit (`points.where_samples_sit`).
    - mnist5k / mnist: `n` samples per seed (default one seed), measured with the bundled
      classifier against mnist5k's 4,500 training digits (`image.py`); "floor" holds the
      held-out 500 digits measured the same way. Several seeds give mean/stderr dicts. One seed
      gets "spread": each metric's standard deviation over `spread` sets of `n` samples (seeds
      seed, seed + 1, ...: repeated draws; 0 or 1: none), the first of them the reported one;
      the floor gets its bootstrap standard errors over its 500 digits (`bootstrap_spread`), and
      "at_floor_n" the model measured at the floor's size (`at_floor_size`), which is what
      "within noise of real data" compares. "class_shares": per seed, each digit's share.
      "memorisation" (unless `memorisation=False`): the first seed's samples' nearest training
      digits against the held-out digits' (`memorisation.py`).
    - anything else: {"available": False, "reason": "..."}: no numbers that mean nothing.

    Always present: "kind" ("points", "images" or "none"), "available", "data".
    """
    cfg: Config = gen.config
    if cfg.g_input != "noise":
        return _evaluate_translation(gen, classifier_path)
    kind, reason = data_kind(cfg, gen.out_shape[0] if len(gen.out_shape) == 3 else None)
    if kind is None:
        return {"kind": "none", "available": False, "data": cfg.data.name, "reason": reason}
    if kind == "points":
        return _evaluate_points(gen, seed, seeds, floor)
    if kind == "stacked":
        return _evaluate_stacked(gen, seed, seeds, floor, progress, classifier_path)
    if n < 50:
        raise ValueError(f"image metrics need n >= 50 samples; got {n}")
    seed_list = _seed_list(seed, seeds, 1)
    size = gen.out_shape[-1]
    model = clf.load_classifier(classifier_path)
    real = reference_set("train", size, classifier_path)
    rows, first, shares = [], None, []
    for s in seed_list:
        fake = _digit_samples(gen, n, s, model, progress)
        first = fake if first is None else first
        rows.append(run_metrics(MetricInput("digits", fake, real, seed=s)))
        shares.append(img.class_shares(fake.probs))
    card = clf.classifier_card(classifier_path)
    out = {
        "kind": "images",
        "available": True,
        "data": cfg.data.name,
        "n": n,
        "seeds": seed_list,
        "conditional": bool(gen.n_classes),
        "image_size": size,
        "reference": f"mnist5k training split ({len(real):,} digits)",
        "classifier": {"path": str(classifier_path or clf.DEFAULT_PATH),
                       "heldout_accuracy": card.get("heldout_accuracy")},
        **_aggregate(rows),
        "class_shares": shares,
    }
    if spread > 1 and len(seed_list) == 1:  # repeated draws: more sample sets of n, measured alike
        more = [seed_list[0] + i for i in range(1, spread)]
        sets = rows + [run_metrics(MetricInput("digits", _digit_samples(gen, n, s, model, progress), real, seed=s))
                       for s in more]
        out["spread"] = {"how": f"the standard deviation over {spread} sets of {n:,} samples (seeds "
                                f"{seed_list[0]}-{more[-1]}), the first of them the one reported",
                         "sets": spread, "n": n, "seeds": seed_list + more, "se": _sd(sets)}
    if floor:
        out["floor"] = {"what": "mnist5k held-out digits (500) vs training digits", "n": FLOOR_N,
                        **digits_floor(size, seed_list[0], classifier_path)}
        if spread > 1:
            out["floor"]["spread"] = digits_floor_spread(size, seed_list[0], FLOOR_RESAMPLES, classifier_path)
            compared = at_floor_size(first, real, FLOOR_N, AT_FLOOR_SETS, seed_list[0])
            if compared is not None:
                out["at_floor_n"] = compared
    if memorisation:  # the first seed's samples: nearest training digits against the held-out curve
        from ganplay.metrics.memorisation import memorisation_check

        out["memorisation"] = memorisation_check(gen, n, seed_list[0], classifier_path, features=first.features)
    return out


def _evaluate_points(gen, seed: int, seeds, floor: bool) -> dict:
    cfg = gen.config
    modes = modes_of(cfg)
    drawn = cfg.data.name == DRAWN_DATASET
    seed_list = _seed_list(seed, seeds, POINT_SEEDS)
    rows, real_rows, where = [], [], []
    for s in seed_list:
        with _seeded(s, gen.device):
            x = gen.generate(gen.noise(pts.PROTOCOL_N, s))
        row = pts.mode_metrics(x, modes.centres, modes.std)
        where.append(pts.where_samples_sit(x, modes.centres, modes.std))
        if drawn:  # found modes say less than known ones: the k-NN view of the same samples
            row.update(img.prdc(*img.equal_size(_real_points(cfg, pts.PROTOCOL_N, s).x, x.float().cpu(), s)))
        rows.append(row)
        if floor:
            real = (_real_points(cfg, pts.PROTOCOL_N, s + 1).x if drawn
                    else mixture(cfg.data.name).sample(pts.PROTOCOL_N, torch.Generator().manual_seed(s)))
            real_row = pts.mode_metrics(real, modes.centres, modes.std)
            if drawn:
                real_row.update(img.prdc(*img.equal_size(_real_points(cfg, pts.PROTOCOL_N, s).x, real, s)))
            real_rows.append(real_row)
    agg = lambda rs: {k: pts.mean_stderr([r[k] for r in rs]) for k in rs[0]}  # noqa: E731
    std = modes.std.tolist() if isinstance(modes.std, torch.Tensor) else modes.std
    out = {
        "kind": "points",
        "available": True,
        "data": cfg.data.name,
        "n": pts.PROTOCOL_N,
        "seeds": seed_list,
        "n_modes": len(modes.centres),
        "std": std,
        "hq_radius": [pts.HQ_STDS * v for v in std] if isinstance(std, list) else pts.HQ_STDS * std,
        **agg(rows),
        "where": {"centres": modes.centres.tolist(), "seeds": where},
    }
    if drawn:
        out["modes_found"] = ("k-means on the drawn points; k " + (f"set by data.modes ({cfg.data.modes})"
                              if cfg.data.modes else "picked by the best silhouette score (2-12; 1 when none reaches 0.5)"))
    if floor:
        what = "another draw from the set's own points" if drawn else f"samples of the true {cfg.data.name} mixture"
        out["floor"] = {"what": what, **agg(real_rows)}
    return out


def _real_points(cfg: Config, n: int, seed: int) -> SampleSet | None:
    """Drawn data: n of its points (with replacement when the set is smaller), seeded; None for
    mixtures, whose modes are known."""
    if cfg.data.name != DRAWN_DATASET:
        return None
    x = torch.from_numpy(read_points(cfg.data.path).xy)
    idx = torch.randint(len(x), (n,), generator=torch.Generator().manual_seed(seed))
    return SampleSet(x=x[idx])


def _stacked_probs(gen, n: int, seed: int, model, progress: bool) -> Tensor:
    z = gen.noise(n, seed)
    out = []
    bar = _bar(n, f"seed {seed}: generate + classify 3 channels", progress)
    try:
        with _seeded(seed, gen.device):
            for i in range(0, n, CHUNK):
                out.append(stk.channel_probs(model, gen.generate(z[i:i + CHUNK])))
                if bar is not None:
                    bar.update(len(out[-1]))
    finally:
        if bar is not None:
            bar.close()
    return torch.cat(out)


def stacked_floor(classifier_path=None) -> dict[str, float]:
    """Modes and KL of the Stacked MNIST training images through the same classifier."""
    data = stacked_mnist(28)
    probs = stk.channel_probs(clf.load_classifier(classifier_path), data.x[:stk.PROTOCOL_N])
    return {"n": min(len(data), stk.PROTOCOL_N), **stk.stacked_mode_metrics(probs)}


def _evaluate_stacked(gen, seed: int, seeds, floor: bool, progress: bool, classifier_path) -> dict:
    seed_list = _seed_list(seed, seeds, 1)
    model = clf.load_classifier(classifier_path)
    rows = [run_metrics(MetricInput("stacked", SampleSet(probs=_stacked_probs(
        gen, stk.PROTOCOL_N, s, model, progress)), seed=s)) for s in seed_list]
    out = {
        "kind": "stacked",
        "available": True,
        "data": gen.config.data.name,
        "n": stk.PROTOCOL_N,
        "seeds": seed_list,
        "n_modes": stk.N_MODES,
        **_aggregate(rows),
    }
    if floor:
        out["floor"] = {"what": "Stacked MNIST training images", **stacked_floor(classifier_path)}
    return out


# ---------------------------------------------------------------------------------------------
# cheap metrics for the trainer
# ---------------------------------------------------------------------------------------------
@torch.no_grad()
def _evaluate_translation(gen, classifier_path=None) -> dict:
    """An image-to-image model on the held-out digits (each metric's mean and its standard error over
    the digits); the floor is the true digits themselves
    (the classifier's reading of them; PSNR and SSIM of a digit with itself are not numbers), and
    a super-resolution model is set beside bicubic interpolation of the same inputs."""
    from ganplay.metrics import classifier as clf
    from ganplay.metrics.translation import bicubic, heldout_pairs, scores, translation_metrics

    pairs = heldout_pairs(gen.config)
    inputs, truth, labels = pairs
    result = {"kind": "translation", "available": True, "data": gen.config.data.name, "n": len(inputs),
              "seeds": [0], "reference": "the true held-out digits",
              **translation_metrics(gen.G, gen.config, classifier_path=classifier_path, spread=True, pairs=pairs)}
    model = clf.load_classifier(classifier_path, device=gen.device) if labels is not None else None
    if model is not None:
        real = scores(truth, truth, labels, model, spread=True)
        result["floor"] = {"label_acc": real["label_acc"], "confidence": real["confidence"]}
    if gen.config.g_input == "lowres":  # the classical answer to the same inputs
        result["bicubic"] = scores(bicubic(inputs, truth.shape[-2:]), truth, labels, model, spread=True)
    return result


@torch.no_grad()  # a trainer calls it mid-run, with gradients on
def cheap_metrics(G: torch.nn.Module, cfg: Config, n: int | None = None, seed: int = 0,
                  classifier_path=None) -> dict[str, float]:
    """A few fast numbers for periodic logging, as a flat dict of floats.

    ring8/grid25 (2,500 samples): `modes`, `hq`, `kl`. mnist5k/mnist (1,000 samples): `classes`,
    `class_kl`, `confidence`, `class_min_share`, and `label_acc` when G is conditional. stacked-mnist (5,000 samples, fewer than the
    protocol's 26,000, so `modes` reads low): `modes`, `kl`. Image-to-image models (srgan,
    pix2pix): `psnr`, `ssim`, `label_acc` on held-out digits (`translation.py`). Other data: {}.
    The noise is fixed by `seed`, so successive calls differ only because G changed. G is put in
    eval mode for the call and restored; torch's global RNG state is left as it was; runs on G's
    device; no gradients.
    """
    G = getattr(G, "module", G)  # DDP
    if cfg.g_input != "noise":
        from ganplay.metrics.translation import translation_metrics

        return translation_metrics(G, cfg, classifier_path=classifier_path)
    out_shape = tuple(getattr(G, "out_shape", ()))
    kind, _ = data_kind(cfg, out_shape[0] if len(out_shape) == 3 else None)
    if kind is None:
        return {}
    n = n or CHEAP_N[kind]
    device = next(G.parameters()).device
    z = torch.randn(n, G.z_dim, generator=torch.Generator().manual_seed(seed)).to(device)
    labels = (torch.arange(n) % G.n_classes).to(device) if G.n_classes else None
    was_training = G.training
    G.eval()
    try:
        with _seeded(seed, device), torch.autocast(device.type, enabled=False):
            if kind == "points":
                modes = modes_of(cfg)
                x = G(z, labels).float()
                inp = MetricInput("points", SampleSet(x=x.cpu()), real=_real_points(cfg, len(x), seed),
                                  centres=modes.centres, std=modes.std)
            elif kind == "stacked":
                model = clf.load_classifier(classifier_path, device=device)
                probs = [stk.channel_probs(model, G(z[i:i + 500]).float()) for i in range(0, n, 500)]
                inp = MetricInput("stacked", SampleSet(probs=torch.cat(probs)))
            else:
                model = clf.load_classifier(classifier_path, device=device)
                probs = []
                for i in range(0, n, 500):
                    x = G(z[i:i + 500], labels[i:i + 500] if labels is not None else None).float()
                    probs.append(model.head(model.features(x)).softmax(1).float().cpu())
                inp = MetricInput("digits", SampleSet(probs=torch.cat(probs),
                                                      labels=labels.cpu() if labels is not None else None))
    finally:
        G.train(was_training)
    return {k: float(v) for k, v in run_metrics(inp, cheap_only=True).items()}


# ---------------------------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------------------------
ROWS = {  # key: (format, what it means)
    "modes": ("{:.2f}", "modes with >= 1 high-quality sample (higher is better)"),
    "hq": ("{:.1%}", "samples within 3 std of their nearest centre"),
    "kl": ("{:.3f}", "reverse KL of the nearest-centre histogram from uniform (0 is even)"),
    "label_acc": ("{:.1%}", "samples asked for digit k classified as k (image-to-image: answers read "
                  "as the true digit)"),
    "psnr": ("{:.2f}", "image-to-image: dB of pixel agreement with the true digit (higher is closer)"),
    "ssim": ("{:.3f}", "image-to-image: structural similarity with the true digit (1 is identical)"),
    "confidence": ("{:.1%}", "the classifier's mean top probability on the samples (image-to-image: on "
                   "the answers): how plainly each reads as a digit"),
    "classes": ("{:.0f}", "digits with >= 1% of the samples (of 10)"),
    "class_kl": ("{:.3f}", "KL(class histogram || uniform): 0 even, 2.303 one digit"),
    "class_min_share": ("{:.1%}", "the rarest digit's share of the samples (an even share is 10%)"),
    "fid": ("{:.2f}", "Fréchet distance, classifier features (lower is better)"),
    "kid": ("{:.4f}", "kernel distance, classifier features (lower is better)"),
    "is": ("{:.2f}", "Inception Score with the MNIST classifier (max 10)"),
    "precision": ("{:.3f}", "share of samples on the real manifold (k=3)"),
    "recall": ("{:.3f}", "share of real samples on the generated ones' manifold (k=3)"),
    "density": ("{:.3f}", "real neighbourhoods per sample / k (k=5; ~1 real-like)"),
    "coverage": ("{:.3f}", "share of real samples with a generated one nearby (k=5)"),
}


def _cell(value, fmt: str, se: float | None = None) -> str:
    """A value as the report prints it, with its standard error when it has one (a {"mean",
    "stderr"} dict's, or `se` from a spread block)."""
    if value is None:
        return "-"
    if isinstance(value, dict):
        mean, se = value["mean"], value["stderr"]
        return f"{fmt.format(mean)} ± {fmt.format(se)}"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return fmt.format(value) + ("" if se is None else f" ± {fmt.format(se)}")


def format_report(result: dict, title: str = "") -> str:
    """An aligned text table of an `evaluate` result: metric, value, real-data floor, meaning."""
    lines = [title] if title else []
    if not result.get("available", False):
        lines.append(f"metrics not available: {result.get('reason')}")
        return "\n".join(lines)
    if result["kind"] == "points":
        seeds = result["seeds"]
        radius = result["hq_radius"]
        radius = (f"{radius:.3g}" if not isinstance(radius, list) else
                  f"{min(radius):.3g}-{max(radius):.3g}, by mode")
        lines.append(f"{result['data']}: {result['n']:,} samples x {len(seeds)} seeds "
                     f"(mean ± standard error); {result['n_modes']} modes, high quality within "
                     f"{radius} (3 std)")
        if "modes_found" in result:
            lines.append(f"modes found by {result['modes_found']}")
    elif result["kind"] == "stacked":
        lines.append(f"{result['data']}: {result['n']:,} samples, seed(s) "
                     f"{', '.join(map(str, result['seeds']))}; 1,000 modes (digit triples), each "
                     f"channel read by the bundled classifier; floor: the training stacks")
    else:
        lines.append(f"{result['data']}: {result['n']:,} samples, seed(s) {', '.join(map(str, result['seeds']))}; "
                     f"reference: {result['reference']}; floor: 500 held-out real digits")
    from ganplay.zoo import NOISE_Z, at_floor, within_noise

    floor = result.get("floor", {})
    keys = [k for k in ROWS if k in result]
    compared = result.get("at_floor_n")  # the model measured at the floor's size
    rows = [("metric", "generated") + ((f"at {compared['n']}",) if compared else ()) + ("real floor", "meaning")]
    se, floor_se = ((d.get("spread") or {}).get("se") or {} for d in (result, floor))
    marked = False
    for k in keys:
        fmt, meaning = ROWS[k]
        value = _cell(result[k], fmt, se.get(k))
        if k == "modes":
            value += f" / {result['n_modes']}"
        if within_noise(result, k):
            value += " ≈"
            marked = True
        level = at_floor(result, k)
        same_size = ((_cell(level[0], fmt, level[1]) if level else "-",) if compared else ())
        rows.append((k, value) + same_size + (_cell(floor.get(k), fmt, floor_se.get(k)), meaning))
    cols = len(rows[0]) - 1
    widths = [max(len(r[i]) for r in rows) for i in range(cols)]
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r[:cols], widths)) + "  " + r[cols])
    hows = [f"{who}{d['spread']['how']}" for who, d in (("", result), ("the floor's: ", floor)) if d.get("spread")]
    if hows:
        lines.append("± standard errors; " + "; ".join(hows))
    if compared:
        lines.append(f"at {compared['n']}: the model as the floor is measured, {compared['how']} (mean ± its "
                     "standard error): FID, KID and the nearest-neighbour metrics depend on the sample size")
    if marked:
        lines.append(f"≈ within noise of real data: the model's interval ({'at the floor size, ' if compared else ''}"
                     f"± {NOISE_Z:g} standard errors) overlaps the floor's; differences inside these intervals "
                     "rank nothing")
    if result.get("memorisation"):
        from ganplay.metrics.memorisation import report_lines

        lines += report_lines(result["memorisation"])
    return "\n".join(lines)


def registered(kind: str | None = None) -> Iterable[str]:
    return [m.name for m in METRICS.values() if kind is None or kind in m.kinds]
