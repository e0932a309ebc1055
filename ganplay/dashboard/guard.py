"""Bounds on what a visitor's own HTTP requests can make the dashboard's server hold: the uploads
Streamlit keeps in memory (`ganplay.panel.guard` does the same for the Gradio panel).

Streamlit's upload endpoint, `PUT /_stcore/upload_file/<session id>/<file id>`, stores each file
(at most `server.maxUploadSize`, 2 MB here) in its `MemoryUploadedFileManager` until the file is
deleted or the session ends, and takes any number of fresh file ids from a live session: 150
hand-written uploads held 300 MB. The pages have two single-file uploaders (a config JSON and a
point set CSV, 1 MB each), and the browser deletes an uploader's file when a new one replaces it,
so a visitor's session holds one or two files.

`UploadGuard` (ASGI middleware on the st.App, `server.MIDDLEWARE`) counts what the upload manager
holds, plus the uploads under way, before a PUT's body is read:

- an upload states its length (Content-Length, no chunked framing), else 411;
- one session holds at most `SESSION_FILES` files and `SESSION_BYTES` bytes, else 429 (a file that
  replaces one under the same id counts once: what it replaces is not counted);
- all sessions together hold at most `total_bytes()` (`GANPLAY_UPLOADS_MB`, 64 MB), else 507;
- in demo mode, all the sessions of one client address (`ganplay.clients.client_address`: a
  visitor opens new sessions at will, one per page load) hold at most `CLIENT_FILES` files and
  `client_bytes()` (a quarter of the total, so one address never takes all of it), else 429. A
  session counts for the address that last uploaded to it.

A refused body is read and dropped (it is at most `server.maxUploadSize`: a longer stated length
goes on to Streamlit, which refuses it unread), so a client sending it whole gets the reason, not
a reset connection; Streamlit's uploader shows only the status ("Request failed with status code
429"). 150 uploads of 2 MB to one session: the server held 302 MB more without the guard, 6 MB
with it (two files held, 148 refused).

The bounds apply in every mode: a legitimate page never comes near them, and `ganplay app` listens
on every interface by default.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict

from starlette.responses import PlainTextResponse

from ganplay.clients import client_address, per_address

SESSION_FILES = 8            # two uploaders (one file each), with room for files of pages left behind
SESSION_BYTES = 4 * 2**20    # each uploader takes 1 MB; a hand-written upload is at most 2 MB
DEFAULT_TOTAL_MB = 64        # every session's uploads together (GANPLAY_UPLOADS_MB)
CLIENT_FILES = 4 * SESSION_FILES  # demo mode: every session of one client address together
CLIENT_SHARE = 4             # ... and at most 1/4 of the total bytes
UPLOAD_PATH = re.compile(r"(?:^|/)_stcore/upload_file/([^/]+)/([^/]+)/?$")


def total_bytes() -> int:
    """What all sessions' uploads may hold together: `GANPLAY_UPLOADS_MB` megabytes (64)."""
    raw = os.environ.get("GANPLAY_UPLOADS_MB", "").strip()
    try:
        mb = float(raw) if raw else DEFAULT_TOTAL_MB
    except ValueError:
        mb = DEFAULT_TOTAL_MB
    return int((mb if mb > 0 else DEFAULT_TOTAL_MB) * 2**20)


