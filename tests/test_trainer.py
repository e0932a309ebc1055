"""The trainer end to end on CPU: the run directory it writes, determinism, exact resume,
divergence, control requests, every stabiliser switch."""

import json
import threading
import time

import numpy as np
import pytest
import torch
from PIL import Image

from ganplay import losses
from ganplay.train import Trainer
from ganplay.train import checkpoint as ckpt
from ganplay.train.control import send

WALL_CLOCK = {"time", "steps_per_s", "images_per_s"}


def train_run(cfg, out, **fit_kwargs):
    trainer = Trainer(cfg)
    run = trainer.start(out)
    state = trainer.fit(**fit_kwargs)
    return trainer, run, state


def metrics_without_clock(run):
    return [{k: v for k, v in r.items() if k not in WALL_CLOCK} for r in run.read_metrics()]


def test_2d_run_writes_the_whole_run_directory(tiny_cfg, tmp_path):
    cfg = tiny_cfg("ring8-gan", steps=6)
    _, run, state = train_run(cfg, tmp_path)
    assert state == "done"
    assert json.loads(run.config_path.read_text()) == cfg.to_dict()
    status = run.read_status()
    assert (status["state"], status["step"], status["steps"], status["device"]) == ("done", 6, 6, "cpu")
    assert status["error"] == ""
    rows = run.read_metrics()
    assert [r["step"] for r in rows] == [2, 4, 6]
    for key in ("loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g", "images_per_s",
                "lr_g", "lr_d", "time"):
        assert all(np.isfinite(r[key]) for r in rows), key
    assert 0 <= rows[-1]["d_real"] <= 1  # ns: shown as a probability
    npz = np.load(run.samples_dir / "step-0000006.npz")
    assert npz["real"].shape == (1000, 2) and npz["fake"].shape == (1000, 2)
    assert npz["field"].shape == (48, 48) and npz["g_grad"].shape == (1000, 2)
    assert ((npz["field"] >= 0) & (npz["field"] <= 1)).all()
    assert sorted(p.name for p in run.sample_paths(".png")) == [
        "step-0000000.png", "step-0000003.png", "step-0000006.png"]
    assert [p.name for p in run.checkpoint_paths()] == ["step-0000003.safetensors", "step-0000006.safetensors"]


def test_image_run_writes_grids_and_conditional_layout(tiny_cfg, tmp_path):
    cfg = tiny_cfg("mnist-cdcgan", steps=3)
    _, run, state = train_run(cfg, tmp_path)
    assert state == "done"
    img = Image.open(run.sample_paths()[-1])
    # 10 classes x 6 per class = 60 samples in 10 columns of 28 px (+2 px padding)
    assert img.size == (10 * 30 + 2, 6 * 30 + 2)


def test_same_seed_same_metrics(tiny_cfg, tmp_path):
    cfg = tiny_cfg("mnist-dcgan", "loss.instance_noise=0.1", "train.augment=[translation, cutout]", steps=4)
    _, run_a, _ = train_run(cfg, tmp_path / "a")
    _, run_b, _ = train_run(cfg, tmp_path / "b")
    assert metrics_without_clock(run_a) == metrics_without_clock(run_b)
    other = cfg.with_overrides(["train.seed=1"])
    _, run_c, _ = train_run(other, tmp_path / "c")
    assert metrics_without_clock(run_c) != metrics_without_clock(run_a)


@pytest.mark.parametrize("preset, extra", [
    ("mnist-dcgan", ["optim.ema=0.9", "optim.schedule=linear"]),
    ("ring8-wgan-gp", []),
])
def test_stop_and_resume_equals_straight_run(tiny_cfg, tmp_path, preset, extra):
    cfg = tiny_cfg(preset, *extra, "train.checkpoint_every=100", steps=8)
    straight, _, _ = train_run(cfg, tmp_path / "straight")

    first = Trainer(cfg)
    run = first.start(tmp_path / "split")
    assert first.fit(stop_after=4) == "stopped"
    assert run.read_status()["state"] == "stopped"
    assert [p.name for p in run.checkpoint_paths()] == ["step-0000004.safetensors"]
    resumed = Trainer.from_run(run.path)
    assert resumed.step == 4
    assert resumed.fit() == "done"
    for a, b in zip(straight.G.state_dict().values(), resumed.G.state_dict().values()):
        assert torch.equal(a, b)
    for a, b in zip(straight.D.state_dict().values(), resumed.D.state_dict().values()):
        assert torch.equal(a, b)
    if straight.G_ema is not None:
        for a, b in zip(straight.G_ema.state_dict().values(), resumed.G_ema.state_dict().values()):
            assert torch.equal(a, b)


