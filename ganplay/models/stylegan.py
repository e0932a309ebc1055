"""StyleGAN-lite: a small StyleGAN2 (Karras et al. 2020) for 28, 32 and 64 px images.

G = mapping + synthesis.

- Mapping: z is normalised (pixel norm; when conditional, the label embedding is normalised to
  the same total energy and concatenated), then `model.mapping_layers` fully connected layers
  with LeakyReLU(0.2) give w (`w_dim`, 128 by default). The mapping layers learn 100x slower (lr multiplier 0.01), as in
  StyleGAN.
- Synthesis: a learned constant (7x7 for 28 px, else 4x4), then one block per resolution
  (7 -> 14 -> 28, 4 -> 8 -> 16 -> 32, 4 -> ... -> 64). A block is [bilinear 2x upsample +]
  modulated 3x3 conv, modulated 3x3 conv, each followed by per-pixel noise (learned per-channel
  strength), a bias and LeakyReLU(0.2); and a toRGB (modulated 1x1 conv, not demodulated) whose
  output is added to the upsampled image so far (StyleGAN2's skip generator). tanh at the end,
  so images are in [-1, 1] like every ganplay generator.
- Styles: every modulated conv takes one w. There are `num_ws = 2 * upsamplings + 2` of them
  (28 px: 6, 32 px: 8, 64 px: 10), indexed coarse to fine; as in StyleGAN2, a toRGB shares its w
  with the next block's first conv, and the last toRGB has its own.

Modulated convolution is computed in the fast form: scale the input by the style (per sample,
per input channel), run one ordinary conv2d with the shared weight, multiply the output by the
demodulation factor (per sample, per output channel). This equals the grouped-conv form of the
paper (one weight per sample; `modulated_conv2d_grouped`, kept as the reference for tests) to
~1e-6; G's forward + backward ran 1.3x (preset widths) to 2.2x (twice as wide) faster with it
on our CPU.

Randomness and determinism:

- Train mode: noise inputs are random, and with probability `model.style_mixing` a batch mixes
  two w's (style-mixing regularisation: a second z's w from a random crossover layer onward).
  These draws use `G.rng` when it is set (a `torch.Generator`; ganplay's trainer sets it to its
  per-step reseeded generator, `G.rng = trainer.rng`, so a stopped and resumed run draws the same
  numbers as a straight one) and the global RNG when it is None.
- Eval mode: noise inputs are fixed buffers (`noise_mode="const"`), made at construction from a
  fixed seed, and no style mixing: the same z (and label) always gives the same image, and an
  eval forward never touches any RNG.
- Truncation trick: `w_avg` is a running mean of w (lerp with `W_AVG_BETA` = 0.995), updated
  only by train-mode forwards; conditional generators also keep one mean per class
  (`w_avg_class`), and truncate each sample toward its own class's mean so the class survives.
  `G(z, labels, truncation=psi)` uses `w_avg + psi * (w - w_avg)`: psi = 1 leaves w alone, psi = 0
  gives the (class's) average image.

The API for panels (style mixing, truncation sliders):

    w = G.mapping(z, labels)                    # (B, w_dim)
    w = G.truncate(w, psi, labels)              # toward w_avg (or the class means)
    ws = w[:, None].repeat(1, G.num_ws, 1)      # (B, num_ws, w_dim)
    ws[:, k:] = w_b[:, None]                    # coarse styles from A, fine from B
    img = G.synthesis(ws, noise_mode="const")   # (B, C, H, W) in [-1, 1]

D: StyleGAN2's residual discriminator: fromRGB (1x1 conv), then per resolution a block of
conv 3x3 + LeakyReLU, 2x average-pool, conv 3x3 + LeakyReLU, plus a 1x1 skip of the pooled
input, summed and scaled by 1/sqrt(2); at the start resolution a minibatch std feature
(`model.minibatch_std`, on in the presets, as StyleGAN always has it), a 3x3 conv and a fully
connected layer give the features that the base class scores (plus the projection term when
conditional). Its layers are `nn.Conv2d`/`nn.Linear` subclasses, so `model.spectral_norm`
(applied by the registry), `model.pack` and `model.minibatch_disc` work as in the other
discriminators.

Equalised learning rate everywhere (G and D): weights are stored N(0, 1) and scaled at run time
by 1/sqrt(fan_in), so Adam moves every layer at the same relative speed and StyleGAN2's
learning rate (2e-3, betas 0 and 0.99) works for both nets; the mapping layers also get the
0.01 multiplier. A spectrally normalised D layer drops its run-time scale (spectral norm sets
the scale itself).

What is left out of full StyleGAN2, and why:

- Progressive growing: StyleGAN2 dropped it too (the skip G and residual D replace it).
- Path length regularisation (and its lazy schedule): it smooths the w -> image map for
  interpolation quality, but costs an extra G forward and a double backward every few steps,
  and shows little at 28 px in a few thousand steps on a CPU. Lazy R1 on D is kept
  (`loss.r1_weight`, `loss.r1_every`).
- upfirdn2d: upsampling is 2x bilinear, which is StyleGAN2's [1, 3, 3, 1] filter; downsampling
  is 2x2 averaging. Stock ops, so the generator exports to ONNX as is.
- ADA (adaptive augmentation): ganplay has DiffAugment (`train.augment`) instead.
- Size: a 128-wide mapping network of `model.mapping_layers` (default 4) layers instead of
  8 x 512; channels capped at `MAX_CHANNELS` (256); two convs per resolution.
- No fp16 layers or activation clamping, no truncation cutoff (build ws yourself to truncate
  only the coarse styles), no per-sample style mixing (one crossover per batch, as the
  official code does).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrize

from ganplay.config import Config
from ganplay.models.base import Discriminator, Generator
from ganplay.models.dcgan import conv_plan
from ganplay.models.layers import MinibatchDiscrimination, MinibatchStd
from ganplay.models.registry import register_arch

ARCH = "stylegan-lite"
W_DIM = 128
MAX_CHANNELS = 256
LEAK = 0.2
ACT_GAIN = math.sqrt(2.0)  # keeps unit-variance activations through LeakyReLU (StyleGAN's gain)
MAPPING_LR_MUL = 0.01
W_AVG_BETA = 0.995
NOISE_SEED = 1234  # the constant (eval-mode) noise buffers come from this seed, not the global RNG
NOISE_MODES = ("random", "const", "none")


# ---------------------------------------------------------------------------------------------
# Modulated convolution
# ---------------------------------------------------------------------------------------------


def modulated_conv2d(
    x: Tensor,
    weight: Tensor,
    styles: Tensor,
    demodulate: bool = True,
    padding: int = 0,
    eps: float = 1e-8,
) -> Tensor:
    """StyleGAN2's modulated convolution, fast form.

    `x` (B, Cin, H, W), `weight` (Cout, Cin, k, k) shared by the batch, `styles` (B, Cin).
    Modulating the weight per sample, w'_bij = s_bj * w_ij, is the same as scaling the input
    channels by s_b; demodulating, w''_bij = w'_bij / sqrt(sum_jk w'_bijk^2), is the same as
    scaling output channel i of sample b after the conv. So: one ordinary conv2d, no per-sample
    weights, no grouped conv.
    """
    out = F.conv2d(x * styles[:, :, None, None].to(x.dtype), weight.to(x.dtype), padding=padding)
    if demodulate:
        # sum over (Cin, k, k) of (s_bj w_ijk)^2 = sum_j s_bj^2 * (sum_k w_ijk^2)
        energy = styles.square() @ weight.square().sum(dim=(2, 3)).t().to(styles.dtype)
        out = out * (energy + eps).rsqrt()[:, :, None, None].to(out.dtype)
    return out


def modulated_conv2d_grouped(
    x: Tensor,
    weight: Tensor,
    styles: Tensor,
    demodulate: bool = True,
    padding: int = 0,
    eps: float = 1e-8,
) -> Tensor:
    """The paper's form: a weight per sample, run as one grouped conv (reference for tests)."""
    batch, cin, h, w = x.shape
    cout, _, kh, kw = weight.shape
    wb = weight[None] * styles[:, None, :, None, None]  # (B, Cout, Cin, k, k)
    if demodulate:
        wb = wb * (wb.square().sum(dim=(2, 3, 4), keepdim=True) + eps).rsqrt()
    out = F.conv2d(
        x.reshape(1, batch * cin, h, w), wb.reshape(batch * cout, cin, kh, kw),
        padding=padding, groups=batch,
    )
    return out.reshape(batch, cout, *out.shape[2:])


