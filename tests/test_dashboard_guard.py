"""The dashboard's upload bounds (`ganplay.dashboard.guard.UploadGuard`) in front of Streamlit's own
upload routes and upload manager, in process: a session's replaced upload is never refused, a
session holds at most SESSION_FILES files and SESSION_BYTES bytes, every session together at most
GANPLAY_UPLOADS_MB, and uploads under way count before they land.

`tests/test_dashboard_guard_browser.py` runs the same against `streamlit run app.py` in Chromium."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.testclient import TestClient
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string
from streamlit.web.server.starlette.starlette_routes import create_upload_routes

from ganplay import server
from ganplay.dashboard import guard
from ganplay.dashboard.guard import SESSION_BYTES, SESSION_FILES, UploadGuard
from servers import ROOT

TOKEN = generate_xsrf_token_string()


class Sessions:
    """The two methods of Streamlit's Runtime that its upload routes call."""

    def is_active_session(self, session_id: str) -> bool:
        return session_id.startswith("live")


@pytest.fixture
def uploads(monkeypatch):
    """A TestClient on Streamlit's upload routes behind the guard, and the manager they fill."""
    monkeypatch.delenv("GANPLAY_UPLOADS_MB", raising=False)
    manager = MemoryUploadedFileManager("/_stcore/upload_file")
    app = Starlette(routes=create_upload_routes(Sessions(), manager, None),
                    middleware=[Middleware(UploadGuard, manager=lambda: manager)])
    with TestClient(app, cookies={"_streamlit_xsrf": TOKEN}) as client:
        yield client, manager


def put(client, session: str, file_id: str | None = None, size: int = 1000):
    return client.put(f"/_stcore/upload_file/{session}/{file_id or uuid.uuid4()}",
                      files={"file": ("points.csv", b"1" * size, "text/csv")},
                      headers={"X-Xsrftoken": TOKEN})


def held(manager, session: str) -> tuple[int, int]:
    files = manager.file_storage.get(session, {})
    return len(files), sum(len(f.data) for f in files.values())


def test_the_app_serves_the_guard_in_every_mode():
    assert [m.cls for m in server.MIDDLEWARE] == [UploadGuard]
    for script in (ROOT / "app.py", server.SCRIPT):  # (test_package keeps their statements equal)
        assert "middleware=server.MIDDLEWARE" in script.read_text(), script


def test_a_replaced_upload_is_never_refused(uploads):
    client, manager = uploads
    for i in range(3 * SESSION_FILES):  # the same uploader's file, again and again
        assert put(client, "live-a", "config", size=900_000 + i).status_code == 204
    assert held(manager, "live-a") == (1, 900_000 + 3 * SESSION_FILES - 1)
    # the browser's way: each new file under a fresh id, the one it replaces deleted
    previous = "config"
    for _ in range(3 * SESSION_FILES):
        new = str(uuid.uuid4())
        assert put(client, "live-a", new, size=900_000).status_code == 204
        headers = {"X-Xsrftoken": TOKEN}
        assert client.delete(f"/_stcore/upload_file/live-a/{previous}", headers=headers).status_code == 204
        previous = new
    assert held(manager, "live-a") == (1, 900_000)


def test_a_session_holds_a_few_files_and_is_told_why_beyond(uploads):
    client, manager = uploads
    for _ in range(SESSION_FILES):
        assert put(client, "live-a").status_code == 204
    refused = put(client, "live-a")
    assert refused.status_code == 429
    assert f"this page holds {SESSION_FILES} uploaded files already" in refused.text
    assert held(manager, "live-a") == (SESSION_FILES, SESSION_FILES * 1000)
    # replacing one of them still works, and so does another visitor's page
    some = next(iter(manager.file_storage["live-a"]))
    assert put(client, "live-a", some, size=10).status_code == 204
    assert put(client, "live-b").status_code == 204
    # deleting one makes room for one
    assert client.delete(f"/_stcore/upload_file/live-a/{some}", headers={"X-Xsrftoken": TOKEN}).status_code == 204
    assert put(client, "live-a").status_code == 204
    assert put(client, "live-a").status_code == 429


def test_a_session_holds_a_few_megabytes(uploads):
    client, manager = uploads
    big = 2 * 2**20 - 1000  # just under server.maxUploadSize, as a hand-written upload can be
    n = SESSION_BYTES // (big + 1000)
    for _ in range(n):
        assert put(client, "live-a", size=big).status_code == 204
    refused = put(client, "live-a", size=big)
    assert refused.status_code == 429 and "would pass 4 MB" in refused.text, refused.text
    assert held(manager, "live-a")[1] <= SESSION_BYTES


def test_all_sessions_together_hold_at_most_the_budget(uploads, monkeypatch):
    client, manager = uploads
    monkeypatch.setenv("GANPLAY_UPLOADS_MB", "5")
    big = 1_500_000
    statuses = [put(client, f"live-{i}", size=big).status_code for i in range(5)]
    assert statuses == [204, 204, 204, 507, 507], statuses
    refused = put(client, "live-9", size=big)
    assert "the server's space for uploads is full for now" in refused.text
    total = sum(held(manager, s)[1] for s in manager.file_storage)
    assert total == 3 * big <= 5 * 2**20
    # a small file still fits, and a freed session makes room again
    assert put(client, "live-9", size=1000).status_code == 204
    manager.remove_session_files("live-0")
    assert put(client, "live-9", size=big).status_code == 204


