"""Your own images: a directory (searched recursively) or a .zip, of any size and mode.

Each image is converted to grey (L) or RGB, centre-cropped to a square and resized. Images in
first-level subfolders (`root/cats/*.jpg`, `root/dogs/*.jpg`) are labelled by subfolder. Files
that are not images, cannot be decoded or are larger than `MAX_PIXELS` are skipped and counted
(a warning on the `ganplay.data` logger says how many and why). Zips are read in memory, never
extracted: a member whose declared size is over `MAX_FILE_BYTES` is skipped unread (a zip bomb
declares its real size), and the others are read in chunks that stop at the cap. Hidden files and
macOS `__MACOSX` folders are ignored.
"""

from __future__ import annotations

import io
import logging
import os
import threading
import warnings
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ganplay.data.dataset import DataError, Dataset

log = logging.getLogger("ganplay.data")

MAX_PIXELS = 64_000_000  # larger images are skipped (decompression-bomb guard)
# Larger zip members are skipped unread. Up to min(8, cores) are in memory at once while decoding;
# a 64 MP photo is a 10-30 MB JPEG, so 32 MB keeps real images and bounds memory at 8 x 32 MB.
MAX_FILE_BYTES = 32 * 2**20
READ_CHUNK = 1 << 20
GREY_BANDS = {"L", "I", "F", "1"}  # single-band modes (alpha aside) that carry grey levels
BACKGROUND = 255  # transparent pixels are composited over white


class _TooLarge(Exception):
    """A file over MAX_FILE_BYTES or an image over MAX_PIXELS."""


@dataclass(frozen=True)
class _Entry:
    """One candidate file: its path relative to the root and how to read its bytes."""

    parts: tuple[str, ...]
    source: Callable[[], bytes | str]  # the bytes, or a filesystem path PIL opens itself


@dataclass(frozen=True)
class _Decoded:
    pixels: np.ndarray | None  # (size, size) for grey, (size, size, 3) for colour
    skipped: str = ""  # why not, when pixels is None


def load_folder(root: str, size: int, channels: int) -> Dataset:
    """Read every usable image under `root` (a directory or a .zip) into a Dataset."""
    path = Path(root).expanduser()
    if not path.exists():
        raise DataError(f"data.root: {path} does not exist (folder wants a directory or a .zip "
                        f"of images)")
    if path.is_dir():
        entries = list(_directory_entries(path))
        return _load(path, entries, size, channels)
    try:
        with zipfile.ZipFile(path) as zf:
            return _load(path, list(_zip_entries(zf)), size, channels)
    except zipfile.BadZipFile:
        raise DataError(f"data.root: {path} is neither a directory nor a .zip file") from None
    except OSError as exc:
        raise DataError(f"data.root: cannot read {path}: {exc}") from None


def _visible(parts: tuple[str, ...]) -> bool:
    return not any(p.startswith(".") or p == "__MACOSX" for p in parts)


def _directory_entries(root: Path) -> Iterator[_Entry]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()  # a fixed order: the same folder gives the same dataset
        for name in sorted(filenames):
            parts = Path(dirpath, name).relative_to(root).parts
            if _visible(parts):
                yield _Entry(parts, lambda p=os.path.join(dirpath, name): p)


def _zip_entries(zf: zipfile.ZipFile) -> Iterator[_Entry]:
    infos = sorted((i for i in zf.infolist() if not i.is_dir()), key=lambda i: i.filename)
    infos = [i for i in infos if _visible(PurePosixPath(i.filename).parts)]
    # a zip of one folder (photos.zip -> photos/...) is read as that folder
    paths = [PurePosixPath(i.filename).parts for i in infos]
    strip = 1 if len({p[0] for p in paths}) == 1 and all(len(p) > 1 for p in paths) else 0
    lock = threading.Lock()  # ZipFile's bookkeeping is not safe across threads

    def reader(info: zipfile.ZipInfo) -> Callable[[], bytes]:
        def read() -> bytes:
            if info.file_size > MAX_FILE_BYTES:
                raise _TooLarge
            chunks, size = [], 0
            with lock, zf.open(info) as f:
                # zipfile stops at the declared size; the cap holds even if it did not
                while chunk := f.read(READ_CHUNK):
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > MAX_FILE_BYTES:
                        raise _TooLarge
            return b"".join(chunks)

        return read

    for info, parts in zip(infos, paths):
        yield _Entry(parts[strip:], reader(info))


