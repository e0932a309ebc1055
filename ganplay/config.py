"""One validated config object for a training run.

Every field has a type, a default and a one-line help text (`Field(description=...)`): the CLI and
the dashboard render these, so they are the single source of truth. A bad value fails here, before
anything is written, with an error that names the field and what is allowed.

Sections: `data`, `model`, `loss`, `optim`, `train`. Overrides use dotted keys: `optim.lr_g=1e-4`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ganplay.presets import PRESETS, preset_values

# ---------------------------------------------------------------------------------------------
# Facts about datasets and models that validation needs (kept here so config imports nothing
# heavy; ganplay.data and ganplay.models check that they agree with these tables in tests).
# ---------------------------------------------------------------------------------------------

MIXTURE_DATASETS = ("ring8", "grid25", "spiral", "moons", "swissroll")  # built in, sampled
DRAWN_DATASET = "points"  # your own 2D points: drawn on the playground or a CSV (data.path)
POINT_DATASETS = MIXTURE_DATASETS + (DRAWN_DATASET,)
IMAGE_DATASETS = ("mnist5k", "stacked-mnist", "digits", "mnist", "fashion-mnist", "cifar10", "folder")
DATASETS = POINT_DATASETS + IMAGE_DATASETS
# The counted mixtures' equally likely Gaussian modes: centres and the shared std (the data layer
# samples them; the pages and the metrics count "modes covered" against them).
_RING8 = tuple((2.0 * math.cos(2 * math.pi * i / 8), 2.0 * math.sin(2 * math.pi * i / 8)) for i in range(8))
_GRID25 = tuple((2.0 * (i - 2), 2.0 * (j - 2)) for i in range(5) for j in range(5))
MODE_CENTRES: dict[str, tuple[tuple[tuple[float, float], ...], float]] = {
    "ring8": (_RING8, 0.02),
    "grid25": (_GRID25, 0.05),
}
# (channels, native size, number of classes); folder is known only once read.
IMAGE_DATASET_INFO: dict[str, tuple[int, int, int]] = {
    "mnist5k": (1, 28, 10),
    "stacked-mnist": (3, 28, 1000),  # three mnist5k digits as RGB; the label is the digit triple
    "digits": (1, 28, 10),  # sklearn's 8x8 digits, upsampled to 28 by default
    "mnist": (1, 28, 10),
    "fashion-mnist": (1, 28, 10),
    "cifar10": (3, 32, 10),
}
FOLDER_DEFAULT_SIZE = 64

ARCHS = ("mlp", "dcgan", "wgan", "stylegan-lite", "srgan", "pix2pix")
CONV_ARCHS = ("dcgan", "wgan", "stylegan-lite")
# Image-to-image architectures and what their G starts from instead of noise: a 4x smaller copy
# of the image (super-resolution) or its outline (edges); every other G starts from noise.
TRANSLATOR_INPUTS = {"srgan": "lowres", "pix2pix": "outline"}
TRANSLATOR_DATASETS = ("mnist5k", "digits", "mnist", "fashion-mnist")  # one channel, 28 px
CONV_IMAGE_SIZES = (28, 32, 64)
LOSSES = ("ns", "minimax", "lsgan", "hinge", "wasserstein")
# Losses whose D outputs logits: sigmoid(D(x)) is D's probability that x is real (shown in [0, 1]);
# the others' D is a critic with an unbounded score.
LOGIT_LOSSES = ("ns", "minimax")
# Losses whose D loss is never negative, so a D loss near 0 means D wins outright (the health alarm);
# a Wasserstein critic's loss has no floor.
NONNEGATIVE_D_LOSSES = ("ns", "minimax", "lsgan", "hinge")
AUGMENTS = ("translation", "cutout")
# What a learner reads for each data set, architecture and loss (the key stays in tooltips).
PLAIN_NAMES = {
    "ring8": "8 Gaussians in a ring", "grid25": "25 Gaussians on a grid", "spiral": "a spiral",
    "moons": "two moons", "swissroll": "a swiss roll", "mnist5k": "MNIST digits (5k)",
    "stacked-mnist": "Stacked MNIST", "digits": "sklearn's 8x8 digits", "mnist": "MNIST digits",
    "fashion-mnist": "Fashion-MNIST", "cifar10": "CIFAR-10", "folder": "your images",
    "points": "your own 2D points",
    "mlp": "small fully connected nets", "dcgan": "DCGAN conv nets", "wgan": "WGAN conv nets",
    "stylegan-lite": "StyleGAN-lite", "srgan": "SRGAN-style 4x super-resolution",
    "pix2pix": "pix2pix outline-to-digit",
    "ns": "standard GAN loss", "minimax": "original minimax GAN loss", "lsgan": "least-squares loss",
    "hinge": "hinge loss", "wasserstein": "Wasserstein loss (a critic)",
}
# Sizes a config may ask for. Widths bound what one layer allocates (8 x 2048-wide MLP layers are
# ~34M weights; 200,000-wide ones tried to allocate 160 GB); a conv net's widest stage is 8x its
# channels at 64 px. Every preset, zoo card and lab lesson fits well inside.
MAX_WIDTH = 2048
MAX_CHANNELS = 256
MAX_CONFIG_BYTES = 1 << 20  # a config file or import is a few KB; refuse reading more
MAX_DEPTH = 16  # nesting of a config (section -> field -> list is 3); deeper input is refused
MAX_NODES = 100_000  # values in a config (a few hundred); walking more is refused, not attempted
MAX_ERROR_LINES = 20

Width = Annotated[int, Field(ge=1, le=MAX_WIDTH)]


class ConfigError(ValueError):
    """A config value is wrong. The message names each bad field and what it accepts."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DataConfig(_Section):
    name: Literal[DATASETS] = Field(  # type: ignore[valid-type]
        "ring8",
        description="Training data: a 2D mixture (ring8, grid25, spiral, moons, swissroll), your "
        "own 2D points (points: a CSV in data.path, or drawn on the 2D playground) or "
        "images (mnist5k and digits ship with ganplay, stacked-mnist is built from mnist5k; mnist, fashion-mnist, cifar10 download "
        "on request; folder reads your own images).",
    )
    root: str = Field(
        "",
        max_length=4096,
        description="Folder or .zip of images for `folder`; download/cache directory for "
        "mnist, fashion-mnist and cifar10 (default ~/.cache/ganplay).",
    )
    download: bool = Field(
        False,
        description="Allow downloading mnist, fashion-mnist or cifar10 if they are not under "
        "`root` yet. Off by default: ganplay never downloads unless you ask.",
    )
    path: str = Field(
        "",
        max_length=4096,
        description="For `points`: a CSV of 2D points, one per row: x,y (and an optional whole-"
        "number label; header optional; at most 20,000 points, 1 MB). A run keeps a copy as "
        "points.csv in its folder.",
    )
    modes: int = Field(
        0,
        ge=0,
        le=50,
        description="For `points`: how many modes (clusters) to count coverage against; 0 finds "
        "them (k-means, the k from 2 to 12 with the best silhouette score, or 1 when no split is "
        "clear).",
    )
    image_size: int = Field(
        0,
        ge=0,
        le=256,
        description="Image side in pixels; 0 means the dataset's own size (28 for MNIST-like, "
        "32 for CIFAR-10, 64 for folders). DCGAN/WGAN make 28, 32 or 64.",
    )
    channels: Literal[0, 1, 3] = Field(
        0,
        description="Colour channels for `folder` images: 1 (grey), 3 (RGB) or 0 (decide from "
        "the images). Other datasets have fixed channels.",
    )
    per_class: int = Field(
        0,
        ge=0,
        le=100_000,
        description="Train on only this many images of each class (0: all of them); which ones "
        "follows train.seed. For small-data experiments (`ganplay augment` trains its generators "
        "on each arm's own digits this way).",
    )


