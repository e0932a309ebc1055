"""Inside the GAN (no UI here): what D sees, what G copies, and what G's layers draw.

- `neighbours(gen, seed, ...)`: a generated digit and its k nearest mnist5k training digits, in the
  classifier's features and in pixels, with the distances (`metrics.memorisation.nearest_real`);
  `neighbours_image` draws them. The run-level memorisation check itself lives in
  `ganplay.metrics.memorisation` (`ganplay eval` reports it); `memorisation(gen, name)` gives a
  page its block: a zoo model's card's, or a run's measured on MEMO_N samples (cached).
- `d_verdict(run_dir, n_fake, n_real, seed)`: a run's newest checkpoint holds D (`D.*` tensors):
  G makes n_fake samples, n_real training digits join them, D scores all of them, sorted most
  real first. The zoo ships G only (weights-only files, `zoo_build.export_weights`): it is refused
  with that reason. `verdict_image` draws the grid, real digits outlined.
- `feature_maps(gen, latent_or_seed, label)`: the activations of each main block of G (DCGAN/WGAN's
  up-convolutions, StyleGAN-lite's synthesis layers) for one latent point, a few channels each
  (those that change most across seeds), each normalised to its own range; `feature_maps_image`
  stacks them with each layer's name and shape.

Every picture is a PIL image; inputs are checked with `ExploreError` messages, as in `explore`.
"""

from __future__ import annotations

import copy
import logging
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont
from torch import Tensor, nn

from ganplay import explore as E
from ganplay.config import LOGIT_LOSSES
from ganplay.metrics import memorisation as M
from ganplay.sampling import LoadedGenerator, load_generator
from ganplay.train import checkpoint as ckpt
from ganplay.train.rundir import NoCheckpointError, RunDir
from ganplay.zoo import has_card, read_card

MAX_K = 10
MAX_VERDICT = 64  # fake or real images in one verdict
MAX_CHANNELS = 16
CHANNEL_SEEDS = 64  # seeds over which the shown channels are picked (the most varied ones)
CHANNEL_SEED0 = 7_000_000
TILE = 56  # feature-map tiles are drawn this many pixels wide
REAL_COLOUR = (230, 120, 0)  # real digits' outline in D's verdict
FAKE_COLOUR = (150, 150, 150)
TEXT = (40, 40, 40)
# a viridis-like ramp for feature maps (dark = low, yellow = high): they are not pictures
RAMP = np.array([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)], np.float32)

log = logging.getLogger(__name__)


def _font(size: int = 13):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType sizes
        return ImageFont.load_default()


# -- nearest real neighbours ---------------------------------------------------------------------
@dataclass
class Neighbours:
    image: Tensor  # (1, C, H, W) the generated digit, in [-1, 1]
    spaces: dict[str, dict]  # space -> {"images": (k, C, H, W) [-1, 1], "index", "distance", "label"}


def neighbours(gen: LoadedGenerator, seed=0, label=None, truncation: float = 1.0, amounts=(),
               k: int = 5, point: Tensor | None = None) -> Neighbours:
    """The k closest training digits of the digit `gen` draws for the seed (or `explore.Latent`, or
    latent `point`; moved along the explorer's directions by `amounts`), in features and pixels."""
    k = E.check_whole(k, "k")
    if not 1 <= k <= MAX_K:
        raise E.ExploreError(f"k must be 1..{MAX_K}, got {E.shown(k)}")
    M.check_digits(gen, "Nearness to real digits")
    x = _draw(gen, seed, label, truncation, amounts, point)
    train = M.training_digits(x.shape[-1])
    out = {}
    for space in M.SPACES:
        idx, dist = M.nearest_real(x, k, space)
        out[space] = {"images": train.x[idx[0]].float() / 127.5 - 1, "index": idx[0].tolist(),
                      "distance": dist[0].tolist(), "label": train.labels[idx[0]].tolist()}
    return Neighbours(x, out)


