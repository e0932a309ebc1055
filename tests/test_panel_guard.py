"""The panel's bounds on hand-written requests (ganplay.panel.guard), without a server: the
drawing canvas's layers, image sizes and pieces kept, and the middleware's refusals."""

from __future__ import annotations

import io
import json

import pytest
from fastapi import FastAPI, HTTPException, Request
from gradio.components.image_editor import AcceptBlobs, EditorData
from gradio.data_classes import FileData
from PIL import Image
from starlette.testclient import TestClient

from ganplay.panel import files, guard


def png(side: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (side, side)).save(buf, "PNG")
    return buf.getvalue()


def piece(kind: str, data: bytes, index=None, ident="d1") -> AcceptBlobs:
    return AcceptBlobs(data={"type": kind, "index": index, "id": ident, "file": b""}, files=[("blob", data)])


@pytest.fixture
def pad():
    return guard.Sketchpad(canvas_size=(280, 280), layers=False, type="numpy")


def test_the_canvas_keeps_pieces_of_drawings_within_bounds(pad):
    pad.accept_blobs(piece("composite", png(280)))
    assert pad.blob_storage["d1"].composite is not None
    for bad, message in [(piece("layer", png(8), "50000000"), "at most 2 layers"),
                         (piece("layer", png(8), "-1"), "at most 2 layers"),
                         (piece("composite", png(4000)), "at most 1024 x 1024 px; got 4000 x 4000"),
                         (piece("script", png(8)), "one background, layer or composite")]:
        with pytest.raises(HTTPException, match=message):
            pad.accept_blobs(bad)
    with pytest.raises(HTTPException, match="is a PNG, WEBP, JPEG image"):  # 1 MB of anything else
        pad.accept_blobs(piece("background", b"x" * 2**20))
    for i in range(3 * guard.MAX_PENDING):  # drawings sent in pieces that no event ever uses
        pad.accept_blobs(piece("composite", png(8), ident=f"x{i}"))
    assert len(pad.blob_storage) == guard.MAX_PENDING and f"x{3 * guard.MAX_PENDING - 1}" in pad.blob_storage
    assert pad.get_block_name() == "imageeditor"  # the browser draws it with Gradio's own editor


def test_the_canvas_reads_sizes_from_headers_before_gradio_decodes(pad, tmp_path):
    small, big = tmp_path / "small.png", tmp_path / "big.png"
    small.write_bytes(png(280))
    big.write_bytes(png(12000))  # 140 kB on disk, 144 million pixels decoded

    def drawing(composite, layers=()):
        return EditorData(background=None, layers=[FileData(path=str(p)) for p in layers],
                          composite=FileData(path=str(composite)), id=None)

    assert pad.preprocess(drawing(small, [small]))["composite"].shape[:2] == (280, 280)
    with pytest.raises(Exception, match="at most 1024 x 1024 px; got 12000 x 12000"):
        pad.preprocess(drawing(big))
    with pytest.raises(Exception, match="at most 2 layers; got 5"):
        pad.preprocess(drawing(small, [small] * 5))
    assert "PNG, WEBP, JPEG" in guard.image_size_error(b"not an image")
    ico = io.BytesIO()  # an ICO's opening decodes its whole picture: not opened at all
    Image.new("L", (64, 64)).save(ico, "ICO", sizes=[(64, 64)])
    assert "PNG, WEBP, JPEG" in guard.image_size_error(ico.getvalue())


