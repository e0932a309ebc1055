"""Shared test helpers. Tests run on CPU with small models and few steps."""

import os

import pytest

from ganplay.cpu import passive_waits

passive_waits()  # before torch loads OpenMP: spinning threads ran 10x slower beside other processes
import torch  # noqa: E402

os.environ.setdefault("GANPLAY_OFFLINE", "1")  # tests never download
# one thread per pytest-xdist worker (the workers share the cores), else up to two
torch.set_num_threads(1 if os.environ.get("PYTEST_XDIST_WORKER") else max(1, min(2, os.cpu_count() or 1)))

# The longest files start first so the two workers end together (longest first; pyproject passes
# --no-loadscope-reorder, else xdist starts the files with the most tests first and a two-minute
# file could start last, with the other worker idle). Seconds per file from `pytest --durations`.
LONGEST_FIRST = ("test_quality.py", "test_dashboard_browser.py", "test_lessons.py", "test_explore_browser.py",
                 "test_project_browser.py", "test_demo_browser.py", "test_panel.py", "test_eject.py",
                 "test_cli.py", "test_zoo.py", "test_lab_browser.py", "test_bench.py", "test_package.py",
                 "test_draw_browser.py", "test_project_panel.py", "test_jobs.py", "test_space.py",
                 "test_first_run_browser.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: each file keeps its order


TINY_IMAGE = ["model.g_channels=8", "model.d_channels=8", "model.z_dim=16", "train.batch_size=16"]
TINY_2D = ["model.g_hidden=[32, 32]", "model.d_hidden=[32, 32]", "train.batch_size=64"]


@pytest.fixture
def tiny_cfg():
    """Build a small config from a preset plus overrides."""
    from ganplay.config import Config

    def make(preset: str, *overrides: str, steps: int = 6):
        base = TINY_2D if preset.startswith(("ring8", "grid25")) else TINY_IMAGE
        every = [f"train.steps={steps}", "train.log_every=2", "train.sample_every=3",
                 "train.checkpoint_every=3", "train.eval_every=0"]
        return Config.from_preset(preset, [*base, *every, *overrides])

    return make
