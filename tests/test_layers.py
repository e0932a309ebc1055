"""The layers of docs/ARCHITECTURE.md as a contract: import-linter checks that no module imports
from a layer above its own (imports inside functions included; the contract is in pyproject.toml),
and a fresh interpreter shows which dashboard modules load torch when imported (none: the server
warms torch in the background for the pages that sample)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DASHBOARD_MODULES = sorted(p.stem for p in (ROOT / "ganplay" / "dashboard").glob("*.py") if p.stem != "__init__")


def test_no_module_imports_from_a_layer_above_its_own():
    pytest.importorskip("importlinter", reason="import-linter is a dev extra (pip install -e '.[dev]')")
    res = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                          "sys.exit(lint_imports())"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert "Contracts: 1 kept, 0 broken." in res.stdout


def test_the_layers_contract_names_every_top_level_module():
    import tomllib

    layers = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]["layers"]
    named = {m.strip() for layer in layers for m in layer.split(":")}
    for path in (ROOT / "ganplay").iterdir():
        if path.name.startswith("_") or path.name == "__pycache__" or path.suffix not in (".py", ""):
            continue
        module = f"ganplay.{path.stem}"
        assert module in named or path.name == "train", f"{module} is in no layer of the contract"


@pytest.mark.slow  # a fresh interpreter per module
@pytest.mark.parametrize("module", DASHBOARD_MODULES)
def test_dashboard_modules_import_no_torch(module):
    code = (f"import sys; import ganplay.dashboard.{module}; "
            "print('torch' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip().splitlines()[-1] == "False", f"ganplay.dashboard.{module} loads torch"
