"""Bounds on what a visitor's own HTTP requests can make the panel's server hold, below what the
pages send. Gradio's routes take more than the panel needs from anyone who writes requests by
hand: 1,000 files in one upload, drawings sent in pieces that are kept until an event uses them
(at any layer index), and images decoded in full before a handler can look at their size.

- `RequestGuard` (ASGI middleware): a request with a body must say its length, without chunked
  framing (411), and be at most `MAX_BODY` multipart or `MAX_JSON` otherwise (413); a JSON body
  naming an http(s) address as a file's path is refused (400: Gradio would fetch it); uploads are
  refused (507) while Gradio's cache is over its budget (`files.CacheBudget.full`, which counts
  files too), since no event prunes it first.
- `Sketchpad`: the panel's drawing canvas, which refuses more than `MAX_LAYERS` layers, anything
  but `DRAWING_FORMATS` and any image over `MAX_SIDE` px from its header, before Gradio decodes
  it, and keeps at most `MAX_PENDING` drawings sent in pieces.
"""

from __future__ import annotations

import io
import json
import threading
import warnings

import gradio as gr
from fastapi import HTTPException
from gradio.components.base import server
from PIL import Image

from ganplay.panel import files

MAX_BODY = 4 * 2**20  # a drawing's background, layer and composite, each under the 1 MB file cap
MAX_JSON = 2**20      # an event's values: numbers, names, file references
MAX_LAYERS = 2        # the canvas offers one layer (layers=False)
MAX_SIDE = 1024       # the canvas is 280 px; even at 3 device pixels per px it stays under this
MAX_PENDING = 16      # drawings sent in pieces and not yet used by an event (oldest dropped)
DRAWING_FORMATS = ("PNG", "WEBP", "JPEG")
UPLOAD = "/gradio_api/upload"


class RequestGuard:
    """ASGI middleware in front of the panel: every request with a body states its length (no
    chunked framing, which would let the body outgrow a stated length) and stays within
    `MAX_BODY` (multipart) or `MAX_JSON` (anything else); a JSON body may not name an address as a
    file's path (Gradio would download it, whole, into memory and its cache); uploads wait while
    `blocks`' cache is full."""

    def __init__(self, app, blocks):
        self.app = app
        self.blocks = blocks

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"")
        multipart = headers.get(b"content-type", b"").startswith(b"multipart/")
        limit = MAX_BODY if multipart else MAX_JSON
        if b"transfer-encoding" in headers or not length.isdigit():
            return await _refuse(send, 411, "say the request's length (Content-Length), without chunks")
        if int(length) > limit:
            return await _refuse(send, 413, f"a request to this panel is at most {limit // 2**20} MB")
        if scope["path"].rstrip("/").endswith(UPLOAD) and files.budget_for(self.blocks).full():
            return await _refuse(send, 507, "the panel's file space is full for now; try again in a minute")
        if multipart:
            return await self.app(scope, receive, send)
        body, done = b"", False
        while not done:  # at most MAX_JSON: the length was checked and the framing is plain
            message = await receive()
            if message["type"] != "http.request":
                return
            body += message.get("body", b"")
            done = not message.get("more_body", False)
        if _names_an_address(body):
            return await _refuse(send, 400, "the panel takes files uploaded to it, not addresses to fetch")
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)


async def _refuse(send, status: int, text: str) -> None:
    body = json.dumps({"detail": text}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def _names_an_address(body: bytes) -> bool:
    """Whether a JSON body holds a file value whose path is an http(s) address."""
    if b"http" not in body.lower():
        return False
    try:
        stack = [json.loads(body)]
    except ValueError:
        return False  # Gradio answers it
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            path = item.get("path")
            if isinstance(path, str) and path.strip().lower().startswith(("http://", "https://", "//")):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def image_size_error(source) -> str | None:
    """Why the image at `source` (a path or bytes) is refused before decoding, or None; only its
    header is read, and only formats whose header says their size without decoding are opened (the
    canvas sends PNG or WebP). Anything else is refused."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source,
                            formats=DRAWING_FORMATS) as im:
                w, h = im.size
    except Image.DecompressionBombError:
        return f"a drawing is at most {MAX_SIDE} x {MAX_SIDE} px; this one is far larger"
    except (OSError, ValueError):
        return f"a drawing is a {', '.join(DRAWING_FORMATS)} image"
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
