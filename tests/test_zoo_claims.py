"""Claims that can't outrun the numbers: each zoo model's one line is written from its card's
measurements (`zoo.describe_card`), hand-written lines about a zoo model (its entry, its preset,
README) are checked against the card (`zoo.unsupported_claims`), and every metric carries its
spread, with "within noise of real data" where the intervals overlap (`zoo.within_noise`).
Fast: cards and synthetic numbers only, no generation."""

import json
import math
import re
from pathlib import Path

import pytest

from ganplay import zoo
from ganplay.presets import PRESETS

CARDS = {c["name"]: c for c in zoo.cards()}
README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
RING = [[2 * math.cos(i * math.pi / 4), 2 * math.sin(i * math.pi / 4)] for i in range(8)]


def ring_card(modes, hq=0.9, nearest=None, centroid=(0.0, 0.0), rms=1.4, name="ring8-pacgan"):
    """A 2D card: per-seed covered modes, an HQ share, where the samples sit."""
    nearest = nearest or [[300] * 8 for _ in modes]
    where = [{"nearest": n, "hq": n, "median_distance": 0.01, "centroid": list(centroid), "rms_radius": rms}
             for n in nearest]
    mean = sum(modes) / len(modes)
    return {"name": name, "config": {}, "metrics": {
        "kind": "points", "available": True, "n_modes": 8,
        "modes": {"mean": mean, "stderr": 0.0, "values": list(modes)},
        "hq": {"mean": hq, "stderr": 0.0, "values": [hq] * len(modes)},
        "where": {"centres": RING, "seeds": where}}}


# -- the shipped cards --------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CARDS))
def test_each_card_says_what_it_measured_and_no_more(name):
    card = CARDS[name]
    line = zoo.describe_card(card)
    assert card["help"] == line, "regenerate with `ganplay zoo eval NAME` (or write describe_card's line)"
    assert zoo.unsupported_claims(line, card) == []


@pytest.mark.parametrize("name", sorted(CARDS))
def test_hand_written_lines_about_a_zoo_model_claim_nothing_beyond_its_card(name):
    card = CARDS[name]
    texts = [zoo.ZOO[name].help]
    if name in PRESETS:  # the preset the zoo model was trained from
        texts.append(PRESETS[name]["help"])
    texts += [line for line in README.splitlines() if f"`{name}`" in line]
    for text in texts:
        assert zoo.unsupported_claims(text, card) == [], text


def test_the_issue_s_two_cards():
    ring = zoo.describe_card(CARDS["ring8-gan"])
    assert "0 of 8 modes in each of 5 seeds" in ring and "one blob between two neighbouring modes" in ring
    assert "one mode" not in ring
    grid = zoo.describe_card(CARDS["grid25-pacgan"])
    assert "23.2 of 25 modes on average (22-25 over 5 seeds)" in grid
    assert "all 25" not in grid and "covers every mode" not in grid
    assert "over 5 training seeds: every mode in 2 of 5," in grid  # only ever with how many trainings did
    for claim in ("PacGAN on grid25: covers every mode.", "all 25 modes", "complete"):
        assert zoo.unsupported_claims(claim, CARDS["grid25-pacgan"]), claim
    assert zoo.unsupported_claims("Vanilla GAN on ring8: collapsed onto one mode.", CARDS["ring8-gan"])
    assert "all 8 modes in each of 5 seeds" in zoo.describe_card(CARDS["ring8-pacgan"])


def test_an_unconditional_digit_card_names_its_rarest_and_commonest_digit():
    card = CARDS["mnist-dcgan"]
    shares = card["metrics"]["class_shares"][0]
    line = zoo.describe_card(card)
    rare, common = shares.index(min(shares)), shares.index(max(shares))
    assert f"digit {rare} the rarest at {shares[rare]:.1%}" in line and f"digit {common} the commonest" in line
    assert zoo.unsupported_claims(f"digit {common} the rarest at 2.2% of samples", card)


# -- synthetic cards ----------------------------------------------------------------------------
def test_every_mode_in_every_seed_may_say_so_and_one_seed_short_may_not():
    full = ring_card([8, 8, 8, 8, 8])
    line = zoo.describe_card(full)
    assert "covers all 8 modes in each of 5 seeds" in line and "90% of samples within 3 std" in line
    assert zoo.unsupported_claims("covers every mode; complete; all 8 modes", full) == []
    short = ring_card([8, 8, 7, 8, 8])
    line = zoo.describe_card(short)
    assert "all 8" not in line and "7.8 of 8 modes on average (7-8 over 5 seeds)" in line
    assert zoo.unsupported_claims(line, short) == []
    for claim in ("covers every mode", "all 8 modes", "8 of 8 modes in each of 5 seeds", "7.6 of 8 modes on average"):
        assert zoo.unsupported_claims(claim, short), claim


