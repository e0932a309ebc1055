"""Take a generator away: as ONNX, or as a synthetic data set (a zip of PNGs + labels.csv).

The ONNX graph takes the noise (and the labels, for a conditional generator; the input image, for
an image-to-image model) as inputs and draws no random numbers itself, so the same inputs give the
same images in any runtime.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from ganplay.sampling import LoadedGenerator, SamplingError

MAX_DATASET = 1_000_000


class _OnnxTranslator(torch.nn.Module):
    """An image-to-image G with one tensor input: the input image."""

    def __init__(self, G: torch.nn.Module):
        super().__init__()
        self.G = G

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.G(None, inputs)


class _OnnxGenerator(torch.nn.Module):
    """G with only tensor inputs: (z) or (z, labels)."""

    def __init__(self, G: torch.nn.Module, conditional: bool):
        super().__init__()
        self.G = G
        self.conditional = conditional

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.G(z, labels if self.conditional else None)


def export_onnx(gen: LoadedGenerator, out: str | Path, opset: int = 18) -> Path:
    """Write `gen` as ONNX with a dynamic batch dimension; inputs `z` [B, z_dim] float32 and,
    when conditional, `labels` [B] int64 (an image-to-image model: `inputs` [B, C, h, w] float32 in
    [-1, 1]); output `images` (or `points`)."""
    try:
        import onnxscript  # noqa: F401  (torch's dynamo exporter needs it)
    except ImportError:
        raise SamplingError("ONNX export needs the onnxscript package: pip install onnxscript") from None
    out = Path(out)
    G = gen.G.to("cpu").eval()
    batch = torch.export.Dim("batch", min=1, max=65536)
    if gen.is_translator:
        module: torch.nn.Module = _OnnxTranslator(G).eval()
        args: tuple = (torch.zeros(2, *G.in_shape),)
        names, shapes = ["inputs"], {"inputs": {0: batch}}
    else:
        conditional = gen.n_classes > 0
        module = _OnnxGenerator(G, conditional).eval()
        z = torch.randn(2, gen.z_dim)
        args = (z, torch.zeros(2, dtype=torch.int64)) if conditional else (z,)
        names = ["z", "labels"] if conditional else ["z"]
        shapes = {"z": {0: batch}, **({"labels": {0: batch}} if conditional else {})}
    out.parent.mkdir(parents=True, exist_ok=True)
    with torch.inference_mode(False), torch.no_grad():
        program = torch.onnx.export(module, args, dynamo=True, input_names=names,
                                    output_names=["points" if gen.is_points else "images"],
                                    dynamic_shapes=shapes, opset_version=opset)
    tmp = out.with_name(f".{out.name}.partial")
    try:
        program.save(str(tmp))
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _to_png(img: torch.Tensor) -> bytes:
    arr = ((img.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(1, 2, 0).numpy()
    pil = Image.fromarray(arr[:, :, 0], mode="L") if arr.shape[2] == 1 else Image.fromarray(arr, mode="RGB")
    buf = io.BytesIO()
    pil.save(buf, format="PNG")
    return buf.getvalue()


def export_dataset(gen: LoadedGenerator, out: str | Path, n: int, seed: int = 0,
                   per_class: bool = False, batch_size: int = 256, progress: bool = True) -> Path:
    """A zip of `n` generated images (`n` per class with `per_class`) plus labels.csv
    (file,label[,class_name]). Written to a temp file and renamed, so a killed export leaves
    nothing half-made behind."""
    if gen.is_points:
        raise SamplingError("dataset export makes images; this generator makes 2D points "
                            "(use `ganplay sample` for a picture of them)")
    if gen.is_translator:
        raise SamplingError(f"dataset export draws from noise; {gen.config.model.arch} answers an input image "
                            "(`ganplay sample` shows its answers to held-out digits)")
    if not 1 <= n <= MAX_DATASET:
        raise SamplingError(f"--n must be 1..{MAX_DATASET}, got {n}")
    if per_class and not gen.n_classes:
        raise SamplingError("--per-class needs a conditional generator; this one has no labels")
    total = n * gen.n_classes if per_class else n
    if total > MAX_DATASET:
        raise SamplingError(f"{total} images is more than the {MAX_DATASET} limit")
    labels_all = None
    if gen.n_classes:
        labels_all = (torch.arange(total) // n) if per_class else (torch.arange(total) % gen.n_classes)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    names = gen.class_names
    rows = []
    g = torch.Generator().manual_seed(seed)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf, \
                tqdm(total=total, unit="img", disable=not progress, desc="exporting") as bar:
            for start in range(0, total, batch_size):
                b = min(batch_size, total - start)
                z = torch.randn(b, gen.z_dim, generator=g)
                y = labels_all[start:start + b] if labels_all is not None else None
                imgs = gen.generate(z, y)
                for i in range(b):
                    k = start + i
                    name = f"images/{k:07d}.png"
                    zf.writestr(name, _to_png(imgs[i]))
                    if y is not None:
                        label = int(y[i])
                        rows.append([name, label] + ([names[label]] if names else []))
                    else:
                        rows.append([name])
                bar.update(b)
            buf = io.StringIO()
            writer = csv.writer(buf)
            writer.writerow(["file", "label", "class_name"] if gen.n_classes and names
                            else ["file", "label"] if gen.n_classes else ["file"])
            writer.writerows(rows)
            zf.writestr("labels.csv", buf.getvalue())
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def onnx_generate(path: str | Path, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
    """Run an exported generator in onnxruntime (used by tests and as an example); for an
    image-to-image model pass its input images as `z`."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    if sess.get_inputs()[0].name == "inputs":  # an image-to-image model: `z` is its input image
        return sess.run(None, {"inputs": z.astype(np.float32)})[0]
    feeds = {"z": z.astype(np.float32)}
    if labels is not None:
        feeds["labels"] = labels.astype(np.int64)
    return sess.run(None, feeds)[0]
