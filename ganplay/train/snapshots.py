"""What the trainer shows of G as it learns: image grids (PNG) and, for 2D data, the points, D's
field, G's gradient field and G's manifold (a noise grid mapped into the plane) (.npz, plus a
small scatter PNG). Pure functions from tensors to bytes.
"""

from __future__ import annotations

import io
import math

import numpy as np
import torch
from PIL import Image, ImageDraw


def grid_columns(n: int, n_classes: int = 0) -> int:
    """One column per class for conditional grids, else close to square."""
    if 0 < n_classes <= 16:
        return n_classes
    return max(1, int(math.ceil(math.sqrt(n))))


def pair_rows(inputs: torch.Tensor, outputs: torch.Tensor, truth: torch.Tensor, ncol: int = 8) -> torch.Tensor:
    """Image-to-image samples for a grid of `ncol` columns: a row of inputs (enlarged to the
    output's size, nearest neighbour), the row of G's answers under it, then the true images."""
    import torch.nn.functional as F

    inputs = F.interpolate(inputs.float(), size=outputs.shape[-2:], mode="nearest")
    rows = []
    for i in range(0, len(outputs), ncol):
        rows += [inputs[i:i + ncol], outputs[i:i + ncol].float(), truth[i:i + ncol].float()]
    return torch.cat(rows)


def image_grid(x: torch.Tensor, ncol: int, pad: int = 2) -> Image.Image:
    """(B, C, H, W) in [-1, 1] -> a PIL grid image."""
    grid = tile(x.detach().float().cpu().clamp(-1, 1), ncol, pad, 1.0)
    arr = ((grid + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
    if arr.shape[2] == 1:
        return Image.fromarray(arr[:, :, 0], mode="L")
    return Image.fromarray(arr, mode="RGB")


def tile(x: torch.Tensor, ncol: int, pad: int = 2, pad_value: float = 1.0) -> torch.Tensor:
    """(B, C, H, W) -> (C, rows * (H + pad) + pad, cols * (W + pad) + pad), row by row: the layout
    of torchvision's `make_grid` (a test keeps them equal) without importing torchvision, which
    imports its detection models and with them torch._dynamo (~1 s) on the way to one grid."""
    if x.shape[0] == 1:
        return x[0]
    n, c, h, w = x.shape
    cols = min(ncol, n)
    rows = math.ceil(n / cols)
    grid = x.new_full((c, (h + pad) * rows + pad, (w + pad) * cols + pad), pad_value)
    for k in range(n):
        y0, x0 = (k // cols) * (h + pad) + pad, (k % cols) * (w + pad) + pad
        grid[:, y0:y0 + h, x0:x0 + w] = x[k]
    return grid


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def points_bounds(real: np.ndarray, margin: float = 0.25) -> tuple[float, float]:
    """A square view around the data (the same for every snapshot of a run)."""
    r = float(np.abs(real).max()) if real.size else 1.0
    r = r * (1 + margin) if r > 0 else 1.0
    return -r, r


MAX_WIDENING = 4.0  # the view follows generated points out to this many times the data's reach


def view_bounds(real: np.ndarray, fake: np.ndarray, margin: float = 0.25,
                max_widening: float = MAX_WIDENING) -> tuple[float, float]:
    """A square view around the data, widened to hold the generated points too (up to
    `max_widening` times the data's reach; a page marks any beyond it on the edge)."""
    lo, hi = points_bounds(real, margin)
    finite = fake[np.isfinite(fake).all(axis=1)] if fake.size else fake
    if finite.size:
        reach = min(float(np.abs(finite).max()) * (1 + margin), max_widening * hi)
        hi = max(hi, reach)
    return -hi, hi


def points_image(real: np.ndarray, fake: np.ndarray, lo: float, hi: float, size: int = 320) -> Image.Image:
    """A plain scatter of real (light grey, underneath) and generated (orange) points, no plotting
    library needed."""
    img = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(img)

    def to_px(p: np.ndarray) -> np.ndarray:
        return (p - lo) / (hi - lo) * (size - 1)

    for pts, colour, r in ((real, (185, 185, 185), 1), (fake, (230, 110, 20), 1.5)):
        for x, y in to_px(pts):
            y = size - 1 - y
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    return img


def field_grid(lo: float, hi: float, n: int = 64) -> torch.Tensor:
    """(n*n, 2) grid points, row-major with y varying slowest (for reshaping to an (n, n) image)."""
    xs = torch.linspace(lo, hi, n)
    yy, xx = torch.meshgrid(xs, xs, indexing="ij")
    return torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)


MANIFOLD_LINES = 11  # G's manifold: grid lines each way in noise space
MANIFOLD_POINTS = 41  # points along each line
MANIFOLD_REACH = 2.5  # the grid spans +-2.5 in each of its two coordinates: 2.5 std of z ~ N(0, I)


def noise_grid(z_dim: int, lines: int = MANIFOLD_LINES, points: int = MANIFOLD_POINTS,
               reach: float = MANIFOLD_REACH) -> torch.Tensor:
    """A regular grid in noise space for drawing G's manifold: (2, lines, points, z_dim).
    Family 0 holds z[0] fixed on each line (at `lines` values from -reach to reach) and runs z[1]
    along it; family 1 holds z[1] and runs z[0]. Other coordinates are 0 (z is isotropic, so the
    first two directions are as good as any pair); for z_dim == 1 only z[0] exists, so family 1's
    lines are G's whole 1D manifold and family 0's are single points. Nothing random is drawn."""
    at = torch.linspace(-reach, reach, lines)
    along = torch.linspace(-reach, reach, points)
    held, run = torch.meshgrid(at, along, indexing="ij")  # (lines, points) each
    grid = torch.zeros(2, lines, points, max(z_dim, 2))
    grid[0, :, :, 0], grid[0, :, :, 1] = held, run
    grid[1, :, :, 1], grid[1, :, :, 0] = held, run
    return grid[..., :z_dim].contiguous()


def npz_bytes(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()
