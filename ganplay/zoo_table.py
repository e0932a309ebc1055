"""The README's results table, generated from the zoo's cards (never typed by hand).

`ganplay zoo table` prints it; `ganplay zoo table --write-readme` rewrites the block between
`<!-- zoo:start -->` and `<!-- zoo:end -->` in README.md; a test checks the two agree.
"""

from __future__ import annotations

import json
from pathlib import Path

from ganplay.protocol import MEMO_FLAG_SHARE
from ganplay.readme import README, read_block, write_block
from ganplay.zoo import NOISE_Z, PRETRAINED, at_floor, cards, estimate, plus_minus, training_seeds_words, within_noise


# (metric key, column title, format)
IMAGE_COLUMNS = [
    ("label_acc", "label acc.", "{:.1%}"),
    ("classes", "classes", "{:.0f}/10"),
    ("class_kl", "class KL", "{:.3f}"),
    ("fid", "FID*", "{:.2f}"),
    ("kid", "KID*", "{:.4f}"),
    ("is", "IS*", "{:.2f}"),
    ("precision", "precision", "{:.2f}"),
    ("recall", "recall", "{:.2f}"),
]
# the memorisation check (metrics.memorisation), from the card's metrics["memorisation"]
MEMO_COLUMNS = [
    ("generated_median", "distance to nearest real†", "{:.2f}"),
    ("closer_than_heldout_p5", "suspiciously close†", "{:.2%}"),
]
TRANSLATION_COLUMNS = [
    ("psnr", "PSNR (dB)", "{:.2f}"),
    ("ssim", "SSIM", "{:.3f}"),
    ("label_acc", "read as the true digit", "{:.1%}"),
    ("confidence", "classifier's confidence", "{:.1%}"),
]
POINT_COLUMNS = [
    ("modes", "modes", "{:.1f}"),
    ("hq", "high quality", "{:.1%}"),
    ("kl", "reverse KL", "{:.2f}"),
]


NEAR_REAL = "≈"  # after a number within noise of real data (`zoo.within_noise`)


def _fmt(metrics: dict, key: str, fmt: str, suffix: str = "", mark: bool = True) -> str:
    """A number with its standard error (over seeds, or from the card's `spread`) and NEAR_REAL
    when it is within noise of the real-data floor (unless `mark` is off)."""
    found = estimate(metrics, key)
    if found is None:
        return "–"
    text = plus_minus(*found, fmt, suffix)  # SSIM's 0.004 needs three decimals
    return text + (f" {NEAR_REAL}" if mark and within_noise(metrics, key) else "")


def _noise_note(cards_: list[dict], keys: list[str]) -> str:
    """What ≈ means, when some number in these rows carries it."""
    if not any(within_noise(c["metrics"], k) for c in cards_ for k in keys):
        return ""
    return (f" {NEAR_REAL} marks a number within noise of real data: its interval (± {NOISE_Z:g} standard "
            "errors) overlaps the real row's. Differences inside these intervals rank nothing.")


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _time(card: dict) -> str:
    return f"{card.get('steps', 0):,} steps, {card.get('wall_time_s', 0):,.0f} s on {card.get('device', '?')}"


