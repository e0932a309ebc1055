"""What the server (`ganplay/server.py`) hosts next to the dashboard, and its warm-up.

The server records each extra route it serves (e.g. "/panel" for the Gradio panel); the Explore
page embeds the panel only when it is really there. Run the dashboard script alone (AppTest,
`streamlit run ganplay/dashboard/main.py`) and nothing is mounted. The server's warm-up (torch,
the panel) runs in threads that give way to pages being drawn (`drawing_page`, `wait_for_pages`).
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Iterator

MOUNTED: set[str] = set()


_STARTING: dict[str, tuple[float, str]] = {}  # mounted path -> (fraction done, what it is doing)


def _key(path: str) -> str:
    return path.rstrip("/") or "/"


def mount(path: str) -> None:
    MOUNTED.add(_key(path))


def is_mounted(path: str) -> bool:
    return _key(path) in MOUNTED


def report(path: str, fraction: float, text: str) -> None:
    """A mounted app says how far its start has come (1.0: ready, or failed: `text` says which)."""
    _STARTING[_key(path)] = (float(fraction), text)


def starting(path: str) -> tuple[float, str] | None:
    """(fraction, what it is doing) while a mounted app is still starting; None once it is done
    (or when it never reported: then it is taken as ready)."""
    state = _STARTING.get(_key(path))
    return None if state is None or state[0] >= 1.0 else state


# --- the server's warm-up gives way to pages ----------------------------------------------------
# Importing torch and building the Gradio panel take seconds of CPU and hold the GIL for much of
# it; done while the first visitor's page is drawn, they doubled the time to its first picture.
# So the warm-up (server.py's, the panel's build) waits for the first page to be drawn, or for
# FIRST_VISIT_WAIT_S with no visitor, and each of its steps starts only when no page has been
# drawing for QUIET_S (the browser still fetches the page's scripts and images after the script ends).
FIRST_VISIT_WAIT_S = 5.0
QUIET_S = 1.5
PAGE_WAIT_CAP_S = 10.0  # pages that never stop must not stop the warm-up for good
# A training job someone watches also holds the warm-up back, for as long as it runs (no cap: the
# Train page redraws every second, and a warm-up step run in the middle of a Quick start slowed its
# steps by a third for seconds, so the ETA shown before it was up to 23% short); what a visitor
# asks for (`wanted`) still starts at once.
JOB_SEEN_S = 3.0  # a job counts as watched this long after a page last showed it running

_pages = threading.Condition()
_drawing = 0
_last_drawn = 0.0  # time.monotonic() when the last page ended
_first_drawn = threading.Event()
_job_seen = float("-inf")  # time.monotonic() when a page last showed a running job


@contextlib.contextmanager
def drawing_page() -> Iterator[None]:
    """Around one full run of the dashboard script (main.py)."""
    global _drawing, _last_drawn
    with _pages:
        _drawing += 1
    try:
        yield
    finally:
        with _pages:
            _drawing -= 1
            _last_drawn = time.monotonic()
            _pages.notify_all()
        _first_drawn.set()


def watching_a_job() -> None:
    """A page showed a running training job (see JOB_SEEN_S)."""
    global _job_seen
    with _pages:
        _job_seen = time.monotonic()


def wait_for_first_page(timeout: float = FIRST_VISIT_WAIT_S) -> None:
    """Until the first page has been drawn (or `timeout` seconds with no visitor)."""
    _first_drawn.wait(timeout)


def wait_for_pages(wanted: threading.Event | None = None, first_visit_wait: float = FIRST_VISIT_WAIT_S,
                   quiet: float = QUIET_S, cap: float = PAGE_WAIT_CAP_S) -> None:
    """Block a warm-up step until the first page was drawn (or nobody came for a while), no page
    has been drawn for `quiet` seconds (at most `cap` seconds of waiting for that) and no page
    watches a running job. Once `wanted` is set (someone waits for what this step builds), it
    waits no more."""
    wanted = wanted or threading.Event()
    deadline = time.monotonic() + first_visit_wait
    while not (_first_drawn.is_set() or wanted.is_set()) and time.monotonic() < deadline:
        _first_drawn.wait(0.05)
    deadline = time.monotonic() + cap
    with _pages:
        while not wanted.is_set():
            now = time.monotonic()
            idle = now - _last_drawn
            pages_done = (_drawing == 0 and idle >= quiet) or now >= deadline
            job_watched = now - _job_seen < JOB_SEEN_S
            if pages_done and not job_watched:
                return
            _pages.wait(timeout=0.25 if job_watched else max(0.05, min(quiet - idle, deadline - now)))


# What the first run of a page imports that no page has loaded yet (measured: the first run of Home
# took 1.1 s, the second 0.05 s): light and torch-free, so the server loads them as it starts,
# without giving way; a page arriving meanwhile waits on the import lock instead of importing twice.
PAGE_MODULES = ("numpy", "PIL.Image", "pydantic", "yaml", "streamlit.material_icon_names",
                "ganplay.config", "ganplay.jobs", "ganplay.previews", "ganplay.dashboard.widgets",
                "ganplay.dashboard.gallery", "ganplay.dashboard.notes")


def preload(modules: tuple[str, ...] = PAGE_MODULES) -> None:
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # the page imports it again and reports the problem
            pass


def warm_up(modules: tuple[str, ...] = ("pandas", "torch", "ganplay.sampling")) -> None:
    """Import what the sampling pages need, one module at a time, giving way to pages."""
    import importlib

    for name in modules:
        wait_for_pages()
        try:
            importlib.import_module(name)
        except Exception:  # only a head start: the page imports it again and reports problems
            return
