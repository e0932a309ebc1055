"""Run directory primitives: atomic writes, the tolerant JSONL reader, the control channel and
checkpoint files (safetensors only; foreign files are refused with a clear message)."""

import json
import pickle
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from ganplay.train import checkpoint as ckpt
from ganplay.train.control import ControlError, ControlReader, send
from ganplay.train.rundir import (NoCheckpointError, RunDir, atomic_write_bytes, atomic_write_json, new_run_dir,
                                  read_jsonl, step_name, truncate_jsonl_after)


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "status.json"
    atomic_write_json(target, {"state": "running"})
    atomic_write_json(target, {"state": "done"})
    assert json.loads(target.read_text()) == {"state": "done"}
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "x.bin"
    atomic_write_bytes(target, b"old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]


def test_reader_skips_half_written_last_line(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1, "loss_d": 0.5}\n{"step": 2, "loss_d": 0.4}\n{"step": 3, "lo')
    rows = read_jsonl(path)
    assert [r["step"] for r in rows] == [1, 2]
    truncate_jsonl_after(path, 1)
    assert [r["step"] for r in read_jsonl(path)] == [1]
    assert read_jsonl(tmp_path / "missing.jsonl") == []


def test_new_run_dirs_are_unique(tmp_path):
    a, b = new_run_dir(tmp_path, "ring8 gan!"), new_run_dir(tmp_path, "ring8 gan!")
    assert a.path != b.path and a.samples_dir.is_dir() and b.checkpoints_dir.is_dir()
    assert "ring8-gan-" in a.path.name


def test_control_channel_delivers_each_request_once_in_order(tmp_path):
    run = RunDir(tmp_path)
    atomic_write_json(run.config_path, {})
    reader = ControlReader(tmp_path, poll_interval=0)
    assert reader.poll() == []
    send(tmp_path, "pause")
    send(tmp_path, "set", lr_g=1e-4, n_critic="3")
    got = reader.poll()
    assert [r["command"] for r in got] == ["pause", "set"]
    assert got[1]["lr_g"] == 1e-4 and got[1]["n_critic"] == 3
    assert reader.poll() == []
    send(tmp_path, "stop")
    assert [r["command"] for r in reader.poll()] == ["stop"]
    # a new reader (a resumed job) ignores requests from before it started
    assert ControlReader(tmp_path, poll_interval=0).poll() == []


@pytest.mark.parametrize("args, msg", [
    (("jump",), "unknown command"),
    (("set",), "at least one"),
    (("set", {"lr_g": -1}), "lr_g: Input should be greater than 0"),
    (("set", {"n_critic": 101}), "n_critic: Input should be less than or equal to 100"),
    (("set", {"beta1": 0.5}), "cannot set 'beta1'"),
    (("pause", {"lr_g": 0.1}), "takes no settings"),
])
def test_control_rejects_bad_requests(tmp_path, args, msg):
    atomic_write_json(RunDir(tmp_path).config_path, {})
    command, settings = args[0], (args[1] if len(args) > 1 else {})
    with pytest.raises(ControlError, match=msg):
        send(tmp_path, command, **settings)


def test_control_needs_a_run_dir(tmp_path):
    with pytest.raises(ControlError, match="not a ganplay run directory"):
        send(tmp_path, "stop")


def test_checkpoint_round_trip_with_optimizer_state(tmp_path):
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    tensors = ckpt.flat_state("G", model.state_dict())
    opt_t, opt_info = ckpt.optimizer_to_flat("opt_g", opt)
    tensors.update(opt_t)
    path = tmp_path / "step-0000001.safetensors"
    ckpt.save_checkpoint(path, {"name": "x"}, {"step": 1, "opt_g": opt_info}, tensors)
    assert json.loads(path.with_suffix(".json").read_text())["step"] == 1

    c = ckpt.load_checkpoint(path)
    assert c.config == {"name": "x"} and c.meta["step"] == 1
    model2 = torch.nn.Linear(3, 2)
    ckpt.load_state(model2, c.state_dict("G"), "generator", path)
    assert torch.equal(model2.weight, model.weight)
    opt2 = torch.optim.Adam(model2.parameters(), lr=1e-3)
    opt2.load_state_dict(ckpt.optimizer_from_flat("opt_g", c, c.meta["opt_g"]))
    assert torch.equal(opt2.state[model2.weight]["exp_avg"], opt.state[model.weight]["exp_avg"])

    with pytest.raises(ckpt.CheckpointError, match="do not fit"):
        ckpt.load_state(torch.nn.Linear(5, 2), c.state_dict("G"), "generator", path)


class _Canary:
    """Unpickling this creates a file: proof that something unpickled it."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_foreign_files_are_refused_not_unpickled(tmp_path):
    pickled = tmp_path / "model.pt"
    canary = tmp_path / "canary"
    pickled.write_bytes(pickle.dumps(_Canary(str(canary))))
    with pytest.raises(ckpt.CheckpointError, match="never unpickles"):
        ckpt.load_checkpoint(pickled)
    assert not canary.exists()

    other = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(2)}, str(other))
    with pytest.raises(ckpt.CheckpointError, match="not a ganplay checkpoint"):
        ckpt.load_checkpoint(other)

    truncated = tmp_path / "cut.safetensors"
    good = tmp_path / "good.safetensors"
    ckpt.save_checkpoint(good, {}, {"step": 0}, {"w": torch.zeros(1000)})
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ckpt.CheckpointError):
        ckpt.load_checkpoint(truncated)
    with pytest.raises(ckpt.CheckpointError, match="not found"):
        ckpt.load_checkpoint(tmp_path / "missing.safetensors")


def test_require_checkpoint_says_why_there_is_none_and_gives_the_newest(tmp_path):
    run = RunDir(tmp_path / "r")
    with pytest.raises(NoCheckpointError, match=r"^runs/r is not a run folder \(no config.json\)$"):
        run.require_checkpoint("runs/r")
    run.create()
    atomic_write_json(run.config_path, {})
    with pytest.raises(NoCheckpointError, match="has no checkpoint yet .*train.checkpoint_every") as err:
        run.require_checkpoint()
    assert str(err.value).startswith(str(run.path))  # no name given: its path
    for step in (10, 2):
        (run.checkpoints_dir / step_name(step, ".safetensors")).write_bytes(b"")
    assert run.require_checkpoint() == run.checkpoints_dir / "step-0000010.safetensors"


def test_step_of_reads_back_step_name():
    from ganplay.train.rundir import step_name, step_of

    for suffix in (".png", ".npz", ".safetensors", ".json"):
        assert step_of(step_name(1234, suffix)) == 1234
    assert step_of("runs/x/samples/step-0000040.npz") == 40 == step_of(Path("samples/step-0000040.png"))
    assert step_of(step_name(12_345_678, ".png")) == 12_345_678  # past the seven padded digits
    for other in ("config.json", "step-abc.png", "my-step-0000010.png", "step-.png"):
        assert step_of(other) == 0


def test_series_keeps_each_value_with_its_step_and_only_finite_ones():
    from ganplay.train.rundir import MEASURED, series

    rows = [{"step": 10, "loss_d": 1.0, "modes": 99}, {"step": 20, "event": "eval", "modes": 3},
            {"step": 30, "event": "set", "lr_g": 1e-4}, {"step": 40, "event": "eval", "modes": float("nan")},
            {"step": 50, "event": "eval", "hq": 0.5}, {"step": 60, "event": "eval", "modes": 5.0},
            {"step": 70, "event": "eval", "modes": True}, {"step": 80, "event": "eval", "modes": "7"},
            {"step": 90, "loss_d": float("inf")}, {"step": 100, "loss_d": 0.5}]
    assert series(rows, "modes") == ([20, 60], [3.0, 5.0])  # eval lines by default
    assert series(rows, "modes", event=None) == ([10], [99.0])  # training lines carry no event
    assert series(rows, "modes", event=MEASURED) == ([10, 20, 60], [99.0, 3.0, 5.0])
    assert series(rows, "loss_d", event=None) == ([10, 100], [1.0, 0.5])
    assert series(rows, "lr_g", event="set") == ([30], [1e-4])
    assert series(rows, "hq") == ([50], [0.5]) and series([], "hq") == ([], [])