def readme_table(root: Path = PRETRAINED) -> str:
    all_cards = cards(root)
    images = [c for c in all_cards if c.get("metrics", {}).get("kind") == "images"]
    points = [c for c in all_cards if c.get("metrics", {}).get("kind") == "points"]
    out: list[str] = []
    if images:
        memo = any("memorisation" in c["metrics"] for c in images)
        extra = [t for _, t, _ in MEMO_COLUMNS] if memo else []
        out.append(_row(["model"] + [t for _, t, _ in IMAGE_COLUMNS] + extra + ["training"]))
        out.append(_row(["---"] * (len(IMAGE_COLUMNS) + len(extra) + 2)))
        compared = any(c["metrics"].get("at_floor_n") for c in images)  # then ≈ is decided in that table
        for c in images:
            m = c["metrics"]
            cells = [_fmt(m.get("memorisation", {}), k, f) for k, _, f in MEMO_COLUMNS] if memo else []
            out.append(_row([f"`{c['name']}`"] + [_fmt(m, k, f, mark=not compared) for k, _, f in IMAGE_COLUMNS]
                            + cells + [_time(c)]))
        floor = images[0]["metrics"].get("floor")
        if floor:
            block = images[0]["metrics"].get("memorisation", {})
            cells = [_fmt(block, "heldout_median", "{:.2f}"), "5% (by definition)"] if memo else []
            out.append(_row(["real held-out digits (the floor)"] + [_fmt(floor, k, f) for k, _, f in IMAGE_COLUMNS]
                            + cells + ["500 held-out vs 4,500 training images"]))
        n = images[0].get("eval", {}).get("n")
        out.append("")
        spread = images[0]["metrics"].get("spread")
        fid_floor = estimate(floor or {}, "fid")
        out.append(f"Measured by `ganplay eval` on {n:,} samples per model with our MNIST classifier. "
                   "\\*FID, KID and IS use that classifier's features, not Inception's: compare them "
                   "with the floor row, not with published numbers."
                   + (f" ± is a standard error over repeated draws: the standard deviation of the metric over "
                      f"{spread['sets']} sets of {spread['n']:,} samples (the first of them the one shown); for "
                      f"the floor, over {(floor.get('spread') or {}).get('resamples', 0)} bootstrap resamples of "
                      "its 500 held-out digits; the training digits are held fixed." if spread else "")
                   + (f" With only 500 real digits the floor is itself noisy (FID {fid_floor[0]:.2f} ± "
                      f"{fid_floor[1]:.2f}) and measured on fewer samples than the models: FID, KID and the "
                      "nearest-neighbour metrics move with the sample size, so a model's number below the "
                      "floor's does not make it better than real data." if fid_floor and fid_floor[1] is not None
                      else "")
                   + (" Whether a number is within noise of real data is judged with each model measured as the "
                      "floor is, in the table below." if compared else _noise_note(images, [k for k, _, _ in IMAGE_COLUMNS]))
                   + " Rows are in the zoo's order, not ranked.")
        if memo:
            flagged = [c["name"] for c in images if c["metrics"].get("memorisation", {}).get("flagged")]
            out.append("")
            out.append("†The memorisation check: each sample's distance to its nearest training digit in the "
                       "classifier's features (the median), and the share of samples suspiciously close to a "
                       "training digit: closer than 95% of the held-out digits are. New digits show 5%; a "
                       "generator that copies its training digits shows far more "
                       f"(flagged from {MEMO_FLAG_SHARE:.0%}). "
                       + (f"Flagged here: {', '.join(f'`{n}`' for n in flagged)}." if flagged
                          else "None of these is flagged."))
        out.append("")
        if compared:
            out += _at_floor_table(images, floor or {})
    projected = [c for c in images if c.get("projection")]
    if projected:
        out += _projection_table(projected)
    translators = [c for c in all_cards if c.get("metrics", {}).get("kind") == "translation"]
    if translators:
        out += _translation_table(translators)
    if points:
        out.append(_row(["model"] + [t for _, t, _ in POINT_COLUMNS] + ["training"]))
        out.append(_row(["---"] * (len(POINT_COLUMNS) + 2)))
        for c in points:
            m = c["metrics"]
            total = m.get("n_modes")
            cells = [_fmt(m, k, f, f"/{total}" if k == "modes" and total else "") for k, _, f in POINT_COLUMNS]
            out.append(_row([f"`{c['name']}`"] + cells + [_time(c)]))
        for data in dict.fromkeys(c["metrics"].get("data") for c in points):  # each mixture's real samples
            m = next(c["metrics"] for c in points if c["metrics"].get("data") == data)
            if m.get("floor"):
                total = m.get("n_modes")
                out.append(_row([f"real {data} samples (the floor)"]
                                + [_fmt(m["floor"], k, f, f"/{total}" if k == "modes" and total else "")
                                   for k, _, f in POINT_COLUMNS] + ["–"]))
        out.append("")
        out.append("The VEEGAN/PacGAN protocol: 2,500 samples per seed; a sample is high quality within 3 "
                   "std of its nearest centre; a mode is covered with at least one high-quality sample; "
                   "mean ± standard error over 5 sets of samples (sampling seeds) of the one shipped model; the real "
                   "rows are samples of the true mixtures."
                   + _noise_note(points, [k for k, _, _ in POINT_COLUMNS]) + " Rows are in the zoo's order, not ranked.")
    out += _training_seeds_table(all_cards, root)
    out.append("")
    out.append("Training times are as the cards record them, on a 2-core CPU that was shared with other "
               "jobs while the zoo was built: upper bounds.")
    classifier = root / "classifier.json"
    if classifier.exists():
        card = json.loads(classifier.read_text())
        acc = card.get("heldout_accuracy")
        if acc is not None:
            out.append("")
            out.append(f"The classifier behind the image metrics: {acc:.1%} accuracy on the 500 held-out "
                       "MNIST-5k digits.")
    return "\n".join(out).strip() + "\n"


