"""Mounting the panel inside another ASGI app (app.py) without slowing that app's start.

`LazyPanel` is an ASGI app for a Starlette `Mount("/panel", app=...)`; `lifespan` (for app.py's
LIFESPANS) starts building the Gradio app in a worker thread as the server starts (Gradio and torch
imports take seconds; the dashboard's first page does not wait for them) and then, in one task of
its own, enters the Gradio app's lifespan (its queue) for the server's lifetime. Requests for
/panel/ that arrive before the build is done wait for it.

Shown inside another page (the dashboard's Explore page embeds /panel/ in an iframe), the panel's
page carries `HEAD` and `CSS` (`asgi_app` and `python -m ganplay.panel` pass them). `HEAD` is a
small script that, in a frame (`window.parent !== window`),
- marks the page `gp-embedded`, so `CSS` hides what belongs to a page of its own: Gradio's footer
  ("Use via API", "Built with Gradio", Settings, and the screen-recording controls that live in
  the settings and the footer), and drops the page's side margins (the host page has its own);
- tells the parent page the height of its content (`{type: MESSAGE, height}` by `postMessage`, to
  the same origin only) whenever that changes (a ResizeObserver on the blocks of Gradio's main
  element; Gradio's root elements stretch to the frame's height, so the height is the bottom of
  those blocks plus the padding below them, never the frame's own: no feedback loop), and again
  when the parent asks (`{type: ASK}`). The parent sizes the frame to it
  (`ganplay/dashboard/views/explore.py`), so nothing sits below the frame's edge and the frame
  never scrolls.
Opened on its own, the panel runs none of this and keeps its footer.
"""

from __future__ import annotations

import asyncio
import threading
from contextlib import asynccontextmanager

MESSAGE = "ganplay:panel-height"
ASK = "ganplay:panel-measure"

HEAD = """<script>
(function () {
  if (window.parent === window || window.__ganplayFit) return;
  window.__ganplayFit = true;
  document.documentElement.classList.add("gp-embedded");
  var sent = 0, timer = null;
  function height() {
    // Gradio's root elements stretch to the frame (flex-grow): measure the content inside them,
    // plus the padding, borders and margins below it
    var main = document.querySelector("gradio-app .contain");
    if (!main) return 0;
    var bottom = 0, below = 0;
    for (var i = 0; i < main.children.length; i++) {
      bottom = Math.max(bottom, main.children[i].getBoundingClientRect().bottom);
    }
    for (var e = main; e && e !== document.documentElement; e = e.parentElement) {
      var cs = getComputedStyle(e);
      below += parseFloat(cs.paddingBottom) + parseFloat(cs.borderBottomWidth) + parseFloat(cs.marginBottom);
    }
    return Math.ceil(bottom + window.scrollY + below);
  }
  function send() {
    timer = null;
    var h = height();
    if (h > 0 && h !== sent) {
      sent = h;
      window.parent.postMessage({type: "%(message)s", height: h}, window.location.origin);
    }
  }
  function soon() { if (timer === null) timer = setTimeout(send, 30); }
  window.addEventListener("message", function (e) {
    if (e.source === window.parent && e.data && e.data.type === "%(ask)s") { sent = 0; soon(); }
  });
  function start() {
    var observer = new ResizeObserver(soon), watched = [];
    function watch() {  // the content's blocks, whenever Gradio adds or replaces them
      var main = document.querySelector("gradio-app .contain");
      var now = main ? Array.prototype.slice.call(main.children) : [];
      now.forEach(function (c) { if (watched.indexOf(c) < 0) observer.observe(c); });
      watched = now;
      soon();
    }
    new MutationObserver(watch).observe(document.body, {childList: true, subtree: true});
    window.addEventListener("resize", soon);
    watch();
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
  window.addEventListener("load", soon);
})();
</script>""" % {"message": MESSAGE, "ask": ASK}

CSS = """
.gp-embedded footer { display: none !important; }
.gp-embedded gradio-app .main { padding: 0 4px 8px !important; }
.gp-embedded .prose, .gp-embedded .prose * { overflow-wrap: anywhere; }
"""


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
