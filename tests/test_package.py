"""The package ships its zoo: one resolver finds `pretrained/` in a checkout and in an installed
wheel, the wheel carries every shipped file, and a wheel installed into a fresh venv samples, lists
the zoo, plays a lab replay, loads the classifier and serves the app from another directory."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from streamlit.web.server.app_discovery import discover_asgi_app

from ganplay import assets, server, space
from ganplay.zoo import ZOO
from servers import ROOT, free_port, server_process

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PNG = b"\x89PNG\r\n\x1a\n"


# -- the resolver ----------------------------------------------------------------------------------
def test_pretrained_dir_is_the_checkouts_folder_here_and_everyone_uses_it():
    from ganplay import zoo
    from ganplay.dashboard import gallery
    from ganplay.lab import replay
    from ganplay.metrics import classifier

    assert assets.pretrained_dir() == ROOT / "pretrained"
    assert zoo.PRETRAINED == gallery.PRETRAINED == classifier.PRETRAINED == assets.pretrained_dir()
    assert replay.REPLAY_DIR == assets.pretrained("lab")
    assert classifier.DEFAULT_PATH == assets.pretrained("classifier.safetensors")


def test_an_installed_copy_inside_the_package_wins(tmp_path, monkeypatch):
    packaged = tmp_path / "ganplay" / "pretrained"
    monkeypatch.setattr(assets, "PACKAGED", packaged)
    assert assets.pretrained_dir() == assets.CHECKOUT  # none yet
    packaged.mkdir(parents=True)
    assert assets.pretrained_dir() == packaged


def test_lab_replays_override_still_works(tmp_path, monkeypatch):
    from ganplay.lab.replay import replay_path, replay_root

    monkeypatch.setenv("GANPLAY_LAB_REPLAYS", str(tmp_path))
    assert replay_root() == tmp_path
    assert replay_path("ring8", "collapse") == tmp_path / "ring8" / "collapse.npz"


def test_no_module_looks_for_pretrained_by_itself():
    # the one resolver is ganplay/assets.py; a path built from __file__ elsewhere breaks in a wheel
    offenders = []
    for path in (ROOT / "ganplay").rglob("*.py"):
        if path.name == "assets.py":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#")[0]
            if re.search(r"""["']pretrained["']""", code) and ("__file__" in code or "parents[" in code
                                                              or "/ \"pretrained\"" in code):
                offenders.append(f"{path.relative_to(ROOT)}:{n}")
    assert offenders == []