def test_an_upload_states_its_length(uploads):
    client, manager = uploads

    def chunks():
        yield b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n1,2\r\n--x--\r\n"

    r = client.put(f"/_stcore/upload_file/live-a/{uuid.uuid4()}", content=chunks(),
                   headers={"X-Xsrftoken": TOKEN, "content-type": "multipart/form-data; boundary=x"})
    assert r.status_code == 411 and "Content-Length" in r.text
    assert held(manager, "live-a") == (0, 0)


def test_other_requests_pass_untouched(uploads):
    client, manager = uploads
    for _ in range(SESSION_FILES):
        assert put(client, "live-full").status_code == 204
    # a length Streamlit refuses unread (over server.maxUploadSize) is its to refuse, full or not
    over = put(client, "live-full", size=2 * 2**20 + 1)
    assert over.status_code == 413 and over.text == "File too large"
    # Streamlit answers these itself: a dead session, a missing token, the preflight
    assert put(client, "gone").status_code == 400
    assert client.put(f"/_stcore/upload_file/live-a/{uuid.uuid4()}",
                      files={"file": ("a.csv", b"1", "text/csv")}).status_code == 403
    assert client.options(f"/_stcore/upload_file/live-a/{uuid.uuid4()}").status_code == 204


def test_uploads_under_way_count_before_they_land(monkeypatch):
    """Many uploads sent at once to one session: those beyond its files are refused while the
    first are still being received (the check and the reservation are one step)."""
    monkeypatch.delenv("GANPLAY_UPLOADS_MB", raising=False)
    manager = MemoryUploadedFileManager("/_stcore/upload_file")
    release = asyncio.Event()

    async def slow_upload(scope, receive, send):  # holds the upload until released
        await release.wait()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = UploadGuard(slow_upload, manager=lambda: manager)

    async def main():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            async def one():
                return (await client.put(f"/_stcore/upload_file/live-a/{uuid.uuid4()}",
                                         content=b"x" * 1000)).status_code
            tasks = [asyncio.create_task(one()) for _ in range(SESSION_FILES + 5)]
            for _ in range(500):  # 5 s for the refusals, which need no release
                if sum(1 for t in tasks if t.done()) >= 5:
                    break
                await asyncio.sleep(0.01)
            else:
                release.set()
                raise AssertionError("no upload was refused while the first ones were under way")
            assert app.pending["live-a"] == [SESSION_FILES, SESSION_FILES * 1000]
            release.set()
            return [await t for t in tasks]

    statuses = asyncio.run(main())
    assert sorted(statuses) == [204] * SESSION_FILES + [429] * 5
    assert not app.pending and app.pending_bytes == 0  # every reservation released


def test_the_total_budget_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("GANPLAY_UPLOADS_MB", "3")
    assert guard.total_bytes() == 3 * 2**20
    for bad in ("", "lots", "-1", "0"):
        monkeypatch.setenv("GANPLAY_UPLOADS_MB", bad)
        assert guard.total_bytes() == guard.DEFAULT_TOTAL_MB * 2**20


@pytest.fixture
def demo_uploads(monkeypatch):
    """As `uploads`, with the guard in demo mode and one trusted proxy (X-Forwarded-For names the
    client)."""
    monkeypatch.delenv("GANPLAY_UPLOADS_MB", raising=False)
    monkeypatch.setenv("GANPLAY_PROXY_HOPS", "1")
    manager = MemoryUploadedFileManager("/_stcore/upload_file")
    app = Starlette(routes=create_upload_routes(Sessions(), manager, None),
                    middleware=[Middleware(UploadGuard, manager=lambda: manager, demo=True)])
    with TestClient(app, cookies={"_streamlit_xsrf": TOKEN}) as client:
        yield client, manager


def put_from(client, address: str, session: str, size: int = 1000):
    return client.put(f"/_stcore/upload_file/{session}/{uuid.uuid4()}",
                      files={"file": ("points.csv", b"1" * size, "text/csv")},
                      headers={"X-Xsrftoken": TOKEN, "X-Forwarded-For": f"10.9.9.9, {address}"})


def test_demo_mode_bounds_a_client_over_all_its_sessions(demo_uploads):
    """A visitor opens sessions at will (each page load is one): new sessions do not reset their
    bound, while another address and the same address's replaced files are unaffected."""
    client, manager = demo_uploads
    for n in range(guard.CLIENT_FILES):  # SESSION_FILES per session, over several sessions
        assert put_from(client, "203.0.113.5", f"live-a{n // SESSION_FILES}").status_code == 204, n
    fresh = put_from(client, "203.0.113.5", "live-a-fresh-session")
    assert fresh.status_code == 429 and "per visitor" in fresh.text
    assert put_from(client, "198.51.100.1", "live-b").status_code == 204  # someone else
    # bytes: a quarter of the total per address
    big = 2**20  # (Streamlit takes at most 2 MB, multipart framing included)
    sent = 0
    for n in range(64):
        answer = put_from(client, "192.0.2.7", f"live-c{n}", size=big)
        if answer.status_code != 204:
            assert answer.status_code == 429 and "MB (this public demo's bound per visitor)" in answer.text
            break
        sent += big
    assert sent <= guard.client_bytes() < sent + 2 * big  # (a stated length has multipart framing too)
    manager.remove_session_files("live-a0")  # a session that ended frees its share
    assert put_from(client, "203.0.113.5", "live-a-fresh-session").status_code == 204


def test_outside_demo_mode_sessions_are_bounded_one_by_one(uploads):
    client, _ = uploads
    for n in range(guard.CLIENT_FILES + SESSION_FILES):
        assert put(client, f"live-{n // SESSION_FILES}").status_code == 204