class ModelConfig(_Section):
    arch: Literal[ARCHS] = Field(  # type: ignore[valid-type]
        "mlp",
        description="Architecture: mlp (fully connected; 2D points or small images), dcgan "
        "(transposed-conv G with BatchNorm, strided-conv D), wgan (DCGAN generator with a "
        "critic that has no BatchNorm), stylegan-lite (mapping network, modulated convolutions).",
    )
    z_dim: int = Field(64, ge=1, le=1024, description="Size of the noise vector z fed to G.")
    n_classes: int = Field(
        0,
        ge=0,
        le=1000,
        description="Classes for a conditional GAN (label embedding in G, projection in D); "
        "0 means unconditional.",
    )
    g_hidden: list[Width] = Field(
        [128, 128, 128],
        min_length=1,
        max_length=8,
        description=f"mlp only: hidden layer widths of the generator (each 1..{MAX_WIDTH}).",
    )
    d_hidden: list[Width] = Field(
        [128, 128, 128],
        min_length=1,
        max_length=8,
        description=f"mlp only: hidden layer widths of the discriminator (each 1..{MAX_WIDTH}).",
    )
    g_batchnorm: bool = Field(False, description="mlp only: BatchNorm after G's hidden layers.")
    g_channels: int = Field(
        64, ge=4, le=MAX_CHANNELS, description="dcgan/wgan/srgan/pix2pix: channel width of G's last conv "
        "stage (srgan, pix2pix: of G's first).",
    )
    d_channels: int = Field(
        64, ge=4, le=MAX_CHANNELS, description="dcgan/wgan/srgan/pix2pix: channel width of D's first conv "
        "stage.",
    )
    residual: bool = Field(
        False, description="dcgan/wgan: residual up/down blocks instead of plain convolutions."
    )
    layernorm: bool = Field(
        False, description="wgan only: LayerNorm in the critic (safe with gradient penalty)."
    )
    spectral_norm: bool = Field(
        False, description="Spectral normalisation of every D layer (Miyato et al. 2018)."
    )
    minibatch_std: bool = Field(
        False,
        description="Give D the standard deviation across the minibatch as an extra feature "
        "(ProGAN), so a collapsed batch is easy to spot.",
    )
    minibatch_disc: int = Field(
        0,
        ge=0,
        le=256,
        description="Minibatch discrimination kernels (Salimans et al. 2016); 0 is off.",
    )
    mapping_layers: int = Field(
        4, ge=1, le=8, description="stylegan-lite only: fully connected layers mapping z to w."
    )
    style_mixing: float = Field(
        0.9,
        ge=0,
        le=1,
        description="stylegan-lite only: probability of mixing two w's per training batch "
        "(style-mixing regularisation); 0 is off.",
    )
    pack: int = Field(
        1,
        ge=1,
        le=16,
        description="PacGAN packing: D judges this many samples at once (1 is off).",
    )