# ---------------------------------------------------------------------------------------------
# Generator layers (equalised learning rate: weights N(0, 1), scaled at run time)
# ---------------------------------------------------------------------------------------------


def _lrelu(x: Tensor) -> Tensor:
    return F.leaky_relu(x, LEAK) * ACT_GAIN


def _pixel_norm(x: Tensor, eps: float = 1e-8) -> Tensor:
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


def _upsample(x: Tensor) -> Tensor:
    # 2x bilinear (align_corners=False) is StyleGAN2's [1, 3, 3, 1] upsampling filter
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


def _downsample(x: Tensor) -> Tensor:
    # 2x2 average pooling (even sizes); half-scale bilinear computes exactly that and, with its
    # backward, ran ~1.8x faster than avg_pool2d on our CPU
    return F.interpolate(x, scale_factor=0.5, mode="bilinear", align_corners=False)


def _is_parametrized(layer: nn.Module) -> bool:
    return parametrize.is_parametrized(layer, "weight")


class EqualLinear(nn.Linear):
    """`nn.Linear` with equalised learning rate: weights N(0, 1) / lr_mul, multiplied at run time
    by lr_mul / sqrt(in_features) (and biases by lr_mul), so Adam moves every layer at the same
    relative speed, `lr_mul` times the optimiser's. `activate`: LeakyReLU(0.2) with gain sqrt(2).
    Being an `nn.Linear`, spectral norm (D only) reaches it; a spectrally normalised weight has
    its own scale, so the run-time gain is then dropped."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        bias_init: float = 0.0,
        lr_mul: float = 1.0,
        activate: bool = False,
    ) -> None:
        super().__init__(in_features, out_features, bias=bias)
        with torch.no_grad():
            self.weight.normal_().div_(lr_mul)
            if self.bias is not None:
                self.bias.fill_(float(bias_init) / lr_mul)
        self.weight_gain = lr_mul / math.sqrt(in_features)
        self.lr_mul = lr_mul
        self.activate = activate

    def forward(self, x: Tensor) -> Tensor:
        gain = 1.0 if _is_parametrized(self) else self.weight_gain
        bias = None if self.bias is None else self.bias * self.lr_mul
        x = F.linear(x, self.weight * gain, bias)
        return _lrelu(x) if self.activate else x


class EqualConv2d(nn.Conv2d):
    """`nn.Conv2d` with equalised learning rate (see `EqualLinear`): weights N(0, 1) multiplied
    at run time by 1 / sqrt(fan_in)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        with torch.no_grad():
            self.weight.normal_()
            if self.bias is not None:
                self.bias.zero_()
        self.weight_gain = 1.0 / math.sqrt(self.weight[0].numel())

    def forward(self, x: Tensor) -> Tensor:
        gain = 1.0 if _is_parametrized(self) else self.weight_gain
        return self._conv_forward(x, self.weight * gain, self.bias)