def _point(gen: LoadedGenerator, origin, label, truncation, amounts) -> Tensor:
    """The latent point the explorer draws for `origin`: a seed or an `explore.Latent` (through
    `explore.point`), or a latent point tensor as `explore.point` makes it; then moved by
    `amounts` along the principal directions, as the Walk tab moves it."""
    if isinstance(origin, Tensor):
        p = origin.detach().float().cpu()
        p = p if p.dim() > 1 else p[None]
    else:
        p = E.point(gen, origin, label, truncation)
    if any(float(a or 0) for a in amounts):
        p = E.move(p, E.directions(gen, max(len(amounts), 1)), amounts)
    return p


def _draw(gen: LoadedGenerator, seed, label, truncation, amounts, point: Tensor | None) -> Tensor:
    label = E.check_label(gen, label)
    p = _point(gen, seed if point is None else point, label, truncation, amounts)
    return E.render(gen, p, E._labels(gen, label, 1))


SPACE_TITLES = {"features": "Closest in the classifier's features (what the digit looks like to a reader)",
                "pixels": "Closest in pixels (the same ink in the same places)"}


def neighbours_image(nb: Neighbours, scale: int = 3) -> Image.Image:
    """Two rows: the generated digit, then its nearest training digits with distance and digit."""
    font, small = _font(14), _font(12)
    side = nb.image.shape[-1] * scale
    gap, title_h, cap_h, left = 8, 22, 34, 12
    k = len(next(iter(nb.spaces.values()))["index"])
    width = left + (k + 1) * (side + gap) + gap + 12
    height = len(nb.spaces) * (title_h + side + cap_h + gap) + gap
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    y = gap
    for space, found in nb.spaces.items():
        draw.text((left, y), SPACE_TITLES[space], fill=TEXT, font=font)
        y += title_h
        x = left
        canvas.paste(E.single_image(nb.image, scale), (x, y))
        draw.rectangle([x - 1, y - 1, x + side, y + side], outline=(0, 90, 200), width=2)
        draw.text((x, y + side + 3), "generated", fill=(0, 90, 200), font=small)
        x += side + gap + 12
        for img, d, lab, i in zip(found["images"], found["distance"], found["label"], found["index"]):
            canvas.paste(E.single_image(img[None], scale), (x, y))
            draw.text((x, y + side + 3), f"d = {d:.3f}", fill=TEXT, font=small)
            draw.text((x, y + side + 17), f"a {lab} (#{i})", fill=(110, 110, 110), font=small)
            x += side + gap
        y += side + cap_h + gap
    return canvas


def neighbours_table(nb: Neighbours) -> str:
    """The same as Markdown: rank, training digit (index, class), distance, per space."""
    rows = ["| rank | features: training digit | distance | pixels: training digit | distance |",
            "| --- | --- | --- | --- | --- |"]
    f, p = nb.spaces["features"], nb.spaces["pixels"]
    for r in range(len(f["index"])):
        rows.append(f"| {r + 1} | #{f['index'][r]} (a {f['label'][r]}) | {f['distance'][r]:.3f} | "
                    f"#{p['index'][r]} (a {p['label'][r]}) | {p['distance'][r]:.3f} |")
    return "\n".join(rows)


# -- the memorisation check, for a page ---------------------------------------------------------
MEMO_N = 2000  # samples of a run's check, measured on request (`ganplay eval` measures 10,000)
MEMO_SEED = 0
MAX_MEMO = 16
_MEMO: OrderedDict[tuple, dict] = OrderedDict()
_MEMO_LOCK = threading.Lock()


def memorisation(gen: LoadedGenerator, name: str) -> tuple[dict, str]:
    """(the memorisation block of `gen`, which `name` stands for; where it comes from): a zoo
    model's from its card, a run's measured here on MEMO_N samples once per checkpoint and process.
    `NotDigitsError` for a generator the check cannot measure."""
    M.check_digits(gen)
    zoo = _zoo_name(name)
    block = (read_card(zoo).get("metrics") or {}).get("memorisation") if zoo else None
    if block is not None:
        return block, f"its card (`ganplay eval`, {block['n']:,} samples)"
    key = (str(gen.source), gen.step, gen.source.stat().st_mtime_ns)
    with _MEMO_LOCK:
        block = _MEMO.get(key)
    if block is None:  # measured outside the lock: another generator's check need not wait
        block = M.memorisation_check(gen, n=MEMO_N, seed=MEMO_SEED)
        with _MEMO_LOCK:
            _MEMO[key] = block
            while len(_MEMO) > MAX_MEMO:
                _MEMO.popitem(last=False)
    return block, f"{MEMO_N:,} samples measured now (`ganplay eval` measures 10,000)"


