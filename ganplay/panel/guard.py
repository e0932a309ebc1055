"""Bounds on what a visitor's own HTTP requests can make the panel's server hold, below what the
pages send. Gradio's routes take more than the panel needs from anyone who writes requests by
hand: 1,000 files in one upload, drawings sent in pieces that are kept until an event uses them
(at any layer index), and images decoded in full before a handler can look at their size.

- `RequestGuard` (ASGI middleware): a POST to the upload or component-server route must say
  its length (411 otherwise) and be at most `MAX_BODY` (413); uploads are refused (507) while
  Gradio's cache is over its budget (`files.CacheBudget.full`), since no event prunes it first.
- `Sketchpad`: the panel's drawing canvas, which refuses more than `MAX_LAYERS` layers and any
  image over `MAX_SIDE` px from its header, before Gradio decodes it, and keeps at most
  `MAX_PENDING` drawings sent in pieces.
"""

from __future__ import annotations

import io
import threading
import warnings

import gradio as gr
from fastapi import HTTPException
from gradio.components.base import server
from PIL import Image

from ganplay.panel import files

MAX_BODY = 4 * 2**20  # a drawing's background, layer and composite, each under the 1 MB file cap
MAX_LAYERS = 2        # the canvas offers one layer (layers=False)
MAX_SIDE = 1024       # the canvas is 280 px; even at 3 device pixels per px it stays under this
MAX_PENDING = 64      # drawings sent in pieces and not yet used by an event (oldest dropped)
GUARDED = ("/gradio_api/upload", "/gradio_api/component_server")


class RequestGuard:
    """ASGI middleware: bounds the size of uploads and component-server calls, and refuses uploads
    while `blocks`' cache is full."""

    def __init__(self, app, blocks):
        self.app = app
        self.blocks = blocks

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" \
                or not scope["path"].rstrip("/").endswith(GUARDED):
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        refusal = None
        if length is None or not length.isdigit():
            refusal = (411, "say the request's length (Content-Length)")
        elif int(length) > MAX_BODY:
            refusal = (413, f"a request to this panel is at most {MAX_BODY // 2**20} MB")
        elif scope["path"].rstrip("/").endswith(GUARDED[0]) and files.budget_for(self.blocks).full():
            refusal = (507, "the panel's file space is full for now; try again in a minute")
        if refusal is None:
            return await self.app(scope, receive, send)
        status, text = refusal
        body = ('{"detail": "%s"}' % text).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def image_size_error(source) -> str | None:
    """Why the image at `source` (a path or bytes) is refused before decoding, or None; only its
    header is read. A file that is not an image is left to Gradio's own error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as im:
                w, h = im.size
    except Image.DecompressionBombError:
        return f"a drawing is at most {MAX_SIDE} x {MAX_SIDE} px; this one is far larger"
    except (OSError, ValueError):
        return None
    if max(w, h) > MAX_SIDE:
        return f"a drawing is at most {MAX_SIDE} x {MAX_SIDE} px; got {w} x {h}"
    return None


class Sketchpad(gr.Sketchpad):
    """gr.Sketchpad, bounded: see the module's docstring."""

    _pending_lock = threading.Lock()  # (no __init__ of ours: Gradio reads the props from its signature)

    def get_block_name(self) -> str:
        return "imageeditor"  # the frontend's component (a subclass would otherwise name its parent)

    def preprocess(self, payload):
        if payload is not None and payload.id is None:  # (pieces were checked as they came)
            if len(payload.layers or []) > MAX_LAYERS:
                raise gr.Error(f"a drawing has at most {MAX_LAYERS} layers; got {len(payload.layers)}")
            for part in (payload.background, *(payload.layers or []), payload.composite):
                why = image_size_error(part.path) if part is not None and part.path else None
                if why:
                    raise gr.Error(why)
        return super().preprocess(payload)

    @server
    def accept_blobs(self, data):
        kind, index = data.data.get("type"), data.data.get("index")
        if kind not in ("layer", "background", "composite") or len(data.files) != 1:
            raise HTTPException(400, "a drawing's piece is one background, layer or composite image")
        if kind == "layer" and index not in (None, "", "null") and \
                not (str(index).isdigit() and int(index) < MAX_LAYERS):
            raise HTTPException(400, f"a drawing has at most {MAX_LAYERS} layers (index 0..{MAX_LAYERS - 1})")
        why = image_size_error(data.files[0][1])
        if why:
            raise HTTPException(400, why)
        with self._pending_lock:
            while len(self.blob_storage) >= MAX_PENDING and data.data.get("id") not in self.blob_storage:
                self.blob_storage.pop(next(iter(self.blob_storage)))  # the oldest
            return super().accept_blobs(data)