class MappingNetwork(nn.Module):
    """(normalised z [+ normalised label embedding]) -> `layers` FC + LeakyReLU -> w."""

    def __init__(self, in_dim: int, w_dim: int, layers: int, lr_mul: float = MAPPING_LR_MUL) -> None:
        super().__init__()
        dims = [in_dim] + [w_dim] * layers
        self.net = nn.Sequential(
            *(EqualLinear(a, b, lr_mul=lr_mul, activate=True) for a, b in zip(dims[:-1], dims[1:]))
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class SynthesisLayer(nn.Module):
    """[2x upsample ->] modulated conv (demodulated) -> + noise * strength -> + bias -> LeakyReLU."""

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, resolution: int, up: bool = False,
                 kernel: int = 3) -> None:
        super().__init__()
        self.up = up
        self.padding = kernel // 2
        self.affine = EqualLinear(w_dim, in_ch, bias_init=1.0)  # styles start at 1
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.noise_strength = nn.Parameter(torch.zeros(out_ch))  # learned, per channel
        self.resolution = resolution
        self.register_buffer("noise_const", torch.zeros(1, 1, resolution, resolution))

    def forward(self, x: Tensor, w: Tensor, noise_mode: str = "random",
                generator: torch.Generator | None = None) -> Tensor:
        styles = self.affine(w)
        if self.up:
            x = _upsample(x)
        # demodulation makes the weight's scale irrelevant: no equalised-lr gain needed here
        x = modulated_conv2d(x, self.weight, styles, demodulate=True, padding=self.padding)
        if noise_mode == "random":
            noise = torch.randn(
                (x.shape[0], 1, self.resolution, self.resolution),
                generator=generator, device=x.device, dtype=x.dtype,
            )
            x = x + noise * self.noise_strength.to(x.dtype)[None, :, None, None]
        elif noise_mode == "const":
            x = x + self.noise_const.to(x.dtype) * self.noise_strength.to(x.dtype)[None, :, None, None]
        return _lrelu(x + self.bias.to(x.dtype)[None, :, None, None])


