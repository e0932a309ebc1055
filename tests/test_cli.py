"""The `ganplay` command as a person runs it: real subprocesses, exit codes, messages."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from ganplay.presets import PRESETS
from ganplay.train.control import send
from ganplay.train.rundir import RunDir

ENV = {**os.environ, "GANPLAY_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
TINY = ["--set", "model.g_hidden=[32,32]", "model.d_hidden=[32,32]", "train.batch_size=64",
        "train.log_every=2", "train.sample_every=5", "train.checkpoint_every=5"]


def ganplay(*args, cwd=None, timeout=180):
    return subprocess.run([sys.executable, "-m", "ganplay", *map(str, args)], capture_output=True, text=True,
                          env=ENV, cwd=cwd, timeout=timeout)


def only_run(out: Path) -> RunDir:
    runs = [p for p in out.iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    return RunDir(runs[0])


def test_presets_lists_every_preset_with_a_line():
    res = ganplay("presets")
    assert res.returncode == 0
    lines = res.stdout.strip().splitlines()
    assert len(lines) == len(PRESETS)
    for name in PRESETS:
        assert any(line.startswith(name + " ") and len(line) > len(name) + 10 for line in lines)
    assert set(json.loads(ganplay("presets", "--json").stdout)) == set(PRESETS)


@pytest.mark.slow
def test_run_dir_names_the_run_directory_and_never_reuses_a_run(tmp_path):
    target = tmp_path / "chosen" / "my-run"
    res = ganplay("train", "--preset", "ring8-gan", "--steps", "4", "--run-dir", target, *TINY)
    assert res.returncode == 0, res.stderr
    assert RunDir(target).read_status()["state"] == "done" and f"-> {target}" in res.stdout
    again = ganplay("train", "--preset", "ring8-gan", "--steps", "4", "--run-dir", target, *TINY)
    assert again.returncode == 2 and f"--run-dir {target} already holds a run" in again.stderr
    assert "Traceback" not in again.stderr and RunDir(target).read_status()["step"] == 4
    mixed = ganplay("train", "--resume", target, "--run-dir", tmp_path / "elsewhere")
    assert mixed.returncode == 2 and "drop --preset/--config/--set/--run-dir" in mixed.stderr


@pytest.mark.slow
def test_train_then_sample(tmp_path):
    res = ganplay("train", "--preset", "ring8-gan", "--steps", "10", "--out", tmp_path / "runs", *TINY)
    assert res.returncode == 0, res.stderr
    run = only_run(tmp_path / "runs")
    assert str(run.path) in res.stdout
    assert "done: 10 steps" in res.stdout
    assert run.read_status()["state"] == "done"
    out = tmp_path / "s.png"
    res = ganplay("sample", run.path, "--n", "100", "--seed", "3", "--out", out)
    assert res.returncode == 0, res.stderr
    assert Image.open(out).size == (320, 320)
    # the same seed gives the same picture, from the checkpoint file directly too
    out2 = tmp_path / "s2.png"
    assert ganplay("sample", run.latest_checkpoint(), "--n", "100", "--seed", "3", "--out", out2).returncode == 0
    assert out.read_bytes() == out2.read_bytes()


def test_bad_config_fails_before_writing_anything(tmp_path):
    res = ganplay("train", "--preset", "mnist-dcgan", "--set", "train.batch_size=0", "optim.lr_g=-1",
                  "--out", tmp_path / "runs")
    assert res.returncode == 2
    assert "train.batch_size" in res.stderr and "optim.lr_g" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "runs").exists()
    res = ganplay("train", "--preset", "nope", "--out", tmp_path / "runs")
    assert res.returncode == 2 and "unknown preset 'nope'" in res.stderr and "ring8-gan" in res.stderr
    res = ganplay("train", "--out", tmp_path / "runs")
    assert res.returncode == 2 and "--preset" in res.stderr


def test_unreadable_config_files_are_one_line(tmp_path):
    binary = tmp_path / "weights.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00" * 64)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    for args in (["--config", binary], ["--config", deep],
                 ["--preset", "ring8-gan", "--set", "model.g_hidden=" + "[" * 30_000 + "]" * 30_000],
                 ["--preset", "ring8-gan", "--set", "model.g_hidden=[-5]"],
                 ["--preset", "ring8-gan", "--set", "model.g_hidden=[200000,200000]"]):
        res = ganplay("train", *args, "--out", tmp_path / "runs")
        assert res.returncode == 2 and res.stderr.startswith("error: "), res.stderr[-2000:]
        assert "Traceback" not in res.stderr and len(res.stderr) < 2000
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("argv, message", [
    (["sample", "mnist-dcgan", "--out", "{dir}"], "--out {dir} is a folder; give the name of the file"),
    (["sample", "mnist-dcgan", "--out", "{dir}/grid.jpg"], "--out must end in .png; got {dir}/grid.jpg"),
    (["export", "mnist-dcgan", "--onnx", "{dir}"], "--onnx {dir} is a folder"),  # was a traceback
    (["export", "mnist-dcgan", "--dataset", "{dir}/d.tar"], "--dataset must end in .zip"),
    (["eval", "mnist-dcgan", "--json", "{dir}"], "--json {dir} is a folder"),  # after the evaluation
    (["bench", "--json", "{dir}"], "--json {dir} is a folder"),  # after the whole bench
    (["eject", "mnist-dcgan", "--out", "{dir}"], "--out {dir} is a folder"),
    (["lab", "export", "--scenario", "ring8", "--side", "pacgan", "--out", "{dir}/x.jpg"],
     "--out must end in .png or .gif"),
    (["train", "--preset", "ring8-gan", "--out", "{dir}/a-file"], "File exists"),  # a file for the runs folder
])
def test_an_output_path_that_cannot_take_the_file_is_refused_first(tmp_path, capsys, argv, message):
    from ganplay.cli import EXIT_BAD_INPUT, main

    (tmp_path / "a-file").write_text("kept")
    argv = [a.replace("{dir}", str(tmp_path)) for a in argv]
    assert main(argv) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message.replace("{dir}", str(tmp_path)) in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # nothing written, nothing left
    assert (tmp_path / "a-file").read_text() == "kept"


def test_eval_prints_a_table_and_json_only_where_asked(tmp_path, capsys):
    from ganplay.cli import main

    assert main(["eval", "ring8-gan", "--quiet"]) == 0
    table = capsys.readouterr().out
    assert "modes" in table and "{" not in table  # no JSON blob after the table
    assert main(["eval", "ring8-gan", "--quiet", "--json", "-"]) == 0
    result = json.loads(capsys.readouterr().out)  # nothing but the JSON: it pipes
    assert result["source"].endswith("ring8-gan.safetensors") and len(result["modes"]["values"]) == 5  # seeds
    assert main(["eval", "ring8-gan", "--quiet", "--json", str(tmp_path / "e.json")]) == 0
    assert f"wrote {tmp_path / 'e.json'}" in capsys.readouterr().out
    assert json.loads((tmp_path / "e.json").read_text())["modes"] == result["modes"]


@pytest.mark.slow
def test_missing_dataset_fails_offline_with_hint(tmp_path):
    res = ganplay("train", "--preset", "mnist-dcgan", "--set", "data.name=cifar10", f"data.root={tmp_path}",
                  "data.download=true", "--out", tmp_path / "runs")
    assert res.returncode == 2
    assert "mnist5k" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_sample_refuses_foreign_and_bad_input(tmp_path):
    bad = tmp_path / "model.pt"
    bad.write_bytes(b"\x80\x04not a safetensors file")
    res = ganplay("sample", bad, "--out", tmp_path / "x.png")
    assert res.returncode == 2 and "never unpickles" in res.stderr
    res = ganplay("sample", tmp_path / "nothing-here", "--out", tmp_path / "x.png")
    assert res.returncode == 2 and "not found" in res.stderr


@pytest.mark.slow
def test_conditional_sample_label(tmp_path):
    res = ganplay("train", "--preset", "mnist-cdcgan", "--steps", "2", "--out", tmp_path / "runs", "--set",
                  "model.g_channels=8", "model.d_channels=8", "train.batch_size=8")
    assert res.returncode == 0, res.stderr
    run = only_run(tmp_path / "runs")
    out = tmp_path / "seven.png"
    assert ganplay("sample", run.path, "--n", "16", "--label", "7", "--out", out).returncode == 0
    assert Image.open(out).size == (4 * 30 + 2, 4 * 30 + 2)
    res = ganplay("sample", run.path, "--label", "12", "--out", out)
    assert res.returncode == 2 and "label must be 0..9" in res.stderr


@pytest.mark.slow
def test_killed_job_resumes_to_the_end(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "ganplay", "train", "--preset", "ring8-gan", "--steps", "100000", "--quiet",
         "--out", str(tmp_path / "runs"), *TINY],
        env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            runs = list((tmp_path / "runs").glob("*/checkpoints/step-0000010.safetensors")) if (tmp_path / "runs").exists() else []
            if runs:
                break
            time.sleep(0.1)
        assert runs, "no checkpoint within 120 s"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    run = only_run(tmp_path / "runs")
    assert run.read_status()["state"] == "running"  # killed: nobody wrote a final status
    res = ganplay("train", "--resume", run.path, "--steps", "30", "--quiet")
    assert res.returncode == 0, res.stderr
    status = run.read_status()
    assert (status["state"], status["step"]) == ("done", 30)
    steps = [r["step"] for r in run.read_metrics() if "loss_d" in r]
    assert steps == sorted(set(steps)) and steps[-1] == 30


@pytest.mark.slow  # a CLI training
def test_stop_request_exits_with_resume_hint(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "ganplay", "train", "--preset", "ring8-gan", "--steps", "100000", "--quiet",
         "--out", str(tmp_path / "runs"), *TINY],
        env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    run = None
    while time.monotonic() < deadline and run is None:
        found = list((tmp_path / "runs").glob("*/status.json")) if (tmp_path / "runs").exists() else []
        if found and RunDir(found[0].parent).read_status().get("state") == "running":
            run = RunDir(found[0].parent)
        time.sleep(0.05)
    assert run is not None
    send(run.path, "stop")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3
    assert f"ganplay train --resume {run.path}" in err
    assert run.read_status()["state"] == "stopped"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("torchrun") is None, reason="torchrun not on PATH")
def test_torchrun_two_processes_on_cpu(tmp_path):
    def torchrun(out):
        return subprocess.run(
            ["torchrun", "--standalone", "--nproc_per_node=2", "-m", "ganplay", "train", "--preset", "ring8-wgan-gp",
             "--steps", "6", "--device", "cpu", "--quiet", "--out", str(out), *TINY],
            capture_output=True, text=True, env=ENV, timeout=300)

    res = torchrun(tmp_path / "runs")
    if res.returncode and "terminate called without an active exception" in res.stderr:
        # a rank aborted in C++ (gloo) as the processes connected, before its first step: seen once
        # in a full run on the 2-core machine, in 0 of 7 runs alone. Once more, from a clean folder
        shutil.rmtree(tmp_path / "runs", ignore_errors=True)
        res = torchrun(tmp_path / "runs")
    assert res.returncode == 0, res.stderr[-3000:]
    run = only_run(tmp_path / "runs")  # only rank 0 wrote a run directory
    status = run.read_status()
    assert (status["state"], status["step"], status["world_size"]) == ("done", 6, 2)
    rows = [r for r in run.read_metrics() if "loss_d" in r]
    assert [r["step"] for r in rows] == [2, 4, 6]  # one writer: no duplicated lines
    assert rows[-1]["penalty"] > 0


def test_a_bad_config_is_reported_without_importing_torch():
    """The error path must not import the whole engine (seconds) to print one line."""
    code = ("import sys; from ganplay.cli import main; "
            "rc = main(['train', '--preset', 'ring8-gan', '--set', 'train.batch_size=0']); "
            "print(rc, 'torch' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV)
    assert res.stdout.split() == ["2", "False"], res.stderr
    assert "train.batch_size" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.slow  # two trainings in subprocesses; the rule itself: test_trainer's auto-precision test
@pytest.mark.parametrize("native, warned", [("0", True), ("1", False)])
def test_train_warns_before_bf16_on_a_cpu_that_emulates_it(tmp_path, native, warned):
    env = {**ENV, "GANPLAY_BF16_NATIVE": native}
    res = subprocess.run([sys.executable, "-m", "ganplay", "train", "--preset", "ring8-gan", "--steps", "2",
                          "--out", str(tmp_path / "runs"), "--quiet", *TINY, "train.precision=bf16",
                          "train.device=cpu"], capture_output=True, text=True, env=env, timeout=180)
    assert res.returncode == 0, res.stderr[-2000:]
    assert ("warning: bf16 on this CPU is emulated" in res.stderr) == warned, res.stderr[-2000:]
    assert "(x1, bf16)" in res.stderr