class LossConfig(_Section):
    name: Literal[LOSSES] = Field(  # type: ignore[valid-type]
        "ns",
        description="Adversarial loss: ns (non-saturating BCE), minimax (the original, "
        "saturating; for teaching), lsgan (least squares), hinge, wasserstein.",
    )
    gp_weight: float = Field(
        0.0, ge=0, le=1e4, description="Gradient penalty weight (WGAN-GP uses 10); 0 is off."
    )
    r1_weight: float = Field(
        0.0, ge=0, le=1e4, description="R1 penalty on real data (Mescheder et al. 2018); 0 is off."
    )
    r1_every: int = Field(
        1,
        ge=1,
        le=64,
        description="Lazy regularisation: apply R1 every this many D steps, scaled up to match "
        "(StyleGAN2 uses 16).",
    )
    clip: float = Field(
        0.0,
        ge=0,
        le=10,
        description="Clip D weights to [-clip, clip] after each D step (the original WGAN uses "
        "0.01); 0 is off.",
    )
    label_smoothing: float = Field(
        0.0,
        ge=0,
        lt=0.5,
        description="One-sided label smoothing: real targets become 1 - this (0.1 is typical).",
    )
    instance_noise: float = Field(
        0.0,
        ge=0,
        le=10,
        description="Std of Gaussian noise added to D's inputs, annealed to 0 over training.",
    )
    feature_matching: float = Field(
        0.0,
        ge=0,
        le=100,
        description="Weight of feature matching in G's loss (match D's mean features on real "
        "and fake); 0 is off.",
    )
    adv_weight: float = Field(
        1.0,
        ge=0,
        le=1e4,
        description="srgan/pix2pix: weight of the adversarial term in G's loss; 0 trains G on "
        "L1 alone (D still trains beside it, unheard, and shows how easily it tells G's answers "
        "from real). GANs from noise keep 1.",
    )
    l1_weight: float = Field(
        0.0,
        ge=0,
        le=1e4,
        description="srgan/pix2pix: weight of the L1 distance between G's answer and the true "
        "image in G's loss (pix2pix uses 100); 0 is off.",
    )


