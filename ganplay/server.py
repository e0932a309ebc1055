"""The composition: one Streamlit ASGI app (`st.App`) serving the dashboard, with the Gradio panel
mounted at /panel/ on the same port; and `ganplay app`, which serves it from an installed package.

Since Streamlit 1.57 an app can be an ASGI application: `streamlit run SCRIPT` finds an
`app = st.App(...)` assignment in SCRIPT (by reading its source, not by running it) and serves it
with uvicorn. So the App itself is made in two one-line scripts that say the same thing:

    app.py                   the checkout's `streamlit run app.py` (not in the wheel)
    ganplay/script/app.py    the installed copy `ganplay app` hands to `streamlit run`

and everything they serve is defined here: the dashboard script, the extra routes and the
lifespans. The panel at /panel/ is embedded by the Explore page with the relative address
"/panel/", so it works from any host, behind a proxy, on a Hugging Face Docker Space.

Nothing here imports torch: the first page opens in a few seconds. Once the server is up, a
background thread imports the sampling code (torch included) and another builds the panel, so
live samples and /panel/ do not wait for those imports later; both give way to pages being drawn
(`hosting.wait_for_pages`), so they do not slow the first visitor's page either.
"""

from __future__ import annotations

import os
import sys
import threading
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from starlette.middleware import Middleware
from starlette.routing import Mount

from ganplay.cpu import passive_waits

passive_waits()  # before the warm-up imports torch: idle OpenMP threads must not spin (ganplay/cpu.py)

from ganplay import jobs  # noqa: E402
from ganplay.dashboard import hosting  # noqa: E402
from ganplay.dashboard.guard import UploadGuard  # noqa: E402
from ganplay.panel.mount import LazyPanel  # noqa: E402

DASHBOARD = Path(hosting.__file__).resolve().parent / "main.py"
SCRIPT = Path(__file__).resolve().parent / "script" / "app.py"  # what `ganplay app` runs

# Streamlit options both ways of serving use: `.streamlit/config.toml` at the repository root holds
# the same values (a test keeps them equal) for `streamlit run app.py`; `ganplay app` passes them
# as flags, since an installed package has no project folder to read that file from.
OPTIONS = {
    # hide the developer chrome (Deploy, Rerun, Clear cache) from visitors; the menu stays
    "client.toolbarMode": "viewer",
    # no usage statistics: the browser would otherwise send each page view to data.streamlit.io
    "browser.gatherUsageStats": False,
    # the dashboard's uploads (a config, a point set) are at most 1 MB each: what the server holds
    # from a hand-written request (Streamlit's default is 200 MB)
    "server.maxUploadSize": 2,
    # the largest message a page sends is about 0.8 MB (the canvas with 20,000 points); Streamlit's
    # default (200 MB) let a hand-written websocket frame of 190 MB be buffered before its refusal
    "server.maxMessageSize": 16,
}

# Options for a public demo (`jobs.demo_mode()`: GANPLAY_DEMO=1 or a Space), set as this module is
# imported: both ways of serving import it while Streamlit starts (after it has read config.toml and
# the flags), before any page runs; config.toml cannot depend on the environment. A visitor's page
# says that something went wrong, without the exception's type, message or traceback (the server's
# log has them).
DEMO_OPTIONS = {"client.showErrorDetails": "none"}


def apply_demo_options() -> dict:
    """Set `DEMO_OPTIONS` in Streamlit's config when demo mode is on, again whenever Streamlit
    reads its config anew (it does when config.toml changes); what was set."""
    if not jobs.demo_mode():
        return {}
    from streamlit import config

    def apply() -> None:
        for key, value in DEMO_OPTIONS.items():
            config.set_option(key, value, "ganplay demo mode")

    apply()
    config.on_config_parsed(apply, force_connect=True)
    return dict(DEMO_OPTIONS)


apply_demo_options()

# ASGI middleware on the st.App: Streamlit's upload endpoint holds at most a few files per session
# and a bounded total in memory (ganplay/dashboard/guard.py)
MIDDLEWARE = [Middleware(UploadGuard)]

# --- extra apps on the same port ----------------------------------------------------------------
#   ROUTES: Starlette routes, e.g. Mount("/panel", app=gr.mount_gradio_app(FastAPI(), blocks,
#           path="/", root_path="/panel", ssr_mode=False))
#   LIFESPANS: async context managers (called with the st.App) entered for the server's lifetime,
#           e.g. the mounted Gradio app's own lifespan (Starlette does not run a mounted app's
#           lifespan by itself)
#   hosting.mount("/panel"): tells the Explore page that the panel is there to embed
ROUTES: list = []
LIFESPANS: list = []

# the Gradio panel (ganplay/panel/): built in a worker thread as the server starts, so importing
# Gradio and torch does not delay the first page; /panel/ requests wait for it
PANEL = LazyPanel("/panel", give_way=hosting.wait_for_pages,
                  on_progress=lambda fraction, text: hosting.report("/panel", fraction, text))
ROUTES.append(Mount("/panel", app=PANEL))
LIFESPANS.append(PANEL.lifespan)
hosting.mount("/panel")
hosting.report("/panel", 0.0, "waiting for the server to start")


def _keep_standby() -> None:
    # a job process started ahead (jobs.keep_standby), so that Start or Quick start skips torch's
    # import: as soon as the first page has been drawn, a few seconds before a first click
    jobs.enable_standby()
    hosting.wait_for_first_page()
    jobs.keep_standby()


@asynccontextmanager
async def lifespan(app):
    threading.Thread(target=hosting.preload, name="ganplay-preload", daemon=True).start()
    threading.Thread(target=hosting.warm_up, name="ganplay-warm-up", daemon=True).start()
    threading.Thread(target=_keep_standby, name="ganplay-standby", daemon=True).start()
    async with AsyncExitStack() as stack:
        state: dict = {}
        for make in LIFESPANS:
            state.update(await stack.enter_async_context(make(app)) or {})
        yield state


# --- `ganplay app` ------------------------------------------------------------------------------
def streamlit_argv(port: int | None = None, host: str | None = None) -> list[str]:
    """The `streamlit run` command line `ganplay app` executes (Streamlit's defaults for what is
    not given: port 8501, every interface)."""
    argv = [sys.executable, "-m", "streamlit", "run", str(SCRIPT)]
    if port is not None:
        argv += ["--server.port", str(port)]
    if host:
        argv += ["--server.address", host]
    for key, value in OPTIONS.items():
        argv += [f"--{key}", str(value).lower() if isinstance(value, bool) else str(value)]
    return argv


def serve(port: int | None = None, host: str | None = None) -> None:
    """Replace this process with the Streamlit server (same pid: signals and a container's stop
    reach the server itself, not a wrapper)."""
    argv = streamlit_argv(port, host)
    os.execv(argv[0], argv)