def client_bytes() -> int:
    """What the sessions of one client address may hold together in demo mode: a quarter of
    `total_bytes()` (16 MB by default), times `clients.visitors_per_address()`, at most the total."""
    return min(total_bytes(), per_address(total_bytes() // CLIENT_SHARE))


def streamlit_uploads():
    """The running server's upload manager (Streamlit's `MemoryUploadedFileManager`), or None
    before the runtime exists."""
    from streamlit import runtime

    return runtime.get_instance().uploaded_file_mgr if runtime.exists() else None


def held(manager, session_id: str, except_file: str | None = None) -> tuple[int, int, int]:
    """(files, bytes) that `manager` holds for `session_id`, `except_file` left out, and the bytes
    it holds for every session."""
    storage = getattr(manager, "file_storage", None) or {}
    mine = storage.get(session_id) or {}
    files = [rec for file_id, rec in list(mine.items()) if file_id != except_file]
    total = sum(len(rec.data) for session in list(storage.values()) for rec in list(session.values()))
    return len(files), sum(len(rec.data) for rec in files), total


class UploadGuard:
    """ASGI middleware in front of Streamlit's upload endpoint: see the module's docstring.

    `manager` gives the upload manager to count (Streamlit's, by default). Uploads under way are
    reserved at their stated length while the check is made, so concurrent requests cannot all
    pass it at once (the check and the reservation run without an await between them)."""

    def __init__(self, app, manager=streamlit_uploads, demo: bool | None = None):
        from ganplay.jobs.limits import demo_mode

        self.app = app
        self.manager = manager
        self.demo = demo_mode() if demo is None else demo
        self.pending: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # session -> [files, bytes]
        self.pending_bytes = 0
        self.client_of: dict[str, str] = {}  # session -> the client address that last uploaded to it

    async def __call__(self, scope, receive, send):
        match = UPLOAD_PATH.search(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None or scope["method"] != "PUT":
            return await self.app(scope, receive, send)
        session_id, file_id = match.groups()
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"")
        if b"transfer-encoding" in headers or not length.isdigit():
            return await _refuse(scope, receive, send, 411,
                                 "say the upload's length (Content-Length), without chunks")
        size = int(length)
        if size > _streamlit_cap():
            return await self.app(scope, receive, send)  # Streamlit refuses it (413) unread
        why = self.refusal(session_id, file_id, size,
                           client_address(scope) if self.demo else None)
        if why:
            await _drain(receive)  # so the browser reads the reason, not a reset connection
            return await _refuse(scope, receive, send, *why, close=False)
        mine = self.pending[session_id]
        mine[0] += 1
        mine[1] += size
        self.pending_bytes += size
        try:
            await self.app(scope, receive, send)
        finally:
            mine[0] -= 1
            mine[1] -= size
            self.pending_bytes -= size
            if mine == [0, 0]:
                self.pending.pop(session_id, None)

    def refusal(self, session_id: str, file_id: str, size: int,
                client: str | None = None) -> tuple[int, str] | None:
        """(status, reason) when an upload of `size` bytes to `session_id` as `file_id` (from
        `client`, whose sessions are counted together when given) would go over a bound, else
        None."""
        manager = self.manager()
        files, nbytes, total = held(manager, session_id, except_file=file_id)
        pending = self.pending.get(session_id, (0, 0))
        if client is not None:
            why = self._client_refusal(manager, client, session_id, file_id, size)
            if why:
                return why
        if files + pending[0] + 1 > SESSION_FILES:
            return 429, (f"this page holds {SESSION_FILES} uploaded files already; remove one "
                         "(its x) or reload the page")
        if nbytes + pending[1] + size > SESSION_BYTES:
            return 429, (f"this page's uploads would pass {SESSION_BYTES / 2**20:g} MB; remove one "
                         "(its x) or reload the page")
        if total + self.pending_bytes + size > total_bytes():
            return 507, "the server's space for uploads is full for now; try again in a few minutes"
        return None


    def _client_refusal(self, manager, client: str, session_id: str, file_id: str,
                        size: int) -> tuple[int, str] | None:
        """The address's bound (demo mode): every session it last uploaded to, this one
        included, held and under way; records `session_id` as `client`'s."""
        storage = getattr(manager, "file_storage", None) or {}
        for gone in [s for s in self.client_of if s not in storage and s not in self.pending]:
            del self.client_of[gone]  # sessions that ended hold nothing
        self.client_of[session_id] = client
        files = nbytes = 0
        for session, who in self.client_of.items():
            if who != client:
                continue
            f, b, _ = held(manager, session, except_file=file_id if session == session_id else None)
            pending = self.pending.get(session, (0, 0))
            files, nbytes = files + f + pending[0], nbytes + b + pending[1]
        if files + 1 > per_address(CLIENT_FILES):
            return 429, (f"your pages hold {per_address(CLIENT_FILES)} uploaded files already (this public demo's "
                         "bound per visitor); remove some (their x) or close other tabs of it")
        if nbytes + size > client_bytes():
            return 429, (f"your pages' uploads would pass {client_bytes() / 2**20:g} MB (this public "
                         "demo's bound per visitor); remove some (their x) or close other tabs of it")
        return None


def _streamlit_cap() -> int:
    """`server.maxUploadSize` in bytes: Streamlit refuses a longer stated length before reading."""
    from streamlit import config

    return config.get_option("server.maxUploadSize") * 2**20


async def _drain(receive) -> None:
    """Read a request's body (its stated length, at most `_streamlit_cap()`) and keep none."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _refuse(scope, receive, send, status: int, text: str, close: bool = True) -> None:
    # plain text, as Streamlit's own upload errors; `close`: the body was not read, so it goes
    # with the connection
    response = PlainTextResponse(text, status_code=status, headers={"connection": "close"} if close else None)
    await response(scope, receive, send)
