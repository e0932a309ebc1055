"""The Train form, described from the config itself (`ganplay.config.field_help`), so the form and
the config can never disagree: one widget per field, the field's help text as the widget's help,
choices only from the field's own `Literal` options, bounds from its constraints.

Plain data in, plain data out; the Streamlit page renders `FieldSpec`s and hands the values back
to `build_config`, which returns the validator's messages keyed by field.
"""

from __future__ import annotations

import math
import re
import typing
from dataclasses import dataclass
from typing import Any

from ganplay.config import ARCHS, DRAWN_DATASET, POINT_DATASETS, Config, ConfigError, field_help

SECTIONS = {
    "data": "Data",
    "model": "Model",
    "loss": "Loss and stabilisers",
    "optim": "Optimiser",
    "train": "Training",
}


@dataclass(frozen=True)
class FieldSpec:
    key: str  # dotted name, e.g. "optim.lr_g"
    section: str  # "data", ..., or "" for top-level fields such as `name`
    label: str
    kind: str  # "choice" | "multichoice" | "bool" | "int" | "float" | "int_list" | "text"
    default: Any
    help: str
    options: tuple = ()
    min_value: float | None = None
    max_value: float | None = None
    step: float | None = None
    archs: tuple[str, ...] = ()  # the architectures it applies to (empty: all)

    def applies_to(self, arch: str) -> bool:
        return not self.archs or arch in self.archs

    def read_by(self, data_name: str) -> bool:
        """Whether a run on `data_name` reads this field (2D points have no image size, ...)."""
        if self.key in IMAGE_DATA_FIELDS:
            return data_name not in POINT_DATASETS
        if self.key == "data.modes":
            return data_name == DRAWN_DATASET
        return True


# the data fields only image data sets read (the 2D sets are generated or drawn points)
IMAGE_DATA_FIELDS = ("data.root", "data.download", "data.image_size", "data.channels", "data.per_class")


def _bounds(key: str) -> tuple[float | None, float | None]:
    """Inclusive bounds (ge/le) of a field; strict ones (gt/lt) are left to the validator."""
    section, _, name = key.partition(".")
    model_field = Config.model_fields[section]
    if name:
        model_field = model_field.annotation.model_fields[name]  # type: ignore[union-attr]
    lo = hi = None
    for meta in model_field.metadata:
        lo = getattr(meta, "ge", lo)
        hi = getattr(meta, "le", hi)
    return lo, hi


_ARCH_PREFIX = re.compile(r"^(?P<archs>[a-z0-9/-]+?)(?: only)?:")


def _archs_from_help(text: str) -> tuple[str, ...]:
    """'mlp only: ...' / 'dcgan/wgan: ...' -> the architectures the field applies to."""
    match = _ARCH_PREFIX.match(text or "")
    if not match:
        return ()
    names = tuple(match.group("archs").split("/"))
    return names if all(n in ARCHS for n in names) else ()


def _float_step(default: float, hi: float | None) -> float:
    if default:
        return 10.0 ** math.floor(math.log10(abs(default)))
    return 0.01 if hi is not None and hi <= 1 else 0.1


# The form's labels in a learner's words; each field's help ends with its config key.
LABELS = {
    "name": "Run name", "data.name": "Data set", "data.root": "Image folder or download folder",
    "data.download": "Allow downloading the data set", "data.image_size": "Image size (pixels)",
    "data.channels": "Colour channels", "data.per_class": "Images per class (0: all)",
    "data.path": "Your points (CSV)", "data.modes": "Modes to count in your points (0: find them)",
    "model.arch": "Network architecture",
    "model.z_dim": "Noise size (z)", "model.n_classes": "Classes (conditional GAN)",
    "model.g_hidden": "G's hidden layer widths", "model.d_hidden": "D's hidden layer widths",
    "model.g_batchnorm": "Batch norm in G", "model.g_channels": "G's conv channels",
    "model.d_channels": "D's conv channels", "model.residual": "Residual blocks",
    "model.layernorm": "Layer norm in the critic", "model.spectral_norm": "Spectral norm in D",
    "model.minibatch_std": "Show D the batch's spread (minibatch std)",
    "model.minibatch_disc": "Minibatch discrimination kernels", "model.mapping_layers": "Mapping layers (z to w)",
    "model.style_mixing": "Style mixing probability", "model.pack": "Samples D judges at once (PacGAN)",
    "loss.name": "Loss", "loss.gp_weight": "Gradient penalty weight", "loss.r1_weight": "R1 penalty weight",
    "loss.r1_every": "R1 penalty every n D steps", "loss.clip": "Clip D's weights to ±",
    "loss.label_smoothing": "Label smoothing", "loss.instance_noise": "Noise on D's inputs",
    "loss.feature_matching": "Feature matching weight", "loss.adv_weight": "Adversarial weight in G's loss",
    "loss.l1_weight": "L1 weight in G's loss", "optim.name": "Optimiser",
    "optim.lr_g": "G's learning rate", "optim.lr_d": "D's learning rate", "optim.beta1": "Adam beta1 (momentum)",
    "optim.beta2": "Adam beta2", "optim.n_critic": "D steps per G step",
    "optim.unroll": "Steps G looks ahead (unrolled GAN)", "optim.schedule": "Learning-rate schedule",
    "optim.ema": "Average of G's weights (EMA)", "train.steps": "Training steps", "train.batch_size": "Batch size",
    "train.seed": "Random seed", "train.device": "Device", "train.precision": "Number precision",
    "train.compile": "Compile the models", "train.augment": "Augment D's inputs",
    "train.log_every": "Log every n steps", "train.sample_every": "Save samples every n steps",
    "train.checkpoint_every": "Save a checkpoint every n steps", "train.keep_checkpoints": "Checkpoints to keep",
    "train.eval_every": "Measure quality every n steps", "train.tensorboard": "Write TensorBoard logs",
}


