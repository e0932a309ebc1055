"""Load a trained generator from a run directory or a checkpoint file, and sample from it.

`load_generator(path)` accepts a run directory (its newest checkpoint is used) or a ganplay
`.safetensors` checkpoint; the file's header carries the config, so nothing else is needed.
Only our own safetensors files are read; nothing is ever unpickled.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ganplay.config import DRAWN_DATASET, IMAGE_DATASET_INFO, Config, ConfigError
from ganplay.data import mixture, read_points
from ganplay.models import build_models
from ganplay.train import checkpoint as ckpt
from ganplay.train import snapshots
from ganplay.train.rundir import NoCheckpointError, RunDir
from ganplay.zoo import ZooError, resolve

REAL_POINTS = 2000  # real data drawn under a 2D generator's samples


class SamplingError(ValueError):
    pass


MAX_STEP = 10**12


def check_meta(meta, cfg: Config, source) -> dict:
    """A checkpoint header's `meta`, checked against its config before anything is built from it:
    one SamplingError line naming the bad entry (a header is input like any other)."""
    def bad(what: str) -> SamplingError:
        return SamplingError(f"{source}: damaged checkpoint header: meta {what}")

    if not isinstance(meta, dict):
        raise bad(f"is a {type(meta).__name__}, not an object")
    step = meta.get("step")
    if type(step) is not int or not 0 <= step <= MAX_STEP:
        raise bad(f"step must be a whole number 0..{MAX_STEP}, got {_short(step)}")
    shape = meta.get("sample_shape")
    if cfg.is_points:
        want = "[2] for 2D data"
        ok = shape == [2]
    else:
        size = cfg.image_size
        known = IMAGE_DATASET_INFO.get(cfg.data.name)
        channels = (known[0],) if known else (1, 3)
        want = f"[{'|'.join(map(str, channels))}, {size}, {size}] for {cfg.data.name} at {size} px"
        ok = (isinstance(shape, list) and len(shape) == 3 and all(type(v) is int for v in shape)
              and shape[0] in channels and shape[1:] == [size, size])
    if not ok:
        raise bad(f"sample_shape must be {want}, got {_short(shape)}")
    n_classes = meta.get("n_classes", 0)
    if type(n_classes) is not int or n_classes != cfg.model.n_classes:
        raise bad(f"n_classes must be the config's model.n_classes ({cfg.model.n_classes}), "
                  f"got {_short(n_classes)}")
    names = meta.get("class_names", [])
    if not (isinstance(names, list) and len(names) <= max(n_classes, 1000)
            and all(isinstance(n, str) and len(n) <= 200 for n in names)):
        raise bad(f"class_names must be a list of short names, got {_short(names)}")
    return meta


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:50] + "..."


def nonfinite_warning(x: Tensor) -> str:
    """'' when every output is a number; else what a person should be told (a generator whose
    weights hold NaN draws a grey picture that looks like a result)."""
    bad = ~torch.isfinite(x.reshape(len(x), -1)).all(dim=1) if len(x) else torch.zeros(0, dtype=torch.bool)
    if not bool(bad.any()):
        return ""
    return (f"the generator outputs NaN or infinity for {int(bad.sum())} of {len(x)} samples: its "
            "weights are broken (a run that diverged?); sample an earlier checkpoint")


@dataclass
class LoadedGenerator:
    """A generator ready to sample: knows its latent size, classes and output shape."""

    G: torch.nn.Module
    config: Config
    step: int
    source: Path
    class_names: list[str] = field(default_factory=list)

    @property
    def z_dim(self) -> int:
        return self.G.z_dim

    @property
    def n_classes(self) -> int:
        return self.G.n_classes

    @property
    def out_shape(self) -> tuple[int, ...]:
        return tuple(self.G.out_shape)

    @property
    def is_points(self) -> bool:
        return self.config.is_points

    @property
    def is_translator(self) -> bool:
        """An image-to-image model (srgan, pix2pix): it answers an input image, not noise."""
        return self.config.g_input != "noise"

    @torch.inference_mode()
    def translate(self, inputs: Tensor) -> Tensor:
        """An image-to-image model's answers (in [-1, 1], on the CPU) for `inputs` in [-1, 1]."""
        if not self.is_translator:
            raise SamplingError("this generator starts from noise, not from an input image")
        return self.G(None, inputs.float().to(self.device)).float().cpu()

    def sample_pairs(self, n: int, seed: int = 0) -> tuple[Tensor, Tensor, Tensor]:
        """(inputs, answers, true images) for `n` held-out digits picked by `seed`."""
        from ganplay.metrics.translation import heldout_pairs

        inputs, truth, _ = heldout_pairs(self.config)
        idx = torch.randperm(len(inputs), generator=torch.Generator().manual_seed(seed))[:n]
        return inputs[idx], self.translate(inputs[idx]), truth[idx]

    @property
    def device(self) -> torch.device:
        return next(self.G.parameters()).device

    @property
    def has_w_truncation(self) -> bool:
        """StyleGAN-lite truncates in w space (toward the mean w); others truncate z."""
        return "truncation" in inspect.signature(self.G.forward).parameters

    def noise(self, n: int, seed: int, truncation: float = 1.0) -> Tensor:
        """z for `seed`. With truncation psi < 1 and a generator without a w space, z is drawn
        from a normal truncated to [-3 psi, 3 psi] (the truncation trick; psi=0 gives z=0)."""
        gen = torch.Generator().manual_seed(seed)
        if truncation >= 1.0 or self.has_w_truncation:
            return torch.randn(n, self.z_dim, generator=gen)
        if truncation <= 0:
            return torch.zeros(n, self.z_dim)
        bound = 3.0 * truncation
        return torch.nn.init.trunc_normal_(torch.empty(n, self.z_dim), 0.0, 1.0, -bound, bound, generator=gen)

    def check_label(self, label: int | None) -> None:
        if label is None:
            return
        if not self.n_classes:
            raise SamplingError("this generator is unconditional: it takes no label")
        if not 0 <= label < self.n_classes:
            raise SamplingError(f"label must be 0..{self.n_classes - 1}, got {label}")

    @torch.inference_mode()
    def generate(self, z: Tensor, labels: Tensor | None = None, truncation: float = 1.0,
                 batch_size: int = 256) -> Tensor:
        """Images in [-1, 1] (or 2D points) for the given noise, in batches, on the CPU.
        `truncation` acts here only for generators with a w space; for the others pass
        truncated noise (`noise(n, seed, truncation)`)."""
        if self.is_translator:
            raise SamplingError(f"{self.config.model.arch} answers an input image, not noise: use "
                                "translate(inputs) or sample_pairs(n, seed)")
        if self.n_classes and labels is None:
            raise SamplingError(f"this generator is conditional: give labels 0..{self.n_classes - 1}")
        kwargs = {"truncation": truncation} if self.has_w_truncation else {}
        out = []
        for i in range(0, len(z), batch_size):
            zb = z[i : i + batch_size].to(self.device)
            yb = labels[i : i + batch_size].to(self.device) if labels is not None else None
            out.append(self.G(zb, yb if self.n_classes else None, **kwargs).float().cpu())
        return torch.cat(out) if out else torch.empty(0, *self.out_shape)

    def sample(self, n: int, seed: int = 0, label: int | None = None,
               truncation: float = 1.0) -> tuple[Tensor, Tensor | None]:
        """`n` samples from seed; a conditional G gets `label`, or labels cycling 0..K-1."""
        self.check_label(label)
        labels = None
        if self.n_classes:
            labels = torch.full((n,), label) if label is not None else torch.arange(n) % self.n_classes
        return self.generate(self.noise(n, seed, truncation), labels, truncation), labels


