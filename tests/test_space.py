"""The Docker Space files agree with each other and with the repository (Docker can't run here)."""

import json
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
PORT = 7860


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            rows.append((op.upper(), rest.strip()))
    return rows


def test_runs_as_uid_1000():
    rows = instructions()
    users = [rest for op, rest in rows if op == "USER"]
    assert users, "the Dockerfile must switch away from root (Spaces run as UID 1000)"
    user = users[-1]
    assert user == "1000" or any(op == "RUN" and "--uid 1000" in rest and user in rest for op, rest in rows)


def test_entry_point_is_streamlit_run_app_on_the_port():
    cmd = [rest for op, rest in instructions() if op == "CMD"][-1]
    argv = json.loads(cmd) if cmd.startswith("[") else shlex.split(cmd)  # exec form is a JSON list
    assert argv[:3] == ["streamlit", "run", "app.py"]
    assert argv[argv.index("--server.port") + 1] == str(PORT)
    assert argv[argv.index("--server.address") + 1] == "0.0.0.0"
    assert [rest for op, rest in instructions() if op == "EXPOSE"] == [str(PORT)]


def test_copied_files_exist():
    copies = [rest for op, rest in instructions() if op == "COPY"]
    assert copies
    for rest in copies:
        parts = [p for p in rest.split() if not p.startswith("--")]
        for src in parts[:-1]:
            assert (ROOT / src).exists(), f"Dockerfile copies {src}, which is not in the repository"
    copied = " ".join(copies)
    for needed in ("app.py", "ganplay", "pretrained", "pyproject.toml"):
        assert needed in copied, f"the image needs {needed}"


def test_front_matter_port_matches():
    readme = (ROOT / "README.md").read_text()
    if not readme.startswith("---\n"):
        pytest.skip("README has no Space front matter yet")
    front = readme.split("---\n", 2)[1]
    fields = dict(line.split(":", 1) for line in front.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    assert fields.get("sdk") == "docker"
    assert fields.get("app_port") == str(PORT)
