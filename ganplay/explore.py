"""Latent-space exploration for the panel (no UI here): walks, directions, maps, labels, mixing.

A *latent point* is what the generator's synthesis reads: z for DCGAN/WGAN (truncated noise when
psi < 1), w for StyleGAN-lite (mapped from z and the label, then truncated toward the mean w).
`encode` makes one from a seed, `render` turns a batch of them into images, so every operation
below (directions, 2D maps, interpolation) works the same for both kinds of generator.

A walk, a map, an interpolation or the all-labels row starts from a seed or from a `Latent`: a
code found by `ganplay.projection` (z for any generator; w, one style for every layer, or w+, one
per layer, for StyleGAN-lite), which the panel keeps per visitor. `point` turns either into the
latent point; a w+ point is (1, num_ws, w_dim), and the directions move every layer alike.

- Directions are GANSpace-style principal directions, computed once per generator and cached:
  PCA over many sampled w for StyleGAN-lite; for z-only generators (where PCA over an isotropic z
  would give arbitrary directions) the principal components of the generated images, regressed
  back onto z, so the first direction is the one that changes the pictures most.
- Every request is bounded (frames <= MAX_FRAMES, grid side <= MAX_GRID, seeds 0..MAX_SEED);
  out-of-range input raises `ExploreError` (a ValueError) with a message fit for a person.
- Everything runs batched under `torch.inference_mode()`; helpers turn image tensors into PIL
  grids, strips and GIF bytes.
"""

from __future__ import annotations

import io
import math
import re
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from ganplay.sampling import LoadedGenerator, SamplingError, load_generator, nonfinite_warning
from ganplay.train.checkpoint import missing_checkpoint
from ganplay.train.rundir import NoCheckpointError, RunDir, runs_root
from ganplay.zoo import cards, has_card, weights_path

MAX_SEED = 2**31 - 1
MAX_FRAMES = 64
MAX_GRID = 12
MAX_DIRECTIONS = 16
MAX_SCALE = 16
MODES = ("linear", "spherical")
PCA_SAMPLES = 2048
MAX_CACHED = 12
PCA_SEED = 20240601


class ExploreError(ValueError):
    """Bad input to an exploration request; the message says what is allowed."""


# -- validation ---------------------------------------------------------------------------------
def check_number(value, wanted: str) -> float:
    """`value` as a float, else ExploreError("{wanted}, got <value>"). Every visitor's number goes
    through here: text, None, lists and ints too big for a float (OverflowError) alike."""
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise ExploreError(f"{wanted}, got {shown(value)}") from None


def check_seed(seed) -> int:
    value = check_number(seed, f"seed must be a whole number 0..{MAX_SEED}")
    if not math.isfinite(value) or value != int(value) or not 0 <= value <= MAX_SEED:
        raise ExploreError(f"seed must be a whole number 0..{MAX_SEED}, got {shown(seed)}")
    return int(value)


def check_frames(n) -> int:
    n = check_whole(n, "frames")
    if not 2 <= n <= MAX_FRAMES:
        raise ExploreError(f"frames must be 2..{MAX_FRAMES}, got {shown(n)}")
    return n


def check_grid(side, what: str = "grid side") -> int:
    side = check_whole(side, what)
    if not 1 <= side <= MAX_GRID:
        raise ExploreError(f"{what} must be 1..{MAX_GRID}, got {shown(side)}")
    return side


def check_truncation(psi) -> float:
    psi = check_number(psi, "truncation must be a number 0..1")
    if not 0.0 <= psi <= 1.0:
        raise ExploreError(f"truncation must be 0..1, got {shown(psi)}")
    return psi


def check_extent(extent) -> float:
    """How far a latent map reaches from its centre, in standard deviations."""
    value = check_number(extent, "extent must be a number of standard deviations")
    if not 0 < value <= 10:
        raise ExploreError(f"extent must be in (0, 10] standard deviations, got {shown(extent)}")
    return value


