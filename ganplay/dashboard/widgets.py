"""Streamlit pieces shared by several pages: the runs folder, the run picker, small formatters."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import streamlit as st

from ganplay import jobs
from ganplay.dashboard import visitor
from ganplay.jobs import RunInfo

STATE_BADGES = {
    "launching": ("blue", ":material/hourglass_top:"),
    "starting": ("blue", ":material/hourglass_top:"),
    "running": ("green", ":material/play_arrow:"),
    "paused": ("orange", ":material/pause:"),
    "done": ("green", ":material/check:"),
    "stopped": ("gray", ":material/stop:"),
    "interrupted": ("orange", ":material/warning:"),
    "failed": ("red", ":material/error:"),
    "queued": ("violet", ":material/schedule:"),
}
ROOT_KEY = "runs_root"
# On every page: an element's grey placeholder (the first chart of a visit waits a second or two
# for the plotting library) says what it waits for; Streamlit's main menu (print, screencast,
# settings) is developer chrome a learner does not need (the "running" indicator beside it stays).
PAGE_CSS = ("<style>[data-testid='stSkeleton']{display:flex;align-items:center;justify-content:center}"
            "[data-testid='stSkeleton']::after{content:'Loading the chart…';color:#6b6b6b;font-size:0.9rem}"
            "[data-testid='stMainMenu']{display:none}</style>")


def runs_root() -> Path:
    """The runs folder this session watches (sidebar), else `jobs.runs_root()`'s default
    ($GANPLAY_RUNS, a Space's /data, ./runs)."""
    value = st.session_state.get(ROOT_KEY) or ""
    return jobs.runs_root(value or None)


def sidebar() -> None:
    """The runs folder (any directory can be watched, e.g. one a GPU box writes to) and the demo
    limits, on every page."""
    lim = jobs.limits()
    with st.sidebar:
        if ROOT_KEY not in st.session_state:
            st.session_state[ROOT_KEY] = str(jobs.runs_root())
        if lim.demo:
            st.info(f"**Demo mode**: {lim.describe()}. The jobs you start are yours to stop, "
                    "pause and steer; other visitors' jobs you can watch.", icon=":material/public:")
            visitor.remember()
        else:  # an advanced setting: out of a learner's way, at the bottom and folded
            with st.expander("Advanced", icon=":material/settings:"):
                st.text_input(
                    "Runs folder", key=ROOT_KEY,
                    help="The folder whose run directories the dashboard lists and where new jobs "
                         "write. Point it at any directory, including one a job on another machine "
                         "writes to (e.g. `torchrun` on a GPU box, over a shared disk or a synced "
                         "folder), or at a single run directory. GANPLAY_RUNS sets the default.",
                )


def badge_markdown(state: str) -> str:
    """A coloured state badge, as Markdown (to sit inline with other text)."""
    colour, icon = STATE_BADGES.get(state, ("gray", ""))
    return f":{colour}-badge[{icon} {state}]"


def run_label(info: RunInfo) -> str:
    """What a run picker shows: name and state (the live view shows the step; a picker redraws
    only with the page)."""
    if info.state == "queued":
        return f"{info.name} · queued (#{info.queue_position})"
    return f"{info.name} · {info.state}"


def ago(timestamp: float | None) -> str:
    if not timestamp:
        return ""
    seconds = max(0, time.time() - float(timestamp))
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h ago"
    return time.strftime("%Y-%m-%d", time.localtime(float(timestamp)))


def pick_run(runs: list[RunInfo], key: str, label: str = "Run", preferred: str | None = None,
             only=None, help: str | None = None) -> RunInfo | None:
    """A selectbox of runs that remembers its choice in `st.session_state[key]` (a job id or run
    name) across reruns, pages and the moment a launching job gets its run directory."""
    choices = [r for r in runs if only is None or only(r)]
    if not choices:
        return None
    ids = [r.id for r in choices]

    def matches(info: RunInfo, ident: str | None) -> bool:
        return bool(ident) and ident in (info.id, info.path.name, (info.job or {}).get("id"))

    wanted = st.session_state.get(key) or preferred
    index = next((i for i, r in enumerate(choices) if matches(r, wanted)), None)
    if index is None:  # default: the newest active run, else the newest run
        index = next((i for i, r in enumerate(choices) if r.is_active and r.kind == "run"), 0)
    widget_key = f"{key}.select"
    st.session_state[widget_key] = ids[index]
    by_id = {r.id: r for r in choices}

    def remember() -> None:
        st.session_state[key] = st.session_state[widget_key]

    chosen = st.selectbox(label, ids, key=widget_key, format_func=lambda i: run_label(by_id[i]),
                          help=help, on_change=remember)
    st.session_state[key] = chosen
    return by_id[chosen]


# -- work in the server's own process ------------------------------------------------------------
# D's verdict, ONNX export and step mode run in the server process, not as jobs: each takes a core
# and up to a few hundred MB, and every visitor can press them. Two at a time; the rest wait.
HEAVY_SLOTS = 2
HEAVY_WAIT_S = 60.0
_heavy = threading.BoundedSemaphore(HEAVY_SLOTS)


class Busy(RuntimeError):
    """No slot came free in HEAVY_WAIT_S: the message says so."""


@contextmanager
def heavy_work(what: str, wait_s: float | None = None) -> Iterator[None]:
    """Hold one of the server's HEAVY_SLOTS while `what` runs; wait (with a spinner) while others
    hold them, and raise Busy after `wait_s` (HEAVY_WAIT_S)."""
    if not _heavy.acquire(blocking=False):
        with st.spinner(f"Waiting: other visitors' work is running ({what} starts next)…"):
            if not _heavy.acquire(timeout=HEAVY_WAIT_S if wait_s is None else wait_s):
                raise Busy(f"The server is busy with other visitors' work: try {what} again in a minute.")
    try:
        yield
    finally:
        _heavy.release()


def public_error(exc: BaseException | str) -> str:
    """An error's text as a page shows it: whole on a person's own machine; in demo mode with every
    server path replaced (`checkpoint.scrub_paths`: a run's checkpoint reads `runs/<run id>/...`)."""
    if not jobs.demo_mode():
        return str(exc)
    from ganplay.train.checkpoint import scrub_paths  # (torch: only once an error is shown)

    return scrub_paths(str(exc))


def shown_runs_root(root) -> str:
    """The runs folder as a page names it: the folder itself, or in demo mode just `runs/` (a
    visitor learns nothing of the server's folders)."""
    return "runs/" if jobs.demo_mode() else str(root)


def shown_run_path(info: RunInfo) -> str:
    """Where a run's files are, as its page says it: the folder itself, or in demo mode its name
    under the runs folder (`runs/<run id>`), not the server's path."""
    if not jobs.demo_mode():
        return str(info.path)
    try:
        return "runs/" + info.path.resolve().relative_to(runs_root().resolve()).as_posix()
    except ValueError:
        return "runs/" + info.path.name
