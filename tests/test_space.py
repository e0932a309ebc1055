"""The Docker Space: its files agree with each other, every binary goes through LFS, and the file set
the Space receives installs and serves the first page when the Dockerfile's steps are replayed in
a temporary venv (Docker can't run here)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest
import yaml

from ganplay import jobs, server, space
from ganplay.train import rundir
from servers import ROOT, free_port, kill_jobs, server_process, streamlit_server

DOCKERFILE = (ROOT / "Dockerfile").read_text()
PORT = 7860
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DEPLOY_BUTTON = "[data-testid='stAppDeployButton']"  # Streamlit 1.67's developer "Deploy" button
VANISH = "vanish when this Space restarts"


def rows(op: str) -> list[str]:
    return [rest for o, rest in space.instructions(DOCKERFILE) if o == op]


def front_matter() -> dict:
    readme = (ROOT / "README.md").read_text()
    assert readme.startswith("---\n"), "README.md must open with the Space's YAML front matter"
    return yaml.safe_load(readme.split("---\n", 2)[1])


def healthcheck_command(port: int) -> str:
    (check,) = rows("HEALTHCHECK")
    command = re.split(r"(?:^|\s)CMD\s", check, maxsplit=1)[1]
    return command.replace(str(PORT), str(port))


# -- the Dockerfile --------------------------------------------------------------------------------
def test_runs_as_uid_1000():
    users = rows("USER")
    assert users, "the Dockerfile must switch away from root (Spaces run as UID 1000)"
    assert users[-1] == "1000" or any("--uid 1000" in r and users[-1] in r for r in rows("RUN"))


def test_entry_point_is_ganplay_app_on_the_port():
    argv = space.arguments(rows("CMD")[-1])
    assert argv[:2] == ["ganplay", "app"]
    assert argv[argv.index("--port") + 1] == str(PORT)
    assert argv[argv.index("--host") + 1] == "0.0.0.0"
    assert rows("EXPOSE") == [str(PORT)]


def test_install_is_not_editable_and_copies_what_it_needs():
    installs = [r for r in rows("RUN") if "pip install" in r]
    assert installs and not any(re.search(r"\s(-e|--editable)\s", r) for r in installs)
    sources = space.copy_sources(DOCKERFILE)
    for needed in ("pyproject.toml", "setup.py", "README.md", "LICENSE", "ganplay", "pretrained", ".streamlit"):
        assert needed in sources, f"the image needs {needed}"
        assert (ROOT / needed).exists(), f"the Dockerfile copies {needed}, which is not in the repository"


def test_healthcheck_asks_streamlits_health_endpoint_with_python():
    command = healthcheck_command(PORT)
    assert "/_stcore/health" in command and f":{PORT}/" in command
    assert "curl" not in command and "wget" not in command  # python:3.11-slim has neither
    assert command.startswith("python ")


def test_healthcheck_fails_when_nothing_answers():
    port = free_port()  # nothing listens there
    res = subprocess.run(["sh", "-c", healthcheck_command(port).replace("python ", f"{sys.executable} ", 1)],
                         capture_output=True, timeout=30)
    assert res.returncode != 0


def test_runs_folder_is_not_hard_wired():
    # a fixed GANPLAY_RUNS would defeat /data (persistent storage) on a Space
    assert "GANPLAY_RUNS" not in " ".join(rows("ENV"))


# -- where runs go ---------------------------------------------------------------------------------
@pytest.fixture
def on_a_space(monkeypatch, tmp_path):
    monkeypatch.setenv("SPACE_ID", "someone/ganplay")
    monkeypatch.delenv("GANPLAY_RUNS", raising=False)
    data = tmp_path / "data"
    monkeypatch.setattr(rundir, "SPACE_DATA", data)
    return data


def test_runs_go_to_data_on_a_space_with_persistent_storage(on_a_space, monkeypatch):
    on_a_space.mkdir()
    root = jobs.runs_root()
    assert root == on_a_space / "ganplay-runs"
    assert not jobs.runs_vanish(root)
    monkeypatch.setenv("GANPLAY_RUNS", "/somewhere/else")  # an explicit choice still wins
    assert jobs.runs_root() == Path("/somewhere/else")
    assert jobs.runs_vanish(jobs.runs_root())


def test_runs_stay_local_and_vanish_without_persistent_storage(on_a_space, monkeypatch):
    assert jobs.runs_root() == Path("runs")  # no /data here
    assert jobs.runs_vanish(jobs.runs_root())
    monkeypatch.delenv("SPACE_ID")
    on_a_space.mkdir()
    assert jobs.runs_root() == Path("runs")  # /data of a machine that is not a Space is not ours
    assert not jobs.runs_vanish(jobs.runs_root())


def runs_page_text(monkeypatch) -> str:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "ganplay" / "dashboard" / "main.py"), default_timeout=60)
    at.run()
    at.switch_page("views/runs.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return " ".join(w.value for w in at.warning)


def test_runs_page_says_when_runs_vanish_on_restart(on_a_space, monkeypatch, tmp_path):
    monkeypatch.setenv("GANPLAY_RUNS", str(tmp_path / "runs"))  # not on /data
    assert VANISH in runs_page_text(monkeypatch)
    monkeypatch.delenv("GANPLAY_RUNS")
    on_a_space.mkdir()  # persistent storage: runs go to /data and stay
    assert VANISH not in runs_page_text(monkeypatch)


# -- the Space's metadata and Streamlit options ----------------------------------------------------
def test_front_matter_is_valid_space_metadata():
    meta = front_matter()
    assert meta["sdk"] == "docker" and meta["app_port"] == PORT
    assert meta["license"] == "mit"  # as pyproject.toml and LICENSE say
    assert "MIT" in (ROOT / "LICENSE").read_text().splitlines()[0]
    tags = meta["tags"]
    assert isinstance(tags, list) and tags and all(isinstance(t, str) and t == t.lower() for t in tags)
    colours = {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}
    assert meta["colorFrom"] in colours and meta["colorTo"] in colours
    assert len(meta["short_description"]) <= 60  # the Hub's limit
    assert meta.get("suggested_hardware", "cpu-basic") in ("cpu-basic", "cpu-upgrade")


def test_streamlit_config_hides_developer_chrome_and_sends_no_statistics_both_ways():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    flat = {f"{section}.{key}": value for section, values in config.items() for key, value in values.items()}
    assert flat == server.OPTIONS  # `streamlit run app.py` reads the file, `ganplay app` passes flags
    assert server.OPTIONS["client.toolbarMode"] in ("viewer", "minimal")
    assert server.OPTIONS["browser.gatherUsageStats"] is False
    argv = server.streamlit_argv(8765, "127.0.0.1")
    assert argv[argv.index("--client.toolbarMode") + 1] == server.OPTIONS["client.toolbarMode"]
    assert argv[argv.index("--browser.gatherUsageStats") + 1] == "false"  # as Streamlit's flag parser reads it
    # what a hand-written upload can make the server hold: the uploaders take 1 MB files
    assert argv[argv.index("--server.maxUploadSize") + 1] == "2"
    # a websocket frame is refused past 16 MB, not buffered up to Streamlit's 200 MB (a page's
    # largest message is about 0.8 MB: the canvas with 20,000 points)
    assert argv[argv.index("--server.maxMessageSize") + 1] == "16"
    # demo mode's options depend on the environment, so neither file nor flags hold them
    assert not set(server.DEMO_OPTIONS) & set(server.OPTIONS)


SHOWN = """
import json, sys
from streamlit import config
from ganplay import server
before = config.get_option("client.showErrorDetails")
config.get_config_options(force_reparse=True)  # what Streamlit does when config.toml changes
print(json.dumps([before, config.get_option("client.showErrorDetails")]))
"""


@pytest.mark.parametrize("env,shown", [({"GANPLAY_DEMO": "1"}, "none"), ({"SPACE_ID": "me/ganplay"}, "none"),
                                       ({}, "full")], ids=["demo", "space", "local"])
def test_demo_mode_shows_visitors_no_error_details(env, shown):
    base = {k: v for k, v in os.environ.items() if k not in ("GANPLAY_DEMO", "SPACE_ID")}
    out = subprocess.run([sys.executable, "-c", SHOWN], cwd=ROOT, env={**base, **env},
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == [shown, shown]


# -- LFS -------------------------------------------------------------------------------------------
def is_binary(path: Path) -> bool:
    data = path.read_bytes()
    if b"\0" in data[:8000]:  # git's own test
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def lfs_filter(paths: list[str]) -> dict[str, str]:
    out = subprocess.run(["git", "check-attr", "filter", "--stdin"], cwd=ROOT, input="\n".join(paths),
                         capture_output=True, text=True, check=True).stdout
    return dict(line.rsplit(": filter: ", 1) for line in out.splitlines())


def git_checkout() -> bool:
    return shutil.which("git") is not None and (ROOT / ".git").exists()


@pytest.mark.skipif(not git_checkout(), reason="not a git checkout")
def test_lfs_rules_tell_binaries_from_text():
    verdict = lfs_filter(["pretrained/x.safetensors", "a/b.png", "pretrained/lab/r/s.npz", "x.onnx",
                          "ganplay/cli.py", "README.md"])
    assert [verdict[p] for p in ("pretrained/x.safetensors", "a/b.png", "pretrained/lab/r/s.npz", "x.onnx")] == ["lfs"] * 4
    assert verdict["ganplay/cli.py"] != "lfs" and verdict["README.md"] != "lfs"


@pytest.mark.skipif(not git_checkout(), reason="not a git checkout")
def test_every_tracked_binary_is_lfs_matched():
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    binaries = [p for p in tracked.decode().split("\0") if p and (ROOT / p).is_file() and is_binary(ROOT / p)]
    assert binaries, "no binaries found: the detection is broken (pretrained/ ships weights)"
    verdict = lfs_filter(binaries)
    assert [p for p in binaries if verdict[p] != "lfs"] == []


@pytest.mark.skipif(not git_checkout(), reason="not a git checkout")
def test_every_binary_in_the_space_is_lfs_matched():
    files = space.file_set()
    binaries = [p for p in files if is_binary(ROOT / p)]
    assert any(p.endswith(".safetensors") for p in binaries)
    verdict = lfs_filter(binaries)
    assert [p for p in binaries if verdict[p] != "lfs"] == []


# -- the file set ----------------------------------------------------------------------------------
def test_dockerignore_rules_follow_docker():
    rules = space.ignore_rules("# comment\nruns\n**/__pycache__\n*.log\n!keep.log\n/build\n")
    assert space.ignored("runs/a/b.json", rules)
    assert space.ignored("ganplay/x/__pycache__/y.pyc", rules) and space.ignored("__pycache__/y.pyc", rules)
    assert space.ignored("debug.log", rules) and not space.ignored("keep.log", rules)
    assert not space.ignored("sub/debug.log", rules)  # `*` stays in one folder, as in Docker
    assert space.ignored("build/lib/x.py", rules) and not space.ignored("ganplay/build.py", rules)
    assert not space.ignored("ganplay/runs.py", rules)


def test_the_file_set_is_the_dockerfiles_copy_sources_minus_dockerignore(tmp_path):
    files = space.file_set()
    for hub in ("Dockerfile", "README.md", ".dockerignore", ".gitattributes"):
        assert hub in files
    for source in space.copy_sources(DOCKERFILE):
        assert any(f == source or f.startswith(source + "/") for f in files), source
    rules = space.ignore_rules((ROOT / ".dockerignore").read_text())
    assert not [f for f in files if space.ignored(f, rules)]
    assert not [f for f in files if f.startswith(("runs/", "tests/", ".git/")) or "__pycache__" in f]
    assert "app.py" not in files  # the image serves the installed package (`ganplay app`)
    weights = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pretrained").rglob("*") if p.is_file())
    assert set(weights) <= set(files)
    # and `ganplay space --out` builds exactly that
    out = tmp_path / "space"
    res = subprocess.run([sys.executable, "-m", "ganplay", "space", "--out", str(out)], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    built = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert built == files


# -- the Dockerfile, replayed ----------------------------------------------------------------------
def make_venv(where: Path) -> Path:
    """A venv that sees this interpreter's packages (torch, streamlit, ...): nothing downloads. No
    pip of its own: the venv's bundled setuptools would shadow the system's newer one, which the
    build needs (and this interpreter's pip installs into the venv it runs in)."""
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(where)],
                   check=True, timeout=300)
    return where / "bin"


