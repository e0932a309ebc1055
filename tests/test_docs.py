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


def test_the_projection_summary_says_what_the_cards_hold():
    """README's prose on projection (not a generated block) against every card's `projection`."""
    import json
    import re

    start = README.index("What the cards hold, in short:")
    text = " ".join(README[start:README.index("this paragraph to the cards", start)].split())
    cards = [json.loads(p.read_text()) for p in sorted((ROOT / "pretrained").glob("*.json"))]
    proj = {c["name"]: c["projection"] for c in cards if c.get("projection")}
    assert len(proj) == 4
    spaces = [(name, space, s) for name, p in proj.items() for space, s in p["spaces"].items()]
    assert all(s["beats_best_random_seed"] == 1.0 for _, _, s in spaces), "every digit beats the best seed"
    assert all(s["label_agreement"]["mean"] == 1.0 for _, _, s in spaces), "all read as the true digit"

    z = [p["spaces"]["z"]["error"]["mean"] for p in proj.values()]
    seeds = [p["random_seeds"]["error"]["mean"] for p in proj.values()]
    wplus = proj["mnist-cstylegan-lite"]["spaces"]["w+"]["error"]["mean"]
    assert f"mean error {min(z):.3f}-{max(z):.3f} in z against {min(seeds):.2f}-{max(seeds):.2f}" in text
    assert f"{wplus:.4f} in StyleGAN-lite's w+" in text
    secs = {name: [s["seconds_one_digit_one_thread"] for s in p["spaces"].values()] for name, p in proj.items()}
    quick = [t for name, ts in secs.items() if "stylegan" not in name for t in ts]
    style = secs["mnist-cstylegan-lite"]
    assert f"took {min(quick):.1f}-{max(quick):.1f} s on one thread" in text
    assert f"and {min(style):.1f}-{max(style):.1f} s for StyleGAN-lite" in text
    assert re.search(r"\b100 held-out digits\b", text) and all(p["n"] == 100 for p in proj.values())


def test_architecture_layer_block_is_the_import_linter_contract():
    import re
    import tomllib

    layers = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]["layers"]
    want = [[name.strip().removeprefix("ganplay.") for name in line.split(":")] for line in layers]
    doc = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    block = doc.split("### The layer contract")[1].split("```")[1].strip().splitlines()
    got = [[name.strip() for name in re.split(r"\s{2,}", line)[0].split(",")] for line in block]
    assert got == want


def test_every_number_an_evaluation_reports_has_a_label_a_learner_can_read():
    """The charts title each metric by the glossary's label; a missing entry showed "class_kl"."""
    from ganplay.glossary import METRICS
    from ganplay.metrics.evaluation import ROWS

    missing = [key for key in ROWS if key not in METRICS]
    assert missing == [], f"no glossary entry (the pages would show the raw key): {missing}"
