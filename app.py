"""ganplay's app: `streamlit run app.py` serves everything on one port.

Since Streamlit 1.57 an app can be an ASGI application (`st.App`): `streamlit run` finds the `app`
below and serves the dashboard script (`ganplay/dashboard/main.py`, its pages in
`ganplay/dashboard/views/`) together with any extra routes. The Gradio panel will be one of them,
mounted at /panel/ and embedded by the Explore page with the relative address "/panel/" (so it
works from any host, behind a proxy, on a Hugging Face Docker Space).

Nothing here imports torch: the first page opens in a few seconds. Once the server is up, a
background thread imports the sampling code (torch included), so the Home page's pretrained
samples do not wait for that import when the first browser arrives.
"""

from __future__ import annotations

import threading
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import streamlit as st

from ganplay.dashboard import hosting

DASHBOARD = Path(hosting.__file__).resolve().parent / "main.py"

# --- extra apps on the same port ----------------------------------------------------------------
# Add them here, above `app = st.App(...)` (which copies these lists):
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
from starlette.routing import Mount  # noqa: E402

from ganplay.panel.mount import LazyPanel  # noqa: E402

PANEL = LazyPanel("/panel")
ROUTES.append(Mount("/panel", app=PANEL))
LIFESPANS.append(PANEL.lifespan)
hosting.mount("/panel")


def _warm_up() -> None:
    try:
        import ganplay.sampling  # noqa: F401  (torch, the models)
    except Exception:  # only a head start; the page imports it again and reports problems
        pass


@asynccontextmanager
async def lifespan(app):
    threading.Thread(target=_warm_up, name="ganplay-warm-up", daemon=True).start()
    async with AsyncExitStack() as stack:
        state: dict = {}
        for make in LIFESPANS:
            state.update(await stack.enter_async_context(make(app)) or {})
        yield state


app = st.App(DASHBOARD, routes=ROUTES, lifespan=lifespan)
