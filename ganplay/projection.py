"""Project a picture into a generator's latent space: the code whose image comes closest to it.

`project(gen, target, steps, space, label, progress)` searches z (any noise-to-image generator) or,
for StyleGAN-lite, w (one style for every layer) or w+ (one style per layer), and returns a
`Projection`: the code as an `explore.Latent` (so walks, maps, interpolations and the all-labels
row start from it), its picture, its error and the error at each step.

How: `CANDIDATES` seeded random z are drawn and scored against the target; the `STARTS` closest
are optimised side by side with Adam on the mean squared error (pixels in [-1, 1], the unit every
error here is in) and the best of them wins. z is kept in the generator's typical set by a small
penalty pulling |z| to sqrt(z_dim), where nearly all of a standard normal's mass lies. A w or w+
search starts from the best start's w and is pulled gently toward the mean w (`W_PULL`, in units
of w's spread), so it keeps to pictures the generator makes; w+ can still draw what no single w
draws (that is what it is for). Truncation is 1 throughout (the generator's full range). For a
conditional generator the label is an input: the one given, or else the digit the bundled
classifier reads in the target. Everything is seeded: the same call gives the same code on a CPU.

`project_many` projects a batch of targets at once (each independently: the loss is a sum over
targets and Adam works per coordinate), which is how `ganplay zoo build` measures the zoo cards'
`projection` numbers (`evaluate_projection`: 100 held-out digits).

The visitor's picture becomes a target through `ganplay.img2img`'s checks and MNIST preparation
(`target_from_picture`); bad input raises `ExploreError` (a ValueError) with a message for a person.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ganplay.explore import ExploreError, Latent, check_number, is_style, shown
from ganplay.img2img import mnist_like
from ganplay.sampling import LoadedGenerator

SPACES = ("z", "w", "w+")
DEFAULT_STEPS = 300
MAX_STEPS = 500
CANDIDATES = 64   # random z scored against the target
STARTS = 4        # of those, the closest are optimised side by side
LR = {"z": 0.05, "w": 0.02, "w+": 0.02}
Z_PULL = 0.01     # weight of (|z| / sqrt(d) - 1)^2
W_PULL = 0.001    # weight of the mean squared distance to the mean w, in units of w's spread
W_SPREAD_SAMPLES = 1024
PROGRESS_EVERY = 5
EVAL_N = 100      # held-out digits behind a zoo card's numbers
EVAL_BATCH = 25
BASELINE_SEEDS = 100

Progress = Callable[[int, int, float], None]  # (step, steps, best error so far)


@dataclass
class Projection:
    """One projected target: `latent` (kind, tensor, label), its `image` (1, C, H, W) in
    [-1, 1], `error` (MSE against the target), `history` (the best error after each step),
    `steps` and `seconds` (the whole call's)."""

    latent: Latent
    image: Tensor
    error: float
    history: list[float] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0

    @property
    def label(self) -> int | None:
        return self.latent.label


# -- checks -------------------------------------------------------------------------------------
def check_steps(steps) -> int:
    f = check_number(steps, f"steps must be a whole number 1..{MAX_STEPS}")
    if not math.isfinite(f) or f != int(f) or not 1 <= f <= MAX_STEPS:
        raise ExploreError(f"steps must be a whole number 1..{MAX_STEPS}, got {shown(steps)}")
    return int(f)


def check_space(gen: LoadedGenerator, space: str) -> str:
    space = str(space).lower()
    if space not in SPACES:
        raise ExploreError(f"the space to search is one of {', '.join(SPACES)}, got {shown(space)}")
    if space != "z" and not is_style(gen):
        raise ExploreError(f"{gen.config.model.arch} has no w space: search z (only StyleGAN-lite has w and w+)")
    return space


def check_generator(gen: LoadedGenerator) -> LoadedGenerator:
    if gen.is_points or gen.is_translator:
        raise ExploreError("only a generator that makes pictures from noise can be searched for a picture")
    return gen


def check_targets(gen: LoadedGenerator, targets: Tensor) -> Tensor:
    """(N, C, H, W) in [-1, 1] of the generator's picture shape, finite."""
    if not isinstance(targets, Tensor):
        raise ExploreError(f"the target must be a picture tensor, got {type(targets).__name__}")
    if targets.dim() == 3:
        targets = targets[None]
    if targets.dim() != 4 or tuple(targets.shape[1:]) != gen.out_shape or len(targets) == 0:
        raise ExploreError(f"the target must be pictures of shape (N, {', '.join(map(str, gen.out_shape))}); "
                           f"got {tuple(targets.shape)}")
    targets = targets.detach().float().cpu()
    if not bool(torch.isfinite(targets).all()):
        raise ExploreError("the target holds NaN or infinity")
    return targets.clamp(-1.0, 1.0)


def target_from_picture(gen: LoadedGenerator, picture: np.ndarray | None) -> Tensor:
    """A drawing or an uploaded picture (grey or RGB(A), any size img2img accepts) as the
    generator's target (1, C, H, W) in [-1, 1]: prepared as MNIST's digits were (ink cropped,
    scaled into 20 px, centred by mass), then resized and given the generator's channels."""
    digit = mnist_like(picture).float().div(127.5).sub(1.0)[None]  # (1, 1, 28, 28)
    c, h, w = gen.out_shape
    if (h, w) != tuple(digit.shape[-2:]):
        digit = F.interpolate(digit, size=(h, w), mode="bilinear", align_corners=False, antialias=True)
    return digit.expand(1, c, h, w).clone()


def classifier_labels(targets: Tensor) -> Tensor:
    """The digit the bundled MNIST classifier reads in each target (N,)."""
    from ganplay.metrics.classifier import load_classifier, prepare

    model = load_classifier()
    x = targets.mean(1, keepdim=True) if targets.shape[1] != 1 else targets
    with torch.no_grad():
        return model(prepare(x)).argmax(1).cpu()


def _check_labels(gen: LoadedGenerator, labels, targets: Tensor) -> Tensor | None:
    if not gen.n_classes:
        if labels is not None and any(v is not None for v in _as_list(labels)):
            raise ExploreError("this generator is unconditional: it takes no label")
        return None
    if labels is None or all(v is None for v in _as_list(labels)):
        if gen.n_classes != 10:
            raise ExploreError(f"choose the label (0..{gen.n_classes - 1}) to search under")
        return classifier_labels(targets)
    values = _as_list(labels)
    if len(values) != len(targets):
        raise ExploreError(f"{len(values)} labels for {len(targets)} targets")
    out = []
    for v in values:
        f = check_number(v, f"label must be a whole number 0..{gen.n_classes - 1}")
        if not math.isfinite(f) or f != int(f) or not 0 <= f < gen.n_classes:
            raise ExploreError(f"label must be 0..{gen.n_classes - 1}, got {shown(v)}")
        out.append(int(f))
    return torch.tensor(out, dtype=torch.long)


def _as_list(labels) -> list:
    if isinstance(labels, Tensor):
        return labels.reshape(-1).tolist()
    if isinstance(labels, (list, tuple)):
        return list(labels)
    return [labels]


# -- the search ---------------------------------------------------------------------------------
def project(gen: LoadedGenerator, target: Tensor, steps: int = DEFAULT_STEPS, space: str = "z",
            label: int | None = None, progress: Progress | None = None, seed: int = 0) -> Projection:
    """The code in `space` whose picture is closest to `target` (1, C, H, W) or (C, H, W) in
    [-1, 1]: see the module docstring. `progress(step, steps, error)` is called every few steps."""
    targets = check_targets(check_generator(gen), target)
    if len(targets) != 1:
        raise ExploreError(f"project takes one picture; got {len(targets)} (use project_many)")
    return project_many(gen, targets, steps, space, None if label is None else [label], progress, seed)[0]


def project_many(gen: LoadedGenerator, targets: Tensor, steps: int = DEFAULT_STEPS, space: str = "z",
                 labels=None, progress: Progress | None = None, seed: int = 0) -> list[Projection]:
    """`project` for N targets at once, each searched independently (labels: N values, or None)."""
    started = time.perf_counter()
    check_generator(gen)
    targets = check_targets(gen, targets)
    steps, space = check_steps(steps), check_space(gen, space)
    labels = _check_labels(gen, labels, targets)
    n, k = len(targets), STARTS
    G = gen.G
    device = gen.device
    rows = torch.arange(n).repeat_interleave(k)  # target of each optimised row
    row_labels = labels[rows] if labels is not None else None
    z0 = _best_starts(gen, targets, labels, seed, k)  # (n * k, z_dim)

    with _frozen(G):
        if space == "z":
            param = z0.clone().to(device).requires_grad_(True)
        else:
            with torch.no_grad():
                w0 = G.mapping(z0.to(device), row_labels.to(device) if row_labels is not None else None)
            if space == "w+":
                w0 = w0[:, None].repeat(1, G.num_ws, 1)
            param = w0.clone().requires_grad_(True)
            w_mean, w_spread = _w_stats(gen)
        goal = targets.to(device)[rows]
        opt = torch.optim.Adam([param], lr=LR[space])
        history: list[list[float]] = []
        best_err = torch.full((n * k,), float("inf"))
        best_param = param.detach().clone()
        for step in range(steps + 1):
            image = _draw(gen, space, param, row_labels)
            err = (image - goal).square().flatten(1).mean(1)  # per row
            with torch.no_grad():
                better = err.detach().cpu() < best_err
                best_err = torch.where(better, err.detach().cpu(), best_err)
                best_param[better.to(device)] = param.detach()[better.to(device)]
                per_target = best_err.reshape(n, k).min(1).values
                if step:
                    history.append(per_target.tolist())
            if step == steps:
                break  # the last step only scores where the previous update landed
            if space == "z":
                pull = Z_PULL * (param.norm(dim=1) / math.sqrt(param.shape[1]) - 1.0).square()
            else:
                pull = W_PULL * ((param - w_mean) / w_spread).square().flatten(1).mean(1)
            opt.zero_grad(set_to_none=True)
            (err + pull).sum().backward()  # a sum: every row's gradient is its own
            opt.step()
            if progress is not None and ((step + 1) % PROGRESS_EVERY == 0 or step + 1 == steps):
                progress(step + 1, steps, float(per_target.mean()))

    winners = best_err.reshape(n, k).argmin(1) + torch.arange(n) * k
    with torch.no_grad(), _frozen(G):
        images = _draw(gen, space, best_param[winners.to(device)],
                       row_labels[winners] if row_labels is not None else None).float().cpu()
    seconds = time.perf_counter() - started
    out = []
    for i in range(n):
        row = int(winners[i])
        lab = int(labels[i]) if labels is not None else None
        tensor = best_param[row : row + 1].detach().float().cpu().clone()
        err = float((images[i] - targets[i]).square().mean())
        out.append(Projection(Latent(space, tensor, lab), images[i : i + 1], err,
                              [h[i] for h in history], steps, seconds))
    return out


def _draw(gen: LoadedGenerator, space: str, param: Tensor, labels: Tensor | None) -> Tensor:
    G = gen.G
    if space == "z":
        return G(param, labels.to(param.device) if labels is not None and gen.n_classes else None)
    ws = param if space == "w+" else param[:, None].expand(-1, G.num_ws, -1)
    return G.synthesis(ws, noise_mode="const")


@torch.no_grad()
def _best_starts(gen: LoadedGenerator, targets: Tensor, labels: Tensor | None, seed: int, k: int) -> Tensor:
    """For each target, the `k` of `CANDIDATES` seeded random z whose pictures come closest."""
    z = torch.randn(CANDIDATES, gen.z_dim, generator=torch.Generator().manual_seed(seed))
    out = []
    cache: dict[int | None, Tensor] = {}
    for i, target in enumerate(targets):
        lab = int(labels[i]) if labels is not None else None
        if lab not in cache:
            y = torch.full((CANDIDATES,), lab, dtype=torch.long) if lab is not None else None
            cache[lab] = gen.generate(z, y)
        err = (cache[lab] - target[None]).square().flatten(1).mean(1)
        out.append(z[err.argsort()[:k]])
    return torch.cat(out)


_W_STATS: dict[tuple, tuple[Tensor, Tensor]] = {}


@torch.no_grad()
def _w_stats(gen: LoadedGenerator) -> tuple[Tensor, Tensor]:
    """The mean w and w's spread (root mean square distance to the mean, one number) over seeded
    samples, cached per generator."""
    key = (str(gen.source), gen.step, id(gen.G))
    if key not in _W_STATS:
        z = torch.randn(W_SPREAD_SAMPLES, gen.z_dim, generator=torch.Generator().manual_seed(1))
        y = torch.arange(W_SPREAD_SAMPLES) % gen.n_classes if gen.n_classes else None
        w = gen.G.mapping(z.to(gen.device), y.to(gen.device) if y is not None else None)
        mean = w.mean(0)
        _W_STATS[key] = (mean, (w - mean).square().sum(1).mean().sqrt() / math.sqrt(w.shape[1]))
    return _W_STATS[key]


class _frozen:
    """G in eval mode with its weights' gradients off for the duration (restored after)."""

    def __init__(self, G: torch.nn.Module) -> None:
        self.G = G

    def __enter__(self):
        self.flags = [p.requires_grad for p in self.G.parameters()]
        self.training = self.G.training
        self.G.eval()
        for p in self.G.parameters():
            p.requires_grad_(False)
        return self.G

    def __exit__(self, *exc) -> None:
        for p, flag in zip(self.G.parameters(), self.flags):
            p.requires_grad_(flag)
        self.G.train(self.training)


# -- how well a generator reproduces real digits (the zoo cards) --------------------------------
def random_seed_errors(gen: LoadedGenerator, targets: Tensor, labels: Tensor | None = None,
                       seeds: int = BASELINE_SEEDS) -> Tensor:
    """For each target, the lowest MSE among the pictures of seeds 0..seeds-1 (under its label):
    the baseline a projection has to beat."""
    targets = check_targets(gen, targets)
    z = torch.cat([gen.noise(1, s) for s in range(seeds)])
    out = []
    cache: dict[int | None, Tensor] = {}
    for i, target in enumerate(targets):
        lab = int(labels[i]) if labels is not None and gen.n_classes else None
        if lab not in cache:
            cache[lab] = gen.generate(z, torch.full((seeds,), lab) if lab is not None else None)
        out.append((cache[lab] - target[None]).square().flatten(1).mean(1).min())
    return torch.stack(out)


def _mean_se(values: Tensor) -> dict:
    v = values.double()
    se = float(v.std(unbiased=True) / math.sqrt(len(v))) if len(v) > 1 else 0.0
    return {"mean": round(float(v.mean()), 5), "stderr": round(se, 5)}


def heldout_digits(n: int = EVAL_N) -> tuple[Tensor, Tensor]:
    """The first `n` of MNIST-5k's 500 held-out digits (in [-1, 1]) and their labels."""
    from ganplay.config import Config
    from ganplay.data import load_dataset

    data = load_dataset(Config.from_dict({"data": {"name": "mnist5k"}}), "heldout")
    return data.x[:n].float().div(127.5).sub(1.0), data.labels[:n].clone()


def projection_what(n: int, conditional: bool) -> str:
    """What a card's `projection` numbers are, in a sentence."""
    return (f"{n} MNIST-5k held-out digits (never trained on) searched for; error: mean squared error per "
            "pixel, pixels in [-1, 1] (0 = identical; a blank picture against these digits scores 0.45); "
            "label agreement: the share of reconstructions the bundled classifier reads as the digit's true "
            "label" + ("; searched under each digit's true label, so the agreement mostly shows that the "
                       "generator draws the label it is given" if conditional else ""))


def evaluate_projection(gen: LoadedGenerator, n: int = EVAL_N, steps: int = DEFAULT_STEPS,
                        spaces: tuple[str, ...] | None = None, progress: Callable[[str], None] | None = None) -> dict:
    """A zoo card's `projection`: over `n` held-out digits, per space searched (z; for StyleGAN-lite
    also w and w+), the mean reconstruction error +- its standard error, the share the classifier
    reads as the digit's true label, the best-of-100-random-seeds error beside it, the steps and
    the seconds (the batch's, per digit; and one digit alone on one thread, as the panel runs it).
    Conditional generators are searched under each digit's true label."""
    from ganplay.metrics.classifier import load_classifier, prepare

    check_generator(gen)
    if gen.out_shape != (1, 28, 28):
        raise ExploreError(f"the projection numbers are measured on 28x28 grey digits; this generator "
                           f"makes {gen.out_shape}")
    spaces = spaces or (SPACES if is_style(gen) else ("z",))
    targets, truth = heldout_digits(n)
    labels = truth if gen.n_classes else None
    classifier = load_classifier()
    baseline = random_seed_errors(gen, targets, labels)
    result = {
        "what": projection_what(n, bool(gen.n_classes)),
        "n": n,
        "steps": steps,
        "random_seeds": {"seeds": BASELINE_SEEDS, "error": _mean_se(baseline)},
        "spaces": {},
    }
    threads = torch.get_num_threads()
    for space in spaces:
        started = time.perf_counter()
        found: list[Projection] = []
        for i in range(0, n, EVAL_BATCH):
            found += project_many(gen, targets[i:i + EVAL_BATCH], steps, space,
                                  labels[i:i + EVAL_BATCH] if labels is not None else None)
            if progress is not None:
                progress(f"{space}: {min(i + EVAL_BATCH, n)}/{n}")
        batch_s = time.perf_counter() - started
        torch.set_num_threads(1)
        try:
            one = project(gen, targets[:1], steps, space, int(labels[0]) if labels is not None else None)
        finally:
            torch.set_num_threads(threads)
        errors = torch.tensor([p.error for p in found])
        images = torch.cat([p.image for p in found])
        with torch.no_grad():
            read = classifier(prepare(images)).argmax(1).cpu()
        agree = (read == truth).double()
        result["spaces"][space] = {
            "error": _mean_se(errors),
            "label_agreement": _mean_se(agree),
            "beats_best_random_seed": round(float((errors < baseline).double().mean()), 3),
            "seconds_per_digit_batched": round(batch_s / n, 3),
            "seconds_one_digit_one_thread": round(one.seconds, 2),
        }
    return result
