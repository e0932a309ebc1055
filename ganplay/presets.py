"""Named starting points. Each is a partial config (unset fields keep their defaults) plus a line
of help. `ganplay presets` lists them; `ganplay train --preset NAME` trains one.

Step counts are chosen so each preset finishes on a 2-core laptop CPU in minutes; README.md lists
the measured times.
"""

from __future__ import annotations

from typing import Any


_MLP_2D = {"arch": "mlp", "z_dim": 8, "g_hidden": [128, 128, 128], "d_hidden": [128, 128, 128]}
# The unrolled-GAN paper's toy setup (Metz et al. 2017): z of 256, G 2x128, D 1x128, Adam 1e-4,
# batch 512. A vanilla GAN here collapses onto one mode and hops between modes as D catches up.
_MLP_2D_VANILLA = {"arch": "mlp", "z_dim": 256, "g_hidden": [128, 128], "d_hidden": [128]}
_VANILLA_OPTIM = {"lr_g": 1e-4, "lr_d": 1e-4, "beta1": 0.5}
# The covering cures: wider nets (3x256) trained long with a learning rate decaying to 0 and an EMA
# of G; precision at std 0.02-0.05 comes from the decay.
_MLP_2D_WIDE = {"arch": "mlp", "z_dim": 8, "g_hidden": [256, 256, 256], "d_hidden": [256, 256, 256]}
_MNIST_DCGAN = {"arch": "dcgan", "z_dim": 64, "g_channels": 32, "d_channels": 32}
_MNIST_CRITIC = {"arch": "wgan", "z_dim": 64, "g_channels": 32, "d_channels": 32}
# StyleGAN-lite at MNIST scale: mapping 4 x 128, G 64@7 -> 32@14 -> 16@28 (twice as wide was
# 1.5x slower and no clearly better at 3,000 steps), residual D 16@28 -> 64@7 with minibatch std;
# StyleGAN2's Adam (beta1 0, beta2 0.99, lr 2e-3), lazy R1 every 16 D steps, EMA of G (0.998:
# with 0.999 a 3,000-step run still carries 5% of the random initial G).
_MNIST_STYLEGAN = {"arch": "stylegan-lite", "z_dim": 64, "g_channels": 16, "d_channels": 16,
                   "mapping_layers": 4, "style_mixing": 0.9, "minibatch_std": True}
