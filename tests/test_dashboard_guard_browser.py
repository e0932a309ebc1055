"""The dashboard's bounds on a real server (`streamlit run app.py`): a learner who loads CSV after
CSV in Chromium is never refused, while uploads written by hand under fresh file ids for the same
session are refused past the session's files (`ganplay.dashboard.guard`); a websocket frame over
`server.maxMessageSize` is refused; and in demo mode a page's exception reaches the visitor
without its details (`server.DEMO_OPTIONS`).

`tests/test_dashboard_guard.py` holds the guard's every bound in process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid

import pytest

from ganplay import server
from ganplay.dashboard.guard import SESSION_FILES
from servers import CHROMIUM, ROOT, chromium, free_port, server_process, streamlit_server, wait_until

pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium)"),
    pytest.mark.slow,
]

CANVAS = "canvas[data-testid=points-canvas]"


def csv(n: int) -> bytes:
    return b"x,y\n" + b"\n".join(f"{i % 7},{i % 5}".encode() for i in range(n))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with streamlit_server(tmp_path_factory.mktemp("log"), GANPLAY_RUNS=str(tmp_path_factory.mktemp("runs"))) as url:
        yield url


def test_a_learner_replacing_uploads_is_never_refused_and_a_flood_is(served):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        puts = []
        page.on("response", lambda r: puts.append((r.url, r.status))
                if r.request.method == "PUT" and "/_stcore/upload_file/" in r.url else None)
        page.goto(f"{served}/playground")
        page.get_by_role("radio", name="Draw your data").click()
        page.locator(CANVAS).wait_for(timeout=60_000)
        replacements = SESSION_FILES + 4  # more than a session may hold at once
        for i in range(replacements):
            n = 20 + i
            page.locator("input[type=file]").set_input_files(
                files=[{"name": f"set{i}.csv", "mimeType": "text/csv", "buffer": csv(n)}])
            wait_until(lambda: page.locator(CANVAS).get_attribute("data-count") == str(n), 30,
                       f"upload {i + 1}: the canvas shows its {n} points")
        wait_until(lambda: len(puts) == replacements, 10, "every upload answered")
        assert [status for _, status in puts] == [204] * replacements, puts

        # the same session, written by hand: fresh file ids until the session is full
        session = puts[-1][0].split("/_stcore/upload_file/")[1].split("/")[0]
        token = next(c["value"] for c in page.context.cookies() if c["name"] == "_streamlit_xsrf")

        def put(size: int = 1000):
            return page.request.put(f"{served}/_stcore/upload_file/{session}/{uuid.uuid4()}",
                                    multipart={"file": {"name": "x.csv", "mimeType": "text/csv",
                                                        "buffer": b"1" * size}},
                                    headers={"X-Xsrftoken": token})

        # the browser deleted each replaced file: the session holds one, the last CSV
        statuses = [put().status for _ in range(SESSION_FILES)]
        assert statuses == [204] * (SESSION_FILES - 1) + [429], statuses
        # a refused body is read and dropped, so a client that sends it whole reads the reason
        # (not a connection reset in the middle of its 2 MB)
        refused = put(2 * 2**20 - 1024)
        assert refused.status == 429 and "uploaded files already" in refused.text()
        # a token from elsewhere is still Streamlit's refusal, before anything is read
        assert page.request.put(f"{served}/_stcore/upload_file/{session}/{uuid.uuid4()}",
                                multipart={"file": {"name": "x.csv", "mimeType": "text/csv", "buffer": b"1"}},
                                headers={"X-Xsrftoken": "2|00|00|0"}).status in (403, 429)


def test_a_websocket_frame_over_the_message_size_is_refused(served):
    websockets = pytest.importorskip("websockets")
    limit = server.OPTIONS["server.maxMessageSize"] * 10**6

    async def send(size: int):
        uri = served.replace("http://", "ws://") + "/_stcore/stream"
        async with websockets.connect(uri, subprotocols=["streamlit"], max_size=None,
                                      origin=served) as ws:
            with contextlib.suppress(websockets.ConnectionClosed):
                await ws.send(b"\0" * size)
                await asyncio.wait_for(ws.recv(), 10)
            await asyncio.wait_for(ws.wait_closed(), 10)
            return ws.close_code

    assert asyncio.run(send(limit + 1)) == 1009  # "message too big", said by the server


PAGE = 'raise RuntimeError("secret detail /srv/ganplay-hidden")\n'
APP = ('import streamlit as st\n\nfrom ganplay import server\n\n'
       'app = st.App("page.py", routes=[], middleware=server.MIDDLEWARE)\n')


@contextlib.contextmanager
def raising_app(tmp_path, **env_vars):
    """`streamlit run` on an App that imports ganplay.server as app.py does and serves a page that
    raises; yields its URL and its log's path."""
    (tmp_path / "page.py").write_text(PAGE)
    (tmp_path / "app.py").write_text(APP)
    env = {k: v for k, v in os.environ.items() if k not in ("GANPLAY_DEMO", "SPACE_ID")}
    env.update(OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]), **env_vars)
    port = free_port()
    argv = [sys.executable, "-m", "streamlit", "run", str(tmp_path / "app.py"), "--server.port", str(port),
            "--server.address", "127.0.0.1", "--server.headless", "true"]
    with server_process(argv, port, tmp_path, cwd=tmp_path, env=env) as url:
        yield url, tmp_path / "streamlit.log"


def shown_error(url: str) -> str:
    with chromium() as browser:
        page = browser.new_page()
        page.goto(url)
        error = page.locator("[data-testid=stException]")
        error.wait_for(timeout=60_000)
        return error.inner_text()


@pytest.mark.parametrize("demo", [False, True], ids=["local", "demo"])
def test_a_demo_page_shows_no_error_details(tmp_path, demo):
    with raising_app(tmp_path, GANPLAY_DEMO="1" if demo else "0") as (url, log):
        text = shown_error(url)
        if demo:
            assert "secret detail" not in text and "RuntimeError" not in text and "page.py" not in text, text
            wait_until(lambda: "secret detail" in log.read_text(errors="replace"), 10,
                       "the exception's text in the server's log")
        else:  # a learner's own server shows everything: the test sees what demo mode hides
            assert "secret detail" in text and "RuntimeError" in text, text