def test_resume_after_kill_drops_metrics_past_the_checkpoint(tiny_cfg, tmp_path):
    cfg = tiny_cfg("ring8-gan", steps=8)  # checkpoints every 3 steps
    trainer = Trainer(cfg)
    run = trainer.start(tmp_path)
    trainer.fit(stop_after=5)
    # simulate a kill after step 5: no stop checkpoint, status left at "running"
    (run.checkpoints_dir / "step-0000005.safetensors").unlink()
    (run.checkpoints_dir / "step-0000005.json").unlink()
    run.write_status(state="running")
    assert max(r["step"] for r in run.read_metrics()) == 4
    resumed = Trainer.from_run(run.path)
    assert resumed.step == 3
    assert max(r["step"] for r in run.read_metrics()) == 2  # steps after 3 will be trained again
    assert resumed.fit() == "done"
    assert [r["step"] for r in run.read_metrics()] == [2, 4, 6, 8]


def test_divergence_stops_with_failed_status_and_keeps_last_good_checkpoint(tiny_cfg, tmp_path, monkeypatch):
    cfg = tiny_cfg("ring8-gan", steps=10)
    real_d_loss = losses.d_loss
    calls = {"n": 0}

    def exploding(name, real, fake, smoothing=0.0):
        calls["n"] += 1
        out = real_d_loss(name, real, fake, smoothing)
        return out * float("nan") if calls["n"] >= 5 else out

    monkeypatch.setattr(losses, "d_loss", exploding)
    trainer, run, state = train_run(cfg, tmp_path)
    assert state == "failed"
    status = run.read_status()
    assert status["state"] == "failed"
    assert "diverged at step 5" in status["error"] and "loss_d" in status["error"]
    assert "step-0000003.safetensors" in status["error"]
    assert [p.name for p in run.checkpoint_paths()] == ["step-0000003.safetensors"]
    good = ckpt.load_checkpoint(run.checkpoint_paths()[0])
    assert all(torch.isfinite(t).all() for t in good.tensors.values())


