"""Bounds on what a visitor's own HTTP requests can make the panel's server hold, below what the
pages send. Gradio's routes take more than the panel needs from anyone who writes requests by
hand: 1,000 files in one upload, drawings sent in pieces that are kept until an event uses them
(at any layer index), and images decoded in full before a handler can look at their size.

- `RequestGuard` (ASGI middleware): a request with a body must say its length, without chunked
  framing (411), and be at most `MAX_BODY` multipart or `MAX_JSON` otherwise (413); a multipart
  body carries at most `UPLOAD_PARTS` parts to the upload route and `SERVER_FN_PARTS` to any other
  (413: Gradio's parser takes 1,000, each a file in its cache); a JSON body naming an http(s)
  address as a file's path is refused (400: Gradio would fetch it); uploads are refused (507)
  while Gradio's cache is over its budget (`files.CacheBudget.full`, which counts files too),
  since no event prunes it first.
- In demo mode, per client address (`ganplay.clients.client_address`; a session hash is the
  client's to choose): at most `CLIENT_EVENTS` events queued or running at once, and
  `CLIENT_GROUP_EVENTS` in one concurrency group (the projection, the large pictures, the
  sliders' walk each have their own allowance), counted in Gradio's queue itself (`Queue`'s
  waiting lists and running jobs, where an event stays until it has finished, been cancelled or
  its client has gone) plus the joins under way; and at most `CLIENT_UPLOAD_FILES` files and
  `CLIENT_UPLOAD_BYTES` bytes uploaded per `UPLOAD_WINDOW_S`. Over a cap: 429 with the reason,
  which the page shows in its error toast. Before this, 270 concurrent calls from one address
  filled the shared queue (256) in under a second and every visitor's next event got "Queue is
  full" for as long as the projections took to drain (about 40 minutes).
- `Sketchpad`: the panel's drawing canvas, which refuses more than `MAX_LAYERS` layers, anything
  but `DRAWING_FORMATS` and any image over `MAX_SIDE` px from its header, before Gradio decodes
  it, and keeps at most `MAX_PENDING` drawings sent in pieces.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import warnings
from collections import Counter, defaultdict, deque

import gradio as gr
from fastapi import HTTPException
from gradio.components.base import server
from PIL import Image

from ganplay.clients import client_address, per_address
from ganplay.panel import files

MAX_BODY = 4 * 2**20  # a drawing's background, layer and composite, each under the 1 MB file cap
MAX_JSON = 2**20      # an event's values: numbers, names, file references
MAX_LAYERS = 2        # the canvas offers one layer (layers=False)
MAX_SIDE = 1024       # the canvas is 280 px; even at 3 device pixels per px it stays under this
MAX_PENDING = 16      # drawings sent in pieces and not yet used by an event (oldest dropped)
DRAWING_FORMATS = ("PNG", "WEBP", "JPEG")
UPLOAD = "/gradio_api/upload"
EVENT_PATH = re.compile(r"/gradio_api/(?:queue/join|call/(?:v2/)?([^/]+))/?$")
# parts of one multipart body: the panel's File sends one file per upload, and a drawing's piece
# (the canvas's `accept_blobs`) is one file and six fields (id, type, index, component_id,
# session_hash, fn_name); Gradio's parser would take 1,000 files, each written to its cache
UPLOAD_PARTS = 4
SERVER_FN_PARTS = 8
# demo mode, per client address (`ganplay.clients`)
# Waiting events count, and a page's load sends about 6 (2 of them large pictures, which run one
# at a time for everyone): at 4 per group, 6 windows opened at once behind one address (a family)
# got empty pictures and a refusal
CLIENT_EVENTS = 24       # events queued or running at once
CLIENT_GROUP_EVENTS = 8  # of those, in one concurrency group (a map or a strip: ~0.1-0.2 s each)
GROUP_EVENTS = {"project": 4}  # a projection takes up to ~10 s: fewer of those wait per address
# files uploaded per window: the drawing canvas sends its 3 pieces about twice a second while a
# projection runs (~75 per projection), so a visitor who projected twice passed 32 and every
# drawing then hung; the bytes cap below is what bounds the disk
CLIENT_UPLOAD_FILES = 1000
CLIENT_UPLOAD_BYTES = 16 * 2**20  # bytes uploaded per window: 1/16 of the cache's 256 MB
UPLOAD_WINDOW_S = 600.0
RETRY_AFTER_S = 10


class RequestGuard:
    """ASGI middleware in front of the panel: every request with a body states its length (no
    chunked framing, which would let the body outgrow a stated length) and stays within
    `MAX_BODY` (multipart, with at most `UPLOAD_PARTS` / `SERVER_FN_PARTS` parts) or `MAX_JSON`
    (anything else); a JSON body may not name an address as a file's path (Gradio would download
    it, whole, into memory and its cache); uploads wait while `blocks`' cache is full. In demo mode
    (`demo`, `jobs.demo_mode()` when None) each client address has its caps on events and uploads
    (see the module's docstring)."""

    def __init__(self, app, blocks, demo: bool | None = None):
        from ganplay.jobs import demo_mode

        self.app = app
        self.blocks = blocks
        self.demo = demo_mode() if demo is None else demo
        self.joining: dict[str, Counter] = defaultdict(Counter)  # client -> group -> joins under way
        self.uploads: dict[str, deque] = defaultdict(deque)  # client -> [time, files, bytes] in the window
        self._groups: dict[str, object] = {}  # api name -> concurrency group

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"")
        content_type = headers.get(b"content-type", b"")
        multipart = content_type.startswith(b"multipart/")
        limit = MAX_BODY if multipart else MAX_JSON
        if b"transfer-encoding" in headers or not length.isdigit():
            return await _refuse(send, 411, "say the request's length (Content-Length), without chunks")
        if int(length) > limit:
            return await _refuse(send, 413, f"a request to this panel is at most {limit // 2**20} MB")
        path = scope["path"].rstrip("/")
        upload = path.endswith(UPLOAD)
        if upload and files.budget_for(self.blocks).full():
            return await _refuse(send, 507, "the panel's file space is full for now; try again in a minute")
        if multipart:
            client = client_address(scope) if self.demo and upload else None
            if client is not None:
                why = self.upload_refusal(client, int(length))
                if why:
                    return await _refuse(send, 429, why, retry_after=RETRY_AFTER_S)
            return await self._multipart(scope, receive, send, content_type,
                                         UPLOAD_PARTS if upload else SERVER_FN_PARTS, client)
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

        event = EVENT_PATH.search(path) if self.demo and scope["method"] == "POST" else None
        if event is None:
            return await self.app(scope, replay, send)
        client, group = client_address(scope), self._group_of(event.group(1), body)
        why = self.event_refusal(client, group)  # checked and reserved with no await between
        if why:
            return await _refuse(send, 429, why, retry_after=RETRY_AFTER_S)
        mine = self.joining[client]
        mine[group] += 1
        try:  # the join puts the event in the queue, where `pending` finds it from then on
            return await self.app(scope, replay, send)
        finally:
            mine[group] -= 1
            if mine[group] <= 0:
                del mine[group]
            if not mine:
                self.joining.pop(client, None)

    # -- events -------------------------------------------------------------------------------
    def pending(self, client: str) -> Counter:
        """The events of `client` waiting in Gradio's queue or running, per concurrency group,
        plus its joins under way. An event leaves the queue's lists when it has finished (its
        job's `finally`), was cancelled, or its client's stream closed (`clean_events`)."""
        counts = Counter(self.joining.get(client, ()))
        for event in _queued_and_running(getattr(self.blocks, "_queue", None)):
            who = getattr(event, "_ganplay_client", None)
            if who is None:
                request = getattr(event, "request", None)
                who = client_address(request.scope) if request is not None else ""
                try:
                    event._ganplay_client = who
                except AttributeError:
                    pass
            if who == client:
                counts[getattr(event, "concurrency_id", None)] += 1
        return counts

    def event_refusal(self, client: str, group) -> str | None:
        """Why one more event of `group` from `client` is refused, or None."""
        counts = self.pending(client)
        events, in_group = per_address(CLIENT_EVENTS), per_address(GROUP_EVENTS.get(group, CLIENT_GROUP_EVENTS))
        if sum(counts.values()) >= events:
            return (f"you have {sum(counts.values())} requests waiting or running in this public demo "
                    f"already (at most {events} at a time from one visitor); wait for them to "
                    "finish, then try again")
        if counts[group] >= in_group:
            return (f"you have {counts[group]} requests of this kind waiting or running in this public "
                    f"demo already (at most {in_group} at a time from one visitor); wait for "
                    "them to finish, then try again")
        return None

    def _group_of(self, api_name: str | None, body: bytes):
        """The concurrency group (`concurrency_id`) of the event a join names: by `api_name` for
        /call/NAME, by the body's `fn_index` for /queue/join; None when not found (Gradio refuses
        those itself)."""
        fns = getattr(self.blocks, "fns", None) or {}
        if api_name is not None:
            if api_name not in self._groups:
                self._groups = {fn.api_name: fn.concurrency_id for fn in list(fns.values())
                                if isinstance(getattr(fn, "api_name", None), str)}
            return self._groups.get(api_name)
        try:
            index = json.loads(body).get("fn_index")
            return fns[index].concurrency_id
        except (ValueError, AttributeError, KeyError, TypeError):
            return None

    # -- multipart bodies and uploads -----------------------------------------------------------
    def upload_refusal(self, client: str, size: int) -> str | None:
        """Why an upload of `size` bytes from `client` is refused, or None; else it is charged
        (one file and its bytes; `_multipart` adds the files it finds beyond one)."""
        window, now = self.uploads[client], time.monotonic()
        while window and now - window[0][0] > UPLOAD_WINDOW_S:
            window.popleft()
        nfiles, nbytes = sum(w[1] for w in window), sum(w[2] for w in window)
        minutes = f"{UPLOAD_WINDOW_S / 60:g} minutes"
        max_files, max_bytes = per_address(CLIENT_UPLOAD_FILES), per_address(CLIENT_UPLOAD_BYTES)
        if nfiles + 1 > max_files:
            return (f"this public demo takes {max_files} uploaded files per {minutes} from one "
                    "visitor; try again later")
        if nbytes + size > max_bytes:
            return (f"this public demo takes {max_bytes // 2**20} MB of uploads per {minutes} "
                    "from one visitor; try again later")
        window.append([now, 1, size])
        self._forget_idle(now)
        return None

    def _forget_idle(self, now: float) -> None:
        if len(self.uploads) > 1000:  # clients whose window has passed hold nothing
            for who in [k for k, w in self.uploads.items() if not w or now - w[-1][0] > UPLOAD_WINDOW_S]:
                self.uploads.pop(who, None)

    async def _multipart(self, scope, receive, send, content_type: bytes, max_parts: int,
                         client: str | None):
        """Pass a multipart body through, counting its parts as it streams; past `max_parts` the
        route gets a disconnect (it stops parsing) and the client the reason."""
        boundary = _boundary(content_type)
        if boundary is None:
            return await self.app(scope, receive, send)  # Gradio answers it (400)
        counter = _Delimiters(boundary)
        over = started = False

        async def counted():
            nonlocal over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request" and counter.feed(message.get("body", b"")) > max_parts + 1:
                over = True  # (the closing delimiter counts as one more)
                await _drain(receive, message)
                return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            nonlocal started
            if over:
                return  # the route's own answer to a cut body
            started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded_send)
        except Exception:
            if not over:
                raise
        finally:
            if client is not None and counter.seen > 2 and self.uploads.get(client):
                self.uploads[client][-1][1] += min(counter.seen, max_parts + 1) - 2  # files beyond one
        if over and not started:
            await _refuse(send, 413, f"a request to this panel carries at most {max_parts} files or fields")


