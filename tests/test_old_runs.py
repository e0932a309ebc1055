"""Old runs keep working: what earlier code wrote (a run directory, its checkpoints, a shared link)
and everything the repository ships still loads after the schema is tightened.

tests/fixtures/old_runs/ was written by ganplay before the config's bounds were tightened
(issue 16): `ring8` is a 6-step 2D run (two checkpoints, 2D views), `mnist` a 2-step conditional
DCGAN; `links.txt` holds Train-page links (query strings) made by that code.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from ganplay.config import Config
from ganplay.presets import PRESETS

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "old_runs"
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("run", ["ring8", "mnist"])
def test_old_run_config_and_checkpoint_load_and_sample(run):
    from ganplay.sampling import check_meta, load_generator, sample_png
    from ganplay.train import checkpoint as ckpt

    path = FIXTURES / run
    cfg = Config.from_dict(json.loads((path / "config.json").read_text()))
    assert cfg.name == f"old-{run}"
    for c in sorted((path / "checkpoints").glob("*.safetensors")):
        loaded = ckpt.load_checkpoint(c)
        assert Config.from_dict(loaded.config) == cfg
        check_meta(loaded.meta, cfg, c)
    gen = load_generator(path)
    assert gen.config == cfg and gen.step == (6 if run == "ring8" else 2)
    assert sample_png(gen, 16, seed=0)[:8] == b"\x89PNG\r\n\x1a\n"


def test_old_run_resumes(tmp_path):
    from ganplay.train import Trainer

    run = shutil.copytree(FIXTURES / "ring8", tmp_path / "ring8")
    trainer = Trainer.from_run(run, steps=8)
    assert trainer.step == 6 and trainer.fit() == "done" and trainer.step == 8


def test_old_links_still_open_the_train_page():
    from ganplay.dashboard.share import config_from_query

    lines = (FIXTURES / "links.txt").read_text().split()
    assert len(lines) == 3
    for line in lines:
        params = dict(parse_qsl(line))
        assert config_from_query(params).name == params["name"]


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_validates(name):
    assert Config.from_preset(name).name == name


def test_every_zoo_card_and_weights_header_validates():
    from ganplay.sampling import check_meta
    from ganplay.train import checkpoint as ckpt
    from ganplay.zoo import cards, weights_path

    found = cards()
    assert len(found) >= 8
    for card in found:
        cfg = Config.from_dict(card["config"])
        c = ckpt.load_checkpoint(weights_path(card["name"]))
        assert Config.from_dict(c.config) == cfg
        check_meta(c.meta, cfg, weights_path(card["name"]))


def test_every_lab_side_validates():
    from ganplay.lab.scenarios import COLLAPSE, SCENARIOS, side_config

    for name, sc in SCENARIOS.items():
        for side in (COLLAPSE, *sc.cures):
            assert side_config(name, side).name == f"lab-{name}-{side}"