def check_mode(mode: str) -> str:
    mode = str(mode).lower()
    if mode in ("lerp", "slerp"):
        mode = {"lerp": "linear", "slerp": "spherical"}[mode]
    if mode not in MODES:
        raise ExploreError(f"interpolation must be one of {', '.join(MODES)}, got {shown(mode)}")
    return mode


def check_label(gen: LoadedGenerator, label) -> int | None:
    """None for unconditional generators; for conditional ones a valid class index (default 0)."""
    if not gen.n_classes:
        return None
    if label is None or label == "":
        return 0
    label = check_whole(label, "label")
    if not 0 <= label < gen.n_classes:
        raise ExploreError(f"label must be 0..{gen.n_classes - 1}, got {shown(label)}")
    return label


def check_whole(value, what: str) -> int:
    f = check_number(value, f"{what} must be a whole number")
    if not math.isfinite(f) or f != int(f):
        raise ExploreError(f"{what} must be a whole number, got {shown(value)}")
    return int(f)


# -- generators (loaded once) -------------------------------------------------------------------
_LOCK = threading.Lock()
# least recently used first: a sweep through a run's checkpoints (the timeline) no longer pushes
# out the generator a visitor is walking (a FIFO made each walk after a sweep reload it, 25x slower)
_GENERATORS: dict[tuple[str, float], LoadedGenerator] = {}
# a generator's directions live as long as its network: keyed by the module itself (weakly), so an
# evicted generator's entry goes with it and a new network never inherits an old one's by its id
_DIRECTIONS: "weakref.WeakKeyDictionary[torch.nn.Module, Directions]" = weakref.WeakKeyDictionary()
# One computation of directions at a time: visitors who arrive together wait for it instead of
# each computing the same PCA (20 at once starved the panel for seconds).
_DIRECTIONS_BUILD = threading.Lock()


RUN_PREFIX = "runs/"  # a run is named by its folder under the runs folder: runs/<run id>
_ZOO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def zoo_names() -> list[str]:
    """The zoo models (pretrained/NAME.safetensors with a card) the panel accepts by name."""
    return [card["name"] for card in cards()]


def _refusal(name) -> ExploreError:
    return ExploreError(
        f"unknown generator {_short(name)}: the panel takes a zoo model's name "
        f"({', '.join(zoo_names())}) or a run in the runs folder as {RUN_PREFIX}<run id> (the "
        "Generator list shows them); it opens no other file")


def _short(value) -> str:
    return shown(str(value))


def shown(value) -> str:
    """A visitor's value as an error message quotes it: a crafted call may send a 100 kB string or
    a 300-digit number, which the message should not echo back whole."""
    text = repr(value)
    return text if len(text) <= 80 else text[:70] + "..."


def run_dir(name: str, root: str | Path | None = None) -> Path:
    """The run directory `runs/<run id>` names, inside the runs folder (`rundir.runs_root`) and only
    there: no absolute path, no `..`, no symlink out of it."""
    text = str(name or "")
    rel = text[len(RUN_PREFIX):] if text.startswith(RUN_PREFIX) else None
    parts = PurePosixPath(rel).parts if rel else ()
    if not parts or rel.startswith("/") or any(p in ("..", ".") or "\\" in p or "\0" in p for p in parts):
        raise _refusal(name)
    base = runs_root(root).expanduser().resolve()
    path = base.joinpath(*parts).resolve()
    if not path.is_relative_to(base) or path == base:
        raise _refusal(name)
    if not RunDir(path).is_run():
        raise ExploreError(f"no run {rel!r} in the runs folder (runs finished since this page was "
                           "opened appear after a reload)")
    return path


def resolve_name(name) -> Path:
    """The checkpoint file a generator name stands for: a zoo model's weights, or a run's newest
    checkpoint. Anything else (a server path above all) is refused with what is accepted."""
    text = str(name or "").strip()
    if not text:
        raise ExploreError("choose a generator")
    if text.startswith(RUN_PREFIX):
        try:
            return RunDir(run_dir(text)).require_checkpoint(text)
        except NoCheckpointError as exc:
            raise ExploreError(str(exc)) from None
    if _ZOO_NAME.fullmatch(text) and has_card(text):
        return weights_path(text)
    raise _refusal(name)