def offline_pip(words: list[str], python: Path) -> str:
    """`pip install [options] TARGET...` as this machine can run it: into the venv, no
    dependencies, no index, no build isolation (the system's setuptools builds it)."""
    targets, skip = [], False
    for word in words[2:]:
        if skip:
            skip = False
        elif word in ("--extra-index-url", "--index-url", "-i", "--find-links", "-f"):
            skip = True
        elif not word.startswith("-"):
            targets.append(word)
    return " ".join([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--no-build-isolation",
                     "--no-cache-dir", "--quiet", *targets])


def replay_dockerfile(context: Path, home: Path, bin_dir: Path, log: Path) -> tuple[dict, Path, list[str]]:
    """Run the Dockerfile's ENV, WORKDIR, COPY and RUN steps on `context` with $HOME at `home` and
    the venv's bin first on PATH (steps before USER are root's, e.g. useradd: skipped). Returns the
    environment, the working folder and the CMD."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("GANPLAY_DEMO", "SPACE_ID", "GANPLAY_RUNS", "GANPLAY_LAB_REPLAYS", "PYTHONPATH")}
    env["HOME"] = str(home)
    home.mkdir(parents=True)
    workdir, user, cmd = Path("/"), None, []

    def expand(text: str) -> str:
        return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), text)

    for op, rest in space.instructions((context / "Dockerfile").read_text()):
        if op == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                if key == "HOME":
                    continue  # the replay's home stands in for /home/user
                env[key] = expand(value)
            env["PATH"] = f"{bin_dir}:{env['PATH']}"
        elif op == "USER":
            user = rest
        elif op == "WORKDIR":
            workdir = workdir / expand(rest)
        elif op == "COPY":
            words = [w for w in space.arguments(rest) if not w.startswith("--")]
            dest = workdir / expand(words[-1])
            for source in words[:-1]:
                src = context / source
                if src.is_dir():
                    shutil.copytree(src, dest, dirs_exist_ok=True)
                else:
                    dest.mkdir(parents=True, exist_ok=True) if words[-1].endswith("/") else None
                    shutil.copy2(src, dest / src.name if dest.is_dir() else dest)
        elif op == "RUN" and user is not None:
            steps = []
            for step in rest.split("&&"):
                words = step.split()
                steps.append(offline_pip(words, bin_dir / "python") if words[:2] == ["pip", "install"] else step)
            with open(log, "ab") as out:
                subprocess.run(["bash", "-c", " && ".join(steps)], cwd=workdir, env=env, check=True,
                               stdout=out, stderr=subprocess.STDOUT, timeout=600)
        elif op == "CMD":
            cmd = space.arguments(rest)
    return env, workdir, cmd


def browser():
    from playwright.sync_api import sync_playwright

    return sync_playwright()


def toolbar_ready(page) -> None:
    page.wait_for_selector("h1", timeout=60_000)
    page.wait_for_selector("[data-testid='stToolbar']", timeout=30_000)
    page.wait_for_selector("[data-testid='stMainMenu']", state="attached", timeout=30_000)  # drawn


@pytest.mark.slow
def test_the_space_file_set_installs_and_serves_the_first_page(tmp_path):
    context = tmp_path / "space"
    space.build(context)
    bin_dir = make_venv(tmp_path / "venv")
    env, workdir, cmd = replay_dockerfile(context, tmp_path / "home", bin_dir, tmp_path / "build.log")
    assert shutil.which(cmd[0], path=env["PATH"]) == str(bin_dir / cmd[0])  # the venv's ganplay
    assert not (workdir / "ganplay").exists()  # nothing shadows the installed package
    port = free_port()
    argv = [{str(PORT): str(port), "0.0.0.0": "127.0.0.1"}.get(a, a) for a in cmd]
    env.update(SPACE_ID="someone/ganplay", OMP_NUM_THREADS="1")  # as on a Space (no /data here)
    with server_process(argv, port, tmp_path, cwd=workdir, env=env) as url:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as r:
            assert r.read().decode().strip() == "ok"
        healthcheck = healthcheck_command(port).replace("python ", f"{bin_dir / 'python'} ", 1)
        assert subprocess.run(["sh", "-c", healthcheck], env=env, timeout=30).returncode == 0
        with urllib.request.urlopen(f"{url}/", timeout=10) as r:
            html = r.read().decode()
        assert 'id="root"' in html and "<noscript>" in html  # Streamlit's app page, not an error
        if CHROMIUM is None:
            return
        try:
            with browser() as p:
                b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = b.new_page(viewport={"width": 1400, "height": 1600})
                page.goto(f"{url}/")
                toolbar_ready(page)
                assert "ganplay" in page.locator("h1").first.inner_text()
                assert page.locator(DEPLOY_BUTTON).count() == 0  # .streamlit/ came along
                page.locator("[data-testid='stMainMenu']").wait_for(state="hidden", timeout=10_000)  # PAGE_CSS
                page.goto(f"{url}/runs")
                page.get_by_text(VANISH).wait_for(timeout=60_000)  # no /data: the page says so
                b.close()
        finally:
            kill_jobs(workdir / "runs")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium)")
def test_the_deploy_button_shows_without_the_option(tmp_path):
    # the control for the check above: with Streamlit's default (auto) a local visitor sees Deploy,
    # so counting the button's element does tell whether the option took effect
    with streamlit_server(tmp_path, STREAMLIT_CLIENT_TOOLBAR_MODE="auto") as url:
        with browser() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = b.new_page()
            page.goto(f"{url}/")
            toolbar_ready(page)
            page.wait_for_selector(DEPLOY_BUTTON, timeout=30_000)
            b.close()