def test_the_middleware_refuses_what_no_page_sends(monkeypatch):
    inner = FastAPI()

    async def echo(request: Request):  # what reaches Gradio's route: the body as it was sent
        return {"ok": True, "bytes": len(await request.body())}

    for path in ("/gradio_api/upload", "/gradio_api/component_server", "/gradio_api/queue/join"):
        inner.post(path)(echo)
    blocks = object.__new__(type("FakeBlocks", (), {}))
    full = {"now": False}
    monkeypatch.setattr(files.CacheBudget, "full", lambda self: full["now"])
    monkeypatch.setattr(files, "budget_for", lambda b: files.CacheBudget.__new__(files.CacheBudget))
    client = TestClient(guard.RequestGuard(inner, blocks))
    form = {"content-type": "multipart/form-data; boundary=b"}
    assert client.post("/gradio_api/upload", content=b"x" * 100, headers=form).json() == {"ok": True, "bytes": 100}
    big = client.post("/gradio_api/component_server", content=b"x" * (guard.MAX_BODY + 1), headers=form)
    assert big.status_code == 413 and "at most 4 MB" in big.json()["detail"]
    assert client.post("/gradio_api/component_server", content=b"x" * guard.MAX_BODY, headers=form).status_code == 200
    # anything not multipart (an event's JSON) is at most 1 MB, and reaches the route whole
    event = json.dumps({"data": [1, "x" * 1000], "fn_index": 0}).encode()
    assert client.post("/gradio_api/queue/join", content=event).json() == {"ok": True, "bytes": len(event)}
    assert client.post("/gradio_api/queue/join", content=b"x" * (guard.MAX_JSON + 1)).status_code == 413
    chunked = client.post("/gradio_api/upload", content=iter([b"x" * 100]), headers=form)  # no length
    assert chunked.status_code == 411
    assert _status(guard.RequestGuard(inner, blocks), [(b"content-length", b"100"),  # chunked, and a
                                                        (b"transfer-encoding", b"chunked")]) == 411  # length besides
    # an address as a file's path: Gradio would fetch it, whole, into memory and its cache
    for path in ("http://example.com/4gb.bin", " HTTPS://huggingface.co/x.png"):
        fetch = {"data": ["lowres", {"composite": {"path": path, "meta": {"_type": "gradio.FileData"}}}]}
        answer = client.post("/gradio_api/queue/join", content=json.dumps(fetch).encode())
        assert answer.status_code == 400 and "not addresses" in answer.json()["detail"]
    named = {"data": ["a caption that says http://example.com", {"path": "/tmp/gradio/x.png"}]}
    assert client.post("/gradio_api/queue/join", content=json.dumps(named).encode()).status_code == 200
    full["now"] = True
    refused = client.post("/gradio_api/upload/", content=b"x", headers=form)
    assert refused.status_code == 507 and "try again in a minute" in refused.json()["detail"]
    assert client.post("/gradio_api/component_server", content=b"x", headers=form).status_code == 200  # no disk


def _status(app, headers) -> int:
    """The status `app` answers a POST to the upload route with these headers."""
    import asyncio

    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/gradio_api/upload", "headers": headers}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"]


def test_the_cache_is_full_only_over_its_budget_after_pruning(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))  # (no other server's uploads)
    class Blocks:
        blocks: dict = {}
        temp_file_sets: list = [set()]

    b = Blocks()
    for i in range(3):
        (tmp_path / f"{i}").write_bytes(b"x" * 1000)
        b.temp_file_sets[0].add(str(tmp_path / f"{i}"))
    young = files.CacheBudget(b, max_bytes=2500, min_age_s=3600)
    assert young.full() and young.held == 3000  # too young to delete: uploads wait
    old = files.CacheBudget(b, max_bytes=2500, min_age_s=0)
    assert not old.full() and old.held == 2000
    many = files.CacheBudget(b, max_bytes=10**9, min_age_s=3600, max_files=1)  # tiny files, many
    assert many.full() and many.count == 2


def test_a_prune_deletes_the_parts_gradio_left_in_the_upload_folder(tmp_path, monkeypatch):
    import os
    import time

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))

    class Blocks:
        blocks: dict = {}
        temp_file_sets: list = [set()]

    stale, fresh, ours = tmp_path / "tmpold123", tmp_path / "tmpnew456", tmp_path / "kept.png"
    for f in (stale, fresh, ours):
        f.write_bytes(b"x" * 1000)
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    monkeypatch.setattr(files, "_orphan_parts", lambda real=files._orphan_parts: [
        (hour_ago if p == str(stale) else t, s, p) for t, s, p in real()])  # (ctime can't be set)
    budget = files.CacheBudget(Blocks(), max_bytes=500, min_age_s=0)
    assert budget.full() and budget.held == 1000  # the young part counts, and waits for its request
    assert not stale.exists() and fresh.exists() and ours.exists()