def resolve_checkpoint(path: str | Path) -> Path:
    """A run directory (its newest checkpoint), a checkpoint file, or a zoo name."""
    try:
        path = resolve(path)
    except ZooError as exc:
        raise SamplingError(str(exc)) from None
    if path.is_dir():
        try:
            return RunDir(path).require_checkpoint()
        except NoCheckpointError as exc:
            raise SamplingError(str(exc)) from None
    if not path.exists():
        raise SamplingError(f"not found: {path}")
    return path


def load_generator(path: str | Path, device: str | torch.device = "cpu", use_ema: bool = True,
                   checkpoint: ckpt.Checkpoint | None = None) -> LoadedGenerator:
    """The generator `path` holds (`resolve_checkpoint`); `checkpoint`: that file already read, by
    a caller that needs its other parts too (D's verdict), so it is not read twice."""
    source = resolve_checkpoint(path)
    c = checkpoint if checkpoint is not None else ckpt.load_checkpoint(source)
    try:
        cfg = Config.from_dict(c.config)
    except ConfigError as exc:  # the same schema as a config file: no 160 GB layer from a header
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip() != "invalid config:"]
        # one line a person can read: the first problems, each cut short
        shown = [ln if len(ln) <= 80 else ln[:77] + "..." for ln in lines[:3]]
        more = f" (and {len(lines) - 3} more)" if len(lines) > 3 else ""
        raise SamplingError(f"{source}: its header's config is not valid: {'; '.join(shown)}{more}") from None
    if source.parent.name == "checkpoints":  # a run's checkpoint: its data files sit in the run
        cfg = cfg.with_data_under(source.parent.parent)
    meta = check_meta(c.meta, cfg, source)
    G, _ = build_models(cfg, tuple(meta["sample_shape"]), meta.get("n_classes", 0))
    prefix = "G_ema" if use_ema and c.has("G_ema") else "G"
    ckpt.load_state(G, c.state_dict(prefix), "generator", source)
    G.to(device).eval()
    return LoadedGenerator(G=G, config=cfg, step=meta["step"], source=source,
                           class_names=list(meta.get("class_names", [])))