class OptimConfig(_Section):
    name: Literal["adam", "rmsprop"] = Field(
        "adam", description="Optimiser: adam, or rmsprop (the original WGAN's)."
    )
    lr_g: float = Field(2e-4, gt=0, le=1.0, description="Generator learning rate.")
    lr_d: float = Field(
        2e-4,
        gt=0,
        le=1.0,
        description="Discriminator learning rate (a different one from G's is TTUR).",
    )
    beta1: float = Field(0.5, ge=0, lt=1, description="Adam beta1 (momentum).")
    beta2: float = Field(0.999, ge=0, lt=1, description="Adam beta2.")
    n_critic: int = Field(1, ge=1, le=100, description="D steps per G step (WGANs use 5).")
    unroll: int = Field(
        0,
        ge=0,
        le=20,
        description="Unrolled GAN (Metz et al. 2017): G's step plays against D looked this many "
        "Adam steps ahead, differentiating through them; 0 is off (5-10 is typical).",
    )
    schedule: Literal["constant", "linear", "cosine"] = Field(
        "constant",
        description="Learning-rate schedule over the run: constant, linear decay to 0, cosine.",
    )
    ema: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="Exponential moving average of G's weights for sampling (e.g. 0.999); 0 is off.",
    )


class TrainConfig(_Section):
    steps: int = Field(2000, ge=1, le=10_000_000, description="Total generator steps of the run.")
    batch_size: int = Field(64, ge=1, le=8192, description="Samples per batch (per process).")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Random seed: same seed, same run.")
    device: Literal["auto", "cpu", "cuda", "mps"] = Field(
        "auto", description="Where to train: auto picks CUDA, then Apple MPS, then CPU."
    )
    precision: Literal["fp32", "bf16", "auto"] = Field(
        "fp32", description="fp32, or bf16 autocast for the forward passes: faster on GPUs and on CPUs "
        "with native bf16 (AMX, AVX512-BF16), several times slower on others (most laptops). auto "
        "picks bf16 where it pays and fp32 elsewhere."
    )
    compile: bool = Field(False, description="torch.compile the models (slow start, faster steps).")
    augment: list[Literal[AUGMENTS]] = Field(  # type: ignore[valid-type]
        [],
        description="DiffAugment-style differentiable augmentation of D's inputs: translation, "
        "cutout (helps with small image sets).",
    )
    log_every: int = Field(
        50, ge=1, le=1_000_000, description="Write a line to metrics.jsonl every this many steps."
    )
    sample_every: int = Field(
        250, ge=1, le=1_000_000, description="Save a fixed-noise sample grid every this many steps."
    )
    checkpoint_every: int = Field(
        1000, ge=1, le=10_000_000, description="Save a resumable checkpoint every this many steps."
    )
    keep_checkpoints: int = Field(
        0, ge=0, le=10_000, description="Keep only the newest this many checkpoints; 0 keeps all."
    )
    eval_every: int = Field(
        0,
        ge=0,
        le=10_000_000,
        description="Log cheap quality metrics (mode coverage, class coverage, ...) every this "
        "many steps; 0 is off.",
    )
    tensorboard: bool = Field(
        False, description="Also write TensorBoard events into the run directory."
    )