def _label(key: str) -> str:
    return LABELS.get(key) or key.rsplit(".", 1)[-1].replace("_", " ")


def form_fields() -> list[FieldSpec]:
    """Every config field as a FieldSpec, in the config's own order."""
    specs = []
    for key, info in field_help().items():
        section, _, name = key.partition(".")
        if not name:
            section, name = "", section
        ann, default, text = info["annotation"], info["default"], info["help"] or ""
        origin, args = typing.get_origin(ann), typing.get_args(ann)
        lo, hi = _bounds(key)
        common = {"key": key, "section": section, "label": _label(key), "default": default,
                  "help": f"{text} (config key `{key}`)", "archs": _archs_from_help(text)}
        if origin is typing.Literal:
            spec = FieldSpec(kind="choice", options=args, **common)
        elif origin is list and args and typing.get_origin(args[0]) is typing.Literal:
            spec = FieldSpec(kind="multichoice", options=typing.get_args(args[0]), **common)
        elif origin is list:
            spec = FieldSpec(kind="int_list", **common)
        elif ann is bool:
            spec = FieldSpec(kind="bool", **common)
        elif ann is int:
            spec = FieldSpec(kind="int", min_value=lo, max_value=hi, step=1, **common)
        elif ann is float:
            spec = FieldSpec(kind="float", min_value=lo, max_value=hi,
                             step=_float_step(float(default), hi), **common)
        else:
            spec = FieldSpec(kind="text", **common)
        specs.append(spec)
    return specs


# ---------------------------------------------------------------------------------------------
# Values <-> config
# ---------------------------------------------------------------------------------------------
def flatten(values: dict[str, Any]) -> dict[str, Any]:
    """A (partial or full) config dict -> {dotted key: value} for every form field, defaults
    filled in."""
    out = {spec.key: spec.default for spec in form_fields()}
    for key in out:
        section, _, name = key.partition(".")
        node = values.get(section) if name else values
        if name and isinstance(node, dict) and name in node:
            out[key] = node[name]
        elif not name and section in values:
            out[key] = values[section]
    return out


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """{dotted key: value} -> the nested dict `Config.from_dict` takes."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        section, _, name = key.partition(".")
        if name:
            out.setdefault(section, {})[name] = value
        else:
            out[section] = value
    return out


def parse_int_list(text: str | list) -> list[int] | str:
    """'128, 128' -> [128, 128]; anything unparsable comes back as text for the validator."""
    if isinstance(text, list):
        return text
    parts = [p for p in re.split(r"[\s,;]+", str(text).strip(" []")) if p]
    try:
        return [int(p) for p in parts]
    except ValueError:
        return str(text)


def format_int_list(values: list[int] | str) -> str:
    return ", ".join(str(v) for v in values) if isinstance(values, list) else str(values)


def errors_by_field(message: str) -> dict[str, list[str]]:
    """Split a ConfigError message into {dotted field: [lines]}; lines naming no known field go
    under "" (a line such as 'loss.clip / loss.gp_weight: ...' is filed under both fields)."""
    keys = {spec.key for spec in form_fields()}
    out: dict[str, list[str]] = {}
    for raw in message.splitlines():
        line = raw.strip()
        if not line or line == "invalid config:":
            continue
        head = line.split(":", 1)[0]
        named = [k.strip() for k in head.split("/") if k.strip() in keys]
        for key in named or [""]:
            out.setdefault(key, []).append(line)
    return out


@dataclass
class FormResult:
    config: Config | None
    errors: dict[str, list[str]]

    @property
    def ok(self) -> bool:
        return self.config is not None and not self.errors

    def all_errors(self) -> list[str]:
        seen: list[str] = []
        for lines in self.errors.values():
            seen.extend(line for line in lines if line not in seen)
        return seen


def build_config(flat: dict[str, Any], extra_errors: list[str] | None = None) -> FormResult:
    """Validate form values. `extra_errors` (e.g. demo limits) are filed like the validator's."""
    values = dict(flat)
    for spec in form_fields():
        if spec.kind == "int_list" and spec.key in values:
            values[spec.key] = parse_int_list(values[spec.key])
    try:
        cfg = Config.from_dict(nest(values))
    except ConfigError as exc:
        return FormResult(None, errors_by_field(str(exc)))
    if extra_errors:
        return FormResult(cfg, errors_by_field("\n".join(extra_errors)))
    return FormResult(cfg, {})
