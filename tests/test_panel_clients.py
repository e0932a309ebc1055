"""Demo mode's per-client caps on the panel (`ganplay.panel.guard.RequestGuard`), the client
address they count by (`ganplay.clients`), the cap on a multipart body's parts, and the cache's
prune and the GIF folders' sweep (`ganplay.panel.files`).

The queue tests run a real Gradio queue in this process, behind the guard, with handlers that
wait until the test releases them: whatever a client sends is still queued or running when the
next request comes, so every count is exact (no timing). The last test (slow) is the audit's
burst against `python -m ganplay.panel` in demo mode."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import gradio as gr
import httpx
import pytest
from PIL import Image

from ganplay import clients
from ganplay.panel import files, guard
from servers import free_port, panel_server, wait_until

A, B = "203.0.113.7", "198.51.100.9"


# -- the client's address -----------------------------------------------------------------------
def scope(peer="10.0.0.1", xff=()):
    return {"type": "http", "client": (peer, 5555), "headers": [(b"x-forwarded-for", v.encode()) for v in xff]}


def test_the_client_is_the_socket_peer_unless_proxies_are_trusted(monkeypatch):
    monkeypatch.delenv("GANPLAY_PROXY_HOPS", raising=False)
    monkeypatch.delenv("SPACE_ID", raising=False)
    assert clients.proxy_hops() == 0
    assert clients.client_address(scope("10.0.0.1", ["1.2.3.4"])) == "10.0.0.1"  # a header is just words
    monkeypatch.setenv("SPACE_ID", "someone/ganplay")
    assert clients.proxy_hops() == 1
    monkeypatch.setenv("GANPLAY_PROXY_HOPS", "2")
    assert clients.proxy_hops() == 2
    assert clients.client_address({"type": "http", "headers": []}, hops=0) == clients.UNKNOWN


def test_behind_a_proxy_the_client_is_what_the_proxy_saw_not_what_it_says():
    # the proxy appends the address it saw; whatever the client wrote stays at the left
    for spoofed in ([], ["1.1.1.1"], ["9.9.9.9, 8.8.8.8"], ["unknown", "evil"]):
        xff = [", ".join(spoofed + [A])] if spoofed and len(spoofed) == 1 else spoofed + [A]
        assert clients.client_address(scope("10.0.0.1", xff), hops=1) == A, xff
    assert clients.client_address(scope("10.0.0.1", [f"{B}, {A}, 10.0.0.9"]), hops=2) == A
    assert clients.client_address(scope("10.0.0.1", []), hops=1) == "10.0.0.1"  # came round the proxy
    assert clients.client_address(scope("10.0.0.1", ["[2001:DB8::1]:443"]), hops=1) == "2001:db8::1"
    assert clients.client_address(scope("10.0.0.1", ["192.0.2.1:8080"]), hops=1) == "192.0.2.1"
    assert clients.client_address(scope("10.0.0.1", ["2001:db8::2"]), hops=1) == "2001:db8::2"


# -- a real Gradio queue behind the guard ---------------------------------------------------------
@pytest.fixture
def held_panel(monkeypatch, tmp_path):
    """Blocks with a slow serial group (`slow`, one at a time, like the projection) and a cheap
    one (`cheap`), each handler waiting for `release`; served on a free port behind the guard in
    demo mode, one trusted proxy. Yields (url, release)."""
    monkeypatch.setenv("GANPLAY_PROXY_HOPS", "1")
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    release = threading.Event()

    def wait(x):
        release.wait(60)
        return x

    with gr.Blocks(analytics_enabled=False) as demo:
        box = gr.Number()
        gr.Button("slow").click(wait, box, box, api_name="slow", concurrency_id="slow", concurrency_limit=1)
        gr.Button("cheap").click(wait, box, box, api_name="cheap", concurrency_id="cheap", concurrency_limit=16)
        gr.File(label="upload")
    demo.queue(default_concurrency_limit=2, max_size=256)
    from starlette.middleware import Middleware

    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                ssr_mode=False, app_kwargs={"middleware": [Middleware(guard.RequestGuard, blocks=demo, demo=True)]})
    try:
        yield f"http://127.0.0.1:{port}", release
    finally:
        release.set()
        demo.close()


def call(url, api, who, value=1):
    return httpx.post(f"{url}/gradio_api/call/{api}", json={"data": [value]},
                      headers={"X-Forwarded-For": f"6.6.6.{value % 250}, {who}"}, timeout=30)


def burst(url, api, who, n):
    """`n` calls sent at once from `who` (each naming a different spoofed address first)."""
    async def go():
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=n)) as c:
            return await asyncio.gather(*[c.post(f"{url}/gradio_api/call/{api}", json={"data": [i]},
                                                 headers={"X-Forwarded-For": f"6.6.{i}.6, {who}"})
                                          for i in range(n)])
    return asyncio.run(go())


def test_one_client_holds_at_most_a_few_events_and_others_still_get_in(held_panel):
    url, release = held_panel
    answers = burst(url, "slow", A, 40)  # at once: the check and its reservation race nothing
    codes = [r.status_code for r in answers]
    assert codes.count(200) == guard.CLIENT_GROUP_EVENTS and codes.count(429) == 40 - guard.CLIENT_GROUP_EVENTS
    refused = next(r for r in answers if r.status_code == 429)
    assert f"at most {guard.CLIENT_GROUP_EVENTS} at a time from one visitor" in refused.json()["detail"]
    assert refused.headers["retry-after"]
    # the same client's cheap calls have their own allowance, up to the total
    cheap = [call(url, "cheap", A, i).status_code for i in range(guard.CLIENT_EVENTS)]
    assert cheap.count(200) == min(guard.CLIENT_GROUP_EVENTS, guard.CLIENT_EVENTS - guard.CLIENT_GROUP_EVENTS)
    # another visitor is served, in both groups, spoofed headers or not
    assert call(url, "slow", B).status_code == 200 and call(url, "cheap", B).status_code == 200
    # once A's events have run, A gets in again (the guard counts Gradio's queue, not requests)
    release.set()
    wait_until(lambda: call(url, "slow", A).status_code == 200, 60, "A's slot freed after its events ran")


def test_every_group_counts_towards_a_clients_total(held_panel, monkeypatch):
    url, _ = held_panel
    monkeypatch.setattr(guard, "CLIENT_GROUP_EVENTS", 100)
    codes = [call(url, "cheap", A, i).status_code for i in range(guard.CLIENT_EVENTS + 3)]
    assert codes == [200] * guard.CLIENT_EVENTS + [429] * 3
    answer = call(url, "slow", A)
    assert answer.status_code == 429 and f"at most {guard.CLIENT_EVENTS} at a time" in answer.json()["detail"]
    assert call(url, "cheap", B).status_code == 200


def test_a_copy_hosted_for_a_class_lets_one_address_stand_for_many_visitors(held_panel, monkeypatch):
    """A class behind one school address is one address: GANPLAY_VISITORS_PER_ADDRESS multiplies
    every per-address cap (30 students opening the panel at once sent 150 load events)."""
    url, _ = held_panel
    monkeypatch.setenv("GANPLAY_VISITORS_PER_ADDRESS", "3")
    codes = [r.status_code for r in burst(url, "slow", A, 30)]
    assert codes.count(200) == 3 * guard.CLIENT_GROUP_EVENTS and codes.count(429) == 30 - 3 * guard.CLIENT_GROUP_EVENTS
    monkeypatch.setenv("GANPLAY_VISITORS_PER_ADDRESS", "zero")  # not a number: one visitor per address
    from ganplay import clients

    assert clients.visitors_per_address() == 1 and clients.per_address(4) == 4


def test_a_projection_group_holds_fewer_waiting_events_than_a_cheap_one(held_panel, monkeypatch):
    """Large pictures take ~0.1-0.2 s and a page's load sends two; a projection takes ~10 s."""
    url, _ = held_panel
    monkeypatch.setattr(guard, "GROUP_EVENTS", {"slow": 2})
    codes = [call(url, "slow", A, i).status_code for i in range(4)]
    assert codes == [200, 200, 429, 429]
    assert [call(url, "cheap", A, i).status_code for i in range(3)] == [200] * 3