class Config(BaseModel):
    """A whole training run. Build with `Config.from_dict`, `load_config` or `from_preset`."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    name: str = Field("", max_length=80, description="A short name for the run (optional).")
    data: DataConfig = Field(default_factory=DataConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    loss: LossConfig = Field(default_factory=LossConfig)
    optim: OptimConfig = Field(default_factory=OptimConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)

    # -- derived facts ---------------------------------------------------------------------
    @property
    def is_points(self) -> bool:
        return self.data.name in POINT_DATASETS

    @property
    def image_size(self) -> int:
        """The resolved image side (0 for 2D data)."""
        if self.is_points:
            return 0
        if self.data.image_size:
            return self.data.image_size
        if self.data.name == "folder":
            return FOLDER_DEFAULT_SIZE
        return IMAGE_DATASET_INFO[self.data.name][1]

    @property
    def g_input(self) -> str:
        """What G starts from: "noise", or an image-to-image model's "lowres" or "outline"."""
        return TRANSLATOR_INPUTS.get(self.model.arch, "noise")

    # -- cross-field checks ----------------------------------------------------------------
    @model_validator(mode="after")
    def _check_combinations(self) -> "Config":
        errors: list[str] = []
        d, m, lo, t = self.data, self.model, self.loss, self.train
        if d.name != DRAWN_DATASET and (d.path or d.modes):
            errors.append(f"data.path / data.modes: only `points` reads a CSV of points; "
                          f"{d.name} has its own data (leave them empty and 0)")
        if self.is_points:
            if m.arch != "mlp":
                errors.append(
                    f"model.arch: 2D data ({d.name}) needs 'mlp'; got {m.arch!r} "
                    f"(dcgan/wgan are for images)"
                )
            if m.n_classes:
                errors.append(f"model.n_classes: 2D data ({d.name}) has no labels; use 0")
            if t.augment:
                errors.append("train.augment: image augmentation does not apply to 2D data; use []")
            if d.per_class:
                errors.append(f"data.per_class: 2D data ({d.name}) has no classes; use 0")
            if d.name == DRAWN_DATASET and not d.path:
                errors.append("data.path: `points` needs a CSV of x,y points (in the dashboard: draw or "
                              "load at least 10 of them under Your points)")
        else:
            size = self.image_size
            if m.arch in CONV_ARCHS and size not in CONV_IMAGE_SIZES:
                errors.append(
                    f"data.image_size: {m.arch} makes {', '.join(map(str, CONV_IMAGE_SIZES))} px "
                    f"images; got {size}"
                )
            if m.arch == "mlp" and not 4 <= size <= 64:
                errors.append(f"data.image_size: mlp makes 4..64 px images; got {size}")
            info = IMAGE_DATASET_INFO.get(d.name)
            if m.n_classes and info and m.n_classes != info[2]:
                errors.append(
                    f"model.n_classes: {d.name} has {info[2]} classes; use {info[2]} "
                    f"(conditional) or 0 (unconditional), got {m.n_classes}"
                )
            if d.name == "folder" and not d.root:
                errors.append("data.root: `folder` needs the path of a directory or .zip of images")
            if d.channels and d.name != "folder":
                errors.append(f"data.channels: only `folder` takes channels; {d.name} has its own")
        errors += self._translator_errors()
        if m.residual and m.arch not in ("dcgan", "wgan"):
            errors.append("model.residual: only dcgan and wgan have residual blocks")
        if m.layernorm and m.arch != "wgan":
            errors.append("model.layernorm: only the wgan critic takes LayerNorm")
        if m.pack > 1:
            if m.n_classes:
                errors.append("model.pack: packing and conditional labels do not mix; use pack 1")
            if t.batch_size % m.pack:
                errors.append(
                    f"train.batch_size: must be a multiple of model.pack ({m.pack}); "
                    f"got {t.batch_size}"
                )
        if lo.name == "wasserstein" and lo.clip == 0 and lo.gp_weight == 0:
            errors.append(
                "loss.clip / loss.gp_weight: a Wasserstein critic needs a Lipschitz constraint: "
                "set loss.clip (e.g. 0.01, WGAN) or loss.gp_weight (e.g. 10, WGAN-GP)"
            )
        if lo.label_smoothing and lo.name not in ("ns", "minimax", "lsgan"):
            errors.append(
                f"loss.label_smoothing: applies to ns, minimax and lsgan targets, not {lo.name}"
            )
        if lo.clip and m.spectral_norm:
            errors.append("loss.clip: weight clipping and spectral norm fight each other; pick one")
        if self.optim.unroll and self.optim.name != "adam":
            errors.append("optim.unroll: unrolling looks ahead with Adam steps; use optim.name=adam")
        if m.minibatch_disc and m.pack > 1:
            errors.append("model.minibatch_disc: use either minibatch discrimination or packing")
        if errors:
            raise ValueError("\n".join(errors))
        return self

    def _translator_errors(self) -> list[str]:
        d, m, lo = self.data, self.model, self.loss
        if self.g_input == "noise":
            errors = []
            if lo.l1_weight:
                errors.append(f"loss.l1_weight: {m.arch} starts from noise and has no true image to "
                              "compare with; only srgan and pix2pix take it (use 0)")
            if lo.adv_weight != 1.0:
                errors.append(f"loss.adv_weight: a GAN from noise learns only from D; only srgan and "
                              f"pix2pix may weigh it (use 1), got {lo.adv_weight:g}")
            return errors
        errors = []
        if d.name not in TRANSLATOR_DATASETS:
            errors.append(f"data.name: {m.arch} translates one-channel 28 px digits "
                          f"({', '.join(TRANSLATOR_DATASETS)}); got {d.name}")
        elif self.image_size != 28:
            errors.append(f"data.image_size: {m.arch} works at 28 px; got {self.image_size}")
        if m.n_classes:
            errors.append(f"model.n_classes: {m.arch} is conditioned on an image, not a label; use 0")
        if m.pack > 1 or m.minibatch_disc:
            errors.append(f"model.pack / model.minibatch_disc: {m.arch}'s D judges each image with its input; "
                          "use pack 1 and no minibatch discrimination")
        if not (lo.l1_weight or lo.adv_weight):
            errors.append("loss.l1_weight / loss.adv_weight: both 0 leave G nothing to learn from")
        return errors

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "Config":
        check_plain(values)
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise ConfigError(format_validation_error(exc)) from None

    @classmethod
    def from_preset(cls, name: str, overrides: list[str] | None = None) -> "Config":
        if name not in PRESETS:
            raise ConfigError(f"unknown preset {name!r}; presets: {', '.join(PRESETS)}")
        return cls.from_dict(apply_overrides(preset_values(name), overrides or []))

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @property
    def run_label(self) -> str:
        """What a new run directory is named after: the run's name, else data and architecture."""
        return self.name or f"{self.data.name}-{self.model.arch}"

    def summary(self) -> str:
        """One line in plain words for lists: data · networks · loss (· penalty · conditional)."""
        bits = [PLAIN_NAMES.get(self.data.name, self.data.name), PLAIN_NAMES[self.model.arch],
                PLAIN_NAMES[self.loss.name]]
        if self.loss.gp_weight:
            bits.append(f"gradient penalty {self.loss.gp_weight:g}")
        if self.model.pack > 1:
            bits.append(f"D judges {self.model.pack} samples at once")
        if self.model.n_classes:
            bits.append("conditional on the label")
        return " · ".join(bits)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    def with_overrides(self, overrides: list[str]) -> "Config":
        return Config.from_dict(apply_overrides(self.to_dict(), overrides))

    def with_data_under(self, folder: str | Path) -> "Config":
        """This config with a relative `data.path` read from `folder`: a run's own copy of its drawn
        points (`points.csv`), or the CSV beside an exported config."""
        if not self.data.path or Path(self.data.path).is_absolute():
            return self
        return self.model_copy(update={"data": self.data.model_copy(
            update={"path": str(Path(folder) / self.data.path)})})