# -- D's verdict ---------------------------------------------------------------------------------
@dataclass
class Verdict:
    images: Tensor  # (N, C, H, W) in [-1, 1], most real first
    scores: list[float]
    real: list[bool]
    labels: list[int | None]
    score_kind: str  # "probability" (D's sigmoid, logit losses) or "critic score"
    step: int
    source: Path

    @property
    def what(self) -> str:
        return ("D's probability that the image is real" if self.score_kind == "probability"
                else "the critic's score (higher = more real; a Wasserstein critic's scale is its own)")


class VerdictError(ValueError):
    """D's verdict cannot be given for this source; the message says why."""


def _zoo_name(source) -> str | None:
    """`source` as a zoo model's name, or None (a run, a path)."""
    text = str(source)
    return text if "/" not in text and has_card(text) else None


def _refuse_zoo(source) -> None:
    name = _zoo_name(source)
    if name is not None:
        raise VerdictError(f"{name} is a zoo model: the zoo ships its generator only (no D, to keep the "
                           "package small), so D's verdict is for runs, whose checkpoints hold D: pick one of "
                           "yours, or train one (the Train page, or `ganplay train --preset mnist-dcgan`).")


def d_verdict(run_dir: str | Path, n_fake: int = 24, n_real: int = 8, seed: int = 0) -> Verdict:
    """G's and D's weights from the run's newest checkpoint: n_fake samples of G (the raw G that D
    played against, not the EMA copy; labels cycling 0..K-1) and n_real training digits picked by
    `seed`, scored by D as it scored them in training (train mode, each batch all real or all fake,
    no augmentation), sorted most real first."""
    _refuse_zoo(run_dir)
    n_fake, n_real = E.check_whole(n_fake, "fake images"), E.check_whole(n_real, "real images")
    if not (0 <= n_fake <= MAX_VERDICT and 0 <= n_real <= MAX_VERDICT and n_fake + n_real >= 2):
        raise VerdictError(f"D's verdict takes 0..{MAX_VERDICT} fake and 0..{MAX_VERDICT} real images (2 or "
                           f"more in all); got {E.shown(n_fake)} and {E.shown(n_real)}")
    seed = E.check_seed(seed)
    path = Path(run_dir)
    try:
        latest = RunDir(path).require_checkpoint(path.name)
    except NoCheckpointError as exc:
        raise VerdictError(f"{exc}: D's verdict needs a run's checkpoint, which holds D") from None
    c = ckpt.load_checkpoint(latest)
    if not c.has("D"):
        raise VerdictError(f"{latest.name} holds no D (a weights-only file): D's verdict needs a full checkpoint")
    gen = load_generator(latest, use_ema=False, checkpoint=c)
    cfg = gen.config
    if gen.is_points or gen.is_translator:
        raise VerdictError("D's verdict is drawn for generators of images from noise; "
                           + ("a 2D run shows D's view as its field in the Playground" if gen.is_points
                              else "an image-to-image D judges (input, answer) pairs"))
    if cfg.model.pack > 1:
        raise VerdictError(f"this D judges packs of {cfg.model.pack} images at once (PacGAN), not one image: "
                           "it gives no score per image")
    from ganplay.data import load_dataset
    from ganplay.models import build_models

    _, D = build_models(cfg, gen.out_shape, gen.n_classes)
    ckpt.load_state(D, c.state_dict("D"), "discriminator", latest)
    D.train()  # as in training: BatchNorm on the batch itself
    fake, fake_labels = gen.sample(n_fake, seed) if n_fake else (torch.empty(0, *gen.out_shape), None)
    try:
        data = load_dataset(cfg)
    except Exception as exc:  # noqa: BLE001 (a data set that is not here: say which, keep the page)
        log.warning("D's verdict: %s's training data could not be loaded", ckpt.shown_path(latest), exc_info=True)
        # the reason may name a server folder: a public page shows it through checkpoint.scrub_paths
        raise VerdictError(f"the run's training data ({cfg.data.name}) could not be loaded: "
                           f"{type(exc).__name__}: {str(exc)[:300]}") from None
    pick = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))[:n_real]
    real, real_labels = data.batch(pick)
    real = real.float()
    logits = cfg.loss.name in LOGIT_LOSSES
    scores, images, is_real, labels = [], [], [], []
    with torch.no_grad():
        for x, y, flag in ((fake, fake_labels, False), (real, real_labels, True)):
            if not len(x):
                continue
            y = y.long() if (gen.n_classes and y is not None) else None
            s = D(x, y).float()
            s = torch.sigmoid(s) if logits else s
            scores += s.tolist()
            images.append(x)
            is_real += [flag] * len(x)
            labels += y.tolist() if y is not None else [None] * len(x)
    x = torch.cat(images)
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    return Verdict(x[order], [scores[i] for i in order], [is_real[i] for i in order], [labels[i] for i in order],
                   "probability" if logits else "critic score", gen.step, latest)