def _training_seeds_table(cards_: list[dict], root: Path) -> list[str]:
    """The cards' `training_seeds` blocks (`ganplay zoo measure NAME`): how often the recipe itself
    works over independent trainings, where the tables above describe one trained model each."""
    rows = []
    for card in cards_:
        block = card.get("training_seeds") or {}
        words = training_seeds_words(block)
        if not words:
            continue
        results = root / block["results"] if block.get("results") else None
        per_seed = json.loads(results.read_text()).get("per_seed", []) if results and results.is_file() else []
        times = [s["wall_time_s"] for s in per_seed if s.get("wall_time_s")]
        rows.append(_row([f"`{card['name']}`", words[0].upper() + words[1:],
                          f"{min(times):,.0f}-{max(times):,.0f} s each" if times else "–"]))
    if not rows:
        return []
    return ["", _row(["model", "independent trainings (training seeds 0, 1, ...), each scored on fresh samples",
                      "training"]), _row(["---"] * 3), *rows, "",
            "`ganplay zoo measure NAME --seeds 5` trains the entry's recipe once per training seed and scores "
            "each training as the cards are scored (2,500 points for 2D, 10,000 samples for digits); the "
            "tables above vary only the samples of the one shipped model (with `--jobs 2` two seeds train at "
            "once, one thread each; `zoo build` ships the measurement's training seed 0 where there is one, "
            "and its training time)."]


AT_FLOOR_COLUMNS = IMAGE_COLUMNS + [("density", "density", "{:.2f}"), ("coverage", "coverage", "{:.2f}")]


def _at_floor_table(images: list[dict], floor: dict) -> list[str]:
    """Each model measured as the floor is (the cards' `at_floor_n`: disjoint sets of the floor's
    size), beside the floor: where "within noise of real data" is decided."""
    block = next(c["metrics"]["at_floor_n"] for c in images if c["metrics"].get("at_floor_n"))
    out = [_row([f"at the floor's {block['n']} samples"] + [t for _, t, _ in AT_FLOOR_COLUMNS]),
           _row(["---"] * (len(AT_FLOOR_COLUMNS) + 1))]
    for c in images:
        m = c["metrics"]
        cells = []
        for key, _, fmt in AT_FLOOR_COLUMNS:
            level = at_floor(m, key)
            cells.append("–" if level is None else
                         _fmt({key: level[0], "spread": {"se": {key: level[1]}}}, key, fmt)
                         + (f" {NEAR_REAL}" if within_noise(m, key) else ""))
        out.append(_row([f"`{c['name']}`"] + cells))
    out.append(_row(["real held-out digits (the floor)"] + [_fmt(floor, k, f) for k, _, f in AT_FLOOR_COLUMNS]))
    out.append("")
    out.append(f"The models measured as the floor is: {block['n'] * block['sets']:,} of each model's samples (a seeded "
               f"shuffle) cut into {block['sets']} disjoint sets of {block['n']}, every metric measured on each against the same "
               "training digits; the mean ± its standard error. This is the like-for-like comparison with real "
               "data: FID in particular reads higher on 500 samples than on 10,000."
               + _noise_note(images, [k for k, _, _ in AT_FLOOR_COLUMNS]))
    out.append("")
    return out