# ---------------------------------------------------------------------------------------------
# Loading, overrides and error messages
# ---------------------------------------------------------------------------------------------


def load_config(path: str | Path, overrides: list[str] | None = None) -> Config:
    """Read a YAML or JSON config file, apply `key=value` overrides, validate."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: {path.stat().st_size:,} bytes is not a config file "
                          f"(configs are a few KB; at most {MAX_CONFIG_BYTES:,} bytes)")
    kind = "JSON" if path.suffix == ".json" else "YAML"
    values = parse_document(path.read_bytes(), kind, str(path))
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: expected a mapping of sections (data, model, ...) at the top")
    data = values.get("data")
    if isinstance(data, dict) and isinstance(data.get("path"), str) and data["path"] \
            and not Path(data["path"]).is_absolute():  # a CSV named in the file sits beside it
        data["path"] = str(path.parent / data["path"])
    return Config.from_dict(apply_overrides(values, overrides or []))


class _PlainYAML(yaml.SafeLoader):
    """YAML without aliases (`*name`): no config needs them, and an alias of a list of aliases
    of ... expands exponentially when walked (a 300-character link held the server for a minute)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in a config",
                                              self.peek_event().start_mark)
        return super().compose_node(parent, index)


def _load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_PlainYAML)  # noqa: S506 (a SafeLoader, less aliases)