_STYLEGAN_LOSS = {"name": "ns", "r1_weight": 2.0, "r1_every": 16}
_STYLEGAN_OPTIM = {"lr_g": 2e-3, "lr_d": 2e-3, "beta1": 0.0, "beta2": 0.99, "ema": 0.998}
_TRANSLATOR = {"arch": "srgan", "g_channels": 32, "d_channels": 32}
_SR_LOSS = {"name": "ns", "l1_weight": 20.0}  # L1 is ~0.1 here: x20 leaves the adversarial term a say
_P2P_LOSS = {"name": "ns", "l1_weight": 100.0}  # pix2pix's lambda
_TRANSLATOR_OPTIM = {"lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5}
_TRANSLATOR_TRAIN = {"steps": 2000, "batch_size": 64, "log_every": 50, "sample_every": 250,
                     "checkpoint_every": 1000, "eval_every": 250}
_LOG_2D = {"log_every": 50, "sample_every": 250, "checkpoint_every": 1000, "eval_every": 250}
_LOG_IMG = {"log_every": 50, "sample_every": 250, "checkpoint_every": 1000, "eval_every": 500}

PRESETS: dict[str, dict[str, Any]] = {
    "ring8-gan": {
        "help": ("Vanilla GAN on 8 Gaussians in a ring: watch it collapse into one blob that wanders the "
                 "ring (the zoo's copy ends between two modes, covering none)."),
        "config": {
            "data": {"name": "ring8"},
            "model": _MLP_2D_VANILLA,
            "loss": {"name": "ns"},
            "optim": _VANILLA_OPTIM,
            "train": {"steps": 6000, "batch_size": 512, **_LOG_2D},
        },
    },
    "ring8-wgan-gp": {
        "help": ("WGAN-GP on the ring: the gradient penalty spreads G around the ring (all 8 modes at the "
                 "end of our 3,000-step run)."),
        "config": {
            "data": {"name": "ring8"},
            "model": _MLP_2D,
            "loss": {"name": "wasserstein", "gp_weight": 0.1},
            "optim": {"lr_g": 1e-3, "lr_d": 1e-3, "beta1": 0.5, "beta2": 0.9, "n_critic": 5,
                      "schedule": "linear"},
            "train": {"steps": 3000, "batch_size": 256, **_LOG_2D},
        },
    },
    "grid25-gan": {
        "help": "Vanilla GAN on a 5x5 grid of Gaussians: misses many of the 25 modes.",
        "config": {
            "data": {"name": "grid25"},
            "model": _MLP_2D_VANILLA,
            "loss": {"name": "ns"},
            "optim": _VANILLA_OPTIM,
            "train": {"steps": 6000, "batch_size": 512, **_LOG_2D},
        },
    },
    "grid25-wgan-gp": {
        "help": "WGAN-GP on the 5x5 grid: spreads over the modes the vanilla GAN misses.",
        "config": {
            "data": {"name": "grid25"},
            "model": _MLP_2D,
            "loss": {"name": "wasserstein", "gp_weight": 0.1},
            "optim": {"lr_g": 1e-3, "lr_d": 1e-3, "beta1": 0.5, "beta2": 0.9, "n_critic": 5,
                      "schedule": "linear"},
            "train": {"steps": 3000, "batch_size": 256, **_LOG_2D},
        },
    },
    "ring8-pacgan": {
        "help": "PacGAN on the ring: D judges 4 samples at once; with a decaying lr, sharp and complete.",
        "config": {
            "data": {"name": "ring8"},
            "model": {**_MLP_2D_WIDE, "pack": 4},
            "loss": {"name": "ns"},
            "optim": {"lr_g": 1e-3, "lr_d": 1e-3, "beta1": 0.5, "schedule": "linear", "ema": 0.999},
            "train": {"steps": 30000, "batch_size": 256, **_LOG_2D, "eval_every": 1000},
        },
    },
    "grid25-pacgan": {
        "help": ("PacGAN on the 5x5 grid: the zoo's copy covers 23.2 of 25 modes on average (22-25 over 5 "
                 "seeds), 86% of samples within 3 std of a centre."),
        "config": {
            "data": {"name": "grid25"},
            "model": {**_MLP_2D_WIDE, "z_dim": 16, "pack": 4},
            "loss": {"name": "ns"},
            "optim": {"lr_g": 1e-3, "lr_d": 1e-3, "beta1": 0.5, "schedule": "linear", "ema": 0.999},
            "train": {"steps": 40000, "batch_size": 512, **_LOG_2D, "eval_every": 1000},
        },
    },
    "mnist-dcgan": {
        "help": "DCGAN on the bundled MNIST-5k digits (Radford et al. 2016).",
        "config": {
            "data": {"name": "mnist5k"},
            "model": _MNIST_DCGAN,
            "loss": {"name": "ns"},
            "optim": {"lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5},
            "train": {"steps": 3000, "batch_size": 64, **_LOG_IMG},
        },
    },
    "mnist-cdcgan": {
        "help": "Conditional DCGAN on MNIST-5k: ask for a digit, get that digit.",
        "config": {
            "data": {"name": "mnist5k"},
            "model": {**_MNIST_DCGAN, "n_classes": 10},
            "loss": {"name": "ns"},
            "optim": {"lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5},
            "train": {"steps": 3000, "batch_size": 64, **_LOG_IMG},
        },
    },
    "mnist-wgan": {
        "help": "The original WGAN on MNIST-5k: weight clipping, RMSProp, 5 critic steps.",
        "config": {
            "data": {"name": "mnist5k"},
            "model": _MNIST_CRITIC,
            "loss": {"name": "wasserstein", "clip": 0.01},
            "optim": {"name": "rmsprop", "lr_g": 5e-5, "lr_d": 5e-5, "n_critic": 5},
            "train": {"steps": 3000, "batch_size": 64, **_LOG_IMG},
        },
    },
    "mnist-wgan-gp": {
        "help": "WGAN-GP on MNIST-5k: gradient penalty, LayerNorm critic, 5 critic steps.",
        "config": {
            "data": {"name": "mnist5k"},
            "model": {**_MNIST_CRITIC, "layernorm": True},
            "loss": {"name": "wasserstein", "gp_weight": 10.0},
            "optim": {"lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5, "beta2": 0.9, "n_critic": 5},
            "train": {"steps": 2000, "batch_size": 64, **_LOG_IMG},
        },
    },
    "mnist-cwgan-gp": {
        "help": "Conditional WGAN-GP on MNIST-5k: the critic's projection head learns the labels.",
        "config": {
            "data": {"name": "mnist5k"},
            "model": {**_MNIST_CRITIC, "layernorm": True, "n_classes": 10},
            "loss": {"name": "wasserstein", "gp_weight": 10.0},
            "optim": {"lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5, "beta2": 0.9, "n_critic": 5, "ema": 0.999},
            "train": {"steps": 3000, "batch_size": 64, **_LOG_IMG},
        },
    },
    "mnist-mlp": {
        "help": "The classic fully connected GAN of first tutorials (G 100-128-256-784).",
        "config": {
            "data": {"name": "mnist5k"},
            "model": {"arch": "mlp", "z_dim": 100, "g_hidden": [128, 256],
                      "d_hidden": [256, 128]},
            "loss": {"name": "ns"},
            "optim": {"lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5},
            "train": {"steps": 5000, "batch_size": 64, **_LOG_IMG},
        },
    },
    "mnist-stylegan-lite": {
        "help": "StyleGAN-lite on MNIST-5k: mapping network, modulated convs, style mixing, lazy R1.",
        "config": {
            "data": {"name": "mnist5k"},
            "model": _MNIST_STYLEGAN,
            "loss": _STYLEGAN_LOSS,
            "optim": _STYLEGAN_OPTIM,
            "train": {"steps": 3000, "batch_size": 32, **_LOG_IMG},
        },
    },
    "mnist-cstylegan-lite": {
        "help": "Conditional StyleGAN-lite on MNIST-5k: the label joins z in the mapping network.",
        "config": {
            "data": {"name": "mnist5k"},
            "model": {**_MNIST_STYLEGAN, "n_classes": 10},
            "loss": _STYLEGAN_LOSS,
            "optim": _STYLEGAN_OPTIM,
            "train": {"steps": 3000, "batch_size": 32, **_LOG_IMG},
        },
    },
    # Image-to-image, each beside the same G trained on L1 alone (its D trains too, unheard, so
    # its curves show how easily D tells the L1 answers from real digits).
    "mnist-srgan": {
        "help": "SRGAN-style 4x super-resolution of 7x7 digits: L1 plus an adversarial term.",
        "config": {"data": {"name": "mnist5k"}, "model": _TRANSLATOR, "loss": _SR_LOSS,
                   "optim": _TRANSLATOR_OPTIM, "train": _TRANSLATOR_TRAIN},
    },
    "mnist-sr-l1": {
        "help": "The same 4x super-resolution G trained with L1 only: the blurry baseline.",
        "config": {"data": {"name": "mnist5k"}, "model": _TRANSLATOR, "loss": {**_SR_LOSS, "adv_weight": 0.0},
                   "optim": _TRANSLATOR_OPTIM, "train": _TRANSLATOR_TRAIN},
    },
    "mnist-pix2pix": {
        "help": "pix2pix from a digit's outline to the digit: U-Net G, PatchGAN D, L1 x 100 + adversarial.",
        "config": {"data": {"name": "mnist5k"}, "model": {**_TRANSLATOR, "arch": "pix2pix"}, "loss": _P2P_LOSS,
                   "optim": _TRANSLATOR_OPTIM, "train": _TRANSLATOR_TRAIN},
    },
    "mnist-pix2pix-l1": {
        "help": "The same outline-to-digit U-Net trained with L1 only: the blurry baseline.",
        "config": {"data": {"name": "mnist5k"}, "model": {**_TRANSLATOR, "arch": "pix2pix"},
                   "loss": {**_P2P_LOSS, "adv_weight": 0.0}, "optim": _TRANSLATOR_OPTIM,
                   "train": _TRANSLATOR_TRAIN},
    },
}


def preset_values(name: str) -> dict[str, Any]:
    """The preset's partial config as plain data (a fresh copy), named after the preset."""
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; presets: {', '.join(PRESETS)}")
    import copy

    values = copy.deepcopy(PRESETS[name]["config"])
    values.setdefault("name", name)
    return values
