"""The Train page in lesson mode (`/train?lesson=NAME`): the lesson's banner, its starting state
in the form with every setting but the unlocked ones disabled, its drawn data in the session's
set, and under the live view the check of the watched run. The logic is `ganplay.lessons`; this
is the page's side of it.

The URL names the lesson (a link opens it, as `?presenter=1` opens the lab's presenter view); the
session remembers it, so the Train page reached from the sidebar is still in the lesson until
"Leave the lesson".
"""

from __future__ import annotations

import pandas  # noqa: F401  (before plotly: see docs/ARCHITECTURE.md, 'pandas before plotly')
import plotly.graph_objects as go
import streamlit as st

from ganplay import lessons, pointsets
from ganplay.dashboard import points_editor, share, train_form
from ganplay.dashboard.widgets import runs_root
from ganplay.config import ConfigError
from ganplay.dashboard.form_spec import LABELS, SECTIONS, FormResult, errors_by_field, flatten, form_fields
from ganplay.jobs import RunInfo
from ganplay.lessons import Lesson, LessonError
from ganplay.presets import preset_values

QUERY = "lesson"
ACTIVE_KEY = "lesson.active"  # the name of the lesson this session is in
ERROR_KEY = "lesson.error"


def active() -> Lesson | None:
    """The lesson the Train page is in (from ?lesson=NAME, else the session's), or None. Entering
    one fills the form with its starting state and the session's points with its drawing; call
    before the form is drawn."""
    name = st.query_params.get(QUERY)
    if not name and share.has_config(st.query_params.to_dict()):
        st.session_state.pop(ACTIVE_KEY, None)  # a shared setup's link: the normal form, filled from it
        return None
    name = name or st.session_state.get(ACTIVE_KEY)
    if not name:
        return None
    try:
        lesson = lessons.load_lesson(name)
    except LessonError as exc:
        st.session_state.pop(ACTIVE_KEY, None)
        st.query_params.pop(QUERY, None)
        st.error(f"This link's lesson can't be opened: {exc}", icon=":material/error:")
        return None
    if st.session_state.get(ACTIVE_KEY) != lesson.name:
        enter(lesson)
    if st.query_params.get(QUERY) != lesson.name:
        st.query_params[QUERY] = lesson.name  # the address bar shows it (a refresh or bookmark keeps it)
    return lesson


def enter(lesson: Lesson) -> None:
    st.session_state[ACTIVE_KEY] = lesson.name
    st.session_state[train_form.PRESET_KEY] = train_form.CUSTOM
    st.session_state.pop(ERROR_KEY, None)
    if lesson.points is not None:
        points_editor.set_points(lesson.read_points())
    train_form.load_values(flatten(lesson.start_config().to_dict()),
                           f"Lesson **{lesson.title}**: the form holds its starting state.")


def leave() -> None:
    """Back to the normal form (the default preset); a callback of the Leave button."""
    st.session_state.pop(ACTIVE_KEY, None)
    st.query_params.pop(QUERY, None)
    st.session_state[train_form.PRESET_KEY] = train_form.DEFAULT_PRESET
    train_form.load_values(flatten(preset_values(train_form.DEFAULT_PRESET)), fit=True)


def locked(lesson: Lesson | None) -> frozenset[str]:
    """The form's fields the lesson locks (none outside a lesson)."""
    if lesson is None:
        return frozenset()
    return frozenset(spec.key for spec in form_fields() if lesson.locked(spec.key))