class ToRGB(nn.Module):
    """Modulated 1x1 conv to image channels, not demodulated, plus a bias."""

    def __init__(self, in_ch: int, out_ch: int, w_dim: int) -> None:
        super().__init__()
        self.affine = EqualLinear(w_dim, in_ch, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, 1, 1))
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.weight_gain = 1.0 / math.sqrt(in_ch)

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        styles = self.affine(w) * self.weight_gain
        x = modulated_conv2d(x, self.weight, styles, demodulate=False)
        return x + self.bias.to(x.dtype)[None, :, None, None]


class SynthesisBlock(nn.Module):
    """One resolution: (upsample + conv, conv) or, for the first block, one conv; then toRGB."""

    def __init__(self, in_ch: int, out_ch: int, img_ch: int, w_dim: int, resolution: int,
                 first: bool) -> None:
        super().__init__()
        self.first = first
        if first:
            self.convs = nn.ModuleList([SynthesisLayer(in_ch, out_ch, w_dim, resolution)])
        else:
            self.convs = nn.ModuleList([
                SynthesisLayer(in_ch, out_ch, w_dim, resolution, up=True),
                SynthesisLayer(out_ch, out_ch, w_dim, resolution),
            ])
        self.torgb = ToRGB(out_ch, img_ch, w_dim)

    @property
    def num_conv(self) -> int:
        return len(self.convs)

    def forward(self, x: Tensor, img: Tensor | None, ws: Tensor, noise_mode: str,
                generator: torch.Generator | None) -> tuple[Tensor, Tensor]:
        """`ws`: (B, num_conv + 1, w_dim): one per conv, then the toRGB's."""
        for i, conv in enumerate(self.convs):
            x = conv(x, ws[:, i], noise_mode, generator)
        rgb = self.torgb(x, ws[:, self.num_conv])
        img = rgb if img is None else _upsample(img).to(rgb.dtype) + rgb
        return x, img


# ---------------------------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------------------------


def _width(base: int, doublings: int) -> int:
    """`base * 2**doublings`, capped at MAX_CHANNELS (or at `base` if that is wider)."""
    return min(base * 2**doublings, max(MAX_CHANNELS, base))


