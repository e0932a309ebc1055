"""The shipped zoo: every card is complete, its numbers are what `ganplay eval` measures on the
shipped weights, the README table comes from the cards, the folder stays small."""

import pytest

from pathlib import Path

from ganplay import zoo, zoo_build
from ganplay.sampling import load_generator
from ganplay.zoo_table import readme_block, readme_table

CARDS = {c["name"]: c for c in zoo.cards()}


def test_every_zoo_entry_ships_with_a_card():
    assert set(CARDS) == set(zoo.ZOO)
    for name, card in CARDS.items():
        for key in ("config", "steps", "wall_time_s", "device", "metrics", "command", "eval"):
            assert key in card, (name, key)
        assert card["command"] == f"ganplay zoo build {name}"
        gen = load_generator(name)
        assert gen.step == card["steps"]
        assert gen.config.to_dict() == card["config"]


def test_folder_stays_under_25_mb():
    total = sum(p.stat().st_size for p in zoo.PRETRAINED.rglob("*") if p.is_file())  # lab, previews too
    assert total < 25 * 2**20


def test_readme_table_is_generated_from_the_cards():
    assert readme_block() == readme_table().strip("\n")


def test_quality_bar_of_the_conditional_digit_models():
    for name in ("mnist-cdcgan", "mnist-cwgan-gp", "mnist-cstylegan-lite"):
        m = CARDS[name]["metrics"]
        assert m["label_acc"] >= 0.95 and m["classes"] == 10, name


def test_2d_cards_collapse_and_cover():
    assert CARDS["ring8-gan"]["metrics"]["modes"]["mean"] <= 2  # the collapsed one
    assert CARDS["ring8-pacgan"]["metrics"]["modes"]["mean"] == 8
    assert CARDS["ring8-pacgan"]["metrics"]["hq"]["mean"] >= 0.9
    assert CARDS["grid25-pacgan"]["metrics"]["modes"]["mean"] > CARDS["grid25-gan"]["metrics"]["modes"]["mean"]


def _close(a, b, path=""):
    if isinstance(a, dict):
        for k in a:
            if k in ("path",):
                continue
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for x, y in zip(a, b):
            _close(x, y, path)
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-3, abs=1e-4), path
    else:
        assert a == b, path


@pytest.mark.parametrize("name", ["ring8-pacgan", "grid25-gan",
                                  pytest.param("mnist-cstylegan-lite", marks=pytest.mark.slow)])
def test_card_metrics_match_a_fresh_eval(name):
    """The card's headline numbers, measured again (the memorisation block has its own test in
    test_memorisation.py; the 5-set spreads are left out here: they multiply the time by ten)."""
    card = CARDS[name]
    fresh = zoo_build.evaluate_card(name, n=card["eval"]["n"], seed=card["eval"]["seed"], spread=0,
                                    memorisation=False)
    extra = ("spread", "at_floor_n", "memorisation")

    def headline(block):
        return {k: headline(v) if isinstance(v, dict) else v for k, v in block.items() if k not in extra}

    _close(headline(card["metrics"]), fresh["metrics"])


def test_build_command_reproduces_each_cards_config():
    from ganplay.config import Config

    for name, entry in zoo.ZOO.items():
        cfg = Config.from_preset(entry.preset, list(entry.overrides) + [f"name=zoo-{name}"])
        assert cfg.to_dict() == CARDS[name]["config"], name


def test_every_card_says_what_its_model_learned_from_and_how_generated_data_misleads():
    from ganplay.dashboard.notes import RESPONSIBLE_USE
    from ganplay.zoo import MISUSE, cards, responsible_use

    found = cards()
    assert found
    for card in found:
        note = card.get("responsible_use", "")
        assert note == responsible_use(card["config"]["data"]["name"]), card["name"]
        assert "deepfakes" in note and "biases" in note
    digits = [c for c in found if c["config"]["data"]["name"] == "mnist5k"]
    assert digits and all("MNIST-5k" in c["responsible_use"] for c in digits)
    assert MISUSE in RESPONSIBLE_USE and "MNIST-5k" in RESPONSIBLE_USE
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "## Responsible use" in readme and "deepfakes" in readme.split("## Responsible use")[1][:1200]