def parse_document(data: bytes | str, kind: str, where: str) -> Any:
    """A JSON or YAML document's plain data; anything unreadable is one ConfigError line."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{where}: not a text file (not UTF-8: byte {exc.start} is "
                              f"{data[exc.start:exc.start + 1]!r}); give a YAML or JSON config") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{where}: {len(data):,} characters is not a config "
                          f"(at most {MAX_CONFIG_BYTES:,})")
    try:
        values = json.loads(data) if kind == "JSON" else _load_yaml(data)
    except RecursionError:
        raise ConfigError(f"{where}: nested too deeply to be a config (at most {MAX_DEPTH} "
                          "levels)") from None
    except (yaml.YAMLError, ValueError) as exc:  # JSONDecodeError, YAML's bad dates, huge ints
        first = " ".join(str(exc).split())
        raise ConfigError(f"{where}: not valid {kind}: {_short(first, 200)}") from None
    check_plain(values, where)
    return values


def check_plain(values: Any, where: str = "config") -> None:
    """Refuse what no config holds before anything walks it recursively: nesting deeper than
    MAX_DEPTH, more than MAX_NODES values, keys that are not text, values that are not JSON's (YAML
    makes dates, sets, ...)."""
    stack = [(values, (), 0)]
    seen = 0
    while stack:
        node, loc, depth = stack.pop()
        name = ".".join(map(str, loc)) or "top level"
        seen += 1
        if seen > MAX_NODES:
            raise ConfigError(f"{where}: more than {MAX_NODES:,} values: too large to be a config")
        if depth > MAX_DEPTH:
            raise ConfigError(f"{where}: nested too deeply to be a config (at most {MAX_DEPTH} levels)")
        if isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str):
                    raise ConfigError(f"{where}: {_short(name)}: keys must be text, got {_short(repr(key))}")
                stack.append((value, (*loc, _short(key, 40)), depth + 1))
        elif isinstance(node, list):
            stack.extend((value, (*loc, i), depth + 1) for i, value in enumerate(node))
        elif not (node is None or isinstance(node, (str, int, float, bool))):
            raise ConfigError(f"{where}: {_short(name)}: {type(node).__name__} is not a config value "
                              "(use numbers, text, true/false and lists)")


def _short(text: str, limit: int = 60) -> str:
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit - 20]}...({len(text):,} characters)"


def parse_value(text: str) -> Any:
    """Parse an override's value: JSON first (so 1e-4 is a number), then YAML, else a string.
    Text that parses into something no config holds (too deep, a date) stays text, for the
    validator to name."""
    if _bracket_depth(text) > MAX_DEPTH:  # no config value nests so deep; YAML scans it in quadratic time
        return text
    for parse in (json.loads, _load_yaml):
        try:
            value = parse(text)
        except (ValueError, yaml.YAMLError, RecursionError):
            continue
        try:
            check_plain(value)
        except ConfigError:
            return text
        return value
    return text


def _bracket_depth(text: str) -> int:
    """The deepest nesting of [ and { in `text` (quotes ignored: an upper bound is enough)."""
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
    return deepest


def apply_overrides(values: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return a copy of `values` with each `a.b=value` override set. Unknown keys are left for
    validation to report (with the list of known ones)."""
    check_plain(values)
    out = json.loads(json.dumps(values))  # deep copy of plain data
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {_short(repr(item))}: expected key=value, e.g. optim.lr_g=1e-4")
        key, raw = item.split("=", 1)
        parts = [p for p in key.strip().split(".") if p]
        if not parts:
            raise ConfigError(f"override {_short(repr(item))}: empty key")
        node = out
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"override {_short(repr(item))}: {part} is not a section")
            node = child
        node[parts[-1]] = parse_value(raw.strip())
    return out


def _allowed_keys(loc: tuple) -> list[str]:
    model: type[BaseModel] = Config
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        ann = field.annotation if field else None
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return []
        model = ann
    return list(model.model_fields)


def format_validation_error(exc: ValidationError) -> str:
    """Turn pydantic's error into lines that name the field, the value and what is allowed."""
    lines = []
    errors = exc.errors()
    for err in errors[:MAX_ERROR_LINES]:
        loc = tuple(err["loc"])
        field = _short(".".join(str(p) for p in loc) or "config")
        kind = err["type"]
        if kind == "extra_forbidden":
            known = _allowed_keys(loc)
            lines.append(f"{field}: unknown setting; known here: {', '.join(known)}")
        elif kind == "value_error":
            # our cross-field messages already name their fields
            lines.extend(msg.strip() for msg in str(err["ctx"]["error"]).splitlines())
        else:
            got = err.get("input")
            lines.append(f"{field}: {err['msg']} (got {_short(repr(got))})")
    if len(errors) > MAX_ERROR_LINES:
        lines.append(f"... and {len(errors) - MAX_ERROR_LINES} more")
    return "invalid config:\n  " + "\n  ".join(lines)


def field_help() -> dict[str, dict[str, Any]]:
    """Dotted field name -> {default, help, annotation}; what forms and `--help` render."""
    out: dict[str, dict[str, Any]] = {}
    for section, sfield in Config.model_fields.items():
        ann = sfield.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            for name, f in ann.model_fields.items():
                out[f"{section}.{name}"] = {
                    "default": f.get_default(call_default_factory=True),
                    "help": f.description,
                    "annotation": f.annotation,
                }
        else:
            out[section] = {"default": sfield.default, "help": sfield.description, "annotation": ann}
    return out