class StyleGenerator(Generator):
    """StyleGAN-lite generator. See the module docstring for the parts and the API.

    Attributes: `z_dim`, `n_classes`, `out_shape` (from `Generator`), `w_dim`, `num_ws`,
    `style_mixing` (probability per training batch), `w_avg` (w_dim,) and, when conditional,
    `w_avg_class` (n_classes, w_dim): running means of w for truncation.

    `rng`: a `torch.Generator` (on G's device) for the train-mode draws (noise, style mixing), or
    None for the global RNG. ganplay's trainer sets it to its per-step generator each step, which
    keeps stop/resume exact.
    """

    def __init__(
        self,
        z_dim: int,
        n_classes: int,
        out_shape: tuple[int, ...],
        channels: int,
        mapping_layers: int = 4,
        w_dim: int = W_DIM,
        style_mixing: float = 0.9,
        mapping_lr_mul: float = MAPPING_LR_MUL,
    ) -> None:
        super().__init__(z_dim, n_classes, out_shape)
        img_ch, start, stages = conv_plan(self.out_shape, ARCH)
        if not 0.0 <= style_mixing <= 1.0:
            raise ValueError(f"StyleGenerator: style_mixing must be in [0, 1], got {style_mixing}")
        self.w_dim = w_dim
        self.style_mixing = float(style_mixing)
        self.rng: torch.Generator | None = None
        self.mapping_net = MappingNetwork(self.in_dim, w_dim, mapping_layers, mapping_lr_mul)
        self.register_buffer("w_avg", torch.zeros(w_dim))
        if n_classes > 0:
            self.register_buffer("w_avg_class", torch.zeros(n_classes, w_dim))

        top = _width(channels, stages)
        self.const = nn.Parameter(torch.randn(top, start, start))
        blocks = []
        cin = top
        for j in range(stages + 1):
            cout = _width(channels, stages - j)
            blocks.append(SynthesisBlock(cin, cout, img_ch, w_dim, start * 2**j, first=j == 0))
            cin = cout
        self.blocks = nn.ModuleList(blocks)
        # w index where each block starts: a toRGB shares its w with the next block's first conv
        self._w_starts = []
        index = 0
        for block in self.blocks:
            self._w_starts.append(index)
            index += block.num_conv
        self.num_ws = index + 1
        self._init_const_noise()

    @torch.no_grad()
    def _init_const_noise(self) -> None:
        gen = torch.Generator().manual_seed(NOISE_SEED)
        for layer in self.modules():
            if isinstance(layer, SynthesisLayer):
                layer.noise_const.copy_(torch.randn(layer.noise_const.shape, generator=gen))

    # -- mapping and truncation ---------------------------------------------------------------
    def mapping(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """`z` (B, z_dim) [+ labels (B,)] -> w (B, w_dim). In train mode this also updates the
        running means used for truncation."""
        w = self.mapping_net(self._mapping_input(z, labels))
        if self.training:
            self._update_w_avg(w, labels)
        return w

    @torch.no_grad()
    def _update_w_avg(self, w: Tensor, labels: Tensor | None) -> None:
        w = w.detach().float()
        self.w_avg.copy_(w.mean(dim=0).lerp(self.w_avg, W_AVG_BETA))
        if self.embed is not None:
            labels = labels.long()
            sums = torch.zeros_like(self.w_avg_class).index_add_(0, labels, w)
            counts = torch.bincount(labels, minlength=self.n_classes).to(w.dtype)[:, None]
            means = sums / counts.clamp(min=1)
            self.w_avg_class.copy_(
                torch.where(counts > 0, means.lerp(self.w_avg_class, W_AVG_BETA), self.w_avg_class)
            )

    def truncate(self, w: Tensor, psi: float, labels: Tensor | None = None) -> Tensor:
        """The truncation trick: `w_avg + psi * (w - w_avg)`, toward each sample's class mean
        when conditional (and labels are given), else toward the overall mean."""
        if psi == 1.0:
            return w
        if self.embed is not None and labels is not None:
            avg = self.w_avg_class[labels.long()]
        else:
            avg = self.w_avg[None]
        return avg.to(w.dtype).lerp(w, psi)

    # -- synthesis ------------------------------------------------------------------------------
    def synthesis(self, ws: Tensor, noise_mode: str | None = None) -> Tensor:
        """ws (B, num_ws, w_dim), coarse to fine -> images (B, C, H, W) in [-1, 1].

        `noise_mode`: "random" (fresh noise, from `self.rng` if set), "const" (the fixed buffers:
        deterministic), "none"; default: random in train mode, const in eval mode."""
        if noise_mode is None:
            noise_mode = "random" if self.training else "const"
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {', '.join(NOISE_MODES)}; got {noise_mode!r}")
        if ws.dim() != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(
                f"synthesis: ws must have shape (B, {self.num_ws}, {self.w_dim}), got {tuple(ws.shape)}"
            )
        generator = self.rng if noise_mode == "random" else None
        x = self.const[None].expand(ws.shape[0], -1, -1, -1).to(ws.dtype)
        img = None
        for block, start in zip(self.blocks, self._w_starts):
            x, img = block(x, img, ws[:, start : start + block.num_conv + 1], noise_mode, generator)
        return torch.tanh(img)

    def _mix(self, z: Tensor, labels: Tensor | None, ws: Tensor) -> Tensor:
        """Style-mixing regularisation: with probability `style_mixing`, a second z's w from a
        random crossover index (1 .. num_ws - 1) onward, for the whole batch."""
        rng = self.rng
        device = z.device
        if torch.rand((), generator=rng, device=device).item() >= self.style_mixing:
            return ws
        cut = int(torch.randint(1, self.num_ws, (), generator=rng, device=device).item())
        z2 = torch.randn(z.shape, generator=rng, device=device, dtype=z.dtype)
        w2 = self.mapping_net(self._mapping_input(z2, labels))  # no w_avg update for z2
        ws = ws.clone()
        ws[:, cut:] = w2[:, None].to(ws.dtype)
        return ws

    def _mapping_input(self, z: Tensor, labels: Tensor | None) -> Tensor:
        """Pixel-normalised z, and when conditional the label embedding appended, normalised to
        the same total energy as z (the embedding is narrower than z: at unit RMS it would weigh
        less in the mapping's input). `condition` validates z and labels."""
        x = self.condition(z, labels)
        if self.embed is None:
            return _pixel_norm(x)
        embed_dim = x.shape[1] - self.z_dim
        label = _pixel_norm(x[:, self.z_dim :]) * math.sqrt(self.z_dim / embed_dim)
        return torch.cat([_pixel_norm(x[:, : self.z_dim]), label], dim=1)

    def forward(self, z: Tensor, labels: Tensor | None = None, truncation: float = 1.0) -> Tensor:
        """mapping -> truncation -> broadcast to num_ws -> [style mixing, train mode] -> synthesis."""
        w = self.truncate(self.mapping(z, labels), truncation, labels)
        ws = w[:, None].expand(-1, self.num_ws, -1)
        if self.training and self.style_mixing > 0 and self.num_ws > 1:
            ws = self._mix(z, labels, ws)
        return self.synthesis(ws)


# ---------------------------------------------------------------------------------------------
# Discriminator
# ---------------------------------------------------------------------------------------------


class DBlock(nn.Module):
    """StyleGAN2's residual D block: conv3x3 + LReLU -> avgpool2 -> conv3x3 + LReLU, plus a 1x1
    skip of the pooled input; summed and scaled by 1/sqrt(2)."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.conv1 = EqualConv2d(in_ch, in_ch, 3, 1, 1)
        self.conv2 = EqualConv2d(in_ch, out_ch, 3, 1, 1)
        self.skip = EqualConv2d(in_ch, out_ch, 1, 1, 0, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        h = _lrelu(self.conv1(x))
        h = _lrelu(self.conv2(_downsample(h)))
        return (h + self.skip(_downsample(x))) * (1.0 / math.sqrt(2.0))


class FastMinibatchStd(MinibatchStd):
    """`layers.MinibatchStd` with the variance written out: the same numbers, but
    `Tensor.var(dim=1)` over the group axis (and its backward) was ~10x slower on our CPU."""

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4:
            return super().forward(x)
        batch, _, h, w = x.shape
        group = self._group(batch)
        grouped = x.reshape(batch // group, group, -1)
        var = (grouped - grouped.mean(dim=1, keepdim=True)).square().mean(dim=1)
        stat = (var + self.eps).sqrt().mean(dim=1).repeat_interleave(group)  # (B,)
        return torch.cat([x, stat.view(batch, 1, 1, 1).expand(batch, 1, h, w).to(x.dtype)], dim=1)


class _LReLU(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return _lrelu(x)


class StyleDiscriminator(Discriminator):
    """fromRGB -> DBlocks down to the start map -> [minibatch std] -> conv3x3 -> FC -> features.
    Every layer (the base class's score included) has equalised learning rate."""

    def __init__(
        self,
        in_shape: tuple[int, ...],
        n_classes: int,
        channels: int,
        pack: int = 1,
        minibatch_std: bool = True,
        minibatch_disc: int = 0,
    ) -> None:
        super().__init__(in_shape, n_classes, pack)
        _, start, stages = conv_plan(self.in_shape, ARCH)
        widths = [_width(channels, i) for i in range(stages + 1)]
        layers: list[nn.Module] = [EqualConv2d(self.packed_shape[0], widths[0], 1), _LReLU()]
        for i in range(stages):
            layers.append(DBlock(widths[i], widths[i + 1]))
        top = widths[-1]
        cin = top
        if minibatch_std:
            layers.append(FastMinibatchStd())
            cin += 1
        layers += [
            EqualConv2d(cin, top, 3, 1, 1),
            _LReLU(),
            nn.Flatten(),
            EqualLinear(top * start * start, top, activate=True),
        ]
        width = top
        if minibatch_disc:
            mbd = MinibatchDiscrimination(width, minibatch_disc)
            layers.append(mbd)
            width = mbd.out_features
        self.set_trunk(nn.Sequential(*layers), width)
        self.linear = EqualLinear(width, 1)  # the score, equalised like the rest


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------


@register_arch(ARCH)
def build_stylegan_lite(
    cfg: Config, sample_shape: tuple[int, ...], n_classes: int
) -> tuple[StyleGenerator, StyleDiscriminator]:
    """StyleGAN-lite: mapping network + modulated-conv synthesis; residual D."""
    m = cfg.model
    conv_plan(sample_shape, ARCH)  # the size error names the arch the user picked
    G = StyleGenerator(
        m.z_dim,
        n_classes,
        sample_shape,
        m.g_channels,
        mapping_layers=m.mapping_layers,
        style_mixing=m.style_mixing,
    )
    D = StyleDiscriminator(
        sample_shape,
        n_classes,
        m.d_channels,
        pack=m.pack,
        minibatch_std=m.minibatch_std,
        minibatch_disc=m.minibatch_disc,
    )
    return G, D