def verdict_image(v: Verdict, ncol: int = 8, scale: int = 2) -> Image.Image:
    """The verdict as a grid, most real first (left to right, top to bottom): real digits outlined
    in orange, each image's score under it."""
    small = _font(12)
    h, w = v.images.shape[-2] * scale, v.images.shape[-1] * scale
    pad, cap = 8, 18
    ncol = max(1, min(int(ncol), len(v.scores)))
    nrow = math.ceil(len(v.scores) / ncol)
    canvas = Image.new("RGB", (ncol * (w + pad) + pad, nrow * (h + cap + pad) + pad), "white")
    draw = ImageDraw.Draw(canvas)
    fmt = "{:.2f}" if v.score_kind == "probability" else "{:+.2f}"
    for i, (img, s, real) in enumerate(zip(v.images, v.scores, v.real)):
        r, c = divmod(i, ncol)
        x, y = pad + c * (w + pad), pad + r * (h + cap + pad)
        canvas.paste(E.single_image(img[None], scale), (x, y))
        colour = REAL_COLOUR if real else FAKE_COLOUR
        draw.rectangle([x - 3, y - 3, x + w + 2, y + h + 2], outline=colour, width=3 if real else 1)
        draw.text((x, y + h + 3), fmt.format(s) + (" real" if real else ""), fill=REAL_COLOUR if real else TEXT,
                  font=small)
    return canvas


def verdict_text(v: Verdict) -> str:
    """One paragraph: what the scores are, and how the real digits rank."""
    n_real = sum(v.real)
    ranks = [i + 1 for i, r in enumerate(v.real) if r]
    top = sum(v.real[:n_real]) if n_real else 0
    mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")  # noqa: E731
    real_mean = mean([s for s, r in zip(v.scores, v.real) if r])
    fake_mean = mean([s for s, r in zip(v.scores, v.real) if not r])
    return (f"Step {v.step:,}: {len(v.scores)} images sorted by {v.what}, most real first; the "
            f"{n_real} real training digits are outlined in orange (ranks {', '.join(map(str, ranks)) or '-'}). "
            f"Mean score: real {real_mean:.3f}, generated {fake_mean:.3f}. {top} of the {n_real} places at the "
            "top hold real digits: " + ("D tells them apart." if n_real and top == n_real else
                                        "D is fooled by some of G's digits." if n_real else ""))


# -- G's feature maps ----------------------------------------------------------------------------
@dataclass
class LayerMaps:
    name: str  # plain words and the module's path in G
    shape: tuple[int, ...]  # (C, H, W) of one sample's activations
    channels: list[int]  # the channels shown (the most varied across seeds first)
    maps: Tensor  # (len(channels), H, W), each normalised to 0..1
    image: Image.Image  # the tiles in a row