def test_pause_set_resume_stop_from_another_thread(tiny_cfg, tmp_path):
    cfg = tiny_cfg("ring8-gan", steps=100000, )
    cfg = cfg.with_overrides(["train.log_every=1", "train.sample_every=100000", "train.checkpoint_every=100000"])
    trainer = Trainer(cfg)
    run = trainer.start(tmp_path)
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("state", trainer.fit()))
    thread.start()

    def wait_for(predicate, timeout=20.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return True
            time.sleep(0.02)
        return False

    try:
        assert wait_for(lambda: run.read_status().get("step", 0) >= 3)
        send(run.path, "pause")
        assert wait_for(lambda: run.read_status().get("state") == "paused")
        paused_at = run.read_status()["step"]
        time.sleep(0.5)
        assert run.read_status()["step"] == paused_at  # no training while paused
        send(run.path, "set", lr_g=1e-5, n_critic=2)
        send(run.path, "resume")
        assert wait_for(lambda: run.read_status().get("state") == "running"
                        and run.read_status().get("step", 0) > paused_at + 2)
        send(run.path, "stop")
        thread.join(timeout=20)
        assert not thread.is_alive()
    finally:
        trainer.request_stop()
        thread.join(timeout=20)
    assert result["state"] == "stopped"
    assert run.read_status()["state"] == "stopped"
    rows = run.read_metrics()
    events = [r for r in rows if r.get("event") == "set"]
    assert events and events[0]["lr_g"] == 1e-5 and events[0]["n_critic"] == 2
    after = [r for r in rows if "loss_d" in r and r["step"] > events[0]["step"]]
    assert after and after[-1]["lr_g"] == pytest.approx(1e-5) and after[-1]["n_critic"] == 2
    assert run.latest_checkpoint() is not None  # a stopped run keeps a checkpoint


SWITCHES = [
    ("mnist-dcgan", ["model.spectral_norm=true", "model.minibatch_std=true", "loss.label_smoothing=0.1"]),
    ("mnist-dcgan", ["model.minibatch_disc=4", "loss.feature_matching=1.0", "loss.instance_noise=0.1"]),
    ("mnist-dcgan", ["loss.name=lsgan", "optim.ema=0.99", "optim.schedule=cosine", "loss.r1_weight=1"]),
    ("mnist-dcgan", ["loss.name=hinge", "optim.lr_d=4e-4", "optim.n_critic=2", "train.augment=[translation]"]),
    ("mnist-dcgan", ["loss.name=minimax", "model.residual=true", "data.image_size=32"]),
    ("mnist-wgan", []),
    ("mnist-wgan-gp", ["model.n_classes=10"]),
    ("mnist-mlp", ["train.precision=bf16"]),
    ("ring8-gan", ["model.pack=4", "model.minibatch_std=true"]),
    ("grid25-wgan-gp", ["optim.name=rmsprop"]),
]


@pytest.mark.parametrize("preset, overrides", SWITCHES, ids=[f"{p}:{','.join(o)}" for p, o in SWITCHES])
def test_every_switch_trains(tiny_cfg, tmp_path, preset, overrides):
    cfg = tiny_cfg(preset, *overrides, steps=3)
    trainer, run, state = train_run(cfg, tmp_path)
    assert state == "done", run.read_status()
    rows = [r for r in run.read_metrics() if "loss_d" in r]
    assert rows and all(np.isfinite(r["loss_d"]) and np.isfinite(r["loss_g"]) for r in rows)
    if cfg.loss.name == "wasserstein":
        assert "wasserstein" in rows[-1]
    if cfg.loss.clip:
        assert max(p.abs().max().item() for p in trainer.D.parameters()) <= cfg.loss.clip + 1e-7
    if cfg.loss.gp_weight or cfg.loss.r1_weight:
        assert rows[-1]["penalty"] > 0
    # each switch changes what is trained: alone over the preset, it leaves other weights after 3
    # steps than the preset does (the sampling G, so an EMA counts; a switch that is a no-op fails)
    base = _weights(train_run(tiny_cfg(preset, steps=3), tmp_path / "base")[0])
    for i, override in enumerate(overrides):
        alone = _weights(train_run(tiny_cfg(preset, override, steps=3), tmp_path / f"alone-{i}")[0])
        assert alone != base, f"{override} changed nothing"


def _weights(trainer) -> list[tuple[str, tuple, bytes]]:
    nets = (("G", trainer.sampling_generator()), ("D", trainer.D))
    return [(f"{n}.{k}", tuple(v.shape), v.detach().float().cpu().numpy().tobytes())
            for n, net in nets for k, v in sorted(net.state_dict().items())]


def test_tensorboard_events(tiny_cfg, tmp_path):
    cfg = tiny_cfg("ring8-gan", "train.tensorboard=true", steps=2)
    _, run, state = train_run(cfg, tmp_path)
    assert state == "done"
    events = list((run.path / "tensorboard").glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 0


def _write_folder(root, classes):
    for k, name in enumerate(classes):
        d = root / name
        d.mkdir(parents=True)
        for i in range(6):
            Image.new("RGB", (40 + i, 30), (40 * k, 20 * i, 100)).save(d / f"{i}.png")


def test_folder_labels_make_a_conditional_gan(tmp_path):
    from ganplay.config import Config, ConfigError

    _write_folder(tmp_path / "imgs", ["cats", "dogs"])
    values = {"data": {"name": "folder", "root": str(tmp_path / "imgs"), "image_size": 32},
              "model": {"arch": "dcgan", "g_channels": 8, "d_channels": 8, "n_classes": 2},
              "train": {"steps": 2, "batch_size": 4}}
    trainer, run, state = train_run(Config.from_dict(values), tmp_path / "runs")
    assert state == "done" and trainer.G.n_classes == 2
    assert trainer.data.sample_shape == (3, 32, 32)
    values["model"]["n_classes"] = 3
    with pytest.raises(ConfigError, match="model.n_classes: folder has 2 classes; got 3"):
        Trainer(Config.from_dict(values))


def test_periodic_eval_lines(tiny_cfg, tmp_path):
    cfg = tiny_cfg("ring8-gan", "train.eval_every=2", steps=4)
    _, run, state = train_run(cfg, tmp_path)
    assert state == "done"
    evals = [r for r in run.read_metrics() if r.get("event") == "eval"]
    assert [r["step"] for r in evals] == [2, 4]
    assert all(0 <= r["modes"] <= 8 and 0 <= r["hq"] <= 1 for r in evals)


def test_a_new_run_logs_its_first_steps_early_and_its_regular_lines_are_unchanged(tiny_cfg, tmp_path, monkeypatch):
    from ganplay.train import trainer as trainer_module

    cfg = tiny_cfg("ring8-gan", "train.log_every=50", "train.sample_every=1000",
                   "train.checkpoint_every=1000", steps=60)
    _, run, _ = train_run(cfg, tmp_path / "early")
    rows = metrics_without_clock(run)
    assert [r["step"] for r in rows] == [1, 2, 5, 10, 20, 50, 60]
    assert trainer_module.is_first_log_step(1, 50) and not trainer_module.is_first_log_step(1, 2)
    monkeypatch.setattr(trainer_module, "FIRST_LOG_STEPS", ())
    _, plain, _ = train_run(cfg, tmp_path / "plain")
    assert metrics_without_clock(plain) == rows[-2:]  # the step-50 line still averages steps 1-50


def test_the_trainer_reports_its_start_phases(tiny_cfg):
    phases = []
    Trainer(tiny_cfg("ring8-gan"), on_phase=phases.append)
    assert phases == ["loading data", "building models"]


def test_sample_grids_keep_torchvisions_layout_without_importing_it():
    import subprocess
    import sys

    from torchvision.utils import make_grid

    from ganplay.train import snapshots

    for shape, ncol in [((64, 1, 28, 28), 8), ((60, 1, 28, 28), 10), ((7, 3, 32, 32), 3), ((1, 1, 28, 28), 8)]:
        x = torch.rand(shape) * 2 - 1
        ours = snapshots.tile(x, ncol, 2, 1.0)
        theirs = make_grid(x, nrow=ncol, padding=2, pad_value=1.0)  # grey images come back as RGB
        assert torch.equal(ours.expand_as(theirs), theirs), shape
    # torchvision imports its detection models on the way (and with them torch._dynamo)
    code = "import sys, ganplay.train.trainer; print('torchvision' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("native", ["0", "1"])
def test_auto_precision_picks_bf16_only_where_the_cpu_does_it_natively(tiny_cfg, tmp_path, monkeypatch, native):
    from ganplay.cpu import bf16_native, precision_warning, resolve_precision

    monkeypatch.setenv("GANPLAY_BF16_NATIVE", native)  # fakes the CPU's capability
    assert bf16_native() is (native == "1")
    images = Trainer(tiny_cfg("mnist-mlp", "train.precision=auto", "train.device=cpu", steps=2))
    points = Trainer(tiny_cfg("ring8-gan", "train.precision=auto", "train.device=cpu", steps=2))
    assert images.precision == ("bf16" if native == "1" else "fp32")
    assert points.precision == "fp32"  # 2D MLPs gain nothing from bf16
    asked = Trainer(tiny_cfg("mnist-mlp", "train.precision=bf16", "train.device=cpu", steps=2))
    assert asked.precision == "bf16"  # asked for, it is honoured (and warned about)
    assert (precision_warning("bf16", "cpu") is None) is (native == "1")
    assert precision_warning("fp32", "cpu") is None and precision_warning("bf16", "cuda") is None
    assert resolve_precision("auto", "cuda", False, cuda_bf16=True) == "bf16"
    assert resolve_precision("auto", "cuda", False, cuda_bf16=False) == "fp32"
    assert resolve_precision("auto", "mps", False) == "fp32"
    run = images.start(tmp_path / "runs")
    assert json.loads(run.status_path.read_text())["precision"] == images.precision


def test_cpu_flags_decide_bf16_when_nothing_overrides(monkeypatch, tmp_path):
    from ganplay import cpu

    monkeypatch.delenv("GANPLAY_BF16_NATIVE", raising=False)
    real_open = open

    def fake_cpuinfo(flags):
        def opener(path, *a, **k):
            if path == "/proc/cpuinfo":
                f = tmp_path / "cpuinfo"
                f.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
                return real_open(f, *a, **k)
            return real_open(path, *a, **k)
        return opener

    monkeypatch.setattr("builtins.open", fake_cpuinfo("fpu sse avx2 fma"))
    assert cpu.bf16_native() is False
    monkeypatch.setattr("builtins.open", fake_cpuinfo("fpu avx2 avx512f amx_bf16 amx_tile"))
    assert cpu.bf16_native() is True
    monkeypatch.setattr("builtins.open", fake_cpuinfo("fpu avx2 avx512f avx512_bf16"))
    assert cpu.bf16_native() is True


def test_noise_grid_spans_the_first_two_noise_coordinates():
    from ganplay.train import snapshots

    grid = snapshots.noise_grid(2, lines=5, points=9, reach=2.5)
    assert grid.shape == (2, 5, 9, 2) and grid.dtype == torch.float32
    assert torch.allclose(grid[0, :, :, 0], torch.linspace(-2.5, 2.5, 5)[:, None].expand(5, 9))  # held
    assert torch.allclose(grid[0, :, :, 1], torch.linspace(-2.5, 2.5, 9)[None, :].expand(5, 9))  # run along
    assert torch.equal(grid[1], grid[0].flip(-1))  # the other family: the same lines, axes swapped
    wide = snapshots.noise_grid(8)
    assert wide.shape == (2, snapshots.MANIFOLD_LINES, snapshots.MANIFOLD_POINTS, 8)
    assert torch.equal(wide[..., :2], snapshots.noise_grid(2)) and not wide[..., 2:].any()  # the rest at 0
    assert (wide[..., :2].amin(), wide[..., :2].amax()) == (-snapshots.MANIFOLD_REACH, snapshots.MANIFOLD_REACH)
    assert snapshots.noise_grid(1).shape[-1] == 1


def test_the_2d_snapshot_holds_gs_manifold_and_drawing_it_draws_nothing_random(tiny_cfg, tmp_path):
    from ganplay.train import snapshots

    cfg = tiny_cfg("ring8-gan", "model.z_dim=5", "optim.ema=0.9", steps=3)
    trainer, run, _ = train_run(cfg, tmp_path)
    npz = np.load(run.samples_dir / "step-0000003.npz")
    assert npz["manifold"].shape == (2, snapshots.MANIFOLD_LINES, snapshots.MANIFOLD_POINTS, 2)
    assert npz["manifold"].dtype == np.float32 and int(npz["manifold_z_dim"]) == 5
    G = trainer.G_ema.module  # the copy the snapshots sample from
    assert G is trainer.sampling_generator()
    G.eval()
    with torch.no_grad():
        expected = G(snapshots.noise_grid(5).reshape(-1, 5)).reshape(2, 11, 41, 2)
    assert np.allclose(npz["manifold"], expected.numpy(), atol=1e-6)
    torch_rng, own_rng = torch.get_rng_state(), trainer.rng.get_state()
    trainer.G_ema.module.train()
    assert np.array_equal(trainer.manifold(), npz["manifold"])
    assert trainer.G_ema.module.training  # left as it was found
    assert torch.equal(torch.get_rng_state(), torch_rng) and torch.equal(trainer.rng.get_state(), own_rng)


def test_a_runs_numbers_are_the_same_with_gs_manifold_recorded(tiny_cfg, tmp_path, monkeypatch):
    cfg = tiny_cfg("ring8-gan", "model.g_batchnorm=true", steps=6)
    with_mesh, run_a, _ = train_run(cfg, tmp_path / "a")
    monkeypatch.setattr(Trainer, "manifold", lambda self: np.zeros((2, 11, 41, 2), np.float32))
    without, run_b, _ = train_run(cfg, tmp_path / "b")
    assert metrics_without_clock(run_a) == metrics_without_clock(run_b)
    for key, value in with_mesh.G.state_dict().items():
        assert torch.equal(value, without.G.state_dict()[key]), key