def test_the_browsers_own_join_route_is_counted_too(held_panel):
    url, _ = held_panel
    info = httpx.get(f"{url}/config").json()
    index = next(d["id"] for d in info["dependencies"] if d.get("api_name") == "slow")
    codes = []
    for i in range(guard.CLIENT_GROUP_EVENTS + 2):
        r = httpx.post(f"{url}/gradio_api/queue/join", headers={"X-Forwarded-For": A},
                       json={"data": [i], "fn_index": index, "session_hash": f"s{i}", "event_data": None,
                             "trigger_id": None})
        codes.append(r.status_code)
    assert codes == [200] * guard.CLIENT_GROUP_EVENTS + [429] * 2


def multipart(n_parts: int, size: int = 10) -> tuple[bytes, dict]:
    boundary = "gpboundary"
    body = b"".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"f{i}.png\"\r\n"
                    f"Content-Type: image/png\r\n\r\n".encode() + b"x" * size + b"\r\n" for i in range(n_parts))
    body += f"--{boundary}--\r\n".encode()
    return body, {"content-type": f"multipart/form-data; boundary={boundary}"}


def test_an_upload_carries_a_few_files_and_a_client_a_few_megabytes(held_panel, monkeypatch):
    url, _ = held_panel
    body, headers = multipart(guard.UPLOAD_PARTS)
    ok = httpx.post(f"{url}/gradio_api/upload", content=body, headers={**headers, "X-Forwarded-For": A})
    assert ok.status_code == 200 and len(ok.json()) == guard.UPLOAD_PARTS
    for n in (guard.UPLOAD_PARTS + 1, 1000):  # the audit's flood: 1,000 parts of a few bytes
        body, headers = multipart(n)
        refused = httpx.post(f"{url}/gradio_api/upload", content=body, headers={**headers, "X-Forwarded-For": B})
        assert refused.status_code == 413 and "at most 4 files" in refused.json()["detail"], refused.text
    # a client's uploads per window: files, then bytes
    monkeypatch.setattr(guard, "CLIENT_UPLOAD_FILES", 24)  # (the real cap is 1,000: the canvas's pieces)
    sent = guard.UPLOAD_PARTS
    body, headers = multipart(1)
    while sent < guard.CLIENT_UPLOAD_FILES:
        assert httpx.post(f"{url}/gradio_api/upload", content=body,
                          headers={**headers, "X-Forwarded-For": A}).status_code == 200
        sent += 1
    refused = httpx.post(f"{url}/gradio_api/upload", content=body, headers={**headers, "X-Forwarded-For": A})
    assert refused.status_code == 429 and "uploaded files per 10 minutes" in refused.json()["detail"]
    monkeypatch.setattr(guard, "CLIENT_UPLOAD_BYTES", 3 * 2**20)
    big, headers = multipart(1, size=2**20)
    who = "192.0.2.44"
    assert [httpx.post(f"{url}/gradio_api/upload", content=big, headers={**headers, "X-Forwarded-For": who})
            .status_code for _ in range(3)] == [200, 200, 429]
    assert httpx.post(f"{url}/gradio_api/upload", content=body,
                      headers={**headers, "X-Forwarded-For": "192.0.2.45"}).status_code == 200


