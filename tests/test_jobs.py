"""ganplay.jobs: real child processes training tiny 2D configs into a temporary runs folder."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from ganplay import jobs
from ganplay.jobs import listing, start
from ganplay.config import Config
from ganplay.train.rundir import RunDir
from servers import kill_jobs

TINY = ["model.g_hidden=[32, 32]", "model.d_hidden=[32]", "model.z_dim=8", "train.batch_size=64",
        "train.log_every=10", "train.sample_every=50", "train.checkpoint_every=50"]


def tiny(steps: int = 60, *extra: str) -> Config:
    return Config.from_preset("ring8-gan", [*TINY, f"train.steps={steps}", *extra])


def wait_for(predicate, timeout: float = 60.0, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {getattr(predicate, '__name__', predicate)}")


def the_run(root):
    runs = [r for r in jobs.list_runs(root) if r.kind == "run"]
    return runs[0] if len(runs) == 1 else None


@pytest.fixture
def root(tmp_path, monkeypatch):
    """A runs folder; every job started in it is killed at the end of the test."""
    for name in ("GANPLAY_DEMO", "SPACE_ID", "GANPLAY_MAX_JOBS", "GANPLAY_DEMO_MAX_JOBS"):
        monkeypatch.delenv(name, raising=False)
    # the jobs inherit this: one thread each trains these tiny models as fast, and does not spin
    # against other processes on a busy 2-core machine
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    path = tmp_path / "runs"
    yield path
    kill_jobs(path)


@pytest.mark.slow
def test_a_job_trains_in_a_child_process_and_moves_into_its_run_directory(root):
    info = jobs.submit(tiny(60), root)
    assert info.kind == "launch" and info.state == "launching"
    assert info.job["pid"] != os.getpid()
    run = wait_for(lambda: (r := the_run(root)) and r.state == "done" and r, timeout=90)
    assert run.step == 60 and run.steps == 60
    job = json.loads((run.path / jobs.JOB_FILE).read_text())
    assert job["id"] == info.id and job["pid"] == info.job["pid"]
    assert "done: 60 steps" in (run.path / jobs.LOG_FILE).read_text()
    assert not [p for p in (root / jobs.LAUNCH_DIR).iterdir()], "launch record and config cleaned up"
    assert jobs.find(root, info.id).path == run.path, "the job id still finds its run"
    assert info.name == run.name == run.path.name, "one name from the start (the job got --run-dir)"
    wait_for(lambda: not jobs.process_alive(job["pid"], job["pid_start"]), timeout=20)  # and exits


@pytest.mark.slow
def test_reattaching_reads_the_same_job_and_steering_goes_through_the_control_file(root, monkeypatch):
    info = jobs.submit(tiny(100_000), root)
    running = wait_for(lambda: (r := the_run(root)) and r.state == "running" and r.step > 0 and r, timeout=90)
    # a second reader (another tab, a restarted dashboard) sees one job, the same one
    again = jobs.poll(root)
    assert [r.path for r in again] == [running.path]
    assert again[0].job["pid"] == info.job["pid"]

    jobs.pause(running)
    wait_for(lambda: jobs.run_info(running.path).state == "paused", timeout=20)
    jobs.steer(jobs.run_info(running.path), lr_g=5e-5, n_critic=2)
    jobs.resume(jobs.run_info(running.path))
    wait_for(lambda: jobs.run_info(running.path).state == "running", timeout=20)
    events = wait_for(lambda: [r for r in RunDir(running.path).read_metrics() if r.get("event") == "set"])
    assert events[0]["lr_g"] == 5e-5 and events[0]["n_critic"] == 2
    commands = [r["command"] for r in map(json.loads, (running.path / "control.jsonl").read_text().splitlines())]
    assert commands == ["pause", "set", "resume"]

    with pytest.raises(jobs.JobError, match="stop it before deleting"):
        jobs.delete(jobs.run_info(running.path))
    jobs.stop(jobs.run_info(running.path))
    stopped = wait_for(lambda: (r := jobs.run_info(running.path)).state == "stopped" and r, timeout=30)
    assert stopped.can_continue
    monkeypatch.setenv("GANPLAY_DEMO", "1")  # a shared public demo: nobody deletes runs
    with pytest.raises(jobs.JobError, match="off in demo mode"):
        jobs.delete(stopped)
    monkeypatch.delenv("GANPLAY_DEMO")
    jobs.delete(stopped)
    assert not running.path.exists()


@pytest.mark.slow
def test_a_killed_job_shows_as_interrupted_and_continues_from_its_checkpoint(root):
    jobs.submit(tiny(100_000, "train.checkpoint_every=20"), root)
    run = wait_for(lambda: (r := the_run(root)) and r.run.latest_checkpoint() and r, timeout=90)
    os.kill(run.job["pid"], signal.SIGKILL)
    interrupted = wait_for(lambda: (r := jobs.run_info(run.path)).state == "interrupted" and r, timeout=10)
    assert interrupted.can_continue and "continue" in interrupted.note
    cont = jobs.continue_run(run.path, root)
    assert cont.job["pid"] != run.job["pid"]
    wait_for(lambda: jobs.run_info(run.path).state == "running", timeout=90)
    jobs.stop(jobs.run_info(run.path))
    wait_for(lambda: jobs.run_info(run.path).state == "stopped", timeout=30)
    assert "resuming" in (run.path / jobs.LOG_FILE).read_text()


@pytest.mark.slow
def test_a_job_that_fails_before_training_shows_its_error(root):
    cfg = Config.from_preset("mnist-dcgan", ["data.name=folder", f"data.root={root}/no-such-folder",
                                             "train.steps=5"])
    jobs.submit(cfg, root)
    failed = wait_for(lambda: [r for r in jobs.list_runs(root) if r.state == "failed"], timeout=60)[0]
    assert failed.kind == "launch" and "error:" in failed.note and "no-such-folder" in failed.note
    jobs.delete(failed)
    assert jobs.list_runs(root) == []


def test_stopping_a_job_that_is_still_launching(root):
    info = jobs.submit(tiny(100_000), root)
    jobs.stop(info)
    stopped = wait_for(lambda: (r := jobs.list_runs(root)) and not r[0].is_active and r[0], timeout=30)
    assert stopped.state == "stopped"


@pytest.mark.slow
def test_demo_mode_caps_settings_and_queues_jobs_beyond_the_limit(root, monkeypatch):
    monkeypatch.setenv("SPACE_ID", "someone/ganplay")  # a Hugging Face Space turns demo mode on
    lim = jobs.limits()
    assert lim.demo and lim.max_jobs == 1 and lim.max_steps == 2000
    with pytest.raises(jobs.JobError, match=r"train\.steps: this demo allows at most 2,000"):
        jobs.submit(tiny(5000), root, visitor="a-visitor-token-0123456789")

    first = jobs.submit(tiny(60), root, visitor="a-visitor-token-0123456789")
    second = jobs.submit(tiny(20), root, visitor="another-visitor-0123456789")
    assert first.state == "launching"
    assert second.state == "queued" and second.queue_position == 1
    assert jobs.active_jobs(root) == 1
    # the queued job starts by itself once the first one ends (pages call poll every second)
    wait_for(lambda: jobs.find(root, first.id).state == "done", timeout=90)
    started = jobs.poll(root)
    assert not [r for r in started if r.state == "queued"]
    wait_for(lambda: (r := jobs.find(root, second.id)) and r.state == "done", timeout=90)
    # one name from the moment it was queued (its run directory was named then)
    assert jobs.find(root, second.id).name == second.name and "(" not in second.name


def _idle_job(args, log_path, **env):
    """Stands in for `start._spawn`: a job that holds its slot and does nothing."""
    import subprocess

    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(["sleep", "60"], stdout=log, start_new_session=True)


def test_visitors_pressing_start_together_get_no_more_than_the_limits(root, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(start, "_spawn", _idle_job)
    lim = jobs.Limits(demo=True, max_jobs=1, max_queue=4, max_per_visitor=2)

    def press(visitor):
        try:
            return jobs.submit(tiny(20), root, lim, visitor=visitor).state
        except jobs.JobError as exc:
            return str(exc)

    with ThreadPoolExecutor(8) as pool:  # eight visitors at once
        states = list(pool.map(press, [f"visitor-{i}-0123456789abcdef" for i in range(8)]))
    assert sorted(states)[:5] == ["launching"] + ["queued"] * 4, states
    assert all("the queue is full" in s for s in sorted(states)[5:]), states
    with ThreadPoolExecutor(6) as pool:  # one visitor, six tabs
        states = list(pool.map(press, ["visitor-1-0123456789abcdef"] * 6))
    assert all("per visitor" in s or "queue is full" in s for s in states), states
    assert jobs.active_jobs(root) == 1 and len([r for r in jobs.list_runs(root) if r.state == "queued"]) == 4


def test_one_address_gets_one_visitors_share_however_many_pages_it_opens(root, monkeypatch):
    """Every page a visitor opens gets a new token; the share is counted per address too, so a
    stranger opening tabs cannot fill the queue everyone shares."""
    monkeypatch.setattr(start, "_spawn", _idle_job)
    lim = jobs.Limits(demo=True, max_jobs=1, max_queue=4, max_per_visitor=2)
    pages = [f"page-{i}-0123456789abcdef" for i in range(4)]
    first = jobs.submit(tiny(20), root, lim, visitor=pages[0], address="203.0.113.7")
    jobs.submit(tiny(20), root, lim, visitor=pages[1], address="203.0.113.7")
    with pytest.raises(jobs.JobError, match="2 jobs started from your address are running or waiting"):
        jobs.submit(tiny(20), root, lim, visitor=pages[2], address="203.0.113.7")
    other = jobs.submit(tiny(20), root, lim, visitor=pages[3], address="198.51.100.2")  # someone else
    assert other.state == "queued"
    record = jobs.find(root, first.id).job
    assert record["address"] != "203.0.113.7" and len(record["address"]) == 32  # hashed, never the address
    assert all(r.address for r in jobs.list_runs(root) if r.state in ("launching", "queued"))
    monkeypatch.setenv("GANPLAY_VISITORS_PER_ADDRESS", "2")  # a copy hosted for a class: more per address
    assert jobs.submit(tiny(20), root, lim, visitor=pages[2], address="203.0.113.7").state == "queued"
    monkeypatch.delenv("GANPLAY_VISITORS_PER_ADDRESS")
    # outside demo mode nothing is recorded and nothing counted
    free = jobs.submit(tiny(20), root, jobs.Limits(), visitor=pages[2], address="203.0.113.7")
    assert free.address is None


def test_a_pages_address_is_the_trusted_proxys_entry_or_the_peer(monkeypatch):
    from ganplay.dashboard.visitor import address_from

    monkeypatch.delenv("SPACE_ID", raising=False)
    monkeypatch.delenv("GANPLAY_PROXY_HOPS", raising=False)
    assert address_from(["1.2.3.4"], "10.0.0.9") == "10.0.0.9"  # no proxy trusted: the peer
    assert address_from([], None) is None  # a local browser: Streamlit gives no peer
    monkeypatch.setenv("SPACE_ID", "someone/ganplay")  # one proxy in front (a Space)
    assert address_from(["6.6.6.6, 203.0.113.7"], "10.0.0.9") == "203.0.113.7"  # made-up entries ignored


def test_limits_and_switches_without_processes(monkeypatch, tmp_path):
    monkeypatch.delenv("SPACE_ID", raising=False)
    monkeypatch.setenv("GANPLAY_DEMO", "0")
    assert not jobs.demo_mode()
    monkeypatch.setenv("GANPLAY_DEMO", "1")
    monkeypatch.setenv("GANPLAY_DEMO_MAX_BATCH", "32")
    lim = jobs.limits()
    errors = jobs.limit_errors(tiny(10), lim)
    assert errors == ["train.batch_size: this demo allows at most 32; got 64"]
    assert "1 job at a time" in lim.describe()
    monkeypatch.setenv("GANPLAY_RUNS", str(tmp_path / "elsewhere"))
    assert jobs.runs_root() == tmp_path / "elsewhere"
    assert jobs.runs_root(tmp_path) == tmp_path
    assert jobs.process_alive(os.getpid())
    assert not jobs.process_alive(None) and not jobs.process_alive(2**22 + 12345)
    assert not jobs.process_alive(os.getpid(), start_ticks=1), "a reused pid is not our job"


@pytest.mark.slow  # starts a real training process
def test_a_starting_job_reports_its_phases_then_its_run_directory(root):
    info = jobs.submit(tiny(60), root)
    phase_file = Path(info.job["phase_file"])
    seen = []

    def attached():
        runs = jobs.list_runs(root)
        if runs and runs[0].kind == "launch" and runs[0].phase and runs[0].phase.name not in seen:
            seen.append(runs[0].phase.name)
        # attached: the run is listed and the launch is not (for a moment both can be)
        return not [r for r in runs if r.kind == "launch"] and the_run(root)

    run = wait_for(attached, timeout=90, every=0.02)
    assert seen and all(name in jobs.PHASES for name in seen)
    fractions = [jobs.PHASES[name] for name in seen]
    assert fractions == sorted(fractions), seen  # phases only move forward
    assert not phase_file.exists(), "the phase file goes with the launch record"
    assert "phase_file" not in json.loads((run.path / jobs.JOB_FILE).read_text())


def test_phases_are_read_from_the_file_the_job_writes(tmp_path):
    record = {"started": 100.0, "phase_file": str(tmp_path / "p.json"), "log": str(tmp_path / "log")}
    assert jobs.read_phase(record, now=101.0) == jobs.Phase("starting python", 0.05, 1.0)  # not written yet
    report = jobs.phase_reporter(record["phase_file"])
    report("loading data")
    phase = jobs.read_phase(record, now=103.0)
    assert (phase.name, phase.fraction, phase.elapsed_s) == ("loading data", 0.7, 3.0)
    assert phase.text() == "starting: loading data… (3 s)"
    Path(record["phase_file"]).write_text('{"phase": "dancing"}')
    assert jobs.read_phase(record).name == "starting python"  # unknown phases are not shown
    assert jobs.read_phase(None) is None
    # the run directory is the one the job was given (--run-dir), once the job has written its
    # config there; neither the job's printed lines nor its phase file are read for it
    run = RunDir(tmp_path / "runs" / "r1")
    run.create()
    assert listing._announced_run_dir({**record, "run_dir": str(run.path)}) is None  # reserved, empty
    run.config_path.write_text("{}")
    assert listing._announced_run_dir({**record, "run_dir": str(run.path)}) == run.path
    Path(record["log"]).write_text(f"training ring8-gan on cpu (x1) -> {run.path}\n")
    assert listing._announced_run_dir(record) is None
    report("starting", run_dir=str(run.path))
    assert listing._announced_run_dir(record) is None


def test_a_job_log_is_read_from_its_end_however_long_it_grew(tmp_path):
    log = tmp_path / "job.log"
    assert jobs.log_tail(log) == "" and listing._launch_output({}) == ""  # none yet / no "log" key
    log.write_bytes(b"x" * 5_000_000 + "\nline one\nline two \xe2\x9c\x93\n".encode("latin-1"))
    tail = jobs.log_tail(log, 4000)
    assert len(tail) <= 4000 and tail.endswith("line two \u2713\n")
    assert listing._launch_output({"log": str(log)}, 2) == "line one\nline two \u2713"


def test_the_server_and_its_jobs_wait_passively_a_lone_command_does_not(monkeypatch):
    import subprocess
    import sys

    from ganplay import cli, cpu

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    assert cli.main(["presets"]) == 0
    assert "OMP_WAIT_POLICY" not in os.environ  # alone on a quiet machine spinning is faster
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    code = "import os, sys, ganplay.server; print(os.environ.get('OMP_WAIT_POLICY'), 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["PASSIVE", "False"]  # set before torch loads; jobs inherit it
    cpu.passive_waits()
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    cpu.passive_waits()
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"  # the environment wins


def test_2d_runs_train_on_one_thread_from_the_cli_and_the_dashboard_alike(monkeypatch, tmp_path):
    import torch

    from ganplay import cli, cpu

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert cpu.training_threads(points=True) == 1 and cpu.training_threads(points=False) is None
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        assert cli.main(["train", "--preset", "ring8-gan", "--steps", "2", "--out", str(tmp_path), "--quiet",
                         "--set", "model.g_hidden=[8]", "model.d_hidden=[8]", "train.batch_size=8"]) == 0
        assert torch.get_num_threads() == 1  # the job's process: same numbers whoever starts it
        monkeypatch.setenv("OMP_NUM_THREADS", "2")
        assert cpu.training_threads(points=True) is None  # the environment wins
    finally:
        torch.set_num_threads(threads)


def test_a_standby_that_dies_at_once_is_not_started_again_on_every_poll(root, monkeypatch):
    import subprocess

    spawned = []

    def dies_at_once(args, log_path, **env):
        log_path.parent.mkdir(parents=True, exist_ok=True)
        spawned.append(subprocess.Popen([sys.executable, "-c", "raise SystemExit(1)"]))
        spawned[-1].wait()
        return spawned[-1]

    monkeypatch.setattr(start, "_spawn", dies_at_once)
    monkeypatch.setattr(start, "_last_standby_start", -start.STANDBY_RETRY_S)
    monkeypatch.setattr(start, "_standby_enabled", True)
    assert jobs.keep_standby(root, busy=False)
    assert not start._standbys(root), "it is gone"
    for _ in range(3):  # the pages poll every second
        assert not jobs.keep_standby(root, busy=False)
    assert len(spawned) == 1
    monkeypatch.setattr(start, "_last_standby_start", -start.STANDBY_RETRY_S)
    assert jobs.keep_standby(root, busy=False) and len(spawned) == 2  # tried again later


@pytest.mark.slow
def test_a_standby_process_becomes_the_next_job_and_leaves_with_its_server(root, monkeypatch, tmp_path):
    monkeypatch.setattr(start, "_standby_enabled", False)
    monkeypatch.setattr(start, "STANDBY_RETRY_S", 0.0)  # this test starts two in a few seconds
    assert not jobs.keep_standby(root), "only the dashboard server keeps one"
    jobs.enable_standby()
    assert jobs.keep_standby(root)
    assert not jobs.keep_standby(root), "one at a time, also while it is still importing"
    ready = wait_for(lambda: [s for s in start._standbys(root) if s["file"].endswith(".ready.json")], timeout=60)
    assert len(ready) == 1
    info = jobs.submit(tiny(60), root)
    assert info.job["standby"] and info.job["pid"] == ready[0]["pid"]  # no new process
    done = wait_for(lambda: (r := the_run(root)) and r.state == "done" and r, timeout=60)
    assert done.run.read_metrics()[-1]["step"] == 60
    assert not list((root / ".jobs" / "standby").glob("*.json")), "claimed: nothing left waiting"

    # claimed while still importing torch: it starts the job as soon as it has
    assert jobs.keep_standby(root, busy=False)
    pending = start._standbys(root)
    assert len(pending) == 1 and pending[0]["file"].endswith(".pending.json")
    second = jobs.submit(tiny(20), root)
    assert second.job["standby"] and second.job["pid"] == pending[0]["pid"]
    wait_for(lambda: (r := jobs.find(root, second.id)) and r.state == "done", timeout=60)
    assert not jobs.keep_standby(root, busy=True), "not beside a training job"

    # a standby whose server is gone leaves by itself
    script = ("import sys, time; from ganplay import jobs; jobs.enable_standby(); "
              f"jobs.keep_standby({str(tmp_path / 'other')!r}); time.sleep(0.5)")
    subprocess_run = __import__("subprocess").run
    subprocess_run([sys.executable, "-c", script], check=True, timeout=60)
    pids = wait_for(lambda: [s["pid"] for s in start._standbys(tmp_path / "other")], timeout=10)
    wait_for(lambda: not jobs.process_alive(pids[0]), timeout=30)


# -- drawn points: a job keeps its own copy from the moment it is submitted --------------------
def _blobs(seed: int):
    import numpy as np

    from ganplay.pointsets import PointSet

    rng = np.random.default_rng(seed)
    return PointSet(np.concatenate([rng.normal(c, 0.1, (40, 2)) for c in [(-2, 0), (2, 0), (0, 2)]]).astype("float32"))


def _store_many_newer_sets(root, n: int) -> None:
    """What another visitor does with n strokes: each new set is stored, the oldest pruned."""
    from ganplay import pointsets

    for i in range(n):
        pointsets.store(_blobs(1000 + i), root)


def _drawn(root, seed: int, steps: int = 20) -> Config:
    from ganplay import pointsets

    return tiny(steps, "data.name=points", f"data.path={pointsets.store(_blobs(seed), root)}")


def test_a_queued_job_keeps_its_points_when_the_store_drops_them(root, monkeypatch):
    import numpy as np

    from ganplay import pointsets

    monkeypatch.setattr(start, "_spawn", _idle_job)
    monkeypatch.setenv("GANPLAY_RUNS", str(root))  # the demo's store is this runs folder's
    lim = jobs.Limits(demo=True, max_jobs=1, max_queue=4, max_per_visitor=2)
    running = jobs.submit(_drawn(root, 1), root, lim, visitor="visitor-a-0123456789abcdef")
    cfg = _drawn(root, 2)
    queued = jobs.submit(cfg, root, lim, visitor="visitor-b-0123456789abcdef")
    assert running.state == "launching" and queued.state == "queued"
    _store_many_newer_sets(root, pointsets.STORE_KEEP + 5)
    assert not Path(cfg.data.path).exists()  # the store kept only the newest: B's original is gone
    for info, seed in ((running, 1), (queued, 2)):
        own = Path(jobs.find(root, info.id).config["data"]["path"])
        assert own.name == "points.csv" and own.parent.name == info.name  # in its reserved run folder
        assert np.array_equal(pointsets.read_file(own).xy, _blobs(seed).xy)
    launched = json.loads(next((root / ".jobs").glob("*.config.json")).read_text())
    assert launched["data"]["path"] == jobs.find(root, running.id).config["data"]["path"]


def test_a_job_whose_points_are_gone_is_refused_and_reserves_nothing(root):
    cfg = _drawn(root, 3)
    Path(cfg.data.path).unlink()
    with pytest.raises(jobs.JobError, match=r"^data.path: cannot read \w+\.csv: No such file or directory; draw"):
        jobs.submit(cfg, root)
    assert not [p for p in root.iterdir() if not p.name.startswith(".")]  # no run folder left behind
    assert jobs.list_runs(root) == []


@pytest.mark.slow
def test_a_queued_job_on_drawn_points_trains_after_hundreds_of_newer_sets(root, monkeypatch):
    from ganplay import pointsets

    monkeypatch.setenv("GANPLAY_RUNS", str(root))
    lim = jobs.Limits(demo=True, max_jobs=1, max_queue=4, max_per_visitor=2)
    first = jobs.submit(tiny(60), root, lim, visitor="visitor-a-0123456789abcdef")
    cfg = _drawn(root, 4, steps=40)
    second = jobs.submit(cfg, root, lim, visitor="visitor-b-0123456789abcdef")
    assert second.state == "queued"
    _store_many_newer_sets(root, pointsets.STORE_KEEP + 5)  # 205 sets by another visitor
    assert not Path(cfg.data.path).exists()
    wait_for(lambda: jobs.find(root, first.id).state == "done", timeout=90)

    def second_ended():
        jobs.start_queued(root, lim)  # what every page's poll does
        info = jobs.find(root, second.id)
        return info if info is not None and info.state in ("done", "failed") else None

    run = wait_for(second_ended, timeout=90)
    assert run.state == "done", run.status
    assert (run.path / "points.csv").read_bytes() == pointsets.to_csv(_blobs(4))
