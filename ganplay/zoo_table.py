"""The README's results table, generated from the zoo's cards (never typed by hand).

`ganplay zoo table` prints it; `ganplay zoo table --write-readme` rewrites the block between
`<!-- zoo:start -->` and `<!-- zoo:end -->` in README.md; a test checks the two agree.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ganplay.readme import README, read_block, write_block
from ganplay.zoo import PRETRAINED, cards


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


def _fmt(metrics: dict, key: str, fmt: str, suffix: str = "") -> str:
    value = metrics.get(key)
    if value is None:
        return "–"
    if isinstance(value, dict):  # mean and standard error over seeds
        mean, se = value.get("mean"), value.get("stderr") or 0.0
        decimals = max([2] + [int(d) for d in re.findall(r"\.(\d)f", fmt)])  # SSIM's 0.004 needs three
        se_text = f"{100 * se:.1f}" if "%" in fmt else f"{se:.{decimals}f}"
        return fmt.format(mean) + suffix + f" ± {se_text}"
    return fmt.format(value) + suffix


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _time(card: dict) -> str:
    return f"{card.get('steps', 0):,} steps, {card.get('wall_time_s', 0):.0f} s on {card.get('device', '?')}"


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
        for c in images:
            m = c["metrics"]
            cells = [_fmt(m.get("memorisation", {}), k, f) for k, _, f in MEMO_COLUMNS] if memo else []
            out.append(_row([f"`{c['name']}`"] + [_fmt(m, k, f) for k, _, f in IMAGE_COLUMNS] + cells + [_time(c)]))
        floor = images[0]["metrics"].get("floor")
        if floor:
            block = images[0]["metrics"].get("memorisation", {})
            cells = [_fmt(block, "heldout_median", "{:.2f}"), "5% (by definition)"] if memo else []
            out.append(_row(["real held-out digits (the floor)"] + [_fmt(floor, k, f) for k, _, f in IMAGE_COLUMNS]
                            + cells + ["500 held-out vs 4,500 training images"]))
        n = images[0].get("eval", {}).get("n")
        out.append("")
        out.append(f"Measured by `ganplay eval` on {n:,} samples per model with our MNIST classifier. "
                   "\\*FID, KID and IS use that classifier's features, not Inception's: compare them "
                   "with the floor row, not with published numbers.")
        if memo:
            flagged = [c["name"] for c in images if c["metrics"].get("memorisation", {}).get("flagged")]
            out.append("")
            out.append("†The memorisation check: each sample's distance to its nearest training digit in the "
                       "classifier's features (the median), and the share of samples suspiciously close to a "
                       "training digit: closer than 95% of the held-out digits are. New digits show 5%; a "
                       "generator that copies its training digits shows far more (flagged from 10%). "
                       + (f"Flagged here: {', '.join(f'`{n}`' for n in flagged)}." if flagged
                          else "None of these is flagged."))
        out.append("")
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
        out.append("")
        out.append("The VEEGAN/PacGAN protocol: 2,500 samples per seed; a sample is high quality within 3 "
                   "std of its nearest centre; a mode is covered with at least one high-quality sample; "
                   "mean ± standard error over 5 seeds.")
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
