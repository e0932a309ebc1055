"""Lessons that check themselves (`ganplay.lessons`): loading and every validation error, the
learner's config with locked settings refused, the check over a run's metrics lines, each shipped
lesson solved headless (its start fails the check, its solution passes: slow), and the Train page
opened with ?lesson=NAME (AppTest)."""

from __future__ import annotations

import base64
import json
import textwrap
import tomllib
from pathlib import Path

import pytest

from ganplay import lessons as L
from ganplay.config import Config, ConfigError

SHIPPED = ("cover-all-modes", "collapse-your-drawing", "one-switch-cure")

GOOD = """
title = "Spread out"
task = "Change the learning rates."
preset = "ring8-gan"
set = ["train.steps=100", "train.eval_every=50", "train.batch_size=64"]
unlock = ["optim.lr_g", "optim.lr_d"]
solution = ["optim.lr_g=1e-3"]
[check]
metric = "modes"
at_least = 8
hint = "Faster G."
"""


def write(folder: Path, text: str, name: str = "my-lesson", csv: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(textwrap.dedent(text))
    if csv is not None:
        (folder / "drawing.csv").write_text(csv)
    return path


def blobs_csv() -> str:
    rows = ["x,y"] + [f"{cx + 0.01 * (i % 7)},{cy + 0.01 * (i % 5)}" for cx, cy in ((-2, 0), (2, 0))
                      for i in range(30)]
    return "\n".join(rows) + "\n"


# -- loading ----------------------------------------------------------------------------------------
def test_the_shipped_lessons_load_in_their_order_and_their_starts_are_valid():
    assert [lesson.name for lesson in L.list_lessons()] == list(SHIPPED)
    assert L.lesson_problems() == []
    for lesson in L.list_lessons():
        cfg = lesson.start_config()
        assert cfg.name == f"lesson-{lesson.name}" and cfg.train.eval_every
        assert lesson.check.metric in L.eval_metrics(cfg)
        assert lesson.solution, "each shipped lesson carries the solution its test trains"
        assert cfg.train.steps <= 2000 and cfg.train.batch_size <= 256, "fits the demo's caps as it is"
    drawing = L.load_lesson("collapse-your-drawing")
    assert drawing.points is not None and drawing.points.is_file()
    assert drawing.start_config().data.name == "points"
    assert len(drawing.read_points()) == 750


def test_a_good_file_loads_with_everything_it_says(tmp_path):
    lesson = L.load_file(write(tmp_path, GOOD))
    assert lesson.name == "my-lesson" and lesson.title == "Spread out" and lesson.preset == "ring8-gan"
    assert lesson.unlock == ("optim.lr_g", "optim.lr_d") and lesson.locked("optim.n_critic")
    assert lesson.check == L.Check("modes", 8.0, None, "Faster G.")
    assert lesson.check.goal() == "modes covered ≥ 8"
    assert lesson.solution_changes() == {"optim.lr_g": 1e-3}
    assert lesson.start_config().train.steps == 100


def test_teachers_lessons_come_from_ganplay_lessons_and_replace_shipped_names(tmp_path, monkeypatch):
    write(tmp_path / "a", GOOD, "mine")
    write(tmp_path / "b", GOOD.replace("Spread out", "Replaced"), "cover-all-modes")
    write(tmp_path / "b", "title = 'broken'", "broken")
    monkeypatch.setenv(L.ENV, f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    names = [lesson.name for lesson in L.list_lessons()]
    assert "mine" in names and "broken" not in names
    assert L.load_lesson("cover-all-modes").title == "Replaced"
    assert any(p.startswith("broken.toml: missing") for p in L.lesson_problems())


@pytest.mark.parametrize("name", ["../etc", "Cover", "", "a b", "x" * 60])
def test_a_bad_lesson_name_is_refused(name):
    with pytest.raises(L.LessonError, match="not a lesson name"):
        L.load_lesson(name)


def test_an_unknown_lesson_lists_the_lessons():
    with pytest.raises(L.LessonError, match="no lesson called 'nope'; lessons: .*cover-all-modes"):
        L.load_lesson("nope")


BAD = [
    # (replace this, with this, the error says)
    ('title = "Spread out"', 'title = "Spread out"\ncolour = "red"', r"my-lesson.toml: unknown key 'colour'"),
    ('title = "Spread out"\n', "", r"my-lesson.toml: missing 'title'"),
    ('title = "Spread out"', "title = 3", r"my-lesson.toml: title: give it as text"),
    ('preset = "ring8-gan"', 'preset = "ring9"', r"preset: unknown preset 'ring9'"),
    ('set = [', 'set = ["optim.lr=1", ', r"set: 'optim.lr' is not a setting"),
    ('set = [', 'set = ["optim.lr_g", ', r"set: 'optim.lr_g' is not key=value"),
    ('set = [', 'set = ["data.path=x.csv", ', r"set: drawn data comes from `points"),
    ('set = [', 'set = ["optim.lr_g=-1", ', r"set: the starting state is not a valid config:.*optim.lr_g"),
    ("train.eval_every=50", "train.eval_every=0", r"set: the check reads the run's evaluation lines; set train.eval_every"),
    ('unlock = ["optim.lr_g", "optim.lr_d"]', 'unlock = ["optim.lr_g", "optim.speed"]',
     r"unlock: 'optim.speed' is not a setting"),
    ('unlock = ["optim.lr_g", "optim.lr_d"]', 'unlock = "optim.lr_g"', r"unlock: give a list of text"),
    ('unlock = ["optim.lr_g", "optim.lr_d"]', 'unlock = []', r"unlock: name at least one setting"),
    ('unlock = ["optim.lr_g", "optim.lr_d"]', 'unlock = ["optim.lr_g", "name"]', r"unlock: name stays locked"),
    ('solution = ["optim.lr_g=1e-3"]', 'solution = ["optim.n_critic=5"]',
     r"solution: changes optim.n_critic, which the lesson locks"),
    ('solution = ["optim.lr_g=1e-3"]', 'solution = ["optim.lr_g=7"]', r"solution: .*optim.lr_g"),
    ('solution = ["optim.lr_g=1e-3"]', 'max_changes = 3', r"max_changes: a whole number from 1 to the 2"),
    ('solution = ["optim.lr_g=1e-3"]', 'order = "first"', r"order: a number"),
    ('solution = ["optim.lr_g=1e-3"]', 'points = "gone.csv"', r"points: 'gone.csv' is not a file beside"),
    ('solution = ["optim.lr_g=1e-3"]', 'points = "../drawing.csv"', r"points: '../drawing.csv': name a file beside"),
    ('metric = "modes"', 'metric = "fid"', r"check.metric: a run on ring8 logs modes, hq, kl; got 'fid'"),
    ('metric = "modes"\n', "", r"check.metric: name the evaluation number"),
    ("at_least = 8", 'at_least = "8"', r"check.at_least: a number; got '8'"),
    ("at_least = 8", "", r"check: give at_least or at_most"),
    ("at_least = 8", "at_least = 8\nat_most = 2", r"check: at_least 8 is above at_most 2: no run can pass"),
    ("at_least = 8", "at_least = 8\nmin = 2", r"check.min: unknown key"),
    ('hint = "Faster G."', "hint = 1", r"check.hint: give it as text"),
    ('[check]\nmetric = "modes"\nat_least = 8\nhint = "Faster G."', "check = 8", r"check: a table"),
    ('task = "Change the learning rates."', 'task = "unclosed', r"my-lesson.toml: not valid TOML"),
]


@pytest.mark.parametrize("old, new, message", BAD, ids=[b[2][:40] for b in BAD])
def test_every_problem_in_a_file_is_named_with_the_file_and_key(tmp_path, old, new, message):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(L.LessonError, match=message):
        L.load_file(path)


def test_a_bad_points_file_and_a_bad_file_name_are_named(tmp_path):
    text = GOOD.replace('solution = ["optim.lr_g=1e-3"]', 'points = "drawing.csv"')
    with pytest.raises(L.LessonError, match=r"my-lesson.toml: points: drawing.csv: Row 2: 'abc' is not a number"):
        L.load_file(write(tmp_path, text, csv="x,y\nabc,1\n"))
    with pytest.raises(L.LessonError, match="the file's name is the lesson's name in links"):
        L.load_file(write(tmp_path, GOOD, name="My Lesson"))
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe")
    with pytest.raises(L.LessonError, match="bin.toml: not a text file"):
        L.load_file(tmp_path / "bin.toml")


def test_the_readmes_full_example_loads_with_every_key(tmp_path):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("### Writing a lesson", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "blobs.csv").write_text(blobs_csv())
    lesson = L.load_file(write(tmp_path, example, "spread-the-blobs"))
    doc = tomllib.loads(example)
    keys = set(doc) | {f"check.{k}" for k in doc["check"]}
    assert keys | {"check.at_most"} >= set(L.KEYS) | {f"check.{k}" for k in L.CHECK_KEYS}, \
        "the example shows every key (at_most in a comment beside at_least)"
    assert lesson.max_changes == 2 and lesson.points.name == "blobs.csv" and lesson.check.at_least == 5
    assert L.lesson_config(lesson, lesson.solution_changes()).optim.lr_g == 1e-3


def test_drawn_points_beside_a_lesson_become_its_data(tmp_path):
    text = GOOD.replace('solution = ["optim.lr_g=1e-3"]', 'points = "drawing.csv"')
    lesson = L.load_file(write(tmp_path, text, csv=blobs_csv()))
    cfg = lesson.start_config()
    assert cfg.data.name == "points" and Path(cfg.data.path) == (tmp_path / "drawing.csv").resolve()
    assert "precision" in L.eval_metrics(cfg)


# -- the learner's config ---------------------------------------------------------------------------
def test_lesson_config_takes_unlocked_changes_and_refuses_locked_ones(tmp_path):
    lesson = L.load_file(write(tmp_path, GOOD))
    cfg = L.lesson_config(lesson, {"optim.lr_g": 5e-4, "optim.lr_d": 2e-4})
    assert (cfg.optim.lr_g, cfg.optim.lr_d, cfg.train.steps) == (5e-4, 2e-4, 100)
    assert cfg.name == "lesson-my-lesson"
    # the whole form may come along: values equal to the start are no change
    whole = {**L.flatten(lesson.start_config().to_dict()), "optim.lr_g": 5e-4}
    assert L.lesson_config(lesson, whole).optim.lr_g == 5e-4
    with pytest.raises(L.LessonError, match=r"optim.n_critic, train.steps are locked; this lesson lets you "
                                            r"change optim.lr_g, optim.lr_d"):
        L.lesson_config(lesson, {"optim.lr_g": 5e-4, "optim.n_critic": 5, "train.steps": 10})
    with pytest.raises(L.LessonError, match="'optim.speed' is not a setting"):
        L.lesson_config(lesson, {"optim.speed": 1})
    with pytest.raises(ConfigError, match="optim.lr_g"):
        L.lesson_config(lesson, {"optim.lr_g": -1.0})


# -- the check over a run's lines ---------------------------------------------------------------------
def evals(*values: float, every: int = 50, metric: str = "modes") -> list[dict]:
    rows = []
    for i, v in enumerate(values, 1):
        rows.append({"step": i * every, "loss_d": 1.0})
        rows.append({"step": i * every, "event": "eval", metric: v, "hq": 0.5})
    return rows


def test_check_is_pending_until_the_last_evaluation_then_passes_or_fails_with_the_hint(tmp_path):
    lesson = L.load_file(write(tmp_path, GOOD))
    start = lesson.start_config()
    assert L.check(lesson, [], start).state == L.PENDING
    result = L.check(lesson, evals(3), start)
    assert result.state == L.PENDING and "So far: 3 at step 50" in result.message
    ended = L.check(lesson, evals(3), start, ended=True)
    assert ended.state == L.FAILED and "ended before its last evaluation" in ended.message
    tried = L.lesson_config(lesson, {"optim.lr_d": 5e-4})
    failed = L.check(lesson, evals(3, 5), tried)
    assert failed.state == L.FAILED and failed.value == 5 and failed.step == 100
    assert "modes covered 5 at step 100; the lesson needs modes covered ≥ 8. Hint: Faster G." in failed.message
    untouched = L.check(lesson, evals(3, 5), start)
    assert untouched.state == L.FAILED and "Hint" not in untouched.message, "no cure was tried: no hint about one"
    assert "the lesson's start as given: it changes none of the settings you may change (optim.lr_g, " \
           "optim.lr_d)" in untouched.message
    passed = L.check(lesson, evals(3, 8), start)
    assert passed.passed and passed.value == 8 and "Passed: modes covered 8 at step 100 (needed ≥ 8)" in passed.message


def test_check_fails_a_run_that_changed_or_steered_a_locked_setting(tmp_path):
    lesson = L.load_file(write(tmp_path, GOOD))
    start = lesson.start_config()
    other = start.with_overrides(["optim.n_critic=2"])
    result = L.check(lesson, evals(3, 8), other)
    assert result.state == L.FAILED and "changes optim.n_critic (1 → 2), which the lesson locks" in result.message
    steered = evals(3, 8)
    steered.insert(1, {"step": 10, "event": "set", "n_critic": 3})
    assert "steered in optim.n_critic" in L.check(lesson, steered, start).message
    steered[1] = {"step": 10, "event": "set", "lr_g": 1e-3}  # an unlocked one may be steered
    assert L.check(lesson, steered, start).passed
    assert L.check(lesson, evals(3, 8), start.with_overrides(["optim.lr_g=1e-3"])).passed


def test_max_changes_counts_the_unlocked_settings_changed(tmp_path):
    lesson = L.load_file(write(tmp_path, GOOD.replace('solution = ["optim.lr_g=1e-3"]', "max_changes = 1")))
    start = lesson.start_config()
    assert L.check(lesson, evals(8, 8), start.with_overrides(["optim.lr_g=1e-3"])).passed
    both = L.check(lesson, evals(8, 8), start.with_overrides(["optim.lr_g=1e-3", "optim.lr_d=1e-3"]))
    assert both.state == L.FAILED and "changes 2 settings (optim.lr_g, optim.lr_d); the lesson allows at most 1" \
        in both.message


def test_check_compares_drawn_points_by_content(tmp_path):
    text = GOOD.replace('solution = ["optim.lr_g=1e-3"]', 'points = "drawing.csv"').replace(
        'metric = "modes"', 'metric = "modes"\nat_most = 9')
    lesson = L.load_file(write(tmp_path, text, csv=blobs_csv()))
    run = tmp_path / "run"
    run.mkdir()
    (run / "points.csv").write_bytes(lesson.points.read_bytes())
    stored = Config.from_dict(json.loads(lesson.start_config().to_json())).model_copy(deep=True)
    as_run = stored.with_overrides(["data.path=points.csv"]).with_data_under(run)
    assert L.check(lesson, evals(8, 8), as_run).passed
    (run / "points.csv").write_text(blobs_csv().replace("-2", "-3"))
    other = L.check(lesson, evals(8, 8), as_run)
    assert other.state == L.FAILED and "changes the data" in other.message


# -- each shipped lesson, solved headless through the trainer ------------------------------------------
def train(cfg: Config, out: Path) -> tuple[list[dict], Config]:
    """Train `cfg` as a job does (one thread for 2D data); the run's metrics lines and its config as
    the page reads it back (config.json, drawn points beside it)."""
    import torch

    from ganplay.train.trainer import Trainer

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        trainer = Trainer(cfg)
        run = trainer.start(out)
        assert trainer.fit() == "done"
    finally:
        torch.set_num_threads(threads)
    stored = Config.from_dict(json.loads(run.config_path.read_text())).with_data_under(run.path)
    return run.read_metrics(), stored


# What each task says its start does, and the counts that words allow (seed 0, one thread, as
# `train` runs it: the drawing's start measured 4 of 5 twice, though an earlier run had 5)
START_CLAIMS = {
    "cover-all-modes": ("ends with G's samples on just one of ring8's 8 modes", {1}),
    "collapse-your-drawing": ("This vanilla GAN covers 4 or 5 of them", {4, 5}),
    "one-switch-cure": ("G ends up on only 3 of ring8's 8 modes", {3}),
}


def test_every_shipped_task_says_what_its_start_does():
    assert set(START_CLAIMS) == set(SHIPPED)
    for name, (claim, _) in START_CLAIMS.items():
        assert claim in " ".join(L.load_lesson(name).task.split()), name


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_lesson_is_solvable_and_its_start_is_not_a_solution(name, tmp_path):
    lesson = L.load_lesson(name)
    rows, cfg = train(lesson.start_config(), tmp_path / "start")
    start = L.check(lesson, rows, cfg)
    assert start.state == L.FAILED, start.message
    claim, counts = START_CLAIMS[name]
    assert start.value in counts, f"the task says '{claim}'; the start ended at {start.value:g}"
    solved_rows, solved_cfg = train(L.lesson_config(lesson, lesson.solution_changes()), tmp_path / "solution")
    solved = L.check(lesson, solved_rows, solved_cfg)
    assert solved.passed, solved.message
    print(f"{name}: start {lesson.check.metric} {start.value:g}, solution {solved.value:g}")


# -- the Train page in lesson mode (AppTest) --------------------------------------------------------
MAIN = Path(__file__).resolve().parents[1] / "ganplay" / "dashboard" / "main.py"


@pytest.fixture
def runs(tmp_path, monkeypatch):
    for name in ("GANPLAY_DEMO", "SPACE_ID", "GANPLAY_MAX_JOBS", L.ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    root = tmp_path / "runs"
    monkeypatch.setenv("GANPLAY_RUNS", str(root))
    yield root
    import os
    import signal

    from ganplay import jobs

    for record in list(root.glob("*/job.json")) + list(root.glob(".jobs/*.json")):  # jobs a test started
        try:
            job = json.loads(record.read_text())
            if job.get("pid") != os.getpid() and jobs.process_alive(job.get("pid"), job.get("pid_start")):
                os.kill(job["pid"], signal.SIGKILL)
        except (OSError, ValueError, KeyError):
            pass


def train_page(lesson: str | None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(MAIN), default_timeout=60)
    if lesson:
        at.query_params["lesson"] = lesson
    at.run()
    at.switch_page("views/train.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)


def test_a_lesson_link_opens_the_train_page_with_the_start_and_locked_fields(runs):
    at = train_page("cover-all-modes")
    assert "Lesson: Cover all 8 modes" in texts(at) and "Change only the two learning rates" in texts(at)
    lr_g, lr_d = at.number_input(key="cfg.optim.lr_g"), at.number_input(key="cfg.optim.lr_d")
    assert (lr_g.value, lr_d.value) == (1e-4, 1e-3) and not lr_g.disabled and not lr_d.disabled
    assert at.number_input(key="cfg.optim.n_critic").disabled
    assert at.number_input(key="cfg.train.steps").disabled and at.number_input(key="cfg.train.steps").value == 2000
    assert at.selectbox(key="cfg.data.name").disabled and at.selectbox(key="form.preset").disabled
    assert "Check: not yet" in texts(at)
    # the two fields are named in words and found where they are: the settings open on their tab
    assert "**G's learning rate** (`optim.lr_g`)" in texts(at) and "*All settings* → *Optimiser*" in texts(at)
    settings = [e for e in at.expander if e.label == "All settings"][0]
    assert settings.proto.expanded and [t.label for t in settings.tabs][3] == "Optimiser"
    start = [b for b in at.button if b.label == "Start training"][0]
    assert not start.disabled, [e.value for e in at.error]
    assert at.query_params["lesson"] == ["cover-all-modes"] or at.query_params["lesson"] == "cover-all-modes"

    [leave] = [b for b in at.button if b.label == "Leave the lesson"]
    leave.click().run()
    assert not at.exception
    assert "Lesson: Cover all 8 modes" not in texts(at)
    assert not at.number_input(key="cfg.optim.n_critic").disabled and not at.selectbox(key="form.preset").disabled
    assert at.selectbox(key="form.preset").value == "ring8-gan"
    assert "lesson" not in at.query_params


def test_a_drawing_lesson_loads_its_points_read_only(runs):
    at = train_page("collapse-your-drawing")
    assert at.session_state["points.set"].xy.shape == (750, 2)
    assert "k-means finds **5** modes" in texts(at) and "can't be edited here" in texts(at)
    [chart] = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.id.endswith("lesson-points")]
    xs = chart["data"][0]["x"]  # (plotly sends the numbers packed: 4 bytes each)
    assert chart["layout"]["yaxis"]["scaleanchor"] == "x" and len(base64.b64decode(xs["bdata"])) == 750 * 4
    assert not [b for b in at.button if b.label == "Clear"], "no drawing editor in a lesson"
    assert not at.number_input(key="cfg.optim.lr_g").disabled
    start = [b for b in at.button if b.label == "Start training"][0]
    assert not start.disabled, [e.value for e in at.error]


def test_a_drawing_lesson_starts_in_demo_mode_on_the_stored_copy_of_its_points(runs, monkeypatch):
    monkeypatch.setenv("GANPLAY_DEMO", "1")
    at = train_page("collapse-your-drawing")
    [b for b in at.button if b.label == "Start training"][0].click().run()
    assert not at.exception and not [e.value for e in at.error], [e.value for e in at.error]
    from ganplay import jobs

    [job] = jobs.list_runs(runs)
    path = Path(job.config["data"]["path"])
    stored = [p.read_bytes() for p in (runs / ".points").glob("*.csv")]
    assert path.read_bytes() in stored, "a demo trains only sets stored by the pages"
    assert path == runs / job.name / "points.csv"  # the job's own copy: the store may drop its file
    assert L.changed_settings(L.load_lesson("collapse-your-drawing"), Config.from_dict(job.config)) == {}


def test_a_shared_setup_link_leaves_the_lesson_the_session_was_in(runs):
    at = train_page("cover-all-modes")
    assert at.number_input(key="cfg.optim.n_critic").disabled
    at.query_params.pop("lesson", None)
    at.query_params["optim.n_critic"] = "3"
    at.run()
    assert not at.exception and "Lesson: Cover all 8 modes" not in texts(at)
    n_critic = at.number_input(key="cfg.optim.n_critic")
    assert not n_critic.disabled and n_critic.value == 3


def test_a_bad_lesson_link_says_so_and_leaves_the_normal_form(runs):
    at = train_page("no-such-lesson")
    assert any("no lesson called 'no-such-lesson'" in e.value for e in at.error)
    assert not at.selectbox(key="form.preset").disabled


def fake_lesson_run(root: Path, cfg: Config, modes: float, name: str) -> Path:
    """A finished run directory of `cfg` whose last evaluation found `modes` (no training)."""
    from ganplay.train.rundir import RunDir, atomic_write_json

    run = RunDir(root / name)
    run.create()
    atomic_write_json(run.config_path, cfg.to_dict())
    steps = cfg.train.steps
    run.write_status(state="done", step=steps, steps=steps, device="cpu")
    for step in (steps // 2, steps):
        run.append_metrics({"step": step, "loss_d": 1.3, "loss_g": 0.7, "steps_per_s": 50.0})
        run.append_metrics({"step": step, "event": "eval", "modes": modes, "hq": 0.3, "kl": 0.1})
    return run.path


def test_the_check_under_the_live_view_turns_green_or_red_for_the_watched_lesson_run(runs):
    lesson = L.load_lesson("cover-all-modes")
    fake_lesson_run(runs, L.lesson_config(lesson, {"optim.lr_g": 1e-3}), 8, "20260101-000000-good")
    fake_lesson_run(runs, lesson.start_config(), 1, "20260101-000001-start")
    fake_lesson_run(runs, Config.from_preset("ring8-gan"), 8, "20260101-000002-other")
    at = train_page("cover-all-modes")
    at.selectbox(key="train.job.select").select("20260101-000000-good").run()
    assert [s.value for s in at.success if "Check passed" in s.value] == [
        "**Check passed.** modes covered 8 at step 2,000 (needed ≥ 8)."]

    at.selectbox(key="train.job.select").select("20260101-000001-start").run()
    missed = [e.value for e in at.error if "Check missed" in e.value]
    assert missed and "modes covered 1 at step 2,000" in missed[0] and "the lesson's start as given" in missed[0]

    # another run (here a ring8-gan preset run that covers 8 modes) is not offered: its numbers
    # beside the lesson's check would read as the lesson's
    offered = at.selectbox(key="train.job.select").options
    assert not [o for o in offered if "other" in o] and len(offered) == 2


@pytest.mark.slow
def test_a_drawing_lesson_solved_on_the_page_turns_the_check_green(runs):
    at = train_page("collapse-your-drawing")
    lesson = L.load_lesson("collapse-your-drawing")
    for key, value in lesson.solution_changes().items():
        at.number_input(key=f"cfg.{key}").set_value(value)
    at.run()
    [b for b in at.button if b.label == "Start training"][0].click().run()
    assert not at.exception
    from servers import wait_until

    from ganplay import jobs

    wait_until(lambda: any(i.kind == "run" and i.state == "done" for i in jobs.list_runs(runs)), 240,
               "the lesson's job to finish")
    at.run()
    passed = [s.value for s in at.success if "Check passed" in s.value]
    assert passed and "modes covered 1 at step 2,000" in passed[0], [e.value for e in at.error] + texts(at).split("\n")