def test_parts_are_counted_across_the_pieces_a_body_arrives_in():
    counter = guard._Delimiters(b"abcdef")
    body = b"--abcdef\r\nx\r\n--abcdef\r\ny\r\n--abcdef--\r\n"
    for cut in range(len(body)):
        c = guard._Delimiters(b"abcdef")
        c.feed(body[:cut])
        assert c.feed(body[cut:]) == 3, cut
    assert sum(counter.feed(bytes([b])) for b in body) >= 3 and counter.seen == 3
    assert guard._boundary(b'multipart/form-data; boundary="q-1"; charset=x') == b"q-1"


def test_outside_demo_mode_the_queue_is_shared_as_before():
    assert guard.RequestGuard(None, None, demo=False).demo is False


# -- the cache and the GIF folders --------------------------------------------------------------
class FakeBlocks:
    def __init__(self):
        self.blocks = {}
        self.upload_file_set = set()
        self.outputs = set()
        self.temp_file_sets = [self.upload_file_set, self.outputs]


def test_a_prune_leaves_the_cache_within_what_full_counts(tmp_path, monkeypatch):
    """After a flood of tiny uploads the prune stopped at MAX_FILES cached files while `full()`
    also counted the young parts in the upload folder: 4,097 files, uploads refused for a minute."""
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "upload"))
    (tmp_path / "upload").mkdir()
    for i in range(3):  # parts of requests still under way: young, not deletable
        (tmp_path / "upload" / f"tmppart{i}").write_bytes(b"x")
    blocks = FakeBlocks()
    for i in range(20):
        f = tmp_path / f"up{i}"
        f.write_bytes(b"x" * 10)
        blocks.upload_file_set.add(str(f))
    budget = files.CacheBudget(blocks, max_bytes=10**9, min_age_s=0, max_files=10)
    assert not budget.full()
    assert budget.count <= budget.max_files and budget.count == 10  # 7 uploads + the 3 young parts
    assert len(blocks.upload_file_set) == 7


