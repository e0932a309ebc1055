"""Test helpers shared by the UI tests: a `streamlit run app.py` server (or any command serving
Streamlit) on a free local port, killing the training jobs a test started (they run in their
own sessions, so they outlive it), waiting for a condition, and a run folder with two
checkpoints for the panel's timeline."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from ganplay import jobs
from ganplay.bench_pages import CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")  # Debian's; never downloaded
STOP_GRACE_S = 5  # after SIGTERM, then SIGKILL: a test server holds nothing worth more waiting


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str, timeout: float = 2.0) -> bool:
    """`url` answers 200 OK."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


def healthy(url: str) -> bool:
    return answers(f"{url}/_stcore/health", timeout=1)


@contextlib.contextmanager
def streamlit_server(log_dir: Path, **env_vars: str) -> Iterator[str]:
    """`streamlit run app.py` on 127.0.0.1 with `env_vars` set (and demo mode off); yields its
    URL once healthy and stops it by its process id afterwards."""
    env = {k: v for k, v in os.environ.items() if k not in ("GANPLAY_DEMO", "SPACE_ID")}
    env.update(OMP_NUM_THREADS="1", **env_vars)
    port = free_port()
    argv = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
            "--server.address", "127.0.0.1", "--server.headless", "true"]
    with server_process(argv, port, log_dir, cwd=ROOT, env=env) as url:
        yield url


@contextlib.contextmanager
def _serving(argv: list[str], url: str, ready, log_path: Path, cwd: Path, env: dict,
             timeout: float) -> Iterator[str]:
    """Run `argv`, yield `url` once `ready(url)`, stop the process by its id afterwards; the
    log's tail is the failure message when it exits or times out first."""
    log = open(log_path, "w+b")
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not ready(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"{argv[:4]} did not serve:\n{log.read().decode(errors='replace')[-5000:]}")
            time.sleep(0.1)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:  # an open event stream (a Gradio heartbeat) can hold a graceful exit for 15 s: no need
            proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def server_process(argv: list[str], port: int, log_dir: Path, cwd: Path, env: dict,
                   timeout: float = 90.0):
    """Any command that serves Streamlit on 127.0.0.1:`port` (`ganplay app`, a Dockerfile's CMD);
    yields its URL once the health endpoint answers and stops it by its process id afterwards."""
    return _serving(argv, f"http://127.0.0.1:{port}", healthy, Path(log_dir) / "streamlit.log", cwd, env, timeout)


def panel_server(log_dir: Path, runs: Path, **env_vars: str):
    """`python -m ganplay.panel` alone on a free local port, runs under `runs`, demo mode off
    unless `env_vars` turn it on; yields its URL once it answers, stops it by its pid after."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("GANPLAY_DEMO", "SPACE_ID")}
    env.update(GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1", OMP_NUM_THREADS="1",
               GANPLAY_RUNS=str(runs), **env_vars)
    return _serving([sys.executable, "-m", "ganplay.panel"], f"http://127.0.0.1:{port}/", answers,
                    Path(log_dir) / "panel.log", ROOT, env, 120.0)


def kill_jobs(root: Path) -> None:
    """SIGKILL every still-running job recorded under the runs folder `root`."""
    root = Path(root)
    for record in list(root.glob("*/job.json")) + list(root.glob(".jobs/*.json")):
        try:
            job = json.loads(record.read_text())
            if jobs.process_alive(job.get("pid"), job.get("pid_start")):
                os.kill(job["pid"], signal.SIGKILL)
        except (OSError, ValueError, KeyError):
            pass


def wait_until(check, timeout: float, what: str):
    """`check()`'s first truthy value, polled every 0.1 s; an AssertionError naming `what` after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s: {what}")


def two_checkpoint_run(root: Path, model: str, name: str = "tiny-run") -> Path:
    """A run folder `root/name` whose two checkpoints are copies of zoo model `model` (for the
    panel's run list and its timeline, without training)."""
    run = root / name
    (run / "checkpoints").mkdir(parents=True)
    card = json.loads((ROOT / "pretrained" / f"{model}.json").read_text())
    (run / "config.json").write_text(json.dumps(card["config"]))
    for step in (1, 2):
        shutil.copy(ROOT / "pretrained" / f"{model}.safetensors", run / "checkpoints" / f"step-{step:07d}.safetensors")
    return run


@contextlib.contextmanager
def chromium() -> Iterator:
    """Debian's Chromium through Playwright, with the flags a screenless CI box needs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def live_button(page, name: str):
    """Streamlit's button `name` as the page is drawn now: while the script reruns, the element of
    the run before can stay beside the new one for a moment, marked stale (a strict locator would
    see two)."""
    return page.locator("[data-testid='stElementContainer']:not([data-stale='true'])").get_by_role(
        "button", name=name)
