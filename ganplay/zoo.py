"""The pretrained zoo: small generators that ship in `pretrained/`, each with a JSON card.

    pretrained/<name>.safetensors   the generator's weights (the EMA copy when the run kept one),
                                    in ganplay's checkpoint format, config in the header
    pretrained/<name>.json          the card: full config, steps, wall time, device, and the
                                    metrics `ganplay eval` measured on these weights

This module is the catalogue (names, paths, cards), light enough for `ganplay.sampling` to resolve
a zoo name; `ganplay.zoo_build` regenerates an entry (`ganplay zoo build NAME`: train, export,
evaluate, write the card), `ganplay.zoo_measure` trains and scores an entry over several training
seeds (`ganplay zoo measure NAME`: `pretrained/measure/NAME.json`, and the card's `training_seeds`
block when the configs match) and `ganplay zoo table` prints the README's results table from the cards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ganplay.assets import pretrained_dir

PRETRAINED = pretrained_dir()


@dataclass(frozen=True)
class ZooEntry:
    name: str
    preset: str
    help: str
    overrides: tuple[str, ...] = field(default_factory=tuple)

    @property
    def command(self) -> str:
        return f"ganplay zoo build {self.name}"


# What every card, the Home page and the README say about using these models (issue: responsible use).
DATA_LIMITS = {
    "mnist5k": "learned from MNIST-5k, 5,000 handwritten digits (28 x 28, grey) from the MNIST collection, "
               "written in the 1990s by US Census Bureau employees and high-school students, and from "
               "nothing else: what comes out most readily is the handwriting most common there",
    "stacked-mnist": "learned from Stacked MNIST (three MNIST-5k digits per picture, one per colour "
                     "channel) and from nothing else",
}
POINTS_LIMITS = "learned from a synthetic mixture of 2D Gaussians: points on a plane, not pictures of anything"
MISUSE = ("Realistic generators can be misused to deceive (deepfakes: faces, voices and documents that never "
          "existed); say so when a picture is generated. Generated data carries the biases of the data it "
          "came from and can amplify them: a GAN drops rare kinds of examples first (mode collapse), so a "
          "data set made with it under-represents them further.")


def responsible_use(data_name: str) -> str:
    """A card's note: what its model learned from (the data's limits), and what any generator's
    pictures and data can do."""
    from ganplay.config import POINT_DATASETS

    limits = POINTS_LIMITS if data_name in POINT_DATASETS else DATA_LIMITS.get(
        data_name, f"learned from the {data_name} data set only, with that data's gaps and biases")
    return f"This model {limits}. {MISUSE}"


ZOO: dict[str, ZooEntry] = {
    e.name: e
    for e in [
        # `help` says what the model is; what it does is measured: `describe_card` adds that
        ZooEntry("mnist-cdcgan", "mnist-cdcgan", "Conditional DCGAN on MNIST-5k",
                 ("train.steps=6000", "optim.ema=0.999")),
        # twice the preset's steps with a decaying rate: label accuracy 96.0% (one training) -> 97.3-97.7%
        # over 5 training seeds, FID 8.2 -> 0.6-0.8 (pretrained/measure/mnist-cwgan-gp.json)
        ZooEntry("mnist-cwgan-gp", "mnist-cwgan-gp", "Conditional WGAN-GP on MNIST-5k",
                 ("train.steps=6000", "optim.schedule=linear")),
        ZooEntry("mnist-cstylegan-lite", "mnist-cstylegan-lite", "Conditional StyleGAN-lite on MNIST-5k",
                 ()),
        # R1 on the real digits evens the digits out: class KL 0.11-0.14 -> 0.018-0.032, the rarest digit
        # 2.9-3.8% -> 7.1-7.9% of samples over 5 training seeds (pretrained/measure/mnist-dcgan.json)
        ZooEntry("mnist-dcgan", "mnist-dcgan", "Unconditional DCGAN on MNIST-5k with an R1 penalty on D: nobody "
                 "asks for a digit", ("train.steps=6000", "optim.ema=0.999", "loss.r1_weight=1")),
        ZooEntry("ring8-gan", "ring8-gan", "Vanilla GAN on ring8", ()),
        ZooEntry("ring8-pacgan", "ring8-pacgan", "PacGAN on ring8", ()),
        ZooEntry("grid25-gan", "grid25-gan", "Vanilla GAN on grid25", ()),
        ZooEntry("grid25-pacgan", "grid25-pacgan", "PacGAN on grid25", ()),
        # image-to-image: their Home grids are rows of inputs, answers and true digits
        ZooEntry("mnist-srgan", "mnist-srgan", "4x super-resolution, L1 + adversarial: rows of 7x7 inputs, "
                 "the GAN's answers, the true digits.", ()),
        ZooEntry("mnist-sr-l1", "mnist-sr-l1", "The same 4x super-resolution G trained with L1 only: rows of "
                 "inputs, its answers, the true digits.", ()),
        ZooEntry("mnist-pix2pix", "mnist-pix2pix", "pix2pix, outline to digit: rows of outlines, the GAN's "
                 "answers, the true digits.", ()),
        ZooEntry("mnist-pix2pix-l1", "mnist-pix2pix-l1", "The same outline-to-digit U-Net trained with L1 "
                 "only: rows of outlines, its answers, the true digits.", ()),
    ]
}


# What a card's model makes from what (`card_kind`): every consumer of the zoo asks this.
KINDS = {"points": "2D points from noise", "noise": "images from noise",
         "lowres": "a 28 px digit from a 7x7 one (4x super-resolution)",
         "outline": "a digit from its outline (image-to-image)"}


def card_kind(config: dict) -> str:
    """"points", "noise", "lowres" or "outline" for a card's (or a run's) config as plain data."""
    from ganplay.config import POINT_DATASETS, TRANSLATOR_INPUTS

    if config.get("data", {}).get("name") in POINT_DATASETS:
        return "points"
    return TRANSLATOR_INPUTS.get(config.get("model", {}).get("arch"), "noise")


class ZooError(ValueError):
    pass


def weights_path(name: str, root: Path = PRETRAINED) -> Path:
    return root / f"{name}.safetensors"


def card_path(name: str, root: Path = PRETRAINED) -> Path:
    return root / f"{name}.json"


def measure_path(name: str, root: Path = PRETRAINED) -> Path:
    """Where `ganplay zoo measure NAME` keeps its results: the entry trained over several training
    seeds, each scored on fresh samples (`ganplay.zoo_measure`)."""
    return root / "measure" / f"{name}.json"


def resolve(name_or_path: str | Path, root: Path = PRETRAINED) -> Path:
    """A zoo name (`mnist-cdcgan`) -> its weights file; anything else is taken as a path."""
    text = str(name_or_path)
    if not Path(text).exists() and "/" not in text and not text.endswith(".safetensors"):
        path = weights_path(text, root)
        if path.exists():
            return path
        if text in ZOO:
            raise ZooError(f"zoo model {text!r} is not built here; build it with: {ZOO[text].command}")
    return Path(text)


def read_card(name: str, root: Path = PRETRAINED) -> dict:
    path = card_path(name, root)
    if not path.exists():
        raise ZooError(f"no card for {name!r} in {root}")
    return json.loads(path.read_text())


def has_card(name: str, root: Path = PRETRAINED) -> bool:
    """`name` is one of `cards()`' generators (a card beside its weights), found without reading
    every card: the panel asks this on each request."""
    return name != "classifier" and (root / f"{name}.json").is_file() and weights_path(name, root).exists()


def cards(root: Path = PRETRAINED) -> list[dict]:
    """Every generator card in the zoo, in ZOO order, then any others by name."""
    found = {p.stem: json.loads(p.read_text()) for p in sorted(root.glob("*.json"))
             if weights_path(p.stem, root).exists() and p.stem != "classifier"}
    order = [n for n in ZOO if n in found] + sorted(n for n in found if n not in ZOO)
    return [found[n] for n in order]


# ---------------------------------------------------------------------------------------------
# what a card may say: its numbers with their spread, and its one line written from them
# ---------------------------------------------------------------------------------------------
NOISE_Z = 2.0  # an interval is the measured value ± 2 standard errors (about 95%)
STARVED = 0.25  # a mode is starved below a quarter of a fair share of the samples (in every seed)


def estimate(metrics: dict, key: str) -> tuple[float, float | None] | None:
    """(value, standard error) of one metric in a card's (or `evaluate`'s) metrics, or in its
    floor: a {"mean", "stderr"} dict's, or a number with its `spread` block's standard error (None
    when there is none). None when the metric is not there."""
    value = (metrics or {}).get(key)
    if isinstance(value, dict) and isinstance(value.get("mean"), (int, float)):
        return float(value["mean"]), float(value.get("stderr") or 0.0)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        se = ((metrics.get("spread") or {}).get("se") or {}).get(key)
        return float(value), (None if se is None else float(se))
    return None


def plus_minus(value: float, se: float | None, fmt: str, suffix: str = "") -> str:
    """'0.79 ± 0.01': a value in `fmt` and its standard error with as many decimals (at least two, at
    least the value's; a small spread keeps one significant digit, at most 4 decimals); a
    percentage's spread in percentage points."""
    import math
    import re

    text = fmt.format(value) + suffix
    if se is None:
        return text
    decimals = max([2] + [int(d) for d in re.findall(r"\.(\d)", fmt)])
    shown, decimals = (100 * se, 1) if "%" in fmt else (se, decimals)
    if 0 < shown < 10 ** -decimals:
        decimals = min(4, math.ceil(-math.log10(shown)))
    return text + f" ± {shown:.{decimals}f}"


def at_floor(metrics: dict, key: str) -> tuple[float, float] | None:
    """(mean, standard error of that mean) of a metric measured at the floor's sample size (the
    `at_floor_n` block: the model's samples in disjoint sets as large as the floor), or None."""
    block = (metrics or {}).get("at_floor_n") or {}
    mean, sd = (block.get("mean") or {}).get(key), (block.get("sd") or {}).get(key)
    if mean is None or sd is None or not block.get("sets"):
        return None
    return float(mean), float(sd) / block["sets"] ** 0.5


def within_noise(metrics: dict, key: str) -> bool | None:
    """True when a metric is within noise of real data: the model's interval overlaps the real-data
    floor's (each ± NOISE_Z standard errors). The model is judged at the floor's sample size when
    its metrics carry that (`at_floor_n`: FID, KID, precision and recall depend on the size, and the
    floor has 500 digits against a model's 10,000 samples), else by its own value and spread (2D
    points: both sides 2,500 samples a seed). None when either side has no spread to judge by.
    Models whose intervals overlap are not ranked on that metric either."""
    mine = at_floor(metrics, key) or estimate(metrics, key)
    real = estimate((metrics or {}).get("floor") or {}, key)
    if mine is None or real is None or mine[1] is None or real[1] is None:
        return None
    return abs(mine[0] - real[0]) <= NOISE_Z * (mine[1] + real[1]) + 1e-12


def _pct(x: float) -> str:
    return f"{x:.0%}" if x >= 0.1 else f"{x:.1%}"


def _seed_values(metrics: dict, key: str) -> list[float]:
    value = metrics.get(key)
    if isinstance(value, dict):
        return [float(v) for v in value.get("values") or [value["mean"]]]
    return [] if value is None else [float(value)]


def _dist(a, b) -> float:
    return sum((x - y) ** 2 for x, y in zip(a, b)) ** 0.5


def _between_two(metrics: dict) -> bool:
    """Measured, in every seed: at least 90% of the samples are nearest to two neighbouring modes,
    at least a quarter to each, their centroid within a quarter of the modes' spacing of the two
    centres' midpoint and their RMS radius under half the spacing: one blob between two modes."""
    where = metrics.get("where") or {}
    centres, seeds = where.get("centres") or [], where.get("seeds") or []
    if len(centres) < 2 or not seeds:
        return False
    spacing = min(_dist(a, b) for i, a in enumerate(centres) for b in centres[i + 1:])
    for w in seeds:
        counts, total = w.get("nearest") or [], sum(w.get("nearest") or [])
        if not total or w.get("centroid") is None or w.get("rms_radius") is None:
            return False
        top = sorted(range(len(counts)), key=counts.__getitem__, reverse=True)[:2]
        a, b = centres[top[0]], centres[top[1]]
        mid = [(x + y) / 2 for x, y in zip(a, b)]
        if (_dist(a, b) > 1.01 * spacing or sum(counts[i] for i in top) < 0.9 * total
                or min(counts[i] for i in top) < 0.25 * total or _dist(w["centroid"], mid) > 0.25 * spacing
                or w["rms_radius"] > 0.5 * spacing):
            return False
    return True


def _starved_modes(metrics: dict) -> list[int]:
    """The modes that get under STARVED of a fair share of the samples (nearest centre) in every seed."""
    seeds = (metrics.get("where") or {}).get("seeds") or []
    if not seeds:
        return []
    k = len(seeds[0]["nearest"])
    return [i for i in range(k) if all(w["nearest"][i] < STARVED * sum(w["nearest"]) / k for w in seeds)]


def _starved(metrics: dict) -> int:
    return len(_starved_modes(metrics))


def _points_words(m: dict) -> str:
    k, values = int(m["n_modes"]), _seed_values(m, "modes")
    n, lo, hi = len(values), min(values), max(values)
    each = f"in each of {n} seeds" if n > 1 else "in its 1 seed"
    if lo == hi:
        cover = f"covers all {k} modes {each}" if lo == k else f"covers {lo:g} of {k} modes {each}"
    else:
        cover = f"covers {sum(values) / n:.1f} of {k} modes on average ({lo:g}-{hi:g} over {n} seeds)"
    if hi == 0:
        if _between_two(m):
            return cover + "; its samples sit in one blob between two neighbouring modes, none within 3 std of a centre"
        return cover + "; no sample within 3 std of a centre"
    words = f"{cover}; {_pct(estimate(m, 'hq')[0])} of samples within 3 std of a centre"
    starved = _starved_modes(m)
    if starved:
        centres = (m.get("where") or {}).get("centres") or []
        at = ", ".join(f"({centres[i][0]:.3g}, {centres[i][1]:.3g})" for i in starved) if centres else ""
        words += (f"; {len(starved)} modes get under a quarter of a fair share of the samples in every seed"
                  + (f" (at {at})" if at else ""))
    return words


def _digit_words(m: dict) -> str:
    classes = min(_seed_values(m, "classes") or [0.0])
    shares = (m.get("class_shares") or [None])[0]
    k = len(shares) if shares else 10
    drawn = (f"all {k} digits drawn (each at least 1% of samples)" if classes == k
             else f"{classes:g} of {k} digits drawn with at least 1% of samples")
    acc = estimate(m, "label_acc")
    if m.get("conditional") and acc is not None:
        return f"{acc[0]:.1%} of samples read as the digit asked for; {drawn}"
    if shares:
        rare = min(range(k), key=shares.__getitem__)
        common = max(range(k), key=shares.__getitem__)
        return (f"{drawn}, digit {rare} the rarest at {shares[rare]:.1%} of samples, digit {common} the "
                f"commonest at {_pct(shares[common])} (an even share is {1 / k:.0%})")
    return drawn


def _translation_words(m: dict) -> str:
    acc, real = estimate(m, "label_acc"), estimate(m.get("floor") or {}, "label_acc")
    if acc is None:
        return ""
    return (f"{acc[0]:.1%} of its answers read as the true digit"
            + (f" (the true digits themselves: {real[0]:.1%})" if real else ""))


def describe_card(card: dict) -> str:
    """A zoo card's one-line description, written from its measurements so that it can't claim more
    than was measured: what the model is (its entry's `help`), then for 2D points the modes covered
    (the mean over seeds and the range; "all K ... in each of N seeds" only when every seed covers
    every mode), the high-quality share, starved modes, and "one blob between two neighbouring modes"
    only when the samples' histogram and centroid say so; for digits the digits drawn and, for an
    unconditional model, the rarest and commonest digit's share, for a conditional one its label
    accuracy; for image-to-image models how often the answer reads as the true digit. A card not in
    the zoo's catalogue starts from its own `help` (or its model and data)."""
    name = card.get("name", "")
    config = card.get("config") or {}
    what = (ZOO[name].help if name in ZOO else card.get("help") or  # a card from elsewhere: its own words
            f"{config.get('model', {}).get('arch', 'GAN')} on {config.get('data', {}).get('name', '?')}")
    what = what.rstrip(". ")
    m = card.get("metrics") or {}
    words = ""
    if m.get("available"):
        words = {"points": _points_words, "images": _digit_words,
                 "translation": _translation_words}.get(m.get("kind"), lambda _: "")(m)
    seeds = training_seeds_words(card.get("training_seeds") or {})
    words = "; ".join(w for w in (words, seeds) if w)
    return f"{what}{'; ' if ':' in what else ': '}{words}." if words else f"{what}."


def _range(stats: dict, fmt: str) -> str:
    """'90.1-91.3% (median 90.6%)' from a summary's {"min", "median", "max"}; '91.3% in each' when
    every seed shows the same (as printed)."""
    lo, mid, hi = (fmt.format(stats[k]) for k in ("min", "median", "max"))
    if lo == hi:
        return f"{lo} in each"
    return f"{lo.rstrip('%')}-{hi} (median {mid})"


def training_seeds_words(summary: dict) -> str:
    """What several independent trainings of a zoo entry showed (`zoo_measure.summarise`'s block,
    a card's `training_seeds`), never more than was measured: "over 5 training seeds: every mode in
    4 of 5, high quality 88.0-91.3% (median 90.6%)"; for digits the label accuracy's range
    (conditional), the rarest digit's smallest share, the largest class KL and the mean confidence;
    for image-to-image models how often the answers read as the true digit. A seed whose training
    failed counts against every goal. '' when nothing was measured."""
    n, stats = summary.get("n") or 0, summary.get("metrics") or {}
    if not n:
        return ""
    failed = len(summary.get("failed") or [])
    head = f"over {n} training seed{'s' if n != 1 else ''}" + (f" ({failed} failed to train)" if failed else "")
    parts = []
    kind = summary.get("kind")
    if kind == "points" and "modes" in stats:
        parts.append(f"every mode in {summary['every_mode_seeds']} of {n}")
        if "hq" in stats:
            parts.append(f"high quality {_range(stats['hq'], '{:.1%}')}")
    elif kind == "images" and stats:
        if summary.get("conditional") and "label_acc" in stats:
            parts.append(f"label accuracy {_range(stats['label_acc'], '{:.1%}')}")
        low = summary.get("class_min_share_min")
        if low is not None:
            parts.append(f"the rarest digit at least {low:.1%} of samples" if low >= 0.01 else
                         f"the rarest digit under 1% of samples in {summary.get('digit_missing_seeds', 0)} of {n}")
        if summary.get("class_kl_max") is not None:
            parts.append(f"class KL at most {summary['class_kl_max']:.3f}")
        if summary.get("confidence_mean") is not None:
            parts.append(f"classifier confidence {summary['confidence_mean']:.1%} on average")
    elif kind == "translation" and "label_acc" in stats:
        parts.append(f"read as the true digit {_range(stats['label_acc'], '{:.1%}')}")
    return f"{head}: {', '.join(parts)}" if parts else head if failed else ""


def _rounds_to(text: str, value: float, percent: bool = False) -> bool:
    """`text` (as printed, maybe a percentage) is `value` rounded to the digits it shows."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return abs(float(text) - value * (100 if percent else 1)) <= 0.5 * 10 ** -decimals + 1e-9


def unsupported_claims(text: str, card: dict) -> list[str]:
    """The claims in `text` about `card`'s model that its measurements do not back, each with why
    ([] when every claim checks out). Read: coverage words ("every mode", "all 25", "complete",
    "onto one mode", "misses modes", "between two modes", "X of K modes" with "on average", "in
    each of N seeds" or "(a-b over N seeds)", starved modes, "N% of samples within 3 std") for 2D
    models; "all 10 digits", "N of 10 digits", label accuracy and the rarest and commonest digit's
    share for digit models; the share read as the true digit for image-to-image models; and what
    several trainings showed (a card's `training_seeds`: "over N training seeds", "every mode in X
    of N", ranges with their median, the rarest digit's smallest share, ...)."""
    import re

    m = card.get("metrics") or {}
    bad: list[str] = []

    def need(ok: bool, claim: str, why: str) -> None:
        if not ok:
            bad.append(f"{claim!r}: {why}")

    kind = m.get("kind")
    if kind == "points":
        k, values = int(m["n_modes"]), _seed_values(m, "modes")
        lo, hi, n = min(values), max(values), len(values)
        mean = sum(values) / n
        seen = f"measured {', '.join(f'{v:g}' for v in values)} of {k} over {n} seeds"
        every = r"\b(?:every mode(?! in \d+ of \d+)|all (?:the |its )?modes|all (\d+)\b(?! of)|complete)"
        for hit in re.finditer(every, text, re.I):  # "every mode in 4 of 5": training seeds, below
            need(lo == k and (hit.group(1) is None or int(hit.group(1)) == k), hit.group(0),
                 f"every seed must cover all {k} modes; {seen}")
        for hit in re.finditer(r"(\d+(?:\.\d+)?) of (\d+) modes( on average| in each of (\d+) seeds)?", text, re.I):
            x, total, how, each = hit.group(1), int(hit.group(2)), hit.group(3) or "", hit.group(4)
            if total != k:
                need(False, hit.group(0), f"the data has {k} modes")
            elif "average" in how:
                need(_rounds_to(x, mean), hit.group(0), f"the mean is {mean:.2f}; {seen}")
            elif each:
                need(lo == hi == float(x) and int(each) == n, hit.group(0), seen)
            else:
                need(lo <= float(x) <= hi, hit.group(0), seen)
        for hit in re.finditer(r"\((\d+)-(\d+) over (\d+) (?:sampling )?seeds\)", text):
            need((float(hit.group(1)), float(hit.group(2)), int(hit.group(3))) == (lo, hi, n), hit.group(0), seen)
        for hit in re.finditer(r"\b(?:onto|on|in) (?:one|a single) mode\b", text, re.I):
            need(lo == hi == 1, hit.group(0), f"a single covered mode in every seed; {seen}")
        missing = r"\bmiss(?:es|ing)? (?:many |some |a few )?(?:of (?:the|its) )?(?:\d+ )?modes\b"
        for hit in re.finditer(missing, text, re.I):
            need(hi < k, hit.group(0), f"a seed covered all {k}; {seen}")
        for hit in re.finditer(r"between two (?:neighbouring |adjacent )?modes", text, re.I):
            need(_between_two(m), hit.group(0), "the samples' histogram and centroid do not place them there")
        for hit in re.finditer(r"\b(?:no sample|none) within 3 std", text, re.I):
            need(hi == 0, hit.group(0), f"{seen}")
        for hit in re.finditer(r"(\d+(?:\.\d+)?)% of (?:the |its )?samples within 3 std", text, re.I):
            hq = estimate(m, "hq")[0]
            need(_rounds_to(hit.group(1), hq, percent=True), hit.group(0), f"measured {hq:.2%}")
        for hit in re.finditer(r"(\d+) modes get under a quarter of a fair share", text, re.I):
            need(int(hit.group(1)) == _starved(m), hit.group(0), f"measured {_starved(m)}")
    elif kind == "images":
        classes = _seed_values(m, "classes")
        shares = (m.get("class_shares") or [None])[0]
        for hit in re.finditer(r"\b(?:all (\d+) digits|every digit)\b", text, re.I):
            need(bool(classes) and min(classes) == float(hit.group(1) or 10) == 10, hit.group(0),
                 f"measured {classes} digits with at least 1% of samples")
        for hit in re.finditer(r"(\d+) of (\d+) digits", text):
            need(bool(classes) and min(classes) == max(classes) == float(hit.group(1)), hit.group(0),
                 f"measured {classes}")
        for hit in re.finditer(r"(\d+(?:\.\d+)?)% of samples read as the digit asked for", text):
            acc = estimate(m, "label_acc")
            need(acc is not None and _rounds_to(hit.group(1), acc[0], percent=True), hit.group(0),
                 f"measured {acc}")
        for hit in re.finditer(r"digit (\d) the (rarest|commonest) at (\d+(?:\.\d+)?)%", text):
            digit, which, pct = int(hit.group(1)), hit.group(2), hit.group(3)
            if not shares:
                need(False, hit.group(0), "the card has no class shares")
                continue
            pick = (min if which == "rarest" else max)(range(len(shares)), key=shares.__getitem__)
            need(pick == digit and _rounds_to(pct, shares[digit], percent=True), hit.group(0),
                 f"the {which} is digit {pick} at {shares[pick]:.2%}")
    elif kind == "translation":
        for hit in re.finditer(r"(\d+(?:\.\d+)?)% of its answers read as the true digit", text):
            acc = estimate(m, "label_acc")
            need(acc is not None and _rounds_to(hit.group(1), acc[0], percent=True), hit.group(0), f"measured {acc}")
    _training_seed_claims(text, card.get("training_seeds") or {}, need)
    return bad


def _training_seed_claims(text: str, block: dict, need) -> None:
    """`unsupported_claims` for what several trainings showed (a card's `training_seeds` block,
    written by `ganplay zoo measure`): "over N training seeds", "every mode in X of N", a range of
    high quality, label accuracy or answers read as the true digit with its median, the rarest
    digit's smallest share, the largest class KL, the mean confidence."""
    import re

    n, stats = block.get("n") or 0, block.get("metrics") or {}
    none = "no training seeds measured (ganplay zoo measure NAME)"
    for hit in re.finditer(r"\bover (\d+) training seeds?\b", text, re.I):
        need(bool(n) and int(hit.group(1)) == n, hit.group(0), f"measured {n} training seeds" if n else none)
    for hit in re.finditer(r"\bevery mode in (\d+) of (\d+)", text, re.I):
        got = (block.get("every_mode_seeds"), n)
        need(bool(n) and (int(hit.group(1)), int(hit.group(2))) == got, hit.group(0),
             f"every mode in {got[0]} of {got[1]} training seeds" if n else none)
    number = r"(\d+(?:\.\d+)?)"
    ranges = (("high quality", "hq"), ("label accuracy", "label_acc"), ("read as the true digit", "label_acc"))
    for words, key in ranges:
        pattern = rf"{words} {number}-{number}% \(median {number}%\)|{words} {number}% in each\b"
        for hit in re.finditer(pattern, text, re.I):
            got = stats.get(key)
            if not got:
                need(False, hit.group(0), f"no {key} over training seeds" if n else none)
                continue
            lo, hi, mid, one = hit.groups()
            if one is not None:  # a single value: every seed the same
                ok = _rounds_to(one, got["min"], True) and _rounds_to(one, got["max"], True)
            else:
                ok = (_rounds_to(lo, got["min"], True) and _rounds_to(hi or lo, got["max"], True)
                      and _rounds_to(mid, got["median"], True))
            need(ok, hit.group(0), f"measured {got['min']:.2%}-{got['max']:.2%} (median {got['median']:.2%}) "
                                   f"over {n} training seeds")
    checks = ((rf"the rarest digit at least {number}% of samples", "class_min_share_min", True),
              (rf"class KL at most {number}", "class_kl_max", False),
              (rf"classifier confidence {number}% on average", "confidence_mean", True))
    for pattern, key, percent in checks:
        for hit in re.finditer(pattern, text, re.I):
            got = block.get(key)
            need(got is not None and _rounds_to(hit.group(1), got, percent), hit.group(0),
                 f"measured {got}" if n else none)
    for hit in re.finditer(r"the rarest digit under 1% of samples in (\d+) of (\d+)", text, re.I):
        got = (block.get("digit_missing_seeds"), n)
        need(bool(n) and (int(hit.group(1)), int(hit.group(2))) == got, hit.group(0), f"measured {got[0]} of {got[1]}")
