"""The lab's lessons: which data, which GAN collapses on it, which cures, and how we judge them.

Each lesson is a pair of configs on the same data and seed: on the left a vanilla GAN with settings
chosen so it collapses, on the right the same GAN with a cure switched on. A cure is a short list
of `key=value` overrides on top of the left config, so the page can show exactly what differs.

Whether a run collapsed or covered is decided by `judge` from its final coverage number; the rates
over seeds (`ganplay lab measure`) are in `pretrained/lab/reliability.json` and the README.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ganplay.config import Config, apply_overrides
from ganplay.presets import PRESETS

COLLAPSE = "collapse"  # the left side's name wherever a side is named like a cure


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    blurb: str  # one line: what the data is
    kind: str  # "points", "digits" or "stacked": what a frame holds and which metrics apply
    base: dict[str, Any]  # the collapsing GAN's config (complete enough to validate)
    unit: str  # what `coverage` counts: "modes" or "classes"
    n_modes: int  # the full count
    collapsed_at_most: int  # final coverage <= this: the run collapsed
    covered_at_least: int  # final coverage >= this: the run covered the data
    frames: int = 16  # snapshots recorded over the run (plus step 0)
    anchors: tuple[tuple[str, float, str], ...] = ()  # (method, published coverage, source)
    kl_anchors: tuple[tuple[str, float, str], ...] = ()  # (method, published KL from uniform, source)
    cures: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cure:
    name: str
    title: str
    why: str  # why it helps, in two sentences a class can follow
    overrides: dict[str, tuple[str, ...]] = field(default_factory=dict)  # scenario -> overrides
    notes: dict[str, str] = field(default_factory=dict)  # scenario -> what we measured there

    def why_on(self, scenario_name: str) -> str:
        """Why it helps, with what we measured on this scenario where that qualifies it."""
        note = self.notes.get(scenario_name)
        return f"{self.why} {note}" if note else self.why


# The unrolled-GAN paper's toy setup (Metz et al. 2017: z of 256, G 2x128, D 1x128), trained with
# Adam, batch 256 and a learning rate decaying linearly to 0 over 3,000 steps. With no cure it
# collapses onto one or two modes and hops between them (ring: lr 1e-3; grid: lr 1e-4. At 1e-3 a
# vanilla GAN keeps ~18 of the grid's 25 modes: it drops modes rather than collapsing).
_TOY = {
    "model": {"arch": "mlp", "z_dim": 256, "g_hidden": [128, 128], "d_hidden": [128]},
    "loss": {"name": "ns"},
    "optim": {"lr_g": 1e-3, "lr_d": 1e-3, "beta1": 0.5, "schedule": "linear"},
    "train": {"steps": 3000, "batch_size": 256, "log_every": 50, "sample_every": 500,
              "checkpoint_every": 100000, "eval_every": 0},
}
_GRID_TOY = {**_TOY, "optim": {**_TOY["optim"], "lr_g": 1e-4, "lr_d": 1e-4}}
_FAST = ("optim.lr_g=1e-3", "optim.lr_d=1e-3")  # the grid's cures train at the ring's speed
# WGAN-GP is a recipe, not a switch: the `ring8-wgan-gp` preset's nets (z 8, 3x128) and optimiser
_WGAN_GP = ("model.z_dim=8", "model.g_hidden=[128,128,128]", "model.d_hidden=[128,128,128]",
            "loss.name=wasserstein", "loss.gp_weight=0.1", "optim.n_critic=5", "optim.beta2=0.9")
# MNIST: the classic fully connected GAN (the `mnist-mlp` preset) with G learning 50 times
# faster than D. G outruns D: it finds one image that D currently rates as real and turns every z
# into it. (A DCGAN did not collapse on MNIST-5k in any setting we tried, fast G and BatchNorm
# taken out of G or D included: its samples collapsed for a few hundred steps and then recovered.)
_MNIST_FAST_G = apply_overrides(PRESETS["mnist-mlp"]["config"], [
    "optim.lr_g=5e-3", "optim.lr_d=1e-4", "train.steps=3000", "train.log_every=50",
    "train.sample_every=500", "train.checkpoint_every=100000", "train.eval_every=0"])
# Stacked MNIST: the same fast-G MLP on three digits stacked as colour channels (1,000 modes). It
# collapses onto one digit triple. Its cure is WGAN-GP at the `mnist-mlp` preset's own learning
# rate (2e-4 for both nets, balanced as in the WGAN-GP paper's MNIST runs): on a CPU budget the
# others cover far less (the vanilla loss at 2e-4 about 15 of 1,000 modes, spectral norm a few
# hundred, packing and minibatch std 1-2), so the lesson offers only this one.
_STACKED_FAST_G = apply_overrides(_MNIST_FAST_G, ["data.name=stacked-mnist"])
_WGAN_GP_STACKED = ("loss.name=wasserstein", "loss.gp_weight=10", "optim.n_critic=5",
                    "optim.beta2=0.9", "optim.lr_g=2e-4", "optim.lr_d=2e-4")
_ALL_CURES = ("unrolled", "spectral-norm", "minibatch-std", "pacgan", "wgan-gp")

SCENARIOS: dict[str, Scenario] = {
    "ring8": Scenario(
        "ring8", "Ring of 8 Gaussians",
        "8 equally likely blobs on a circle: a GAN that finds only one of them has collapsed.",
        "points", {"data": {"name": "ring8"}, **_TOY}, "modes", 8,
        collapsed_at_most=2, covered_at_least=7,
        anchors=(("GAN", 1, "VEEGAN Table 1"), ("Unrolled GAN", 7.6, "VEEGAN Table 1"),
                 ("WGAN-GP", 6.8, "GDPP Table 1"), ("PacGAN2", 7.9, "PacGAN Table 1")),
        cures=_ALL_CURES,
    ),
    "grid25": Scenario(
        "grid25", "Grid of 25 Gaussians",
        "A 5x5 grid of blobs: the modes are far apart, so a GAN keeps the few it found first. "
        "The left side is a vanilla GAN at a slow learning rate: 1e-4, falling to 0 over 3,000 "
        "steps of batch 256 (it ended at 1 to 3 of the 25 modes in our 5 seeds). It is not the "
        "grid25-gan preset on Home, which trains 6,000 steps of batch 512 at a constant 1e-4. "
        "(The cures' recipes also train both nets 10 times faster, at 1e-3; at that rate alone "
        "the vanilla GAN kept 17 to 20 of the 25 modes in our runs, so part of the right side's "
        "gain comes from the faster rate, not from the cure.)",
        "points", {"data": {"name": "grid25"}, **_GRID_TOY}, "modes", 25,
        collapsed_at_most=8, covered_at_least=22,
        anchors=(("GAN", 3.3, "VEEGAN Table 1"), ("WGAN-GP", 24.2, "GDPP Table 1")),
        # Only the cures that cover the grid reliably (`ganplay lab measure`). Unrolling (5 steps),
        # minibatch std and packing (2 or 4) ended at 16-22 of 25 modes here: no better than the
        # vanilla GAN at their faster learning rate, so they would teach the wrong lesson.
        cures=("spectral-norm", "wgan-gp"),
    ),
    "mnist5k": Scenario(
        "mnist5k", "MNIST digits",
        "5,000 handwritten digits, 500 of each. Here G learns 50 times faster than D: it turns "
        "every noise vector into the one image D likes at the moment and never gets away from it. "
        "The bundled classifier sorts the samples into the ten digits. (The cure is spectral norm "
        "with 5 D steps per G step, as in SN-GAN; 5 D steps alone also covered all 10 digits in "
        "our run, seed 0, so on this lesson the extra D steps do the work.)",
        "digits", _MNIST_FAST_G, "classes", 10,
        collapsed_at_most=2, covered_at_least=10,
        cures=("spectral-norm",),
    ),
    "stacked-mnist": Scenario(
        "stacked-mnist", "Stacked MNIST",
        "Three MNIST digits stacked as the red, green and blue channels: 10 x 10 x 10 = 1,000 "
        "modes, the standard benchmark for mode collapse. G again learns 50 times faster than D. "
        "The bundled classifier reads each channel's digit; a mode is a digit triple. (The cure's "
        "recipe also trains both nets at 2e-4; at that rate alone the vanilla GAN found only 10 "
        "to 17 of the 1,000 modes.)",
        "stacked", _STACKED_FAST_G, "modes", 1000,
        # collapsed: no more modes than the published DCGAN's 99; covered: within 10% of all
        collapsed_at_most=100, covered_at_least=900,
        anchors=(("DCGAN", 99, "VEEGAN Table 2"), ("Unrolled GAN", 817, "GDPP Table 3"),
                 ("WGAN-GP", 995, "GDPP Table 3"), ("PacDCGAN2", 1000, "PacGAN Table 2")),
        kl_anchors=(("DCGAN", 3.4, "VEEGAN Table 2"), ("Unrolled GAN", 1.430, "GDPP Table 3"),
                    ("WGAN-GP", 0.148, "GDPP Table 3"), ("PacDCGAN2", 0.06, "PacGAN Table 2")),
        cures=("wgan-gp",),
    ),
}

CURES: dict[str, Cure] = {
    "unrolled": Cure(
        "unrolled", "Unrolled D steps",
        "G plays against D as it will be 5 steps from now, and its gradient flows through those "
        "steps. Piling every sample onto one mode stops paying, because G can see D punish it next.",
        {"ring8": ("optim.unroll=5",)},
    ),
    "spectral-norm": Cure(
        "spectral-norm", "Spectral norm",
        "Every D layer is scaled so D cannot change faster than its inputs (Lipschitz 1), and D "
        "trains 5 steps per G step as in SN-GAN. A smooth, well-trained D keeps pointing G towards "
        "the modes it has missed instead of chasing it from mode to mode.",
        {"ring8": ("model.spectral_norm=true", "optim.n_critic=5"),
         "grid25": ("model.spectral_norm=true", "optim.n_critic=5", *_FAST),
         "mnist5k": ("model.spectral_norm=true", "optim.n_critic=5")},
        notes={"mnist5k": "On MNIST the 5 D steps alone also covered all 10 digits (seed 0: class KL "
                          "0.018, no spectral norm), so on this lesson the extra D steps do the work."},
    ),
    "minibatch-std": Cure(
        "minibatch-std", "Minibatch std",
        "D also sees how spread out the whole batch is. A collapsed batch has almost no spread, so "
        "D spots it at once and G is pushed to spread its samples out.",
        {"ring8": ("model.minibatch_std=true",)},
    ),
    "pacgan": Cure(
        "pacgan", "PacGAN packing",
        "D judges 2 samples at a time. Two real samples usually come from different modes; two "
        "fakes from a collapsed G are near copies, so D tells them apart and G must diversify. "
        "How many to pack depends on D: with this lab's one-layer D, packs of 4 covered the ring "
        "in only 2 of 5 seeds (packs of 2: 4 of 5); the lesson \"Cure it with one switch\", "
        "with a three-layer D, needs 4.",
        # pack 2, not 4: with the toy's one-layer D, pack 4 covered the ring in 2 of 5 seeds
        {"ring8": ("model.pack=2",)},
    ),
    "wgan-gp": Cure(
        "wgan-gp", "WGAN-GP",
        "D becomes a critic that measures how far the fake distribution is from the real one, kept "
        "smooth by a gradient penalty. A missing mode adds to that distance, so G is paid to cover it. "
        "It comes as a recipe: every line on the right (loss, 5 critic steps, optimiser) is part of it.",
        {"ring8": _WGAN_GP, "grid25": (*_WGAN_GP, *_FAST), "stacked-mnist": _WGAN_GP_STACKED},
    ),
}

WHAT_IS_COLLAPSE = (
    "**Mode collapse** is when a GAN's generator makes only a few kinds of samples, however "
    "different its noise inputs are. G has found one output that fools D and piles everything "
    "onto it; when D catches up, G jumps to another single mode instead of spreading out."
)
WHAT_TO_WATCH = (
    "Watch the coverage line under each side. On the left it stays low, or climbs a little and "
    "then falls or hops as G gives up modes; on the right it climbs to all or nearly all of them "
    "and stays there (each side's *Measured* line says how often, over the seeds we trained). "
    "The samples tell the same story: one clump (or one image, over and over) on the left, spread "
    "over the modes on the right."
)


class LabError(ValueError):
    """An unknown scenario or cure, or a replay that cannot be read."""


def scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise LabError(f"unknown scenario {name!r}; scenarios: {', '.join(SCENARIOS)}") from None


def cure(name: str) -> Cure:
    try:
        return CURES[name]
    except KeyError:
        raise LabError(f"unknown cure {name!r}; cures: {', '.join(CURES)}") from None


def side_overrides(scenario_name: str, side: str) -> tuple[str, ...]:
    """The overrides that turn the collapsing config into `side` (none for the collapse itself)."""
    sc = scenario(scenario_name)
    if side == COLLAPSE:
        return ()
    if side not in sc.cures:
        raise LabError(f"{scenario_name} has no cure {side!r}; its cures: {', '.join(sc.cures)}")
    return cure(side).overrides[scenario_name]


def side_config(scenario_name: str, side: str, seed: int = 0, steps: int | None = None) -> Config:
    """The validated config of one side of a lesson."""
    sc = scenario(scenario_name)
    values = apply_overrides(sc.base, [*side_overrides(scenario_name, side), f"train.seed={seed}"])
    values["name"] = f"lab-{scenario_name}-{side}"
    if steps is not None:
        values["train"]["steps"] = steps
    return Config.from_dict(values)


def judge(sc: Scenario, final_coverage: float) -> str:
    """"collapsed", "covered" or "partial" for a run that ended at `final_coverage`."""
    if final_coverage <= sc.collapsed_at_most:
        return "collapsed"
    if final_coverage >= sc.covered_at_least:
        return "covered"
    return "partial"
