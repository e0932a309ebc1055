"""Tests for ganplay.data: mixtures, image sets, folders, batch sampling, augmentation."""

import io
import logging
import struct
import time
import urllib.error
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from ganplay.config import IMAGE_DATASET_INFO, MIXTURE_DATASETS, Config
from ganplay.data import (
    MIXTURES,
    DataError,
    batch_indices,
    diff_augment,
    load_dataset,
    mixture,
)


def image_cfg(**data) -> Config:
    return Config.from_dict({"data": data, "model": {"arch": "mlp"}})


def nearest_centre_distance(points: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    return torch.cdist(points, centres).min(dim=1).values


# -- 2D mixtures ------------------------------------------------------------------------------


def test_mixture_table_matches_config():
    assert set(MIXTURES) == set(MIXTURE_DATASETS)
    with pytest.raises(DataError, match="ring8"):
        mixture("ring9")


def test_ring8_has_eight_distinct_centres_on_radius_two():
    ring = mixture("ring8")
    assert ring.centres.shape == (8, 2) and ring.std == 0.02
    assert torch.allclose(ring.centres.norm(dim=1), torch.full((8,), 2.0), atol=1e-5)
    gaps = torch.cdist(ring.centres, ring.centres) + 10 * torch.eye(8)
    assert gaps.min() > 1.5  # neighbours on a radius-2 circle are 2*2*sin(pi/8) = 1.53 apart
    x = ring.sample(4000, torch.Generator().manual_seed(0))
    assert x.shape == (4000, 2) and x.dtype == torch.float32
    assert (nearest_centre_distance(x, ring.centres) < 5 * ring.std).all()
    counts = torch.cdist(x, ring.centres).argmin(dim=1).bincount(minlength=8)
    assert counts.min() > 400  # equally likely: about 500 each


def test_grid25_has_25_centres():
    grid = mixture("grid25")
    assert grid.centres.shape == (25, 2) and grid.std == 0.05
    expected = {(float(a), float(b)) for a in (-4, -2, 0, 2, 4) for b in (-4, -2, 0, 2, 4)}
    assert {tuple(c) for c in grid.centres.tolist()} == expected
    x = grid.sample(5000, torch.Generator().manual_seed(1))
    assert (nearest_centre_distance(x, grid.centres) < 5 * grid.std).all()
    assert torch.cdist(x, grid.centres).argmin(dim=1).unique().numel() == 25


@pytest.mark.parametrize("name", MIXTURE_DATASETS)
def test_sampling_is_deterministic_per_seed(name):
    dist = mixture(name)
    a = dist.sample(1000, torch.Generator().manual_seed(3))
    b = dist.sample(1000, torch.Generator().manual_seed(3))
    c = dist.sample(1000, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.dtype == torch.float32 and torch.isfinite(a).all()
    assert a.abs().max() < 6  # about the same [-4, 4] box as the Gaussian mixtures


@pytest.mark.parametrize("name", ["spiral", "moons", "swissroll"])
def test_shapes_have_no_modes(name):
    data = load_dataset(Config.from_dict({"data": {"name": name}}))
    assert data.centres is None and data.std == 0


def test_points_dataset():
    cfg = Config.from_dict({"data": {"name": "ring8"}, "train": {"seed": 5}})
    data = load_dataset(cfg)
    assert data.kind == "points" and len(data) == 100_000 and data.sample_shape == (2,)
    assert data.labels is None and data.n_classes == 0 and data.class_names == []
    assert data.centres.shape == (8, 2) and data.std == 0.02
    assert torch.equal(data.x, load_dataset(cfg).x)  # the seed decides the points
    assert not torch.equal(data.x, load_dataset(cfg.with_overrides(["train.seed=6"])).x)
    x, labels = data.batch(torch.tensor([0, 5, 7]))
    assert x.shape == (3, 2) and x.dtype == torch.float32 and labels is None
    assert torch.equal(x, data.x[[0, 5, 7]])


def test_unknown_split():
    with pytest.raises(DataError, match="mnist5k"):
        load_dataset(Config.from_dict({"data": {"name": "ring8"}}), split="heldout")
    with pytest.raises(DataError, match="split"):
        load_dataset(Config.from_dict({"data": {"name": "ring8"}}), split="test")


# -- bundled image sets -----------------------------------------------------------------------


def test_mnist5k_split():
    cfg = image_cfg(name="mnist5k")
    train, heldout = load_dataset(cfg), load_dataset(cfg, split="heldout")
    assert train.x.shape == (4500, 1, 28, 28) and heldout.x.shape == (500, 1, 28, 28)
    assert train.x.dtype == torch.uint8 and train.labels.dtype == torch.int64
    assert train.labels.bincount().tolist() == [450] * 10
    assert heldout.labels.bincount().tolist() == [50] * 10
    assert train.n_classes == 10 and train.class_names == [str(d) for d in range(10)]
    assert (train.x.shape[1], train.x.shape[2], train.n_classes) == IMAGE_DATASET_INFO["mnist5k"]
    assert train.x.max() > 200  # 0..255, not 0..1
    # the two splits share no image
    train_rows = {bytes(r) for r in train.x.reshape(4500, -1).numpy()}
    assert not any(bytes(r) in train_rows for r in heldout.x.reshape(500, -1).numpy())
    # the train order is shuffled, not sorted by class
    assert (train.labels[:450] != 0).any()
    x, labels = train.batch(torch.arange(64))
    assert x.dtype == torch.float32 and x.shape == (64, 1, 28, 28)
    assert x.min() >= -1 and x.max() <= 1 and x.min() == -1
    assert torch.equal(labels, train.labels[:64])


def test_mnist5k_split_ignores_run_seed():
    a = load_dataset(image_cfg(name="mnist5k"), split="heldout")
    b = load_dataset(Config.from_dict({"data": {"name": "mnist5k"}, "model": {"arch": "mlp"},
                                       "train": {"seed": 9}}), split="heldout")
    assert torch.equal(a.x, b.x) and torch.equal(a.labels, b.labels)


def test_mnist5k_resized():
    data = load_dataset(Config.from_dict({"data": {"name": "mnist5k", "image_size": 32},
                                          "model": {"arch": "dcgan"}}))
    assert data.x.shape == (4500, 1, 32, 32) and data.x.dtype == torch.uint8
    assert data.sample_shape == (1, 32, 32)


def test_digits():
    data = load_dataset(image_cfg(name="digits"))
    assert data.x.shape == (1797, 1, 28, 28) and data.x.dtype == torch.uint8
    assert (data.x.shape[1], data.x.shape[2], data.n_classes) == IMAGE_DATASET_INFO["digits"]
    assert data.labels.shape == (1797,) and set(data.labels.tolist()) == set(range(10))
    assert data.x.max() > 200  # scaled from 0..16


# -- torchvision sets -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist", "cifar10"])
def test_torchvision_missing_without_download(name, tmp_path):
    with pytest.raises(DataError) as err:
        load_dataset(image_cfg(name=name, root=str(tmp_path)))
    msg = str(err.value)
    assert str(tmp_path) in msg and "data.download=true" in msg
    assert "mnist5k" in msg and "digits" in msg and "folder" in msg


def test_offline_fails_fast(tmp_path, monkeypatch):
    monkeypatch.setenv("GANPLAY_OFFLINE", "1")
    start = time.perf_counter()
    with pytest.raises(DataError, match="GANPLAY_OFFLINE") as err:
        load_dataset(image_cfg(name="cifar10", root=str(tmp_path), download=True))
    assert time.perf_counter() - start < 10
    assert "mnist5k" in str(err.value)


def test_download_network_error_is_wrapped(tmp_path, monkeypatch):
    import torchvision.datasets

    def no_network(self):
        raise urllib.error.URLError("no route to host")

    monkeypatch.delenv("GANPLAY_OFFLINE", raising=False)
    monkeypatch.setattr(torchvision.datasets.MNIST, "download", no_network)
    with pytest.raises(DataError, match="could not download mnist") as err:
        load_dataset(image_cfg(name="mnist", root=str(tmp_path), download=True))
    assert "no route to host" in str(err.value) and "mnist5k" in str(err.value)


def write_idx(path, array: np.ndarray) -> None:
    """An MNIST idx file: magic (ubyte data, ndim), big-endian dims, then the bytes."""
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize(
    ("name", "folder"), [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")]
)
def test_torchvision_local_copy_is_used(name, folder, tmp_path):
    raw = tmp_path / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (12, 28, 28)), np.arange(12) % 10
    for split in ("train", "t10k"):
        write_idx(raw / f"{split}-images-idx3-ubyte", images)
        write_idx(raw / f"{split}-labels-idx1-ubyte", labels)
    data = load_dataset(image_cfg(name=name, root=str(tmp_path)))
    assert data.x.shape == (12, 1, 28, 28) and data.x.dtype == torch.uint8
    assert torch.equal(data.x[:, 0], torch.from_numpy(images.astype(np.uint8)))
    assert data.labels.tolist() == labels.tolist() and data.n_classes == 10
    assert len(data.class_names) == 10


# -- folders and zips -------------------------------------------------------------------------


def make_tree(root):
    """cats: RGBA, P, L; dogs: RGB (wide, for the centre crop), 16-bit grey, CMYK JPEG; plus
    junk: a corrupt .png, a .txt, a hidden file."""
    (root / "cats").mkdir(parents=True)
    (root / "dogs").mkdir()
    Image.new("RGBA", (50, 40), (255, 0, 0, 128)).save(root / "cats" / "a.png")
    Image.new("P", (30, 60), 3).save(root / "cats" / "b.gif")
    Image.new("L", (64, 64), 100).save(root / "cats" / "c.jpg")
    wide = Image.new("RGB", (300, 100), (255, 0, 0))
    wide.paste((0, 255, 0), (100, 0, 200, 100))  # green middle third: all the crop keeps
    wide.save(root / "dogs" / "d.png")
    Image.fromarray(np.full((20, 20), 40000, dtype=np.uint16)).save(root / "dogs" / "e.png")
    Image.new("CMYK", (40, 40), (0, 0, 0, 0)).save(root / "dogs" / "f.jpg")
    (root / "dogs" / "broken.png").write_bytes(b"\x89PNG garbage" * 10)
    (root / "notes.txt").write_text("not an image")
    (root / ".DS_Store").write_bytes(b"\0\1")


def folder_cfg(root, **data) -> Config:
    return image_cfg(name="folder", root=str(root), image_size=16, **data)


def test_folder_with_labels(tmp_path, caplog):
    make_tree(tmp_path)
    with caplog.at_level(logging.WARNING, logger="ganplay.data"):
        data = load_dataset(folder_cfg(tmp_path))
    assert "skipped 2 of 8 files (2 not images)" in caplog.text
    assert data.x.shape == (6, 3, 16, 16) and data.x.dtype == torch.uint8
    assert data.class_names == ["cats", "dogs"] and data.n_classes == 2
    assert data.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert data.sample_shape == (3, 16, 16)
    pixel = data.x[:, :, 8, 8].tolist()
    assert pixel[0] == [255, 127, 127]  # alpha 128 red over white: 255 * 127 / 255 left
    assert pixel[2] == [100, 100, 100]  # grey repeated into RGB
    assert data.x[3, :, :, :].reshape(3, -1).float().mean(1).tolist() == [0, 255, 0]
    assert pixel[4] == [156] * 3  # 16-bit 40000 scaled to 8 bits
    assert pixel[5] == [255] * 3  # CMYK with no ink
    x, labels = data.batch(torch.tensor([0, 3]))
    assert x.min() >= -1 and x.max() <= 1 and labels.tolist() == [0, 1]


def test_folder_channels(tmp_path):
    make_tree(tmp_path)
    assert load_dataset(folder_cfg(tmp_path, channels=1)).x.shape == (6, 1, 16, 16)
    grey = tmp_path / "grey"
    grey.mkdir()
    Image.new("L", (20, 30), 7).save(grey / "a.png")
    Image.new("RGB", (30, 20), (9, 9, 9)).save(grey / "b.png")  # grey content in RGB
    auto = load_dataset(folder_cfg(grey))
    assert auto.x.shape == (2, 1, 16, 16) and auto.labels is None and auto.n_classes == 0
    assert load_dataset(folder_cfg(grey, channels=3)).x.shape == (2, 3, 16, 16)


def test_folder_zip_matches_directory(tmp_path):
    make_tree(tmp_path / "pets")
    archive = tmp_path / "pets.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted((tmp_path / "pets").rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(tmp_path).as_posix())  # pets/cats/a.png, ...
    from_dir = load_dataset(folder_cfg(tmp_path / "pets"))
    from_zip = load_dataset(folder_cfg(archive))
    assert torch.equal(from_dir.x, from_zip.x) and torch.equal(from_dir.labels, from_zip.labels)
    assert from_zip.class_names == ["cats", "dogs"]


def test_folder_too_large_is_skipped(tmp_path, monkeypatch, caplog):
    import ganplay.data.folder

    monkeypatch.setattr(ganplay.data.folder, "MAX_PIXELS", 50 * 50)
    Image.new("L", (40, 40)).save(tmp_path / "small.png")
    Image.new("L", (100, 100)).save(tmp_path / "big.png")
    with caplog.at_level(logging.WARNING, logger="ganplay.data"):
        data = load_dataset(folder_cfg(tmp_path))
    assert len(data) == 1
    assert "skipped 1 of 2 files (1 too large)" in caplog.text


def test_zip_member_over_the_cap_is_skipped_unread(tmp_path, caplog):
    """A zip bomb (100 MB of zeros, ~100 KB compressed) is skipped by its declared size, never
    decompressed into memory (issue 16, item 8)."""
    import tracemalloc

    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        buf = io.BytesIO()
        Image.new("L", (20, 20), 90).save(buf, format="PNG")
        zf.writestr("ok.png", buf.getvalue())
        with zf.open("bomb.png", "w", force_zip64=True) as f:
            zeros = bytes(1 << 20)
            for _ in range(100):
                f.write(zeros)
    tracemalloc.start()
    try:
        with caplog.at_level(logging.WARNING, logger="ganplay.data"):
            data = load_dataset(folder_cfg(archive))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(data) == 1 and "skipped 1 of 2 files (1 too large)" in caplog.text
    assert peak < 20 * 2**20, f"{peak / 2**20:.0f} MB held while reading the zip"


def test_folder_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="empty"):
        load_dataset(folder_cfg(empty))
    (empty / "readme.txt").write_text("no images here")
    with pytest.raises(DataError, match="no usable image"):
        load_dataset(folder_cfg(empty))
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(folder_cfg(tmp_path / "missing"))
    (tmp_path / "fake.zip").write_text("not a zip")
    with pytest.raises(DataError, match="fake.zip"):
        load_dataset(folder_cfg(tmp_path / "fake.zip"))


# -- batch sampling ---------------------------------------------------------------------------


def test_batch_indices_cover_each_epoch_once():
    n, bs = 10, 4
    stream = torch.cat([batch_indices(n, bs, b, seed=1) for b in range(10)])  # 4 epochs
    epochs = stream.reshape(4, n)
    for epoch in epochs:
        assert sorted(epoch.tolist()) == list(range(n))
    assert not torch.equal(epochs[0], epochs[1])  # each epoch its own shuffle
    assert batch_indices(n, bs, 2, seed=1).tolist() == stream[8:12].tolist()  # spans two epochs
    assert batch_indices(n, 25, 0, seed=1).tolist() == stream[:25].tolist()  # bigger than n


def test_batch_indices_deterministic_and_seeded():
    a = batch_indices(1000, 64, 37, seed=3)
    assert a.dtype == torch.int64 and a.shape == (64,)
    assert torch.equal(a, batch_indices(1000, 64, 37, seed=3))
    assert not torch.equal(a, batch_indices(1000, 64, 37, seed=4))


# -- augmentation -----------------------------------------------------------------------------


def augment(x, policies, seed=0):
    return diff_augment(x, policies, torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("policies", [["translation"], ["cutout"], ["translation", "cutout"]])
def test_diff_augment(policies):
    x = torch.rand(8, 3, 16, 16) + 0.5  # no zeros, so any zero was made by the augmentation
    out = augment(x, policies)
    assert out.shape == x.shape
    assert torch.equal(out, augment(x, policies))
    assert not torch.equal(out, augment(x, policies, seed=1))
    assert not torch.equal(out, x)
    leaf = x.clone().requires_grad_(True)
    augment(leaf, policies).sum().backward()
    assert leaf.grad is not None and leaf.grad.abs().sum() > 0


def test_diff_augment_amounts():
    x = torch.ones(64, 1, 16, 16)
    assert augment(x, []) is x
    zeros = (augment(x, ["cutout"]) == 0).float().sum(dim=(1, 2, 3))
    assert (zeros > 0).all() and (zeros <= 8 * 8).all() and (zeros == 64).any()
    moved = (augment(x, ["translation"]) == 0).float().sum(dim=(1, 2, 3))
    assert moved.max() <= 16 * 16 - 14 * 14  # at most 2 px (1/8 of 16) each way
    assert (moved > 0).any()
    # translation moves content, it does not change it
    ramp = torch.arange(16.0).expand(1, 1, 16, 16).repeat(32, 1, 1, 1) + 1
    shifted = augment(ramp, ["translation"])
    assert set(shifted.unique().tolist()) <= set(range(17))