def test_between_two_modes_only_when_the_histogram_and_centroid_say_so():
    mid = [(RING[0][0] + RING[1][0]) / 2, (RING[0][1] + RING[1][1]) / 2]
    blob = ring_card([0] * 3, hq=0.0, nearest=[[1200, 1300, 0, 0, 0, 0, 0, 0]] * 3, centroid=mid, rms=0.3)
    line = zoo.describe_card(blob)
    assert "0 of 8 modes in each of 3 seeds" in line and "one blob between two neighbouring modes" in line
    assert zoo.unsupported_claims(line, blob) == []
    apart = ring_card([0] * 3, hq=0.0, nearest=[[1200, 0, 0, 0, 1300, 0, 0, 0]] * 3, centroid=(0.0, 0.0), rms=2.0)
    line = zoo.describe_card(apart)  # two opposite modes' halves: not one blob, not neighbours
    assert "between" not in line and "no sample within 3 std of a centre" in line
    assert zoo.unsupported_claims("one blob between two modes", apart)
    assert zoo.unsupported_claims("collapsed onto one mode", apart)
    one = ring_card([1, 1, 1], hq=0.3, nearest=[[2500, 0, 0, 0, 0, 0, 0, 0]] * 3)
    assert zoo.unsupported_claims("collapsed onto one mode", one) == []


def test_starved_modes_are_counted_in_every_seed():
    nearest = [[330] * 6 + [10, 10] for _ in range(5)]
    card = ring_card([8, 8, 8, 8, 8], nearest=nearest)
    line = zoo.describe_card(card)
    assert "2 modes get under a quarter of a fair share of the samples in every seed" in line
    assert zoo.unsupported_claims("3 modes get under a quarter of a fair share", card)


def test_digit_lines_from_synthetic_cards():
    shares = [0.1] * 10
    shares[4], shares[9] = 0.022, 0.178
    plain = {"name": "x", "help": "A DCGAN", "metrics": {
        "kind": "images", "available": True, "conditional": False, "classes": 10.0, "class_shares": [shares]}}
    line = zoo.describe_card(plain)
    assert line == ("A DCGAN: all 10 digits drawn (each at least 1% of samples), digit 4 the rarest at 2.2% of "
                    "samples, digit 9 the commonest at 18% (an even share is 10%).")
    assert zoo.unsupported_claims(line, plain) == []
    nine = {**plain, "metrics": {**plain["metrics"], "classes": 9.0}}
    assert "9 of 10 digits" in zoo.describe_card(nine) and zoo.unsupported_claims("all 10 digits", nine)
    cond = {"name": "y", "help": "A cDCGAN", "metrics": {
        "kind": "images", "available": True, "conditional": True, "classes": 10.0, "label_acc": 0.9943}}
    assert zoo.describe_card(cond).startswith("A cDCGAN: 99.4% of samples read as the digit asked for")
    assert zoo.unsupported_claims("99.9% of samples read as the digit asked for", cond)


def test_training_seed_lines_say_what_the_trainings_showed_and_no_more():
    card = ring_card([8, 8, 8, 8, 8])
    card["training_seeds"] = {"kind": "points", "n": 5, "seeds": [0, 1, 2, 3], "failed": [4], "n_modes": 8,
                              "every_mode_seeds": 3, "metrics": {
                                  "modes": {"values": [8, 8, 7, 8], "min": 7, "median": 8, "max": 8},
                                  "hq": {"values": [0.9, 0.91, 0.88, 0.913], "min": 0.88, "median": 0.905,
                                         "max": 0.913}}}
    line = zoo.describe_card(card)
    assert line.endswith("; over 5 training seeds (1 failed to train): every mode in 3 of 5, high quality "
                         "88.0-91.3% (median 90.5%).")
    assert "covers all 8 modes in each of 5 seeds" in line  # the shipped model's own sampling seeds
    assert zoo.unsupported_claims(line, card) == []
    for claim in ("over 4 training seeds", "every mode in 5 of 5", "every mode in 3 of 4",
                  "high quality 88.0-91.3% (median 91.0%)", "high quality 90.5% in each"):
        assert zoo.unsupported_claims(claim, card), claim
    del card["training_seeds"]  # no block: no claim about trainings holds
    for claim in ("over 5 training seeds", "every mode in 3 of 5"):
        assert zoo.unsupported_claims(claim, card), claim
    digits = {"name": "y", "help": "A cDCGAN", "metrics": {"kind": "images", "available": True, "conditional": True,
                                                           "classes": 10.0, "label_acc": 0.99},
              "training_seeds": {"kind": "images", "n": 2, "seeds": [0, 1], "failed": [], "conditional": True,
                                 "metrics": {"label_acc": {"values": [0.97, 0.97], "min": 0.97, "median": 0.97,
                                                           "max": 0.97}},
                                 "label_acc_min": 0.97, "class_min_share_min": 0.081, "digit_missing_seeds": 0,
                                 "class_kl_max": 0.0042, "confidence_mean": 0.9512}}
    line = zoo.describe_card(digits)
    assert line.endswith("; over 2 training seeds: label accuracy 97.0% in each, the rarest digit at least 8.1% "
                         "of samples, class KL at most 0.004, classifier confidence 95.1% on average.")
    assert zoo.unsupported_claims(line, digits) == []
    for claim in ("label accuracy 98.0% in each", "the rarest digit at least 9.0% of samples",
                  "class KL at most 0.001", "classifier confidence 99.0% on average"):
        assert zoo.unsupported_claims(claim, digits), claim