def _blocks(G: nn.Module) -> list[tuple[str, nn.Module]]:
    """(plain name, module) for G's main blocks, coarse to fine; [] when G has no maps."""
    from ganplay.models.dcgan import ConvGenerator
    from ganplay.models.layers import ResUpBlock
    from ganplay.models.stylegan import StyleGenerator

    paths = {m: p for p, m in G.named_modules()}
    out = []
    if isinstance(G, StyleGenerator):
        for b, block in enumerate(G.blocks):
            for i, conv in enumerate(block.convs):
                what = "upsample + modulated conv" if conv.up else "modulated conv"
                out.append((f"block {b + 1} ({conv.resolution} px), {what} · {paths[conv]}", conv))
        return out
    if isinstance(G, ConvGenerator):
        layers = list(G.body)
        ups = relus = 0
        for i, m in enumerate(layers):
            if isinstance(m, ResUpBlock):
                ups += 1
                out.append((f"residual up-block {ups} · {paths[m]}", m))
            elif isinstance(m, nn.Unflatten) and not isinstance(layers[i + 1], nn.BatchNorm2d):
                out.append((f"start: the linear layer's output as maps · {paths[m]}", m))
            elif isinstance(m, nn.ReLU):
                what = ("last BatchNorm, ReLU" if ups else "start: linear layer, BatchNorm, ReLU" if not relus
                        else f"up-convolution {relus}, BatchNorm, ReLU")
                relus += 1
                out.append((f"{what} · {paths[m]}", m))
        return out
    return []


class _Probe:
    """A private copy of G with forward hooks on its main blocks (the shared G, which other
    requests run at the same time, is never hooked); one forward at a time."""

    def __init__(self, gen: LoadedGenerator):
        G = copy.deepcopy(gen.G).eval()
        self.blocks = _blocks(G)
        if not self.blocks:
            raise E.ExploreError(f"feature maps are drawn for convolutional generators (dcgan, wgan, "
                                 f"stylegan-lite); {gen.config.model.arch}'s layers are vectors, not maps")
        self.gen = replace(gen, G=G)
        self.lock = threading.Lock()
        self.captured: dict[int, Tensor] = {}
        for i, (_, module) in enumerate(self.blocks):
            module.register_forward_hook(self._hook(i))
        self.channels: dict[int, list[int]] | None = None

    def _hook(self, i: int):
        def hook(module, inputs, output):
            self.captured[i] = output.detach().float().cpu()
        return hook

    def run(self, latents: Tensor, labels: Tensor | None) -> tuple[Tensor, dict[int, Tensor]]:
        self.captured = {}
        x = E.render(self.gen, latents, labels)
        return x, self.captured

    def top_channels(self, k: int) -> dict[int, list[int]]:
        """Per block, its channels ordered by how much they vary across CHANNEL_SEEDS seeds (the
        same order for every z, so a slider move changes the maps, not which maps are shown)."""
        if self.channels is None:
            gen = self.gen
            z = E.seed_noise(gen, list(range(CHANNEL_SEED0, CHANNEL_SEED0 + CHANNEL_SEEDS)))
            labels = (torch.arange(CHANNEL_SEEDS) % gen.n_classes) if gen.n_classes else None
            _, maps = self.run(E.latents_from_z(gen, z, labels), labels)
            self.channels = {i: m.var(0).mean((1, 2)).argsort(descending=True).tolist() for i, m in maps.items()}
        return {i: order[:k] for i, order in self.channels.items()}


_PROBES: OrderedDict[tuple, _Probe] = OrderedDict()
_PROBES_LOCK = threading.Lock()
MAX_PROBES = 4


def _probe(gen: LoadedGenerator) -> _Probe:
    key = (str(gen.source), gen.step, id(gen.G))
    with _PROBES_LOCK:
        probe = _PROBES.get(key)
        if probe is None:
            probe = _PROBES[key] = _Probe(gen)
            while len(_PROBES) > MAX_PROBES:
                _PROBES.popitem(last=False)
        _PROBES.move_to_end(key)
    return probe


def _ramp(a: np.ndarray) -> np.ndarray:
    """Values in 0..1 -> RGB uint8 on RAMP."""
    pos = np.clip(a, 0, 1) * (len(RAMP) - 1)
    lo = np.floor(pos).astype(int).clip(0, len(RAMP) - 2)
    t = (pos - lo)[..., None]
    return (RAMP[lo] * (1 - t) + RAMP[lo + 1] * t).round().astype(np.uint8)


