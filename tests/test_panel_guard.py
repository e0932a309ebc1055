"""The panel's bounds on hand-written requests (ganplay.panel.guard), without a server: the
drawing canvas's layers, image sizes and pieces kept, and the middleware's refusals."""

from __future__ import annotations

import io

import pytest
from fastapi import FastAPI, HTTPException
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
    assert guard.image_size_error(b"not an image") is None  # left to Gradio's own error


def test_the_middleware_refuses_what_no_page_sends(monkeypatch):
    inner = FastAPI()
    for path in ("/gradio_api/upload", "/gradio_api/component_server", "/gradio_api/queue/join"):
        inner.post(path)(lambda: {"ok": True})
    blocks = object.__new__(type("FakeBlocks", (), {}))
    full = {"now": False}
    monkeypatch.setattr(files.CacheBudget, "full", lambda self: full["now"])
    monkeypatch.setattr(files, "budget_for", lambda b: files.CacheBudget.__new__(files.CacheBudget))
    client = TestClient(guard.RequestGuard(inner, blocks))
    assert client.post("/gradio_api/upload", content=b"x" * 100).json() == {"ok": True}
    big = client.post("/gradio_api/component_server", content=b"x" * (guard.MAX_BODY + 1))
    assert big.status_code == 413 and "at most 4 MB" in big.json()["detail"]
    chunked = client.post("/gradio_api/upload", content=iter([b"x" * 100]))  # no Content-Length
    assert chunked.status_code == 411
    full["now"] = True
    refused = client.post("/gradio_api/upload/", content=b"x")
    assert refused.status_code == 507 and "try again in a minute" in refused.json()["detail"]
    assert client.post("/gradio_api/component_server", content=b"x").status_code == 200  # no disk
    assert client.post("/gradio_api/queue/join", content=b"x" * (guard.MAX_BODY + 1)).status_code == 200


def test_the_cache_is_full_only_over_its_budget_after_pruning(tmp_path):
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
