"""The dashboard's pages under Streamlit's AppTest: form validation, starting and reattaching to
jobs, the control buttons, sharing, and every page rendering without an exception."""

from __future__ import annotations

import json
import re
import os
import signal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ganplay import jobs
from ganplay.config import Config
from ganplay.train.rundir import RunDir, atomic_write_json
from servers import two_checkpoint_run, wait_until

MAIN = Path(__file__).resolve().parents[1] / "ganplay" / "dashboard" / "main.py"
TINY_FORM = {"model.g_hidden": "32, 32", "model.d_hidden": "32", "model.z_dim": 8,
             "train.batch_size": 64, "train.log_every": 10, "train.sample_every": 50}


def wait_for(predicate, timeout: float = 60.0):
    return wait_until(predicate, timeout, "the job to get there")


@pytest.fixture
def runs(tmp_path, monkeypatch):
    for name in ("GANPLAY_DEMO", "SPACE_ID", "GANPLAY_MAX_JOBS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    root = tmp_path / "runs"
    monkeypatch.setenv("GANPLAY_RUNS", str(root))
    yield root
    for record in list(root.glob("*/job.json")) + list(root.glob(".jobs/*.json")):
        try:
            job = json.loads(record.read_text())
            if job.get("pid") != os.getpid() and jobs.process_alive(job.get("pid"), job.get("pid_start")):
                os.kill(job["pid"], signal.SIGKILL)
        except (OSError, ValueError, KeyError):
            pass


def app(page: str | None = None, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(MAIN), default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def set_form(at: AppTest, values: dict) -> None:
    for key, value in values.items():
        widget = at.get("number_input") + at.get("text_input")
        match = [w for w in widget if w.key == f"cfg.{key}"]
        assert match, key
        match[0].set_value(value)
    at.run()


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_the_form_shows_the_validators_message_and_blocks_start(runs):
    at = app("views/train.py")
    start = [b for b in at.button if b.label == "Start training"][0]
    assert not start.disabled
    at.selectbox(key="cfg.model.arch").select("dcgan").run()
    expected = "model.arch: 2D data (ring8) needs 'mlp'; got 'dcgan' (dcgan/wgan are for images)"
    assert expected in errors(at), "the message sits next to the field"
    assert any("Fix these before starting" in e and expected in e for e in errors(at))
    assert [b for b in at.button if b.label == "Start training"][0].disabled
    # every form control carries the config's help text
    from ganplay.config import field_help

    from ganplay.dashboard.train_form import PAGE_SET

    helps = {f"cfg.{k}": v["help"] for k, v in field_help().items() if k not in PAGE_SET}
    widgets = [w for kind in ("selectbox", "number_input", "text_input", "toggle", "multiselect")
               for w in at.get(kind) if str(w.key).startswith("cfg.")]
    assert len(widgets) == len(helps)
    assert all(w.help.startswith(helps[w.key]) for w in widgets)


def test_a_shared_link_fills_the_form(runs):
    cfg = Config.from_preset("grid25-wgan-gp", ["optim.lr_g=0.0003", "train.seed=7"])
    from ganplay.dashboard.share import config_to_query

    at = app("views/train.py", query=config_to_query(cfg))
    assert at.selectbox(key="cfg.data.name").value == "grid25"
    assert at.selectbox(key="cfg.loss.name").value == "wasserstein"
    assert at.number_input(key="cfg.optim.lr_g").value == pytest.approx(3e-4)
    assert at.number_input(key="cfg.train.seed").value == 7
    assert not errors(at)


@pytest.mark.slow
def test_start_creates_a_job_and_a_fresh_session_reattaches_with_working_controls(runs):
    at = app("views/train.py")
    set_form(at, {**TINY_FORM, "train.steps": 100_000})
    [b for b in at.button if b.label == "Start training"][0].click().run()
    assert not at.exception
    job_id = at.session_state["train.job"]
    run = wait_for(lambda: (r := [i for i in jobs.list_runs(runs) if i.kind == "run"]) and r[0].step > 0 and r[0],
                   timeout=90)
    assert run.job["id"] == job_id, "the job jobs.py started is the one writing the run directory"
    assert run.config["model"]["g_hidden"] == [32, 32]

    # a new browser tab (a fresh session) shows the same running job and starts nothing
    fresh = app("views/train.py")
    assert fresh.selectbox(key="train.job.select").value == run.path.name
    assert any(run.path.name in m.value for m in fresh.markdown)
    assert [i.path for i in jobs.list_runs(runs)] == [run.path]

    [b for b in fresh.button if b.label == "Pause"][0].click().run()
    control = RunDir(run.path).control_path
    assert [json.loads(line)["command"] for line in control.read_text().splitlines()] == ["pause"]
    wait_for(lambda: jobs.run_info(run.path).state == "paused", timeout=20)
    fresh.run()
    [b for b in fresh.button if b.label == "Resume"][0].click().run()
    [b for b in fresh.button if b.label == "Stop"][0].click().run()
    commands = [json.loads(line)["command"] for line in control.read_text().splitlines()]
    assert commands == ["pause", "resume", "stop"]
    wait_for(lambda: jobs.run_info(run.path).state == "stopped", timeout=30)


def test_a_stop_click_as_the_job_resumes_is_acted_on(runs, monkeypatch):
    """The page reads the job once for the page and again in its live panel: when the job resumes
    between the two reads, the panel reruns the page for one status, and a Stop clicked in that
    run must still be sent (the CI run that lost one)."""
    path = _fake_run(runs, "paused", alive=True)
    at = app("views/train.py")
    stop = [b for b in at.button if b.label == "Stop"][0]
    find = jobs.find

    def resumes_after_the_first_read(root, ident):
        info = find(root, ident)
        RunDir(path).write_status(state="running", step=130, steps=6000, device="cpu")
        return info

    monkeypatch.setattr(jobs, "find", resumes_after_the_first_read)
    stop.click().run()
    assert not at.exception
    commands = [json.loads(line)["command"] for line in RunDir(path).control_path.read_text().splitlines()]
    assert commands == ["stop"]


def test_steering_form_sends_a_set_request(runs):
    info = _fake_run(runs, "running", alive=True)
    at = app("views/train.py")
    lr = [n for n in at.number_input if str(n.key).startswith("steer.lr_g.")][0]
    assert lr.label == "G's learning rate" and "`optim.lr_g`" in lr.help
    lr.set_value(5e-5)
    [b for b in at.button if b.label == "Apply"][0].click().run()
    assert not at.exception
    request = json.loads(RunDir(info).control_path.read_text().splitlines()[-1])
    assert request["command"] == "set" and request["lr_g"] == pytest.approx(5e-5)


def _fake_run(root: Path, state: str, error: str = "", alive: bool = False) -> Path:
    """A run directory as a trainer leaves it, without training (for UI states)."""
    cfg = Config.from_preset("ring8-gan")
    run = RunDir(root / f"20260101-000000-{state}")
    run.create()
    atomic_write_json(run.config_path, cfg.to_dict())
    run.write_status(state=state, step=120, steps=6000, device="cpu", error=error)
    for step in range(10, 130, 10):
        run.append_metrics({"step": step, "loss_d": 1.3, "loss_g": 0.7, "d_real": 0.52, "d_fake": 0.49,
                            "grad_norm_d": 1.0, "grad_norm_g": 0.5, "steps_per_s": 50.0,
                            "images_per_s": 25600.0})
    if alive:  # this test process stands in for the job
        atomic_write_json(run.path / jobs.JOB_FILE, {"id": "x", "pid": os.getpid(), "started": 0})
    return run.path


def test_a_failed_run_shows_its_error_text_not_a_traceback(runs):
    _fake_run(runs, "failed", error="training diverged at step 121: loss_d became non-finite")
    at = app("views/train.py")
    assert any("training diverged at step 121" in e for e in errors(at))
    assert not at.exception


def test_a_run_whose_process_is_gone_is_interrupted(runs):
    path = _fake_run(runs, "running")
    atomic_write_json(path / jobs.JOB_FILE, {"id": "gone", "pid": 2**22 + 4321, "started": 0})
    at = app("views/train.py")
    assert "interrupted" in at.selectbox(key="train.job.select").format_func(path.name)
    assert any("process is gone" in w.value for w in at.warning)


def test_a_running_job_shows_one_speed_in_its_progress_bar_and_its_tile(runs):
    # the newest line's interval was slow (a sample grid was drawn in it): the tile showed that
    # line's speed, the progress bar the rate over whole cycles; a learner saw two speeds
    path = _fake_run(runs, "running", alive=True)
    RunDir(path).append_metrics({"step": 130, "loss_d": 1.3, "loss_g": 0.7, "d_real": 0.5, "d_fake": 0.5,
                                 "steps_per_s": 5.0, "images_per_s": 2560.0})
    RunDir(path).write_status(state="running", step=130, steps=6000, device="cpu")
    at = app("views/train.py")
    bar = [p.proto.text for p in at.get("progress")]
    assert len(bar) == 1 and "points/s" in bar[0], bar  # a 2D run trains on points, not images
    shown = float(re.search(r"([\d,]+) points/s", bar[0]).group(1).replace(",", ""))
    tile = {m.label: m.value for m in at.metric}["points/s"]  # shortened to fit: 14.6k
    in_tile = float(tile[:-1]) * 1000 if tile.endswith("k") else float(tile.replace(",", ""))
    assert abs(in_tile - shown) <= 50 and shown > 10_000, (tile, bar[0])  # not the newest line's 2,560
    table = app("views/runs.py").dataframe[0].value  # the Runs page gives the same speed
    assert float(table.loc[0, "speed"].removesuffix(" points/s").replace(",", "")) == shown
    assert list(table.columns)[-1] == "setup"  # the long text last: the numbers stay in view


@pytest.fixture(scope="module")
def trained_2d_run(tmp_path_factory):
    """A tiny real ring8 run, trained in this process."""
    from ganplay.train import train

    cfg = Config.from_preset("ring8-gan", ["model.g_hidden=[32, 32]", "model.d_hidden=[32]",
                                            "model.z_dim=8", "train.batch_size=64", "train.steps=40",
                                            "train.log_every=10", "train.sample_every=20"])
    root = tmp_path_factory.mktemp("trained")
    run, state = train(cfg, root)
    assert state == "done"
    return root


@pytest.mark.parametrize("page", [None, "views/train.py", "views/playground.py", "views/runs.py",
                                  "views/explore.py", "views/collapse_lab.py"])
def test_every_page_renders_with_a_finished_run(trained_2d_run, monkeypatch, page):
    monkeypatch.setenv("GANPLAY_RUNS", str(trained_2d_run))
    at = app(page)
    assert at.title, "every page has a title"
    if page == "views/playground.py":
        assert at.metric[0].value == "40", "the newest snapshot is shown"
    if page == "views/runs.py":
        assert at.dataframe[0].value.shape[0] == 1


def test_the_runs_table_shows_no_none_for_a_run_that_logged_nothing_yet(runs):
    path = Path(_fake_run(runs, "starting"))
    (path / "metrics.jsonl").unlink()
    at = app("views/runs.py")
    table = at.dataframe[0].value
    row = table[table["run"] == path.name].iloc[0]
    assert (row["D loss"], row["speed"], row["state"]) == ("–", "–", "starting")
    assert "None" not in table.astype(str).to_numpy().ravel().tolist()
    assert row["setup"] == "8 Gaussians in a ring · small fully connected nets · standard GAN loss"


def test_comparing_the_d_loss_of_runs_with_different_losses_warns(runs):
    ns = Path(_fake_run(runs, "done"))
    wgan = ns.with_name("20260101-000000-wgan")
    ns.rename(wgan)
    cfg = Config.from_preset("ring8-wgan-gp")
    atomic_write_json(wgan / "config.json", cfg.to_dict())
    _fake_run(runs, "done")
    at = app("views/runs.py")
    what = at.selectbox(key="runs.metric")
    assert what.value in ("images_per_s", "steps_per_s")  # no quality measure logged: a comparable one
    assert not any("different losses" in w.value for w in at.warning)
    what.set_value("loss_d").run()
    assert any("different losses (ns, wasserstein)" in w.value for w in at.warning)


def test_step_mode_advances_d_and_g(runs):
    at = app("views/playground.py")
    at.segmented_control(key="pg.mode").set_value("Step by hand").run()
    assert not at.exception
    values = lambda: {m.label: m.value for m in at.metric}  # noqa: E731
    assert values()["D steps"] == "0"
    [b for b in at.button if b.label == "One D step"][0].click().run()
    [b for b in at.button if b.label == "D + G step"][0].click().run()
    assert values()["D steps"] == "2" and values()["G steps"] == "1"
    stepper = at.session_state["pg.stepper"]
    assert stepper.cfg.optim.lr_d == stepper.cfg.optim.lr_g == 3e-3, "faster than the preset's 1e-4, to see"
    at.select_slider(key="pg.step_lr").set_value(1e-4).run()  # the preset's own rate: a fresh start
    assert at.session_state["pg.stepper"].cfg.optim.lr_d == 1e-4 and values()["D steps"] == "0"


def test_gs_manifold_toggles_on_in_watch_and_step_mode(trained_2d_run, monkeypatch):
    from ganplay.dashboard.view2d import MANIFOLD_NAME

    def traces(at, key):
        [chart] = [c for c in at.get("plotly_chart") if c.proto.id.endswith(key)]
        return [t.get("name") for t in json.loads(chart.proto.spec)["data"]]

    monkeypatch.setenv("GANPLAY_RUNS", str(trained_2d_run))
    at = app("views/playground.py")
    assert MANIFOLD_NAME not in traces(at, "pg-figure")  # off by default
    at.toggle(key="pg.manifold").set_value(True).run()
    assert not at.exception
    assert traces(at, "pg-figure").count(MANIFOLD_NAME) == 2  # the two families of grid lines
    assert any(c.value.startswith("G has 8 noise dimensions: the mesh is a grid over the first two")
               for c in at.caption)
    at.segmented_control(key="pg.mode").set_value("Step by hand").run()
    assert not at.exception
    assert traces(at, "pg-step-figure").count(MANIFOLD_NAME) == 2


def test_deleting_a_run_asks_first(trained_2d_run, tmp_path, monkeypatch):
    import shutil

    root = tmp_path / "copy"
    shutil.copytree(trained_2d_run, root)
    monkeypatch.setenv("GANPLAY_RUNS", str(root))
    at = app("views/runs.py")
    [b for b in at.button if b.label == "Delete this run…"][0].click().run()
    assert any("cannot be undone" in w.value for w in at.warning)
    assert len(list(root.iterdir())) == 1
    [b for b in at.button if b.label == "Yes, delete it"][0].click().run()
    assert not [p for p in root.iterdir() if RunDir(p).is_run()]


def test_a_session_holds_one_onnx_export_the_newest(trained_2d_run, monkeypatch):
    """Each export is tens of MB for a large run: a session keeps the one it made last."""
    from ganplay.dashboard.run_files import ONNX_KEY

    monkeypatch.setenv("GANPLAY_RUNS", str(trained_2d_run))
    at = app("views/runs.py")
    [b for b in at.button if b.label == "Export ONNX"][0].click().run()
    assert not at.exception and not at.error
    run_id, onnx = at.session_state[ONNX_KEY]
    assert len(onnx) > 1000 and [d for d in at.get("download_button") if d.proto.label == "Download ONNX"]
    at.session_state[ONNX_KEY] = ("another-run", b"its export")  # the session exported another run since
    at.run()
    assert not [d for d in at.get("download_button") if d.proto.label == "Download ONNX"]
    assert [b for b in at.button if b.label == "Export ONNX"], "this run's export was let go: it can be made again"


@pytest.mark.parametrize("native", ["0", "1"])
def test_the_form_warns_before_a_bf16_run_on_a_cpu_that_emulates_it(runs, monkeypatch, native):
    monkeypatch.setenv("GANPLAY_BF16_NATIVE", native)  # what the CPU's flags would say
    at = app("views/train.py")
    assert not [w for w in at.warning if "bf16" in w.value]
    at.selectbox(key="cfg.train.precision").select("bf16").run()
    said = [w.value for w in at.warning if "bf16" in w.value]
    if native == "1":
        assert not said
    else:
        assert len(said) == 1 and "emulated" in said[0] and "train.precision=fp32" in said[0]
        at.selectbox(key="cfg.train.device").select("cuda").run()  # a GPU run is not affected
        assert not [w for w in at.warning if "bf16" in w.value]


def test_the_augmentation_page_shows_a_study_as_measured(runs, monkeypatch):
    from ganplay import augmentation as A

    monkeypatch.setattr(A, "shipped_path", lambda: runs / "nothing-shipped" / "results.json")
    at = app("views/augment.py")
    assert any("No study in this runs folder yet" in i.value for i in at.info)
    assert any("ganplay augment" in c.value for c in at.code)

    settings = A.Settings(n_values=(10, 50), seeds=(0, 1))
    accs = {"real": (0.70, 0.72, 0.85, 0.87), "classical": (0.78, 0.80, 0.90, 0.90),
            "gan-k=n": (0.70, 0.71, 0.85, 0.86), "gan-k=10n": (0.60, 0.62, 0.84, 0.86),
            "zoo-k=10n": (0.90, 0.91, 0.93, 0.93)}
    cells = [{"n": n, "seed": s, "arm": arm, "accuracy": accs[arm][2 * i + s], "train_images": 1}
             for arm in A.ARMS for i, n in enumerate(settings.n_values) for s in settings.seeds]
    folder = A.study_dir(runs, settings)
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(A.Study(settings, cells).as_dict()))
    at = app("views/augment.py")
    page = " ".join(m.value for m in at.markdown)
    assert "| real digits only | 71.0% ± 1.4 | 86.0% ± 1.4 |" in page
    # the GAN's digits hurt at n = 10 here, and the page says so rather than the tutorials' promise
    assert ("With 10 real digits per class, adding 10n of the GAN's own digits lowered accuracy by "
            "10.0 points (71.0% -> 61.0%); it did not beat classical augmentation (79.0%).") in page
    assert "changed accuracy by less than the seeds' spread" in page  # n = 50: 86.0% -> 85.0%
    assert not at.warning  # all 20 cells are in
    assert len(at.get("plotly_chart")) == 1


def test_the_form_turns_off_what_the_chosen_data_does_not_read(runs):
    at = app("views/train.py")
    at.selectbox(key="form.preset").select("ring8-gan").run()
    off = lambda: {w.key for kind in ("number_input", "text_input", "toggle", "selectbox") for w in at.get(kind)  # noqa: E731
                   if w.proto.disabled}
    assert {"cfg.data.image_size", "cfg.data.channels", "cfg.data.root", "cfg.data.download",
            "cfg.data.per_class", "cfg.data.modes"} <= off()
    at.selectbox(key="cfg.data.name").select("mnist5k").run()
    assert not {"cfg.data.image_size", "cfg.data.channels"} & off() and "cfg.data.modes" in off()
    at.selectbox(key="cfg.data.name").select("points").run()
    assert "cfg.data.modes" not in off() and "cfg.data.image_size" in off()
    at.number_input(key="cfg.data.modes").set_value(3).run()
    at.selectbox(key="cfg.data.name").select("ring8").run()  # a value ring8 refuses stays fixable
    assert "cfg.data.modes" not in off() and any("data.modes" in e for e in errors(at))


def test_a_damaged_checkpoint_is_named_without_the_servers_folders_in_demo_mode(runs, monkeypatch):
    """The Runs page's D's verdict and ONNX export say which checkpoint is damaged as
    `runs/<run id>/checkpoints/...`, and the run's folder as `runs/<run id>`, not where the server keeps them."""
    broken = two_checkpoint_run(runs, "mnist-cdcgan", "broken-run")
    (broken / "checkpoints" / "step-0000002.safetensors").write_bytes(b"not a safetensors file at all")
    monkeypatch.setenv("GANPLAY_DEMO", "1")
    at = app("views/runs.py")
    [b for b in at.button if b.label == "Ask D"][0].click().run()
    [b for b in at.button if b.label == "Export ONNX"][0].click().run()
    shown = [m.value for m in at.markdown] + errors(at)
    said = [t for t in shown if "is not a safetensors file" in t]
    assert len(said) == 2 and all("runs/broken-run/checkpoints/step-0000002.safetensors" in t for t in said), shown
    assert not [t for t in shown if str(runs) in t], shown
    assert any(t.startswith("`runs/broken-run`") for t in shown)


def test_an_empty_runs_folder_is_named_without_the_servers_folders_in_demo_mode(runs, monkeypatch):
    monkeypatch.setenv("GANPLAY_DEMO", "1")
    at = app("views/train.py")
    said = [i.value for i in at.info if "No runs in" in i.value]
    assert said and "No runs in `runs/` yet" in said[0] and str(runs) not in said[0], said
    monkeypatch.setenv("GANPLAY_DEMO", "0")  # on a person's own machine: where the runs are
    at = app("views/train.py")
    assert [i.value for i in at.info if f"No runs in `{runs}` yet" in i.value]
