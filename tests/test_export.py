"""Taking a generator away: ONNX that matches PyTorch, synthetic data sets, the zoo's loader."""

import csv
import io
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from ganplay.export import export_dataset, export_onnx, onnx_generate
from ganplay.sampling import SamplingError, load_generator
from ganplay.train import Trainer
from ganplay import zoo, zoo_build


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    from ganplay.config import Config

    out = tmp_path_factory.mktemp("runs")
    runs = {}
    for name, preset, extra in [("cond", "mnist-cdcgan", []), ("uncond", "mnist-dcgan", ["optim.ema=0.9"]),
                                ("points", "ring8-gan", [])]:
        small = ["train.batch_size=16", "train.steps=2", "model.z_dim=16"]
        if preset.startswith("mnist"):
            small += ["model.g_channels=8", "model.d_channels=8"]
        trainer = Trainer(Config.from_preset(preset, small + extra))
        runs[name] = trainer.start(out)
        assert trainer.fit() == "done"
    return runs


@pytest.mark.parametrize("which", [pytest.param("cond", marks=pytest.mark.slow),
                                   pytest.param("uncond", marks=pytest.mark.slow)])  # ~7 s each
def test_onnx_matches_pytorch(tiny_runs, tmp_path, which):
    gen = load_generator(tiny_runs[which].path)
    path = export_onnx(gen, tmp_path / "g.onnx")
    z = torch.randn(7, gen.z_dim, generator=torch.Generator().manual_seed(0))  # batch 7: dynamic
    labels = torch.arange(7) % 10 if gen.n_classes else None
    ours = gen.generate(z, labels).numpy()
    theirs = onnx_generate(path, z.numpy(), labels.numpy() if labels is not None else None)
    assert theirs.shape == (7, 1, 28, 28)
    assert np.abs(ours - theirs).max() < 1e-4


def test_dataset_per_class_zip(tiny_runs, tmp_path):
    gen = load_generator(tiny_runs["cond"].path)
    out = export_dataset(gen, tmp_path / "synth.zip", n=3, per_class=True, progress=False)
    with zipfile.ZipFile(out) as zf:
        pngs = [n for n in zf.namelist() if n.endswith(".png")]
        assert len(pngs) == 30
        rows = list(csv.reader(io.StringIO(zf.read("labels.csv").decode())))
        assert rows[0] == ["file", "label", "class_name"]
        assert [int(r[1]) for r in rows[1:]] == [k for k in range(10) for _ in range(3)]
        img = Image.open(io.BytesIO(zf.read(pngs[0])))
        assert img.size == (28, 28) and img.mode == "L"
    assert not list(tmp_path.glob(".*partial"))


def test_dataset_bad_requests(tiny_runs, tmp_path):
    cond, uncond, points = (load_generator(tiny_runs[k].path) for k in ("cond", "uncond", "points"))
    with pytest.raises(SamplingError, match="--per-class needs a conditional"):
        export_dataset(uncond, tmp_path / "x.zip", n=2, per_class=True)
    with pytest.raises(SamplingError, match="2D points"):
        export_dataset(points, tmp_path / "x.zip", n=2)
    with pytest.raises(SamplingError, match="--n must be"):
        export_dataset(cond, tmp_path / "x.zip", n=0)
    assert not (tmp_path / "x.zip").exists()


def test_truncation_for_z_space_generators(tiny_runs):
    gen = load_generator(tiny_runs["uncond"].path)
    z = gen.noise(500, seed=1, truncation=0.5)
    assert z.abs().max() <= 1.5 + 1e-6
    assert torch.equal(gen.noise(4, seed=1, truncation=0.0), torch.zeros(4, gen.z_dim))
    assert torch.equal(gen.noise(4, seed=1), gen.noise(4, seed=1))
    a, _ = gen.sample(4, seed=2, truncation=0.0)
    assert torch.allclose(a[0], a[1])  # psi = 0: every sample is the "mean" image


def test_zoo_weights_export_and_names(tiny_runs, tmp_path):
    run = tiny_runs["uncond"]
    meta = zoo_build.export_weights(run.latest_checkpoint(), tmp_path / "tiny.safetensors")
    assert meta["from_ema"] and meta["weights_only"]
    assert not (tmp_path / "tiny.json").exists()
    full = load_generator(run.path)
    small = load_generator(tmp_path / "tiny.safetensors")
    z = full.noise(3, seed=0)
    assert torch.equal(full.generate(z), small.generate(z))
    assert zoo.resolve("tiny", root=tmp_path) == tmp_path / "tiny.safetensors"
    assert (tmp_path / "tiny.safetensors").stat().st_size < run.latest_checkpoint().stat().st_size
    with pytest.raises(zoo.ZooError, match="ganplay zoo build mnist-cdcgan"):
        zoo.resolve("mnist-cdcgan", root=tmp_path)
