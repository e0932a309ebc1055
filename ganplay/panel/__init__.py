"""The Gradio explorer panel: walk a generator's latent space, try labels, compare generators.

`build_blocks()` makes the Blocks (importing Gradio and torch only when called);
`asgi_app(root_path)` wraps them for mounting under another ASGI app (app.py mounts it at /panel/);
`python -m ganplay.panel` (or `ganplay panel`) serves it alone. Either way its page carries
`mount.HEAD`/`mount.CSS`: inside a frame (the dashboard's Explore page) it reports its height to
the parent and hides Gradio's footer. The handlers are plain functions in
`ganplay.panel.handlers`; each tab's widgets live in `walk`, `labels` and `compare`.
"""

from __future__ import annotations

CONCURRENCY = 2     # generations at a time (2 CPU cores); the rest wait in Gradio's queue
QUEUE_SIZE = 256
SESSIONS = 1000     # visitors' session states kept (Gradio's default 10,000 at ~0.3 MB each: 3 GB)
MAX_UPLOAD = "1mb"  # the Sketchpad's drawing is the only file the panel takes; Gradio's upload route is open to anyone


def build_blocks():
    from ganplay.panel.blocks import build

    return build()


def asgi_app(root_path: str = "/panel"):
    """A FastAPI app serving the panel at its root, for a Starlette `Mount(root_path, app=...)`.
    Its lifespan (Gradio's queue) must be entered by the host app: see app.py."""
    import gradio as gr
    from fastapi import FastAPI

    from ganplay.panel import guard, mount

    blocks = build_blocks()
    app = gr.mount_gradio_app(FastAPI(), blocks, path="/", root_path=root_path, ssr_mode=False,
                              show_error=show_errors(), footer_links=["api"], max_file_size=MAX_UPLOAD,
                              head=mount.HEAD, css=mount.CSS)
    # Gradio refuses a file path that a visitor did not upload (e.g. a Sketchpad value naming
    # /etc/passwd, which it would copy into its cache and serve) only once the Blocks count as
    # launched; `launch()` sets this, mounting does not.
    blocks.has_launched = True
    app.add_middleware(guard.RequestGuard, blocks=blocks)
    return app


def show_errors() -> bool:
    """Whether an unexpected error's text reaches the browser: yes on a person's own machine, not in
    demo mode (it may name server paths). Refusals (gr.Error) are shown either way."""
    from ganplay.jobs import demo_mode

    return not demo_mode()