def test_a_shipped_card_s_training_seeds_block_is_its_measurement():
    from ganplay.zoo_measure import card_block

    for card in CARDS.values():  # `ganplay zoo measure NAME` writes the block from pretrained/measure/NAME.json
        if "training_seeds" in card:
            assert card["training_seeds"] == card_block(card), card["name"]


# -- spread and "within noise of real data" ------------------------------------------------------
def digits_metrics(fid, se, floor_fid, floor_se):
    return {"kind": "images", "available": True, "n": 10000, "conditional": True, "label_acc": 0.99,
            "classes": 10.0, "fid": fid, "spread": {"how": "5 sets", "sets": 5, "n": 10000, "se": {"fid": se}},
            "floor": {"fid": floor_fid, "spread": {"how": "bootstrap", "resamples": 10, "n": 500,
                                                   "se": {"fid": floor_se}}}}


def test_plus_minus_keeps_a_significant_digit_of_the_spread():
    assert zoo.plus_minus(0.7925, 0.0106, "{:.2f}") == "0.79 ± 0.01"
    assert zoo.plus_minus(0.85, 0.0031, "{:.2f}") == "0.85 ± 0.003"
    assert zoo.plus_minus(0.9943, 0.00096, "{:.1%}") == "99.4% ± 0.10"
    assert zoo.plus_minus(8.0, 0.0, "{:.1f}", "/8") == "8.0/8 ± 0.00"
    assert zoo.plus_minus(1.5, None, "{:.2f}") == "1.50"


def test_within_noise_when_the_intervals_overlap():
    assert zoo.within_noise(digits_metrics(0.79, 0.05, 0.82, 0.40), "fid") is True
    assert zoo.within_noise(digits_metrics(1.47, 0.05, 0.82, 0.10), "fid") is False
    assert zoo.within_noise(digits_metrics(1.00, 0.0, 0.82, 0.09), "fid") is True  # 0.18 <= 2 x 0.09
    no_spread = digits_metrics(0.79, 0.05, 0.82, 0.40)
    del no_spread["floor"]["spread"]
    assert zoo.within_noise(no_spread, "fid") is None
    # below the floor at 10,000 samples, far above it measured as the floor is (500 samples)
    sized = {**digits_metrics(0.79, 0.02, 0.82, 0.40), "at_floor_n": {"n": 500, "sets": 10, "mean": {"fid": 2.18},
                                                                     "sd": {"fid": 0.457}}}
    assert zoo.at_floor(sized, "fid") == pytest.approx((2.18, 0.457 / 10 ** 0.5))
    assert zoo.within_noise(sized, "fid") is False
    sized["at_floor_n"]["mean"]["fid"] = 1.5
    assert zoo.within_noise(sized, "fid") is True
    points = {"modes": {"mean": 8.0, "stderr": 0.0}, "floor": {"modes": {"mean": 8.0, "stderr": 0.0}}}
    assert zoo.within_noise(points, "modes") is True
    points["modes"] = {"mean": 23.2, "stderr": 0.49}
    points["floor"]["modes"] = {"mean": 25.0, "stderr": 0.0}
    assert zoo.within_noise(points, "modes") is False