def get_generator(name: str) -> LoadedGenerator:
    """The noise-to-image generator a name (`resolve_name`) stands for, loaded once. Refuses 2D
    generators and image-to-image models (they have no latent space to walk)."""
    return noise_generator(cached_generator(resolve_name(name), str(name)), name)


def noise_generator(gen: LoadedGenerator, name: str) -> LoadedGenerator:
    """`gen`, unless it is an image-to-image model: that has no latent space to walk."""
    if gen.is_translator:
        raise ExploreError(f"{name} answers an input image and has no noise to explore: try it in the "
                           "Image to image tab")
    return gen


def cached_generator(path: Path, label: str | None = None) -> LoadedGenerator:
    """`load_generator` on a checkpoint path the server resolved itself (never a visitor's text),
    cached by path and mtime. Refuses 2D generators and ones whose weights or outputs hold NaN."""
    try:
        key = (str(Path(path).resolve()), Path(path).stat().st_mtime)
    except FileNotFoundError:  # listed a moment ago, then removed by the run's checkpoint rotation
        raise missing_checkpoint(path) from None
    except OSError as exc:
        raise ExploreError(f"cannot read {Path(path).name}: {exc.strerror}") from None
    label = label or Path(path).name
    with _LOCK:
        gen = _GENERATORS.pop(key, None)
        if gen is not None:
            _GENERATORS[key] = gen  # now the most recently used
        else:
            try:
                gen = load_generator(path)
            except SamplingError:
                if not Path(path).exists():  # removed while it was being read
                    raise missing_checkpoint(path) from None
                raise
            if gen.is_points:
                raise ExploreError(f"{label} makes 2D points, not images: explore it in the Playground")
            probe = gen.translate(torch.zeros(2, *gen.G.in_shape)) if gen.is_translator else gen.sample(2, seed=0)[0]
            broken = not all(bool(torch.isfinite(p).all()) for p in gen.G.parameters())
            if broken or nonfinite_warning(probe):
                raise ExploreError(f"{label}: {nonfinite_warning(probe) or 'its weights hold NaN'}")
            _GENERATORS[key] = gen
            while len(_GENERATORS) > MAX_CACHED:  # a timeline visits many checkpoints
                _GENERATORS.pop(next(iter(_GENERATORS)))
    return gen


def is_style(gen: LoadedGenerator) -> bool:
    return gen.has_w_truncation and hasattr(gen.G, "mapping") and hasattr(gen.G, "synthesis")


# -- latent points ------------------------------------------------------------------------------
LATENT_KINDS = ("z", "w", "w+")


@dataclass(frozen=True)
class Latent:
    """A latent code to start from instead of a seed: `kind` "z" (the noise, (1, z_dim)), "w"
    (StyleGAN-lite's style, (1, w_dim), the same for every layer) or "w+" (one style per layer,
    (1, num_ws, w_dim)); `label` is the class it was found under (conditional generators)."""

    kind: str
    tensor: Tensor
    label: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in LATENT_KINDS:
            raise ExploreError(f"a latent code is one of {', '.join(LATENT_KINDS)}, got {self.kind!r}")
        want = 3 if self.kind == "w+" else 2
        if not isinstance(self.tensor, Tensor) or self.tensor.dim() != want or len(self.tensor) != 1:
            raise ExploreError(f"a {self.kind} code has shape (1, {'num_ws, ' if want == 3 else ''}d)")