def _queued_and_running(queue) -> list:
    """The events in Gradio's `Queue`: waiting (each concurrency group's list) and running
    (`active_jobs`); read without awaiting, so the lists do not change under us."""
    if queue is None:
        return []
    found = {}
    for event_queue in list(getattr(queue, "event_queue_per_concurrency_id", {}).values()):
        for event in list(event_queue.queue):
            found[id(event)] = event
    for job in list(getattr(queue, "active_jobs", ()) or ()):
        for event in list(job or ()):
            found[id(event)] = event
    return list(found.values())


def _boundary(content_type: bytes) -> bytes | None:
    match = re.search(rb'boundary="?([^";,]+)"?', content_type, re.IGNORECASE)
    return match.group(1) if match else None


class _Delimiters:
    """Counts a multipart boundary's delimiters ("--" + boundary) in a body fed in pieces."""

    def __init__(self, boundary: bytes):
        self.marker = b"--" + boundary
        self.tail = b""
        self.seen = 0

    def feed(self, chunk: bytes) -> int:
        data = self.tail + chunk
        self.seen += data.count(self.marker)
        # what could start a delimiter cut by the next chunk (too short to hold a whole one, so
        # never counted twice)
        self.tail = data[-(len(self.marker) - 1):] if len(self.marker) > 1 else b""
        return self.seen


async def _drain(receive, message) -> None:
    """Read the rest of a body (its length was checked: at most MAX_BODY) and keep none, so the
    client reads the refusal rather than a reset connection."""
    while message["type"] == "http.request" and message.get("more_body", False):
        message = await receive()


async def _refuse(send, status: int, text: str, retry_after: int | None = None) -> None:
    body = json.dumps({"detail": text}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
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
