"""The docs say what the code does: README's presets table, quick start and CI line."""

import re
from pathlib import Path

from ganplay.presets import PRESETS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_presets_table_matches_the_presets():
    block = README.split("<!-- presets:start -->")[1].split("<!-- presets:end -->")[0]
    rows = re.findall(r"^\| `([^`]+)` \| (.+) \|$", block, flags=re.M)
    assert rows == [(name, p["help"]) for name, p in PRESETS.items()]


def test_quick_start_has_exactly_the_two_setup_lines():
    quick = README.split("## Quick start")[1].split("```bash")[1].split("```")[0]
    lines = [line.split("#")[0].strip() for line in quick.strip().splitlines()]
    assert lines == ["pip install -e . && streamlit run app.py", "pip install -e '.[dev]' && pytest"]


def test_ci_runs_the_readme_test_line():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -e '.[dev]' && pytest" in ci


def test_architecture_names_every_module():
    arch = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    for path in sorted((ROOT / "ganplay").rglob("*.py")):
        rel = path.relative_to(ROOT / "ganplay")
        if rel.name in ("__init__.py", "__main__.py"):
            continue
        # as a module, not as a word: `cost.py`, `stepper`, `train.cost`, or its path in the map
        stem = re.escape(rel.stem)
        named = rf"`{stem}(\.py)?`|`[\w.]*\.{stem}`|ganplay/{re.escape(rel.as_posix())}|\b{stem}\.py\b"
        assert re.search(named, arch), f"docs/ARCHITECTURE.md does not mention {rel}"