def test_readme_table_and_report_show_the_spread_and_the_mark(tmp_path):
    from ganplay.metrics.evaluation import format_report
    from ganplay.zoo_table import readme_table

    for name, m in (("near", digits_metrics(0.79, 0.05, 0.82, 0.40)), ("far", digits_metrics(8.2, 0.1, 0.82, 0.40))):
        m["floor"]["what"] = "real"
        (tmp_path / f"{name}.json").write_text(json.dumps({"name": name, "eval": {"n": 10000}, "metrics": m}))
        (tmp_path / f"{name}.safetensors").write_bytes(b"")
    table = readme_table(tmp_path)
    assert "| `near` | 99.0% | 10/10 | – | 0.79 ± 0.05 ≈ |" in table
    assert "| `far` | 99.0% | 10/10 | – | 8.20 ± 0.10 |" in table
    assert "0.82 ± 0.40" in table and "within noise of real data" in table and "not ranked" in table
    sized = digits_metrics(0.79, 0.05, 0.82, 0.40)
    sized["at_floor_n"] = {"n": 500, "sets": 10, "mean": {"fid": 2.18}, "sd": {"fid": 0.457}}
    (tmp_path / "near.json").write_text(json.dumps({"name": "near", "eval": {"n": 10000}, "metrics": sized}))
    table = readme_table(tmp_path)
    assert "| `near` | 99.0% | 10/10 | – | 0.79 ± 0.05 |" in table  # judged at the floor's size: not within noise
    assert "| `near` | – | – | – | 2.18 ± 0.14 | – |" in table and "at the floor's 500 samples" in table
    report = format_report({**digits_metrics(0.79, 0.05, 0.82, 0.40), "data": "mnist5k", "seeds": [0],
                            "reference": "training digits"})
    assert re.search(r"fid +0\.79 ± 0\.05 ≈ +0\.82 ± 0\.40", report) and "within noise of real data" in report


def test_shipped_digit_cards_carry_a_spread_for_every_metric():
    for card in CARDS.values():
        m = card["metrics"]
        if m.get("kind") != "images":
            continue
        for key in ("fid", "kid", "is", "precision", "recall", "density", "coverage", "classes"):
            se = m["spread"]["se"][key]
            assert se >= 0 and m["floor"]["spread"]["se"][key] >= 0, (card["name"], key)
        assert m["spread"]["sets"] >= 5 and m["spread"]["n"] == card["eval"]["n"]
        assert m["floor"]["spread"]["resamples"] >= 10 and m["at_floor_n"]["n"] == 500
        assert m["at_floor_n"]["sets"] == 10 and set(m["at_floor_n"]["sd"]) == set(m["spread"]["se"])
        assert len(m["class_shares"][0]) == 10 and abs(sum(m["class_shares"][0]) - 1) < 1e-9


def test_panel_metrics_text_carries_the_spread_and_the_mark():
    from ganplay.panel import handlers as H

    text = H.metrics_text("mnist-cstylegan-lite")
    (fid,) = [line for line in text.splitlines() if line.startswith("FID")]
    m = CARDS["mnist-cstylegan-lite"]["metrics"]
    assert fid.startswith("FID " + zoo.plus_minus(m["fid"], m["spread"]["se"]["fid"], "{:.2f}"))
    assert zoo.plus_minus(*zoo.at_floor(m, "fid"), "{:.2f}") in fid  # the like-for-like comparison
    assert ("within noise of real digits" in fid) == zoo.within_noise(m, "fid")


def test_bootstrap_spread_is_seeded_and_leaves_out_subset_spreads():
    import torch

    from ganplay.metrics.evaluation import bootstrap_spread
    from ganplay.metrics.registry import SampleSet

    g = torch.Generator().manual_seed(0)
    real = SampleSet(features=torch.randn(80, 8, generator=g), probs=torch.softmax(torch.randn(80, 10, generator=g), 1))
    fake = SampleSet(features=torch.randn(60, 8, generator=g) + 0.3,
                     probs=torch.softmax(torch.randn(60, 10, generator=g), 1), labels=torch.arange(60) % 10)
    a, b = bootstrap_spread(fake, real, 4, seed=1), bootstrap_spread(fake, real, 4, seed=1)
    assert a == b and a["resamples"] == 4 and a["n"] == 60
    assert {"fid", "kid", "is", "precision", "recall", "label_acc"} <= set(a["se"]) and "kid_std" not in a["se"]
    assert a["se"]["fid"] > 0
    from ganplay.metrics.evaluation import at_floor_size

    many = SampleSet(features=torch.randn(130, 8, generator=g), probs=torch.softmax(torch.randn(130, 10, generator=g), 1))
    sized = at_floor_size(many, real, size=60, sets=10, seed=0)  # 130 samples hold 2 disjoint sets of 60
    assert sized["sets"] == 2 and sized["n"] == 60 and set(sized["mean"]) == set(sized["sd"]) and "kid_std" not in sized["sd"]
    assert at_floor_size(many, real, size=100) is None
