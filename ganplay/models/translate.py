"""Image-to-image models: G maps an input image to a 28 px digit; D judges a digit beside that input.

    srgan    G: 7x7 -> 28x28 (4x). A conv, residual blocks (conv-BN-PReLU-conv-BN plus the
             block's input, Ledig et al. 2017), two pixel-shuffle 2x stages, a conv to one
             channel and a tanh.
    pix2pix  G: outline -> digit. A small U-Net (Isola et al. 2017): 28 -> 14 -> 7 down, back up
             with each level's features concatenated, the input itself beside the last layer.

D (both): a PatchGAN, a conv net that scores each overlapping patch (7x7 scores at 28 px) of the
image stacked with its input (a low-res input is first enlarged, nearest neighbour), so D asks
"is this a real digit for *this* input?". The losses average over patches.

The trainer treats these like a conditional G: `G(z, inputs)`, `D(x, inputs)`. z is empty
(`z_dim` 0): the output depends on the input only.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganplay.config import TRANSLATOR_INPUTS, Config
from ganplay.data.pairs import LOWRES_FACTOR
from ganplay.models.registry import register_arch

LEAK = 0.2


class Translator(nn.Module):
    """G of an image-to-image model: `G(z, inputs) -> (B, *out_shape)`; z is ignored."""

    z_dim = 0
    n_classes = 0
    is_conditional = False

    def __init__(self, input_kind: str, in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> None:
        super().__init__()
        self.input_kind = input_kind
        self.in_shape = tuple(in_shape)
        self.out_shape = tuple(out_shape)

    def translate(self, inputs: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, z: Tensor | None, inputs: Tensor | None = None) -> Tensor:
        if inputs is None or tuple(inputs.shape[1:]) != self.in_shape:
            got = None if inputs is None else tuple(inputs.shape)
            raise ValueError(f"G ({self.input_kind} -> image) needs inputs of shape "
                             f"(B, {', '.join(map(str, self.in_shape))}); got {got}")
        return self.translate(inputs)


class _Residual(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c), nn.PReLU(c),
                                  nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class SRGenerator(Translator):
    def __init__(self, channels: int = 32, blocks: int = 4, out_shape=(1, 28, 28)) -> None:
        c_out, h, w = out_shape
        super().__init__("lowres", (c_out, h // LOWRES_FACTOR, w // LOWRES_FACTOR), out_shape)
        self.head = nn.Sequential(nn.Conv2d(c_out, channels, 3, padding=1), nn.PReLU(channels))
        self.blocks = nn.Sequential(*[_Residual(channels) for _ in range(blocks)],
                                    nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels))
        up = []
        for _ in range(2):  # 2x twice = 4x
            up += [nn.Conv2d(channels, 4 * channels, 3, padding=1), nn.PixelShuffle(2), nn.PReLU(channels)]
        self.up = nn.Sequential(*up)
        self.tail = nn.Conv2d(channels, c_out, 3, padding=1)

    def translate(self, inputs: Tensor) -> Tensor:
        h = self.head(inputs)
        return torch.tanh(self.tail(self.up(h + self.blocks(h))))


class UNetGenerator(Translator):
    def __init__(self, channels: int = 32, out_shape=(1, 28, 28)) -> None:
        super().__init__("outline", out_shape, out_shape)
        c, k = channels, out_shape[0]
        self.down1 = nn.Sequential(nn.Conv2d(k, c, 4, 2, 1), nn.LeakyReLU(LEAK))  # 28 -> 14
        self.down2 = nn.Sequential(nn.Conv2d(c, 2 * c, 4, 2, 1), nn.BatchNorm2d(2 * c), nn.LeakyReLU(LEAK))  # -> 7
        self.middle = nn.Sequential(nn.Conv2d(2 * c, 4 * c, 3, padding=1), nn.BatchNorm2d(4 * c), nn.ReLU(),
                                    nn.Conv2d(4 * c, 2 * c, 3, padding=1), nn.BatchNorm2d(2 * c), nn.ReLU())
        self.up2 = nn.Sequential(nn.ConvTranspose2d(4 * c, c, 4, 2, 1), nn.BatchNorm2d(c), nn.ReLU())  # 7 -> 14
        self.up1 = nn.Sequential(nn.ConvTranspose2d(2 * c, c, 4, 2, 1), nn.BatchNorm2d(c), nn.ReLU())  # -> 28
        self.out = nn.Conv2d(c + k, k, 3, padding=1)

    def translate(self, inputs: Tensor) -> Tensor:
        d1 = self.down1(inputs)
        d2 = self.down2(d1)
        u2 = self.up2(torch.cat([self.middle(d2), d2], 1))
        u1 = self.up1(torch.cat([u2, d1], 1))
        return torch.tanh(self.out(torch.cat([u1, inputs], 1)))


class PatchDiscriminator(nn.Module):
    """`D(x, inputs, return_features=False) -> (B, patches)` logits (or with (B, F) features)."""

    n_classes = 0
    pack = 1
    is_conditional = False

    def __init__(self, in_shape: tuple[int, ...], input_shape: tuple[int, ...], channels: int = 32) -> None:
        super().__init__()
        self.in_shape = tuple(in_shape)
        self.input_shape = tuple(input_shape)
        k, c = in_shape[0] + input_shape[0], channels
        self.trunk = nn.Sequential(nn.Conv2d(k, c, 4, 2, 1), nn.LeakyReLU(LEAK),  # 28 -> 14
                                   nn.Conv2d(c, 2 * c, 4, 2, 1), nn.LeakyReLU(LEAK))  # -> 7
        self.score = nn.Conv2d(2 * c, 1, 3, padding=1)  # one logit per 7x7 position
        self.feature_dim = 2 * c

    def forward(self, x: Tensor, inputs: Tensor | None = None, return_features: bool = False):
        if inputs is None or tuple(inputs.shape[1:]) != self.input_shape:
            got = None if inputs is None else tuple(inputs.shape)
            raise ValueError(f"D judges an image with its input of shape "
                             f"(B, {', '.join(map(str, self.input_shape))}); got {got}")
        if inputs.shape[-1] != x.shape[-1]:
            inputs = F.interpolate(inputs, size=x.shape[-2:], mode="nearest")
        h = self.trunk(torch.cat([x, inputs.to(x.dtype)], 1))
        logits = self.score(h).flatten(1)
        return (logits, h.mean(dim=(2, 3))) if return_features else logits


def _build(kind: str, cfg: Config, sample_shape: tuple[int, ...]):
    if len(sample_shape) != 3:
        raise ValueError(f"{cfg.model.arch} makes images; got sample shape {sample_shape}")
    G = (SRGenerator(cfg.model.g_channels, out_shape=sample_shape) if kind == "lowres"
         else UNetGenerator(cfg.model.g_channels, out_shape=sample_shape))
    return G, PatchDiscriminator(sample_shape, G.in_shape, cfg.model.d_channels)


@register_arch("srgan")
def build_srgan(cfg: Config, sample_shape: tuple[int, ...], n_classes: int):
    return _build(TRANSLATOR_INPUTS["srgan"], cfg, sample_shape)


@register_arch("pix2pix")
def build_pix2pix(cfg: Config, sample_shape: tuple[int, ...], n_classes: int):
    return _build(TRANSLATOR_INPUTS["pix2pix"], cfg, sample_shape)