def banner(lesson: Lesson) -> None:
    with st.container(border=True):
        head, out = st.columns([3, 1], vertical_alignment="center")
        head.markdown(f"#### :material/school: Lesson: {lesson.title}")
        out.button("Leave the lesson", on_click=leave, icon=":material/close:", width="stretch", wrap=True,
                   help="Back to the normal Train page: every setting unlocked, the default preset.")
        st.markdown(lesson.task)
        places = sorted({SECTIONS[k.partition(".")[0]] for k in lesson.unlock if "." in k})
        st.caption(f"You may change: {', '.join(f'**{LABELS.get(k, k)}** (`{k}`)' for k in lesson.unlock)}"
                   + (f" (at most {lesson.max_changes} of them)" if lesson.max_changes else "")
                   + (f", under *All settings* → *{'*, *'.join(places)}*" if places else "")
                   + f". Every other setting is locked. The check: **{lesson.check.goal()}** at the run's "
                   "last evaluation.")


def drawing(lesson: Lesson) -> None:
    """The lesson's drawn data, read-only (the editor is not shown in a lesson)."""
    points = lesson.read_points()
    found = points_editor.found_modes(points, lesson.start_config().data.modes)
    with st.expander("The lesson's points: the data this run trains on", expanded=True, icon=":material/draw:"):
        st.plotly_chart(points_figure(points.xy), key="lesson-points", width="stretch")
        st.caption(f"**{len(points):,}** points" + (f"; k-means finds **{len(found[0])}** modes" if found else "")
                   + ". Part of the lesson: they can't be edited here.")


def points_figure(xy) -> go.Figure:
    """The lesson's points on the drawing area's square, one unit the same length on both axes
    (round blobs look round)."""
    fig = go.Figure(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", name="the lesson's points",
                               marker={"size": 5, "color": "#6b6b6b", "opacity": 0.7}, hoverinfo="skip"))
    view = [-pointsets.VIEW, pointsets.VIEW]
    fig.update_xaxes(range=view, constrain="domain", zeroline=False)
    fig.update_yaxes(range=view, scaleanchor="x", scaleratio=1, constrain="domain", zeroline=False)
    fig.update_layout(height=320, margin={"l": 10, "r": 10, "t": 10, "b": 10}, showlegend=False)
    return fig


def result(lesson: Lesson, form: FormResult, flat: dict) -> FormResult:
    """The form's result as the lesson trains it: the start plus the unlocked fields' values, or
    the reason it can't. Drawn data is the lesson's own, stored where the pages store sets (a
    demo trains only those), whatever the session's set has become on other pages."""
    if not form.ok:
        return form
    try:
        cfg = lessons.lesson_config(lesson, {k: v for k, v in flat.items() if k != "data.path"})
    except LessonError as exc:
        return FormResult(None, {"lesson": [str(exc)]})
    except ConfigError as exc:
        return FormResult(None, errors_by_field(str(exc)))
    if lesson.points is not None:
        stored = pointsets.store(lesson.read_points(), runs_root())
        cfg = cfg.model_copy(update={"data": cfg.data.model_copy(update={"path": str(stored)})})
    return FormResult(cfg, {})


def check_panel(lesson: Lesson, info: RunInfo | None) -> None:
    """Under the live view: the check of the watched run, when it was started from this lesson."""
    goal = lesson.check.goal()
    if info is None or info.config.get("name") != lesson.run_name:
        _grey(f"**Check: not yet.** Start a run from this lesson; when it finishes, its last evaluation "
              f"is checked: {goal}.")
        return
    if info.kind != "run":
        _grey(f"**Check: not yet.** The run is {info.state}; when it finishes, its last evaluation is "
              f"checked: {goal}.")
        return
    ended = not info.is_active and info.state != "queued"
    res = lessons.check(lesson, info.run.read_metrics(), info.settings.with_data_under(info.path), ended=ended)
    if res.state == lessons.PASSED:
        st.success(f"**Check passed.** {res.message.removeprefix('Passed: ')}", icon=":material/check_circle:")
    elif res.state == lessons.FAILED:
        st.error(f"**Check missed.** {res.message}", icon=":material/cancel:")
    else:
        _grey(f"**Check: not yet.** {res.message}")


def _grey(text: str) -> None:
    with st.container(border=True):
        st.markdown(f":grey[{text}]")