def _load(path: Path, entries: list[_Entry], size: int, channels: int) -> Dataset:
    with warnings.catch_warnings(), ThreadPoolExecutor(min(8, os.cpu_count() or 1)) as pool:
        # PIL warns about images over its own limit; MAX_PIXELS (lower) decides what is skipped
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        decoded = list(pool.map(lambda e: _decode(e, size, channels), entries))
    usable = [(e, d.pixels) for e, d in zip(entries, decoded) if d.pixels is not None]
    reasons = Counter(d.skipped for d in decoded if d.pixels is None)
    if reasons:
        why = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
        log.warning("%s: skipped %d of %d files (%s)", path, sum(reasons.values()), len(entries),
                    why)
    if not usable:
        raise DataError(f"data.root: no usable image in {path} ({len(entries)} files looked at)")

    colour = channels == 3 or any(px.ndim == 3 for _, px in usable)
    x = np.stack([_grey_to_rgb(px) if colour and px.ndim == 2 else px for _, px in usable])
    x = torch.from_numpy(x).permute(0, 3, 1, 2) if colour else torch.from_numpy(x).unsqueeze(1)

    labels, class_names = _labels([e.parts for e, _ in usable])
    return Dataset("folder", "images", x.contiguous(), labels, len(class_names), class_names)


def _labels(paths: list[tuple[str, ...]]) -> tuple[torch.Tensor | None, list[str]]:
    """Labels from first-level subfolders, when every image lives in one."""
    in_subfolder = [len(p) > 1 for p in paths]
    if not any(in_subfolder):
        return None, []
    if not all(in_subfolder):
        log.warning("some images are in subfolders and some are not: reading them without labels")
        return None, []
    class_names = sorted({p[0] for p in paths})
    index = {name: i for i, name in enumerate(class_names)}
    return torch.tensor([index[p[0]] for p in paths], dtype=torch.long), class_names


def _decode(entry: _Entry, size: int, channels: int) -> _Decoded:
    """One file to a (size, size[, 3]) uint8 array, or the reason it was skipped."""
    try:
        source = entry.source()
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as im:
            if im.width * im.height > MAX_PIXELS:
                raise _TooLarge
            im.draft(None, (size, size))  # JPEG: decode at a reduced scale, still >= size
            return _Decoded(_to_array(ImageOps.exif_transpose(im), size, channels))
    except (_TooLarge, Image.DecompressionBombError):
        return _Decoded(None, "too large")
    except UnidentifiedImageError:
        return _Decoded(None, "not images")
    except Exception:  # noqa: BLE001 - a broken file can fail anywhere inside PIL's decoders
        return _Decoded(None, "unreadable")


def _to_array(im: Image.Image, size: int, channels: int) -> np.ndarray:
    im = _as_grey_or_rgb(im)
    if channels == 1 and im.mode == "RGB":
        im = im.convert("L")
    w, h = im.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    # crop first: resize(box=...) would blend in pixels from outside the square
    im = im.crop((left, top, left + side, top + side))
    im = im.resize((size, size), Image.Resampling.BICUBIC, reducing_gap=3.0)
    px = np.asarray(im, dtype=np.uint8)
    if px.ndim == 3 and (px == px[:, :, :1]).all():  # grey content saved as RGB counts as grey
        px = px[:, :, 0]
    return px


def _as_grey_or_rgb(im: Image.Image) -> Image.Image:
    """Any PIL mode to L (grey sources) or RGB, flattening transparency onto white."""
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    bands = im.getbands()
    alpha = im.getchannel("A") if "A" in bands else None
    if set(bands) - {"A", "a"} <= GREY_BANDS:  # 1, L, LA, I, I;16, F
        grey = im.getchannel(0) if len(bands) > 1 else im  # drop the alpha band
        grey = grey.convert("L") if grey.mode in ("1", "L") else _wide_to_l(grey)
        return _flatten(grey, alpha)
    if alpha is not None:  # RGBA, PA
        return _flatten(im.convert("RGB"), alpha)
    return im.convert("RGB")  # RGB, CMYK, YCbCr, LAB, HSV


def _wide_to_l(im: Image.Image) -> Image.Image:
    """16/32-bit or float grey to 8 bits (PIL's own conversion clips at 255 instead)."""
    a = np.asarray(im, dtype=np.float64)
    top = a.max(initial=0.0)
    if top > 255:
        a = a * (255 / (65535 if top <= 65535 else top))
    return Image.fromarray(np.clip(a, 0, 255).round().astype(np.uint8), mode="L")


def _flatten(im: Image.Image, alpha: Image.Image | None) -> Image.Image:
    if alpha is None:
        return im
    background = Image.new(im.mode, im.size, (BACKGROUND,) * len(im.getbands()))
    background.paste(im, mask=alpha)
    return background


def _grey_to_rgb(px: np.ndarray) -> np.ndarray:
    return np.repeat(px[:, :, None], 3, axis=2)
