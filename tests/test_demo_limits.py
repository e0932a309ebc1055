"""Demo mode as a stranger's link would use it: a job's cost is estimated and held to a budget,
the queue and each visitor's share are capped, the runs folder stays within its disk budget, and
a job belongs to the visitor who started it.

Jobs here are `sleep` processes standing in for trainings (they hold a slot like one), except in
the disk test, which trains a small run in-process and compares what it wrote with the estimate.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from ganplay import jobs
from ganplay.jobs import start
from ganplay.config import Config
from ganplay.presets import PRESETS
from ganplay.train import cost
from ganplay.train.rundir import RunDir, atomic_write_json

# The link of the audit: wide MLPs, a checkpoint every step, none pruned (6.7 MB a checkpoint).
COSTLY = ["model.g_hidden=[1024, 1024, 1024]", "model.d_hidden=[1024, 1024, 1024]",
          "train.checkpoint_every=1", "train.keep_checkpoints=0", "train.steps=2000"]


def ring8(steps: int, *extra: str) -> Config:
    """The Quick start's preset at the demo's batch size."""
    return Config.from_preset("ring8-gan", ["train.batch_size=256", f"train.steps={steps}", *extra])


@pytest.fixture
def demo(monkeypatch, tmp_path):
    """Demo mode on, a runs folder, and job processes that only sleep (killed afterwards)."""
    for name in ("GANPLAY_MAX_JOBS", "SPACE_ID") + tuple(
            f"GANPLAY_DEMO_{k}" for k in ("MAX_STEPS", "MAX_BATCH", "MAX_JOBS", "MAX_QUEUE", "MAX_PER_VISITOR",
                                          "CPU_MINUTES", "JOB_MB", "TOTAL_MB")):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GANPLAY_DEMO", "1")
    procs = []

    def sleeper(args, log_path):
        log_path.parent.mkdir(parents=True, exist_ok=True)
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        procs.append(proc)
        return proc

    monkeypatch.setattr(start, "_spawn", sleeper)
    yield tmp_path / "runs"
    for proc in procs:
        proc.kill()
        proc.wait()


def test_demo_limits_state_the_budgets():
    lim = jobs.Limits(True, 2000, 256, 1, 4, 2, 600.0, 200_000_000, 2_000_000_000)
    text = lim.describe()
    assert "about 10 minutes of CPU per job" in text and "200 MB of disk per job" in text
    assert "up to 4 more wait in a queue" in text and "2 running or waiting jobs per visitor" in text


def test_every_preset_fits_the_demo_budget_as_the_demo_offers_it(demo):
    lim = jobs.limits()
    assert lim.max_cpu_s == 600 and lim.max_job_bytes == 200_000_000 and lim.max_total_bytes == 2_000_000_000
    for name in PRESETS:
        offered, _note = jobs.fit_to_limits(Config.from_preset(name), lim)
        assert jobs.limit_errors(offered, lim) == [], name
        estimate = cost.estimate(offered)
        assert estimate.cpu_s <= lim.max_cpu_s and estimate.disk_bytes <= lim.max_job_bytes, name
        # a lesson, not a stub: the budget leaves each preset hundreds of steps
        assert offered.train.steps >= min(500, Config.from_preset(name).train.steps), (name, offered.train.steps)


def test_a_costly_link_is_refused_with_what_to_lower(demo):
    lim = jobs.limits()
    cfg = ring8(2000, *COSTLY)
    errors = jobs.limit_errors(cfg, lim)
    assert len(errors) == 2, errors
    cpu, disk = errors
    assert "CPU-minutes here (this demo allows 10.0 CPU-minutes per job" in cpu, cpu
    assert "model.g_hidden / model.d_hidden" in cpu or "train.checkpoint_every" in cpu, cpu
    assert "this demo allows 200.0 MB per job; most of it checkpoints" in disk
    assert "train.keep_checkpoints" in disk and "train.checkpoint_every (now 1)" in disk
    with pytest.raises(jobs.JobError, match="keep_checkpoints"):
        jobs.submit(cfg, demo, lim, visitor="a" * 32)
    # what the page suggests works: keep two checkpoints, save every 500 steps, narrower layers
    fixed = cfg.with_overrides(["train.keep_checkpoints=2", "train.checkpoint_every=500",
                                "model.g_hidden=[256, 256, 256]", "model.d_hidden=[256, 256, 256]"])
    assert jobs.limit_errors(fixed, lim) == []


def test_a_visitor_names_no_data_folder_on_the_server(demo, monkeypatch):
    lim = jobs.limits()
    for name in ("cifar10", "mnist", "fashion-mnist"):
        cfg = Config.from_preset("mnist-dcgan", [f"data.name={name}", "data.root=/etc", "train.steps=10"])
        errors = jobs.limit_errors(cfg, lim)
        assert [e for e in errors if e.startswith("data.root: this demo reads data sets only from its own")], errors
        with pytest.raises(jobs.JobError, match="data.root"):
            jobs.submit(cfg, demo, lim, visitor="a" * 32)
        # the default folder is not the visitor's choice: nothing about data.root
        default = Config.from_preset("mnist-dcgan", [f"data.name={name}", "train.steps=10"])
        assert default.data.root == ""
        assert not [e for e in jobs.limit_errors(default, lim) if "data.root" in e]
    # a folder data set is refused once, for what it is
    folder = Config.from_preset("mnist-dcgan", ["data.name=folder", "data.root=/etc", "train.steps=10"])
    assert [e.split(":")[0] for e in jobs.limit_errors(folder, lim)] == ["data.name"]
    # outside demo mode the learner's own folders are theirs to name
    monkeypatch.setenv("GANPLAY_DEMO", "0")
    local = Config.from_preset("mnist-dcgan", ["data.name=cifar10", "data.root=/tmp/sets", "train.steps=10"])
    assert not [e for e in jobs.limit_errors(local, jobs.limits()) if "data.root" in e]


def test_fewer_steps_make_a_long_preset_fit_and_the_note_says_so(demo):
    lim = jobs.limits()
    cfg = Config.from_preset("mnist-cwgan-gp")
    fitted, note = jobs.fit_to_limits(cfg, lim)
    assert fitted.train.steps < min(cfg.train.steps, lim.max_steps)
    assert note == f"train.steps {cfg.train.steps:,} → {fitted.train.steps:,}", note
    assert cost.estimate(fitted).cpu_s <= lim.max_cpu_s
    assert cost.estimate(fitted.with_overrides([f"train.steps={fitted.train.steps + 200}"])).cpu_s > lim.max_cpu_s * 0.97
    # outside demo mode nothing is estimated or changed
    assert jobs.fit_to_limits(cfg, jobs.Limits()) == (cfg, "")


def test_the_disk_estimate_covers_what_a_run_writes(tmp_path):
    from ganplay.train import Trainer

    for name, extra in (("ring8-gan", ["train.steps=60", "train.sample_every=10", "train.checkpoint_every=20",
                                       "train.eval_every=20", "train.log_every=5"]),
                        ("mnist-dcgan", ["train.steps=6", "train.sample_every=2", "train.checkpoint_every=3",
                                         "train.batch_size=16", "train.log_every=1", "model.g_channels=16",
                                         "model.d_channels=16"])):
        cfg = Config.from_preset(name, extra)
        trainer = Trainer(cfg)
        run = trainer.start(tmp_path / name)
        assert trainer.fit() == "done"
        written = jobs.folder_bytes(run.path)
        estimate = cost.estimate(cfg)
        assert written <= estimate.disk_bytes, (name, written, estimate.disk_parts)
        assert written >= estimate.disk_bytes / 4, (name, written, estimate.disk_parts)  # not wildly high
        checkpoint = max(run.checkpoints_dir.iterdir(), key=lambda p: p.stat().st_size)
        assert checkpoint.stat().st_size <= estimate.checkpoint_bytes <= checkpoint.stat().st_size * 1.2, name


def test_the_queue_and_each_visitors_share_are_capped(demo):
    lim = jobs.limits()  # one running, four waiting, two per visitor
    small = ring8(100)
    first = jobs.submit(small, demo, lim, visitor="visitor-a" + "x" * 20)
    assert first.state == "launching"
    second = jobs.submit(small, demo, lim, visitor="visitor-a" + "x" * 20)
    assert second.state == "queued"
    with pytest.raises(jobs.JobError, match=r"you already have 2 jobs running or waiting \(this demo allows 2 per visitor\)"):
        jobs.submit(small, demo, lim, visitor="visitor-a" + "x" * 20)
    with pytest.raises(jobs.JobError, match="a visitor it can tell apart"):
        jobs.submit(small, demo, lim)
    for n in range(3):
        jobs.submit(small, demo, lim, visitor=f"visitor-{n}" + "y" * 20)
    assert len([r for r in jobs.list_runs(demo) if r.state == "queued"]) == 4
    with pytest.raises(jobs.JobError, match=r"the queue is full \(4 jobs waiting"):
        jobs.submit(small, demo, lim, visitor="visitor-z" + "z" * 20)
    # leaving the queue frees a place (and only its owner may take it out)
    with pytest.raises(jobs.JobError, match="another visitor started it"):
        jobs.stop(jobs.find(demo, second.id), visitor="visitor-z" + "z" * 20)
    jobs.stop(jobs.find(demo, second.id), visitor="visitor-a" + "x" * 20)
    assert jobs.submit(small, demo, lim, visitor="visitor-z" + "z" * 20).state == "queued"


def test_a_job_belongs_to_the_visitor_who_started_it(demo, tmp_path):
    owner, other = "owner-token-" + "o" * 20, "other-token-" + "t" * 20
    info = jobs.submit(ring8(100), demo, visitor=owner)
    assert jobs.may_control(info, owner) and not jobs.may_control(info, other)
    assert not jobs.may_control(info, None)
    # the files record a hash of the token, never the token itself
    record = info.path.read_text()
    assert owner not in record and jobs.owner_id(owner) in record
    for action in (jobs.stop, jobs.pause, jobs.resume):
        with pytest.raises(jobs.JobError, match="you can watch it, not change it"):
            action(info, visitor=other)
    with pytest.raises(jobs.JobError, match="not change it"):
        jobs.steer(info, visitor=other, lr_g=1e-3)

    # a run directory (the job attached) keeps its owner, and continuing it is the owner's too
    run = RunDir(tmp_path / "runs" / "20261206-000000-ring8-gan")
    run.create()
    atomic_write_json(run.config_path, Config.from_preset("ring8-gan").to_dict())
    atomic_write_json(run.path / jobs.JOB_FILE, {"id": "x", "pid": 0, "owner": jobs.owner_id(owner)})
    stopped = jobs.run_info(run.path)
    assert stopped.owner == jobs.owner_id(owner) and not jobs.may_control(stopped, other)
    with pytest.raises(jobs.JobError, match="another visitor started it"):
        jobs.pause(stopped, visitor=other)
    # outside demo mode anyone controls anything (one person's own machine)
    assert jobs.may_control(stopped, None, jobs.Limits())
    jobs.stop(info, visitor=owner)


def test_steering_more_critic_steps_is_held_to_the_budget(demo, tmp_path):
    owner = "owner-token-" + "o" * 20
    cfg = Config.from_preset("ring8-wgan-gp", ["train.steps=2000"])
    run = RunDir(tmp_path / "runs" / "20261206-000001-ring8-wgan-gp")
    run.create()
    atomic_write_json(run.config_path, cfg.to_dict())
    atomic_write_json(run.path / jobs.JOB_FILE, {"id": "x", "pid": 0, "owner": jobs.owner_id(owner)})
    with pytest.raises(jobs.JobError, match=r"optim\.n_critic=100: train: this job would take about"):
        jobs.steer(jobs.run_info(run.path), visitor=owner, n_critic=100)


def _finished_run(root, name: str, megabytes: int, updated: float) -> RunDir:
    run = RunDir(root / name)
    run.create()
    atomic_write_json(run.config_path, Config.from_preset("ring8-gan").to_dict())
    atomic_write_json(run.status_path, {"state": "done", "step": 10, "steps": 10, "updated": updated})
    (run.checkpoints_dir / "ckpt.safetensors").write_bytes(b"\0" * megabytes * 1_000_000)
    return run


def test_the_runs_folder_keeps_its_budget_by_deleting_the_oldest_finished_runs(demo, monkeypatch):
    monkeypatch.setenv("GANPLAY_DEMO_TOTAL_MB", "10")
    lim = jobs.limits()
    oldest = _finished_run(demo, "20261201-000000-a", 4, 100.0)
    middle = _finished_run(demo, "20261202-000000-b", 4, 200.0)
    newest = _finished_run(demo, "20261203-000000-c", 1, 300.0)
    assert jobs.make_room(demo, 3_000_000, lim) == [oldest.path.name]
    assert not oldest.path.exists() and middle.path.exists() and newest.path.exists()
    # a job is started only once there is room for it: here the oldest finished run goes
    cfg = ring8(100, "train.checkpoint_every=10")
    assert 5_000_000 < cost.estimate(cfg).disk_bytes < 9_000_000  # fits beside the 1 MB run, not the 5 MB
    info = jobs.submit(cfg, demo, lim, visitor="v" * 30)
    assert info.state == "launching" and not middle.path.exists() and newest.path.exists()
    with pytest.raises(jobs.JobError, match="runs folder is full"):
        jobs.make_room(demo, 20_000_000, lim)