def check_latent(gen: LoadedGenerator, latent: Latent) -> Latent:
    """`latent` fits `gen`: its kind, its size, finite numbers."""
    if not isinstance(latent, Latent):
        raise ExploreError(f"expected a latent code, got {type(latent).__name__}")
    style = is_style(gen)
    if latent.kind != "z" and not style:
        raise ExploreError(f"a {latent.kind} code needs a StyleGAN-lite generator; this one takes z")
    want = {"z": (1, gen.z_dim)}
    if style:
        want.update({"w": (1, gen.G.w_dim), "w+": (1, gen.G.num_ws, gen.G.w_dim)})
    if tuple(latent.tensor.shape) != want[latent.kind]:
        raise ExploreError(f"this {latent.kind} code has shape {tuple(latent.tensor.shape)}; the generator "
                           f"takes {want[latent.kind]} (a code found for another generator?)")
    if not bool(torch.isfinite(latent.tensor).all()):
        raise ExploreError("the latent code holds NaN or infinity")
    return latent


def _labels(gen: LoadedGenerator, label: int | None, n: int) -> Tensor | None:
    if not gen.n_classes:
        return None
    return torch.full((n,), 0 if label is None else int(label), dtype=torch.long)


@torch.inference_mode()
def latents_from_z(gen: LoadedGenerator, z: Tensor, labels: Tensor | None, truncation: float = 1.0) -> Tensor:
    """z -> the latent point `render` reads: w (truncated) for StyleGAN-lite, z itself otherwise."""
    if not is_style(gen):
        return z
    w = gen.G.mapping(z.to(gen.device), labels.to(gen.device) if labels is not None else None)
    return gen.G.truncate(w, truncation, labels).float().cpu()


def seed_noise(gen: LoadedGenerator, seeds: list[int], truncation: float = 1.0) -> Tensor:
    """One z per seed, each exactly `gen.noise(1, seed, truncation)`."""
    return torch.cat([gen.noise(1, check_seed(s), truncation) for s in seeds])


def encode(gen: LoadedGenerator, seed: int, label: int | None = None, truncation: float = 1.0) -> Tensor:
    """The latent point (1, d) for a seed (and label): see the module docstring."""
    truncation = check_truncation(truncation)
    z = seed_noise(gen, [seed], truncation)
    return latents_from_z(gen, z, _labels(gen, label, 1), truncation)


@torch.inference_mode()
def point(gen: LoadedGenerator, origin, label: int | None = None, truncation: float = 1.0) -> Tensor:
    """The latent point a seed or a `Latent` stands for: `encode` for a seed; a Latent's z is
    mapped like a seed's (non-StyleGAN z: clipped to +-3 psi under truncation psi < 1, the seeds'
    truncated normal's range), its w or w+ pulled toward the mean w (its class's, if it has one)."""
    if not isinstance(origin, Latent):
        return encode(gen, check_seed(origin), label, truncation)
    latent, truncation = check_latent(gen, origin), check_truncation(truncation)
    t = latent.tensor.detach().float().cpu()
    if latent.kind == "z":
        if is_style(gen):
            return latents_from_z(gen, t, _labels(gen, label, 1), truncation)
        return t if truncation >= 1.0 else t.clamp(-3.0 * truncation, 3.0 * truncation)
    own = torch.tensor([latent.label]) if latent.label is not None and gen.n_classes else None
    flat = t.reshape(-1, t.shape[-1])
    own = own.expand(len(flat)) if own is not None else None
    return gen.G.truncate(flat.to(gen.device), truncation, own).float().cpu().reshape(t.shape)


def _same_rank(points: list[Tensor], gen: LoadedGenerator) -> list[Tensor]:
    """w points (1, d) beside w+ points (1, num_ws, d): all as w+ (a w repeated per layer draws the
    same picture), so they go through one pass."""
    if not any(p.dim() == 3 for p in points):
        return points
    return [p if p.dim() == 3 else p[:, None].expand(-1, gen.G.num_ws, -1) for p in points]


