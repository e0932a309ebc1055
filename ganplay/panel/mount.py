"""Mounting the panel inside another ASGI app (app.py) without slowing that app's start.

`LazyPanel` is an ASGI app for a Starlette `Mount("/panel", app=...)`; `lifespan` (for app.py's
LIFESPANS) starts building the Gradio app in a worker thread as the server starts (Gradio and torch
imports take seconds; the dashboard's first page does not wait for them) and then, in one task of
its own, enters the Gradio app's lifespan (its queue) for the server's lifetime. Requests for
/panel/ that arrive before the build is done wait for it.
"""

from __future__ import annotations

import asyncio
import threading
from contextlib import asynccontextmanager


class LazyPanel:
    def __init__(self, root_path: str = "/panel", give_way=None, on_progress=None):
        self.root_path = root_path
        self._give_way = give_way or (lambda wanted: None)  # called before each slow step of the build
        self._on_progress = on_progress or (lambda fraction, text: None)  # for a page to show
        self.wanted = threading.Event()  # a request for /panel/ is waiting: stop giving way
        self.app = None
        self.error: BaseException | None = None
        self._ready: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task | None = None

    def _build(self):
        import importlib

        steps = (("gradio", "importing Gradio"), ("ganplay.panel", "importing torch and the generators"))
        for i, (module, what) in enumerate(steps):  # seconds each: in steps, so pages can go first
            self._on_progress(i / (len(steps) + 1), "waiting for the dashboard's page to finish drawing")
            self._give_way(self.wanted)
            self._on_progress(i / (len(steps) + 1), what)
            importlib.import_module(module)
        self._give_way(self.wanted)
        self._on_progress(len(steps) / (len(steps) + 1), "building the panel")
        from ganplay.panel import asgi_app

        return asgi_app(self.root_path)

    async def _serve(self) -> None:
        try:
            app = await asyncio.to_thread(self._build)
            async with app.router.lifespan_context(app):
                self.app = app
                self._ready.set()
                self._on_progress(1.0, "ready")
                await self._stop.wait()
        except BaseException as exc:  # shown to whoever opens /panel/
            self.error = exc
            self._ready.set()
            self._on_progress(1.0, f"failed to start: {exc!r}")
            if not isinstance(exc, Exception):
                raise

    @asynccontextmanager
    async def lifespan(self, _host=None):
        self._ready, self._stop = asyncio.Event(), asyncio.Event()
        self._task = asyncio.create_task(self._serve(), name="ganplay-panel")
        try:
            yield {}
        finally:
            self._stop.set()
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except (asyncio.TimeoutError, Exception):
                self._task.cancel()

    async def __call__(self, scope, receive, send) -> None:
        if self._ready is None:  # the host never entered our lifespan: build here, no queue task
            raise RuntimeError("the panel's lifespan was not entered (add LazyPanel.lifespan to the host)")
        self.wanted.set()
        await self._ready.wait()
        if self.app is None:
            if scope["type"] == "http":
                body = f"The panel failed to start: {self.error!r}".encode()
                await send({"type": "http.response.start", "status": 503,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
                await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