def test_old_uploads_go_before_the_pictures_events_made(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "upload"))
    blocks = FakeBlocks()
    for i in range(4):
        out = tmp_path / f"out{i}"
        out.write_bytes(b"o" * 100)
        blocks.outputs.add(str(out))
    time.sleep(0.01)
    for i in range(4):  # newer than every output, still deleted first
        up = tmp_path / f"up{i}"
        up.write_bytes(b"u" * 100)
        blocks.upload_file_set.add(str(up))
    budget = files.CacheBudget(blocks, max_bytes=500, min_age_s=0)
    assert budget.prune() == 300
    assert len(blocks.outputs) == 4 and len(blocks.upload_file_set) == 1
    young = files.CacheBudget(blocks, max_bytes=250, min_age_s=3600)  # nothing old enough: kept
    assert young.prune() == 0 and young.full()


def test_gif_folders_of_dead_panels_are_swept_and_only_those(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    made = {}
    for name, content in [(f"ganplay-panel-{dead}-abcd1234", "interp-x.gif"),   # a dead panel's
                          (f"ganplay-panel-{os.getpid()}-abcd1234", "interp-y.gif"),  # alive
                          (f"ganplay-panel-{dead}-zzzz9999", "notes.txt"),       # not only GIFs
                          ("ganplay-panel-oldoldol", "interp-z.gif"),             # no pid, a day old
                          ("ganplay-panel-newnewne", "interp-w.gif"),             # no pid, recent
                          ("ganplay-other", "interp-v.gif")]:
        folder = tmp_path / name
        folder.mkdir()
        (folder / content).write_bytes(b"GIF89a")
        made[name] = folder
    day_ago = time.time() - 2 * files.OLD_FOLDER_AGE_S
    os.utime(made["ganplay-panel-oldoldol"], (day_ago, day_ago))
    gone = {Path(p).name for p in files.sweep_gif_folders(tmp_path)}
    assert gone == {f"ganplay-panel-{dead}-abcd1234", "ganplay-panel-oldoldol"}
    assert all(f.exists() for n, f in made.items() if n not in gone)


def test_a_panels_gif_folder_is_named_after_its_process():
    assert files.gif_folder().name.startswith(f"{files.GIF_FOLDER_PREFIX}{os.getpid()}-")


# -- the audit's burst, against the real panel --------------------------------------------------
@pytest.mark.slow
def test_a_burst_from_one_address_leaves_the_panel_to_everyone_else(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    with panel_server(tmp_path, runs, GANPLAY_DEMO="1", GANPLAY_PROXY_HOPS="1") as url:
        url = url.rstrip("/")
        buf = io.BytesIO()
        Image.new("L", (28, 28), 255).save(buf, "PNG")
        up = httpx.post(f"{url}/gradio_api/upload", files={"files": ("d.png", buf.getvalue(), "image/png")},
                        headers={"X-Forwarded-For": A})
        picture = {"path": up.json()[0], "meta": {"_type": "gradio.FileData"}}
        data = ["mnist-cstylegan-lite", picture, "z", 300, "auto"]

        async def go():
            async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=300)) as c:
                return await asyncio.gather(*[c.post(f"{url}/gradio_api/call/project_upload", json={"data": data},
                                                     headers={"X-Forwarded-For": f"10.{i // 250}.{i % 250}.1, {A}"})
                                              for i in range(270)])
        codes = [r.status_code for r in asyncio.run(go())]
        assert set(codes) == {200, 429} and codes.count(200) < 20, codes  # (a few may finish meanwhile)
        walk = ["mnist-cstylegan-lite", 0, 0, 1.0] + [0] * 6
        other = httpx.post(f"{url}/gradio_api/call/walk", json={"data": walk}, headers={"X-Forwarded-For": B})
        assert other.status_code == 200
        answer = httpx.get(f"{url}/gradio_api/call/walk/{other.json()['event_id']}", timeout=120).text
        assert "event: complete" in answer
        # no way round the queue: Gradio's direct route is closed off a Space too
        direct = httpx.post(f"{url}/gradio_api/run/walk", json={"data": [None] + walk}, headers={"X-Forwarded-For": B})
        assert direct.status_code == 404
        # the audit's file-count flood: refused, and a visitor's picture still goes in
        body, headers = multipart(1000)
        for _ in range(5):
            flood = httpx.post(f"{url}/gradio_api/upload", content=body, headers={**headers, "X-Forwarded-For": A})
            assert flood.status_code == 413
        assert httpx.post(f"{url}/gradio_api/upload", files={"files": ("d.png", buf.getvalue(), "image/png")},
                          headers={"X-Forwarded-For": B}).status_code == 200
