"""Train: set up a run (preset or full form), start it as a job, watch and steer it live."""

import streamlit as st

from ganplay import jobs
from ganplay.config import DRAWN_DATASET
from ganplay.dashboard import lesson_view, live, points_editor, train_form, visitor
from ganplay.dashboard.widgets import pick_run, runs_root, shown_runs_root

JOB_KEY = "train.job"  # the job this session is watching (a job id or run directory name)

st.title("Train")
root = runs_root()
lim = jobs.limits()

lesson = lesson_view.active()  # /train?lesson=NAME: the lesson's start, most fields locked
if lesson is not None:
    lesson_view.banner(lesson)

st.subheader("Setup")
result = train_form.render(lesson_view.locked(lesson))
if lesson is not None:
    result = lesson_view.result(lesson, result, st.session_state[train_form.STORE])
    if lesson.points is not None:
        lesson_view.drawing(lesson)
elif st.session_state[train_form.STORE].get("data.name") == DRAWN_DATASET:
    with st.expander("Your points: the data this run trains on", expanded=True, icon=":material/draw:"):
        # the circles show what coverage will count: data.modes when the form sets it
        points_editor.editor("train.draw", modes=int(st.session_state[train_form.STORE].get("data.modes") or 0))
errors = result.all_errors()
if errors:
    st.error("Fix these before starting:\n" + "\n".join(f"- {e}" for e in errors), icon=":material/error:")

# one row that wraps where the page is narrow (a projector's 1024 px with the sidebar open): fixed
# columns cut the labels to "Start…", "Imp…", "Sha…"
with st.container(horizontal=True, key="train-actions"):
    start = st.button("Start training", type="primary", icon=":material/play_arrow:", disabled=not result.ok,
                      help="Starts a separate training process that writes a new run directory; closing "
                      "the browser does not stop it.")
    train_form.render_sharing(result, locked=lesson is not None)
train_form.import_error()
if start and result.ok:
    try:
        info = jobs.submit(result.config, root, lim, visitor=visitor.token(), address=visitor.address())
        st.session_state[JOB_KEY] = info.id
        st.toast("Queued: a slot frees when a running job ends" if info.state == "queued"
                 else "Started", icon=":material/rocket_launch:")
    except jobs.JobError as exc:
        st.error(str(exc))

st.divider()
st.subheader("Live")
runs = jobs.poll(root)
if lesson is not None:  # only this lesson's runs: another run's numbers beside its check misled
    runs = [r for r in runs if r.config.get("name") == lesson.run_name]
if not runs:
    if lesson is not None:
        lesson_view.check_panel(lesson, None)
    st.info("No run of this lesson yet: press **Start training**." if lesson is not None else
            f"No runs in `{shown_runs_root(root)}` yet. Pick a preset above and press **Start training**.",
            icon=":material/info:")
    st.stop()

queued = [r for r in runs if r.state == "queued"]
if queued:
    st.info(f"**{len(queued)} job{'s' if len(queued) > 1 else ''} waiting** for a free slot "
            f"({lim.describe()}): " + ", ".join(f"#{r.queue_position} {r.name}" for r in queued),
            icon=":material/schedule:")
watched = pick_run(runs, JOB_KEY, "Watching", help="Jobs keep running when you leave or close the "
                   "page; pick any of them here. A second tab shows the same jobs.")
if watched is not None:
    info = live.live_panel(root, watched.id)
    if lesson is not None:  # no steering in a lesson: the check reads the run as it was set up
        lesson_view.check_panel(lesson, jobs.find(root, watched.id))
    elif info is not None:
        live.steer_form(info)