def _projection_table(projected: list[dict]) -> list[str]:
    """How well each generator reproduces held-out digits when their latent codes are searched for
    (the cards' `projection`, `ganplay zoo projection`): one row per space searched."""
    out = [_row(["model", "searched", "error (MSE)", "best of 100 random seeds", "read as the true digit",
                 "s per digit, 1 thread"]),
           _row(["---"] * 6)]
    for c in projected:
        p = c["projection"]
        for i, (space, r) in enumerate(p.get("spaces", {}).items()):
            out.append(_row([f"`{c['name']}`" if i == 0 else "", space, _fmt(r, "error", "{:.4f}"),
                             _fmt(p.get("random_seeds", {}), "error", "{:.3f}") if i == 0 else "",
                             _fmt(r, "label_agreement", "{:.1%}"), f"{r.get('seconds_one_digit_one_thread', 0):.1f}"]))
    first = projected[0]["projection"]
    out.append("")
    out.append(f"Project your own digit, measured: each generator's latent code searched for {first.get('n', 0)} "
               f"held-out MNIST-5k digits (`ganplay zoo projection`; {first.get('steps', 0)} Adam steps from the "
               "best of 64 seeded starts, z kept near its typical length, w pulled toward the mean w). The error is "
               "the mean squared error per pixel with pixels in [-1, 1] (a blank picture scores 0.45) ± its "
               "standard error over the digits, beside the best of 100 random seeds' error; \"read as the true "
               "digit\" is how often our classifier reads the reconstruction as the digit's label. Conditional "
               "models are searched under that label, so for them this mostly says they draw the label they are "
               "given. w+ (a style per layer) reproduces nearly anything: closest, but furthest from what the "
               "generator draws by itself. The seconds are one search of one digit on one thread, as the panel "
               "runs it, measured once beside other jobs: upper bounds.")
    out.append("")
    return out


def _translation_table(translators: list[dict]) -> list[str]:
    out = [_row(["model", "from"] + [t for _, t, _ in TRANSLATION_COLUMNS] + ["training"]),
           _row(["---"] * (len(TRANSLATION_COLUMNS) + 3))]
    bicubic_shown = False
    for c in translators:
        m = c["metrics"]
        source = "7x7 digit" if c.get("kind") == "lowres" else "outline"
        if "bicubic" in m and not bicubic_shown:  # the classical answer, once, above the models
            out.append(_row(["bicubic interpolation", source] + [_fmt(m["bicubic"], k, f) for k, _, f in
                                                                 TRANSLATION_COLUMNS] + ["none"]))
            bicubic_shown = True
        out.append(_row([f"`{c['name']}`", source] + [_fmt(m, k, f) for k, _, f in TRANSLATION_COLUMNS]
                        + [_time(c)]))
    floor = translators[0]["metrics"].get("floor", {})
    out.append(_row(["the true digits themselves", "–"] + [_fmt(floor, k, f) for k, _, f in TRANSLATION_COLUMNS]
                    + ["–"]))
    n = translators[0]["metrics"].get("n", 0)
    out.append("")
    out.append(f"Image-to-image models, measured by `ganplay eval` on the {n:,} held-out MNIST-5k digits: PSNR "
               "and SSIM against the true digit (torchmetrics); how often our classifier reads the answer as "
               "the true digit, and its mean top probability (how plainly an answer looks like a digit). Each "
               "`-l1` model is the same generator trained on L1 alone, without D's say.")
    out.append("")
    return out


def update_readme(readme: Path = README, root: Path = PRETRAINED) -> bool:
    return write_block("zoo", readme_table(root), readme)


def readme_block(readme: Path = README) -> str:
    return read_block("zoo", readme)