@torch.inference_mode()
def render(gen: LoadedGenerator, latents: Tensor, labels: Tensor | None = None, batch_size: int = 128) -> Tensor:
    """Latent points (B, d) -> images (B, C, H, W) in [-1, 1], batched, deterministic. For
    StyleGAN-lite, w+ points (B, num_ws, w_dim) too."""
    if not is_style(gen):
        if gen.n_classes and labels is None:
            labels = torch.zeros(len(latents), dtype=torch.long)
        return gen.generate(latents, labels)
    out = []
    for i in range(0, len(latents), batch_size):
        w = latents[i : i + batch_size].to(gen.device)
        ws = w if w.dim() == 3 else w[:, None].repeat(1, gen.G.num_ws, 1)
        out.append(gen.G.synthesis(ws, noise_mode="const").float().cpu())
    return torch.cat(out) if out else torch.empty(0, *gen.out_shape)


# -- interpolation ------------------------------------------------------------------------------
def lerp(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """a, b (d,) or (1, d); t (n,) -> (n, d)."""
    a, b, t = a.reshape(1, -1), b.reshape(1, -1), t.reshape(-1, 1).to(a.dtype)
    return a + (b - a) * t


def slerp(a: Tensor, b: Tensor, t: Tensor, eps: float = 1e-6) -> Tensor:
    """Spherical interpolation on the great circle through a and b, with the norm interpolated
    linearly (so it works for w too); falls back to lerp for (anti)parallel endpoints."""
    a, b, t = a.reshape(1, -1), b.reshape(1, -1), t.reshape(-1, 1).to(a.dtype)
    na, nb = a.norm(), b.norm()
    if na < eps or nb < eps:
        return lerp(a, b, t)
    ua, ub = a / na, b / nb
    cos = (ua * ub).sum().clamp(-1.0, 1.0)
    omega = torch.arccos(cos)
    so = torch.sin(omega)
    if so.abs() < eps:
        return lerp(a, b, t)
    direction = (torch.sin((1 - t) * omega) * ua + torch.sin(t * omega) * ub) / so
    return direction * (na + (nb - na) * t)


def interpolate(a: Tensor, b: Tensor, frames: int, mode: str = "spherical") -> Tensor:
    """`frames` points from a to b (both ends included)."""
    frames, mode = check_frames(frames), check_mode(mode)
    t = torch.linspace(0.0, 1.0, frames)
    return (slerp if mode == "spherical" else lerp)(a, b, t)


def interpolation(gen: LoadedGenerator, seed_a, seed_b: int, frames: int = 8, mode: str = "spherical",
                  label: int | None = None, truncation: float = 1.0) -> Tensor:
    """Images (frames, C, H, W) walking from seed_a (a seed or a `Latent`) to seed_b. The walk is
    in z (where the prior is Gaussian, so slerp keeps the norm typical) and, for StyleGAN-lite,
    mapped and truncated to w. From a w or w+ code it is a straight line in w (to seed_b's w,
    repeated per layer for w+), whatever `mode` says: w's distribution is no sphere."""
    frames, mode, truncation = check_frames(frames), check_mode(mode), check_truncation(truncation)
    label = check_label(gen, label)
    labels = _labels(gen, label, frames)
    if isinstance(seed_a, Latent) and check_latent(gen, seed_a).kind != "z":
        a = point(gen, seed_a, label, truncation)
        b = _same_rank([a, encode(gen, check_seed(seed_b), label, truncation)], gen)[1]
        pts = interpolate(a, b, frames, "linear").reshape(frames, *a.shape[1:])
        return render(gen, pts, labels)
    if isinstance(seed_a, Latent):
        za = seed_a.tensor.detach().float().cpu()
        if not is_style(gen) and truncation < 1.0:
            za = za.clamp(-3.0 * truncation, 3.0 * truncation)
        z = torch.cat([za, seed_noise(gen, [seed_b], truncation)])
    else:
        z = seed_noise(gen, [seed_a, seed_b], truncation)
    zs = interpolate(z[0], z[1], frames, mode)
    return render(gen, latents_from_z(gen, zs, labels, truncation), labels)


# -- principal directions -----------------------------------------------------------------------
@dataclass(frozen=True)
class Directions:
    """Unit directions (k, d) in the latent space `space` ("z" or "w"), with the spread of the
    samples along each (`stds`, so a slider value of 1 is one standard deviation) and the share of
    variance each explains."""

    space: str
    vectors: Tensor
    stds: Tensor
    explained: Tensor

    def __len__(self) -> int:
        return len(self.vectors)


def _pca(x: Tensor, k: int) -> tuple[Tensor, Tensor, Tensor]:
    """Top-k principal axes (k, D), singular values and explained-variance ratios of rows of x."""
    xc = x - x.mean(0, keepdim=True)
    _, s, vh = torch.linalg.svd(xc, full_matrices=False)
    var = s**2
    return vh[:k], s[:k], var[:k] / var.sum()


@torch.inference_mode()
def compute_directions(gen: LoadedGenerator, k: int = 8, n: int = PCA_SAMPLES, seed: int = PCA_SEED) -> Directions:
    gen_ = torch.Generator().manual_seed(seed)
    z = torch.randn(n, gen.z_dim, generator=gen_)
    labels = torch.arange(n) % gen.n_classes if gen.n_classes else None
    if is_style(gen):
        w = latents_from_z(gen, z, labels, 1.0)
        vecs, s, ratio = _pca(w, k)
        stds = s / math.sqrt(n - 1)
        return Directions("w", vecs.contiguous(), stds, ratio)
    # z-only generators: image PCs, regressed back onto z (GANSpace's recipe for BigGAN-like nets)
    x = gen.generate(z, labels).reshape(n, -1)
    xc = x - x.mean(0, keepdim=True)
    pcs, _, ratio = _pca(x, k)
    scores = xc @ pcs.T  # (n, k)
    coef = torch.linalg.lstsq(z, scores).solution  # (z_dim, k)
    vecs = (coef / coef.norm(dim=0, keepdim=True).clamp_min(1e-8)).T.contiguous()
    stds = (z @ vecs.T).std(0)  # ~1 for a standard normal z
    return Directions("z", vecs, stds, ratio)


def directions(gen: LoadedGenerator, k: int = 8) -> Directions:
    """The generator's top-k principal directions, computed once per checkpoint and cached."""
    if not 1 <= int(k) <= MAX_DIRECTIONS:
        raise ExploreError(f"number of directions must be 1..{MAX_DIRECTIONS}, got {k}")
    key = gen.G
    with _LOCK:
        cached = _DIRECTIONS.get(key)
    if cached is None or len(cached) < k:
        with _DIRECTIONS_BUILD:
            with _LOCK:
                cached = _DIRECTIONS.get(key)
            if cached is None or len(cached) < k:
                cached = compute_directions(gen, max(int(k), 8))
                with _LOCK:
                    _DIRECTIONS[key] = cached
    return Directions(cached.space, cached.vectors[:k], cached.stds[:k], cached.explained[:k])


def move(point: Tensor, dirs: Directions, amounts) -> Tensor:
    """point (1, d) moved by `amounts[i]` standard deviations along direction i. Extra amounts
    beyond the directions are an error; missing ones count as 0."""
    amounts = [float(a or 0.0) for a in amounts]
    if len(amounts) > len(dirs):
        raise ExploreError(f"{len(amounts)} slider values for {len(dirs)} directions")
    if not amounts:
        return point
    a = torch.tensor(amounts, dtype=point.dtype)
    if not torch.isfinite(a).all():
        raise ExploreError("direction amounts must be finite numbers")
    step = ((a * dirs.stds[: len(a)].to(point.dtype)) @ dirs.vectors[: len(a)].to(point.dtype)).reshape(1, -1)
    return point + (step[:, None] if point.dim() == 3 else step)  # w+: every layer moves alike


def walk(gen: LoadedGenerator, seed, amounts=(), label: int | None = None, truncation: float = 1.0) -> Tensor:
    """One image (1, C, H, W): the point of a seed (or a `Latent`) moved along the principal
    directions."""
    return walk_many(gen, [(seed, amounts, label, truncation)])


def walk_many(gen: LoadedGenerator, moves) -> Tensor:
    """`walk` for many (seed or Latent, amounts, label, truncation) at once: one forward pass
    (B, C, H, W), so visitors who move a slider at the same moment share it."""
    points, labels = [], []
    for seed, amounts, label, truncation in moves:
        label = check_label(gen, label)
        p = point(gen, seed, label, truncation)
        if any(float(a or 0) for a in amounts):
            p = move(p, directions(gen, max(len(amounts), 1)), amounts)
        points.append(p)
        labels.append(0 if label is None else label)
    if not points:
        return torch.empty(0, *gen.out_shape)
    return render(gen, torch.cat(_same_rank(points, gen)), torch.tensor(labels) if gen.n_classes else None)


def latent_map(gen: LoadedGenerator, seed, dir_x: int = 0, dir_y: int = 1, side: int = 5,
               extent: float = 2.0, label: int | None = None, truncation: float = 1.0,
               amounts=()) -> Tensor:
    """A side x side grid of images (row-major, y down) over the plane of directions dir_x, dir_y
    around the point of a seed (or a `Latent`), each from -extent to +extent standard deviations."""
    side = check_grid(side)
    label = check_label(gen, label)
    for d in (dir_x, dir_y):
        if not 0 <= check_whole(d, "direction") < MAX_DIRECTIONS:
            raise ExploreError(f"direction must be 0..{MAX_DIRECTIONS - 1}, got {shown(d)}")
    extent = check_extent(extent)
    dirs = directions(gen, max(int(dir_x), int(dir_y), len(amounts) - 1, 1) + 1)
    start = move(point(gen, seed, label, truncation), dirs, amounts)
    ticks = torch.linspace(-extent, extent, side) if side > 1 else torch.zeros(1)
    ys, xs = torch.meshgrid(ticks, ticks, indexing="ij")
    vx = dirs.vectors[int(dir_x)] * dirs.stds[int(dir_x)]
    vy = dirs.vectors[int(dir_y)] * dirs.stds[int(dir_y)]
    offsets = xs.reshape(-1, 1) * vx + ys.reshape(-1, 1) * vy
    pts = start + (offsets[:, None] if start.dim() == 3 else offsets)
    return render(gen, pts, _labels(gen, label, len(pts)))


# -- labels -------------------------------------------------------------------------------------
def all_classes(gen: LoadedGenerator, seed, truncation: float = 1.0, amounts=()) -> Tensor:
    """The same z (a seed's, or a z `Latent`) for every label: (n_classes, C, H, W)."""
    if not gen.n_classes:
        raise ExploreError("this generator is unconditional: it takes no label")
    truncation = check_truncation(truncation)
    k = gen.n_classes
    if isinstance(seed, Latent):
        if check_latent(gen, seed).kind != "z":
            raise ExploreError(f"a {seed.kind} code already holds its label (StyleGAN-lite's label enters "
                               "the mapping, before w): project in z to see it under every label")
        z = point(gen, seed, None, truncation) if not is_style(gen) else seed.tensor.detach().float().cpu()
        z = z.expand(k, -1).clone()
    else:
        z = seed_noise(gen, [seed], truncation).expand(k, -1).clone()
    labels = torch.arange(k)
    pts = latents_from_z(gen, z, labels, truncation)
    if any(float(a or 0) for a in amounts):
        pts = torch.cat([move(p[None], directions(gen, len(amounts)), amounts) for p in pts])
    return render(gen, pts, labels)


# -- style mixing (StyleGAN-lite) ---------------------------------------------------------------
@torch.inference_mode()
def style_mix(gen: LoadedGenerator, seed_a: int, seed_b: int, crossover: int, label: int | None = None,
              truncation: float = 1.0) -> Tensor:
    """(3, C, H, W): A, B, and the mix with A's styles for layers < crossover (coarse: pose,
    thickness) and B's from crossover on (fine: stroke detail). crossover 0 gives B, num_ws gives A."""
    if not is_style(gen):
        raise ExploreError("style mixing needs a StyleGAN-lite generator (it has per-layer styles)")
    label = check_label(gen, label)
    crossover = check_whole(crossover, "crossover layer")
    if not 0 <= crossover <= gen.G.num_ws:
        raise ExploreError(f"crossover layer must be 0..{gen.G.num_ws}, got {shown(crossover)}")
    truncation = check_truncation(truncation)
    z = seed_noise(gen, [seed_a, seed_b])
    labels = _labels(gen, label, 2)
    w = latents_from_z(gen, z, labels, truncation).to(gen.device)
    ws = w[:, None].repeat(1, gen.G.num_ws, 1)
    mixed = ws[:1].clone()
    mixed[:, crossover:] = ws[1:2, crossover:]
    return gen.G.synthesis(torch.cat([ws, mixed]), noise_mode="const").float().cpu()


def num_styles(gen: LoadedGenerator) -> int:
    return int(gen.G.num_ws) if is_style(gen) else 0


# -- pictures -----------------------------------------------------------------------------------
def to_uint8(x: Tensor) -> np.ndarray:
    """(B, C, H, W) in [-1, 1] -> (B, H, W, 3) uint8."""
    # numpy, not torch: a few small ops each, where torch's per-op dispatch cost more than the work
    a = np.rint((np.clip(x.detach().float().cpu().numpy(), -1, 1) + 1) * np.float32(127.5)).astype(np.uint8)
    if a.shape[1] == 1:
        a = np.repeat(a, 3, axis=1)
    return np.ascontiguousarray(a[:, :3].transpose(0, 2, 3, 1))


def grid_image(x: Tensor, ncol: int | None = None, scale: int = 3, pad: int = 2,
               background: int = 255) -> Image.Image:
    """An image grid: each cell upscaled `scale` x (nearest), `pad` px between and around cells."""
    if not 1 <= int(scale) <= MAX_SCALE:
        raise ExploreError(f"scale must be 1..{MAX_SCALE}, got {scale}")
    imgs = to_uint8(x)
    n, h, w = len(imgs), imgs.shape[1] * scale, imgs.shape[2] * scale
    ncol = max(1, min(int(ncol or n), n))
    nrow = math.ceil(n / ncol)
    canvas = np.full((nrow * (h + pad) + pad, ncol * (w + pad) + pad, 3), background, np.uint8)
    for i, img in enumerate(imgs):
        r, c = divmod(i, ncol)
        big = img.repeat(scale, 0).repeat(scale, 1)
        canvas[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = big
    return Image.fromarray(canvas)


def grid_size(shape: tuple[int, ...], n: int, ncol: int, scale: int = 3, pad: int = 2) -> tuple[int, int]:
    """(width, height) of `grid_image` for n images of shape (C, H, W)."""
    nrow = math.ceil(n / ncol)
    return ncol * (shape[-1] * scale + pad) + pad, nrow * (shape[-2] * scale + pad) + pad


def single_image(x: Tensor, scale: int = 8) -> Image.Image:
    """One image, upscaled, no border."""
    return grid_image(x[:1], 1, scale, pad=0)


def gif_bytes(x: Tensor, scale: int = 6, ms_per_frame: int = 80, bounce: bool = True) -> bytes:
    """An animated, looping GIF of the frames (there and back again when `bounce`)."""
    frames = [Image.fromarray(a) for a in to_uint8(x)]
    if bounce and len(frames) > 2:
        frames = frames + frames[-2:0:-1]
    frames = [f.resize((f.width * scale, f.height * scale), Image.NEAREST) for f in frames]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=ms_per_frame,
                   loop=0, disposal=2)
    return buf.getvalue()


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


# -- seeds ----------------------------------------------------------------------------------------
def seed_grid(gen: LoadedGenerator, seeds: list[int], label: int | None = None,
              truncation: float = 1.0) -> Tensor:
    """One image per seed under one label: (len(seeds), C, H, W), each seed's as `encode` makes it."""
    truncation = check_truncation(truncation)
    labels = _labels(gen, label, len(seeds))
    return render(gen, latents_from_z(gen, seed_noise(gen, seeds, truncation), labels, truncation), labels)