def test_dashboard_and_server_modules_import_without_torch():
    code = ("import sys, ganplay.assets, ganplay.server, ganplay.space, ganplay.dashboard.gallery, "
            "ganplay.lab.replay, ganplay.protocol; bad = [m for m in ('torch', 'gradio') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


# -- `ganplay app` serves what app.py serves -------------------------------------------------------
def app_statement(path: Path) -> str:
    tree = ast.parse(path.read_text())
    (node,) = [n for n in tree.body if isinstance(n, ast.Assign) and [t.id for t in n.targets] == ["app"]]
    return ast.dump(node)


def test_app_py_and_its_installed_twin_make_the_same_app():
    assert app_statement(ROOT / "app.py") == app_statement(server.SCRIPT)
    for script in (ROOT / "app.py", server.SCRIPT):
        found = discover_asgi_app(script)  # how `streamlit run` decides to serve an st.App
        assert found.is_asgi_app and found.import_string == "app:app", script
    # the twin's folder holds nothing else: streamlit puts it first on sys.path
    assert sorted(p.name for p in server.SCRIPT.parent.glob("*.py")) == ["__init__.py", "app.py"]


def test_ganplay_app_runs_streamlit_on_the_twin():
    argv = server.streamlit_argv(8502, "127.0.0.1")
    assert argv[:5] == [sys.executable, "-m", "streamlit", "run", str(server.SCRIPT)]
    assert argv[argv.index("--server.port") + 1] == "8502"
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1"
    bare = server.streamlit_argv()
    assert "--server.port" not in bare and "--server.address" not in bare  # Streamlit's defaults


# -- the wheel -------------------------------------------------------------------------------------
def build_wheel(tmp_path: Path) -> Path:
    """The wheel, built from a copy of the sources (the Space's file set: exactly the package's
    inputs), so no build/ folder appears in the checkout."""
    src = tmp_path / "src"
    space.build(src)
    out = tmp_path / "dist"
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                          "--quiet", str(src), "-w", str(out)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    (wheel,) = out.glob("ganplay-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


def test_the_wheel_carries_every_shipped_file_and_module(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = [p.relative_to(ROOT).as_posix() for p in (ROOT / "pretrained").rglob("*") if p.is_file()]
    assert any(p.endswith(".safetensors") for p in shipped) and any(p.endswith(".npz") for p in shipped)
    missing = [p for p in shipped if f"ganplay/{p}" not in names]
    assert missing == []
    modules = [p.relative_to(ROOT).as_posix() for p in (ROOT / "ganplay").rglob("*.py")
               if "__pycache__" not in p.parts]
    assert [m for m in modules if m not in names] == []  # views/ (no __init__.py) included
    lessons = [p.relative_to(ROOT).as_posix() for p in (ROOT / "ganplay" / "lessons").iterdir()
               if p.suffix in (".toml", ".csv")]
    assert len(lessons) >= 4 and [p for p in lessons if p not in names] == []  # package data
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "app.py" not in names


def clean_env() -> dict:
    """This environment without the overrides that would point the installed package elsewhere."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("GANPLAY_LAB_REPLAYS", "GANPLAY_RUNS", "PYTHONPATH", "GANPLAY_DEMO", "SPACE_ID")}
    env.update(OMP_NUM_THREADS="1", STREAMLIT_SERVER_HEADLESS="true")
    return env


def sh(argv: list, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    res = subprocess.run([str(a) for a in argv], cwd=cwd, env=clean_env(), capture_output=True, text=True,
                         timeout=timeout)
    assert res.returncode == 0, f"{argv}:\n{res.stdout}\n{res.stderr}"
    return res


INSTALLED_CHECKS = """
import json, sys
from pathlib import Path
import ganplay
from ganplay import assets
from ganplay.dashboard import gallery
from ganplay.lab.replay import load_replay, replay_path
from ganplay.metrics.classifier import DEFAULT_PATH, load_classifier

replay = load_replay(replay_path("ring8", "collapse"))
load_classifier()
print(json.dumps({
    "package": ganplay.__file__,
    "pretrained": str(assets.pretrained_dir()),
    "replay_frames": len(replay.steps),
    "replay_file": str(replay_path("ring8", "collapse")),
    "classifier": str(DEFAULT_PATH),
    "gallery": {m.name: [str(m.weights), str(m.preview) if m.preview else None] for m in gallery.zoo_models()},
}))
"""


@pytest.mark.slow
def test_the_wheel_installed_in_a_fresh_venv_works_from_another_directory(wheel, tmp_path):
    venv = tmp_path / "venv"
    # sees this interpreter's packages (torch, ...), so nothing downloads; no pip of its own, whose
    # bundled setuptools would shadow the system's
    sh([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv], tmp_path)
    python, bindir = venv / "bin" / "python", venv / "bin"
    sh([python, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", wheel], tmp_path)
    elsewhere = tmp_path / "elsewhere"  # not the checkout: nothing there to find by accident
    elsewhere.mkdir()

    facts = json.loads(sh([python, "-c", INSTALLED_CHECKS], elsewhere).stdout.strip().splitlines()[-1])
    site = venv / "lib"
    assert Path(facts["package"]).is_relative_to(site)
    assert Path(facts["pretrained"]) == Path(facts["package"]).parent / "pretrained"
    assert facts["replay_frames"] > 1 and Path(facts["replay_file"]).is_relative_to(site)
    assert Path(facts["classifier"]).is_relative_to(site)
    assert sorted(facts["gallery"]) == sorted(ZOO)  # every zoo model found from the installed copy
    for name, (weights, preview) in facts["gallery"].items():
        assert Path(weights).is_relative_to(site), name
        shipped = ROOT / "pretrained" / "previews" / f"{name}.png"
        if shipped.exists():  # the preview the checkout ships is installed too
            assert preview and Path(preview).is_relative_to(site) and Path(preview).read_bytes() == shipped.read_bytes()

    listing = sh([bindir / "ganplay", "zoo", "list"], elsewhere).stdout
    assert all(name in listing for name in ZOO)
    sh([bindir / "ganplay", "sample", "mnist-cdcgan", "--n", "16", "--out", "x.png"], elsewhere)
    assert (elsewhere / "x.png").read_bytes()[:8] == PNG

    port = free_port()
    argv = [str(bindir / "ganplay"), "app", "--port", str(port), "--host", "127.0.0.1"]
    with server_process(argv, port, tmp_path, cwd=elsewhere, env=clean_env()) as url:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as r:
            assert r.read().decode().strip() == "ok"
        if CHROMIUM is None:
            return
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = b.new_page(viewport={"width": 1400, "height": 2000})
            page.goto(f"{url}/")
            page.wait_for_selector("h1", timeout=60_000)
            images = page.locator("[data-testid='stImage'] img")
            n_previews = sum(1 for w, preview in facts["gallery"].values() if preview)
            deadline = time.monotonic() + 60
            while images.count() < n_previews and time.monotonic() < deadline:
                page.wait_for_timeout(200)
            assert images.count() >= n_previews  # Home's grids, from the installed pretrained/
            assert page.locator("[data-testid='stAppDeployButton']").count() == 0
            b.close()