def sampled_png(gen: LoadedGenerator, n: int, seed: int, label: int | None = None) -> tuple[bytes, str]:
    """A PNG of `n` samples (an image grid, or a scatter for 2D generators) and a warning, '' when
    every sample is a number (`nonfinite_warning`)."""
    if gen.is_translator:  # rows of 8: held-out inputs, the answers, the true digits
        if label is not None:
            raise SamplingError(f"{gen.config.model.arch} takes an input image, not a label")
        inputs, answers, truth = gen.sample_pairs(n, seed)
        grid = snapshots.image_grid(snapshots.pair_rows(inputs, answers, truth), 8)
        return snapshots.png_bytes(grid), nonfinite_warning(answers)
    x, _ = gen.sample(n, seed, label)
    warning = nonfinite_warning(x)
    if gen.is_points:  # drawn over the real data, faintly, so a lone blob reads as "one mode of eight"
        pts = x.numpy()
        real = real_points(gen.config, REAL_POINTS)
        lo, hi = snapshots.view_bounds(real, pts)
        return snapshots.png_bytes(snapshots.points_image(real, pts, lo, hi)), warning
    ncol = snapshots.grid_columns(n, gen.n_classes if label is None else 0)
    return snapshots.png_bytes(snapshots.image_grid(x, ncol)), warning


def real_points(cfg: Config, n: int) -> np.ndarray:
    """Up to `n` points of a 2D generator's data (seeded): the mixture, or the drawn set's own."""
    if cfg.data.name == DRAWN_DATASET:
        xy = read_points(cfg.data.path).xy
        return xy[np.random.default_rng(0).permutation(len(xy))[:n]]
    return mixture_points(cfg.data.name, n)


def mixture_points(name: str, n: int, seed: int = 0) -> np.ndarray:
    """n points (float32 (n, 2)) of the built-in 2D data `name`, seeded: a 2D run's real points,
    the point editor's preset."""
    return mixture(name).sample(n, torch.Generator().manual_seed(seed)).numpy()


def sample_png(gen: LoadedGenerator, n: int, seed: int, label: int | None = None, strict: bool = False) -> bytes:
    """`sampled_png`'s picture; with `strict`, a generator that outputs NaN is a SamplingError."""
    data, warning = sampled_png(gen, n, seed, label)
    if strict and warning:
        raise SamplingError(f"{gen.source.name}: {warning}")
    return data