def _tiles(maps: Tensor, tile: int = TILE, pad: int = 3, colour: bool = True) -> Image.Image:
    """Maps (k, H, W) in 0..1 side by side, each scaled (nearest) to about `tile` px."""
    k, h, w = maps.shape
    s = max(1, round(tile / max(h, w)))
    canvas = Image.new("RGB", (k * (w * s + pad) + pad, h * s + 2 * pad), "white")
    for i, m in enumerate(maps.numpy()):
        rgb = _ramp(m) if colour else np.repeat((np.clip(m, 0, 1) * 255).round().astype(np.uint8)[..., None], 3, 2)
        canvas.paste(Image.fromarray(rgb).resize((w * s, h * s), Image.NEAREST), (pad + i * (w * s + pad), pad))
    return canvas


def _normalise(maps: Tensor) -> Tensor:
    """Each map to 0..1 by its own min and max (a flat map: 0.5)."""
    flat = maps.reshape(len(maps), -1)
    lo, hi = flat.min(1).values[:, None, None], flat.max(1).values[:, None, None]
    span = hi - lo
    return torch.where(span > 1e-12, (maps - lo) / span.clamp_min(1e-12), torch.full_like(maps, 0.5))


def feature_maps(gen: LoadedGenerator, latent_or_seed, label=None, max_channels: int = 8,
                 truncation: float = 1.0, amounts=()) -> list[LayerMaps]:
    """Per main block of G, coarse to fine, then the output picture: its name, the shape of its
    activations (C, H, W), and `max_channels` of its channels (those that vary most across seeds),
    each normalised to its own range. `latent_or_seed`: a seed or an `explore.Latent` (the
    explorer's point for it), or a latent point as `explore.point` makes it (z; w or w+ for
    StyleGAN-lite); moved by `amounts` along the principal directions, as the Walk tab moves it."""
    max_channels = E.check_whole(max_channels, "channels per layer")
    if not 1 <= max_channels <= MAX_CHANNELS:
        raise E.ExploreError(f"channels per layer must be 1..{MAX_CHANNELS}, got {E.shown(max_channels)}")
    probe = _probe(gen)
    label = E.check_label(gen, label)
    point = _point(gen, latent_or_seed, label, truncation, amounts)
    with probe.lock:
        channels = probe.top_channels(max_channels)
        x, maps = probe.run(point, E._labels(gen, label, 1))
    out = []
    for i, (name, _) in enumerate(probe.blocks):
        m = maps[i][0]
        shown = _normalise(m[channels[i]])
        out.append(LayerMaps(name, tuple(m.shape), channels[i], shown, _tiles(shown)))
    img = (x[0].float().clamp(-1, 1) + 1) / 2
    out.append(LayerMaps("output: the picture (tanh)", tuple(x[0].shape), list(range(x.shape[1])), img,
                         _tiles(img[:1], colour=False) if x.shape[1] == 1 else E.single_image(x, 2)))
    return out


def feature_maps_image(layers: list[LayerMaps]) -> Image.Image:
    """Every layer's tiles under a caption with its name and shape, coarse (top) to fine."""
    font = _font(13)
    gap, cap = 6, 18

    def caption(layer: LayerMaps) -> str:
        shape = "x".join(map(str, layer.shape))
        shown = (f"; channels {', '.join(map(str, layer.channels))}" if not layer.name.startswith("output")
                 else "")
        return f"{layer.name}  [{shape}]{shown}"

    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    width = max([l.image.width for l in layers] + [int(measure.textlength(caption(l), font=font)) for l in layers])
    width += 2 * gap
    height = sum(cap + l.image.height + gap for l in layers) + gap
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    y = gap
    for layer in layers:
        draw.text((gap, y), caption(layer), fill=TEXT, font=font)
        y += cap
        canvas.paste(layer.image, (gap, y))
        y += layer.image.height + gap
    return canvas


def feature_maps_table(layers: list[LayerMaps]) -> str:
    rows = ["| layer | shape (channels x height x width) | channels shown |", "| --- | --- | --- |"]
    for layer in layers:
        rows.append(f"| {layer.name} | {' x '.join(map(str, layer.shape))} | "
                    f"{', '.join(map(str, layer.channels))} |")
    return "\n".join(rows)


__all__ = ["Neighbours", "Verdict", "VerdictError", "LayerMaps", "neighbours", "neighbours_image",
           "neighbours_table", "d_verdict", "verdict_image", "verdict_text", "feature_maps",
           "feature_maps_image", "feature_maps_table", "memorisation"]
