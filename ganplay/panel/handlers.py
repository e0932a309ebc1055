"""The panel's handlers: plain functions over `ganplay.explore`, no Gradio in sight.

Each takes the widgets' values (a generator name, a seed, a label, ...) and returns PIL images,
text or bytes, so tests call them directly; the Blocks in `ganplay.panel.blocks` only wire them to
widgets (and turn `ExploreError` into a message in the page). Bad input raises `ExploreError` with
a message that says what is allowed.

A generator is a name, never a path: a zoo model (`mnist-cdcgan`) or a run under the runs folder
(`runs/<run id>`), resolved here on the server (`explore.resolve_name`). In demo mode
(`jobs.demo_mode`) the panel has caps of its own (`limits()`), stated in the page.

Walks, maps, interpolations and the all-labels row start from a seed or from an `explore.Latent`
(a visitor's projected digit, `ganplay.panel.project`): `walk(generator, seed_or_latent, ...)`
and the others take either; `walk_from(start, ...)` and its siblings are what the panel wires, with
the visitor's `Start` (kept in a per-session `gr.State`, hidden from API clients) ahead of the
seed API's inputs: while it holds a code of the chosen generator, that code replaces the seed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ganplay import explore as E
from ganplay.glossary import metric
from ganplay.jobs import demo_mode, list_runs, runs_root
from ganplay.panel.shared_pass import SharedPass
from ganplay.train.rundir import RunDir, step_of
from ganplay.zoo import (ZooError, at_floor, card_kind, cards, describe_card, estimate, plus_minus, read_card,
                         within_noise)

N_SLIDERS = 6          # principal-direction sliders in the Walk tab
SLIDER_RANGE = 3.0     # +- standard deviations
IMAGE_SCALE = 8        # 28 px -> 224 px for the main image
GRID_SCALE = 3         # cells of grids and strips
COMPARE = ("mnist-cdcgan", "mnist-cwgan-gp", "mnist-cstylegan-lite")
DEFAULT = "mnist-cstylegan-lite"
WALK_BATCH = 16       # slider moves drawn in one forward pass at most (and /walk's threads)
MAX_EXTRA = 3         # extra generators (runs, other zoo models) in the comparison
# Demo mode (a public Space): what one request may cost. 16 frames is a smooth walk; a 6 x 6 grid
# shows a direction's effect; one large picture at a time leaves a core for the sliders.
DEMO_FRAMES, DEMO_GRID, DEMO_HEAVY_AT_ONCE = 16, 6, 1


@dataclass(frozen=True)
class Limits:
    demo: bool
    frames: int  # per interpolation
    grid: int  # side of a latent map or seed grid (all classes: at most 10 x this many)
    heavy_at_once: int | None  # large pictures (maps, grids, interpolations, comparisons) at a time

    def text(self) -> str:
        if not self.demo:
            return ""
        return (f"**Public demo:** interpolations of up to {self.frames} frames, grids up to "
                f"{self.grid} x {self.grid}, {self.heavy_at_once} large picture (map, grid, "
                "interpolation, comparison) at a time; the rest wait their turn.")


def limits() -> Limits:
    if demo_mode():
        return Limits(True, DEMO_FRAMES, DEMO_GRID, DEMO_HEAVY_AT_ONCE)
    return Limits(False, E.MAX_FRAMES, E.MAX_GRID, None)


def _frames(frames) -> int:
    frames, cap = E.check_frames(frames), limits()
    if frames > cap.frames:
        raise E.ExploreError(f"this public demo makes interpolations of 2..{cap.frames} frames, got {frames}")
    return frames


def _side(side) -> int:
    side, cap = E.check_grid(side), limits()
    if side > cap.grid:
        raise E.ExploreError(f"this public demo draws grids of 1..{cap.grid} per side, got {side}")
    return side


# -- what can be explored -----------------------------------------------------------------------
def zoo_choices() -> list[tuple[str, str]]:
    """(label, value) for every noise-to-image generator in pretrained/ (2D ones go to the
    Playground, image-to-image ones to their own tab)."""
    out = []
    for card in cards():
        if card_kind(card.get("config", {})) != "noise":
            continue
        out.append((f"zoo: {card['name']}", card["name"]))
    return out


def run_choices(root: str | Path | None = None) -> list[tuple[str, str]]:
    """(label, name) for every run the Runs page lists (`jobs.list_runs`, under GANPLAY_RUNS or
    `root`) that has a checkpoint and image data; the name is `runs/<run id>`."""
    root = runs_root(root)  # the dashboard's default too (GANPLAY_RUNS, a Space's /data, ./runs)
    found = []
    for info in list_runs(root):
        ckpts = info.run.checkpoint_paths() if info.kind == "run" else []
        # the explorer walks noise: 2D runs have their playground, image-to-image runs no noise
        # (and a config.json that can't be read lists as {}: nothing to tell)
        if not ckpts or not info.config or card_kind(info.config) != "noise":
            continue
        rel = info.path.relative_to(root).as_posix()
        found.append((f"run: {rel} (step {step_of(ckpts[-1])})", E.RUN_PREFIX + rel))
    return found


def generator_choices(root: str | Path | None = None) -> list[tuple[str, str]]:
    return zoo_choices() + run_choices(root)


def checkpoints(generator: str) -> list[Path]:
    """A run's saved checkpoints, oldest first (a zoo model: just its weights)."""
    if str(generator).startswith(E.RUN_PREFIX):
        return RunDir(E.run_dir(generator)).checkpoint_paths()
    return [E.resolve_name(generator)]


# -- info about one generator -------------------------------------------------------------------
def describe(generator: str) -> dict:
    """What the widgets need: classes, style layers, directions' explained variance, a blurb."""
    gen = E.get_generator(generator)
    dirs = E.directions(gen, N_SLIDERS)
    kind = "StyleGAN-lite (directions in w)" if E.is_style(gen) else f"{gen.config.model.arch} (directions in z)"
    cond = f"conditional, {gen.n_classes} classes" if gen.n_classes else "unconditional"
    names = gen.class_names or [str(i) for i in range(gen.n_classes)]
    measured = ""
    if str(generator) in E.zoo_names():  # a zoo model: what its card measured, in one line
        try:
            measured = "  \n" + describe_card(read_card(str(generator)))
        except ZooError:
            pass
    return {
        "classes": [(names[i] if i < len(names) else str(i), i) for i in range(gen.n_classes)],
        "num_ws": E.num_styles(gen),
        "explained": [float(v) for v in dirs.explained],
        "checkpoints": len(checkpoints(generator)),
        "text": f"**{Path(str(generator)).name}**: {kind}, {cond}, trained {gen.step} steps; "
                f"{gen.z_dim} random numbers make one picture (z_dim); pictures of "
                f"{'x'.join(map(str, gen.out_shape))} (channels x height x width)." + measured,
    }


def direction_label(i: int, explained: float | None = None) -> str:
    """A Walk slider's label: 'Direction 1 (15% of the variation)'."""
    return f"Direction {i + 1}" + (f" ({explained:.0%} of the variation)" if explained is not None else "")


DIRECTION_INFO = ("Principal components (PCA) of the latent space, the first changing the pictures most; "
                  "in standard deviations from the seed's point.")
SEED_INFO = f"0..{E.MAX_SEED}; a seed always gives the same picture"
TRUNCATION_INFO = ("Truncation psi: 1 = the generator's full variety; lower pulls the random input toward its centre "
                   "(StyleGAN-lite: the average w) for more typical, less varied pictures; 0 = the average picture.")
PATH_CHOICES = [("straight (linear)", "linear"), ("curved (spherical, slerp)", "spherical")]
PATH_INFO = "Curved keeps the random input at its usual length all the way: no washed-out middle"


# -- where a walk starts ------------------------------------------------------------------------
@dataclass(frozen=True)
class Start:
    """A visitor's projected code (`latent`) of the generator named `generator`: walks start
    there instead of at the seed while it is kept."""

    generator: str
    latent: E.Latent


def origin(start, generator: str, seed):
    """The latent code of `start` when it belongs to `generator`; otherwise the seed (checked). A
    code of another generator is not used: it was found for that generator's pictures."""
    if isinstance(start, Start) and start.generator == str(generator):
        return start.latent
    return E.check_seed(seed)


def _origin(seed):
    return seed if isinstance(seed, E.Latent) else E.check_seed(seed)


# -- Walk ---------------------------------------------------------------------------------------
def walk(generator: str, seed, label, truncation, *amounts) -> Image.Image:
    """The image of a seed (or an `explore.Latent`) moved along the principal directions (one
    slider value per direction). Checked here, then drawn in a forward pass shared with the other
    visitors' moves waiting at the same moment (`SharedPass`)."""
    gen = E.get_generator(generator)
    seed = _origin(seed)
    if isinstance(seed, E.Latent):
        E.check_latent(gen, seed)
    move = (seed, [_amount(a) for a in amounts], E.check_label(gen, label),
            E.check_truncation(truncation))
    return E.single_image(_WALKS(gen, move), IMAGE_SCALE)


def _walk_many(gen, moves):
    x = E.walk_many(gen, moves)
    return [x[i:i + 1] for i in range(len(moves))]


_WALKS = SharedPass(_walk_many, max_batch=WALK_BATCH)


def latent_map(generator: str, seed, label, truncation, dir_x, dir_y, side, extent, *amounts) -> Image.Image:
    """A grid over two directions around a seed's (or an `explore.Latent`'s) point."""
    gen = E.get_generator(generator)
    seed = _origin(seed)
    side = _side(side)
    x = E.latent_map(gen, seed, _direction(dir_x), _direction(dir_y), side, extent,
                     E.check_label(gen, label), truncation, [_amount(a) for a in amounts])
    return E.grid_image(x, side, GRID_SCALE)


def interpolation(generator: str, seed_a, seed_b, frames, mode, label, truncation) -> tuple[Image.Image, bytes]:
    """A strip of the frames and the same walk as an animated GIF (from seed_a or an
    `explore.Latent` to seed_b)."""
    gen = E.get_generator(generator)
    seed_a, seed_b, frames = _origin(seed_a), E.check_seed(seed_b), _frames(frames)
    x = E.interpolation(gen, seed_a, seed_b, frames, mode, E.check_label(gen, label), truncation)
    return E.grid_image(x, min(frames, 16), GRID_SCALE), E.gif_bytes(x)


# the panel's wiring: the visitor's Start (a gr.State, not in the API) first, then the seed API
def walk_from(start, generator: str, seed, label, truncation, *amounts) -> Image.Image:
    return walk(generator, origin(start, generator, seed), label, truncation, *amounts)


def latent_map_from(start, generator: str, seed, label, truncation, dir_x, dir_y, side, extent,
                    *amounts) -> Image.Image:
    return latent_map(generator, origin(start, generator, seed), label, truncation, dir_x, dir_y, side, extent,
                      *amounts)


def _unasked(fn, *args):
    """`fn(*args)` for a picture drawn without a click (the page opening, a tab opened, another
    generator chosen): None where it cannot be drawn, not an error message nobody asked for (the
    picture's own button, or the walk, says why)."""
    try:
        return fn(*args)
    except E.ExploreError:
        return None


def latent_map_shown(start, generator: str, seed, label, truncation, dir_x, dir_y, side, extent,
                     *amounts) -> Image.Image | None:
    return _unasked(latent_map_from, start, generator, seed, label, truncation, dir_x, dir_y, side, extent,
                    *amounts)


def interpolation_from(start, generator: str, seed_a, seed_b, frames, mode, label,
                       truncation) -> tuple[Image.Image, bytes]:
    return interpolation(generator, origin(start, generator, seed_a), seed_b, frames, mode, label, truncation)


def interpolation_shown(start, generator: str, seed_a, seed_b, frames, mode, label,
                        truncation) -> tuple[Image.Image | None, bytes | None]:
    return _unasked(interpolation_from, start, generator, seed_a, seed_b, frames, mode, label,
                    truncation) or (None, None)


def all_classes_from(start, generator: str, seed, truncation) -> Image.Image:
    return all_classes(generator, origin(start, generator, seed), truncation)


# -- Labels -------------------------------------------------------------------------------------
def all_classes(generator: str, seed, truncation) -> Image.Image:
    """The same z (a seed's, or a z `explore.Latent`) for every label, in one row."""
    gen = E.get_generator(generator)
    cap = limits()
    if cap.demo and gen.n_classes > cap.grid * 10:
        raise E.ExploreError(f"this public demo draws at most {cap.grid * 10} classes in a row; "
                             f"this generator has {gen.n_classes}")
    x = E.all_classes(gen, _origin(seed), truncation)
    return E.grid_image(x, min(len(x), 10), GRID_SCALE + 1)


def seed_grid(generator: str, seed, label, truncation, side) -> Image.Image:
    """side x side different seeds (seed, seed+1, ...) for one label: what the noise controls."""
    gen = E.get_generator(generator)
    seed, side = E.check_seed(seed), _side(side)
    label = E.check_label(gen, label)
    seeds = [(seed + i) % (E.MAX_SEED + 1) for i in range(side * side)]
    return E.grid_image(E.seed_grid(gen, seeds, label, truncation), side, GRID_SCALE)


def labels_on_open(start, generator: str, seed, label, truncation, side) -> tuple[Image.Image | None, Image.Image]:
    """What the Labels tab shows as it opens, instead of two empty frames: the seed under every
    label (none for an unconditional generator, or a projected w code, which holds its label) and
    the grid of seeds."""
    return _unasked(all_classes_from, start, generator, seed, truncation), seed_grid(generator, seed, label,
                                                                                  truncation, side)


# -- Compare ------------------------------------------------------------------------------------
def short_name(generator: str) -> str:
    return Path(str(generator)).name


def metrics_text(name: str) -> str:
    """A card's headline metrics as a short Markdown list (or why there are none)."""
    try:
        if name not in E.zoo_names():  # a card is read by zoo name only, never by a given path
            raise ZooError(name)
        card = read_card(name)
    except ZooError:
        return f"**{short_name(name)}**: a training run (no card: `ganplay eval` it to get metrics)"
    m = card.get("metrics") or {}
    if not m.get("available", True) or not m:
        return f"**{name}**: no metrics on its card"
    lines = [line for key, fmt in CARD_METRICS if (line := _metric_line(m, key, fmt))]
    return f"**{name}** ({card.get('steps', '?')} steps)  \n" + "  \n".join(lines)


def _metric_line(m: dict, key: str, fmt: str) -> str:
    """'FID 0.79 ± 0.01 (lower is better); on 500 samples, as the real digits are measured: 2.10 ± 0.13
    against their 0.82 ± 0.40': the number with its standard error when the card has one, and the
    comparison with real digits that decides "within noise of real digits" (at the floor's size
    when the card measured that, `zoo.within_noise`)."""
    mine = estimate(m, key)
    if mine is None:
        return ""
    cell = lambda e: plus_minus(*e, fmt)  # noqa: E731
    real = estimate(m.get("floor") or {}, key)
    text = f"{metric(key).label} {cell(mine)} ({metric(key).better} is better)"
    if real is None:
        return text
    level = at_floor(m, key)
    if level is not None:
        text += (f"; on {m['at_floor_n']['n']} samples, as the real digits are measured: {cell(level)} against "
                 f"their {cell(real)}")
    else:
        text += f"; real digits {cell(real)}"
    return text + (", within noise of real digits" if within_noise(m, key) else "")


# the cards' headline numbers: key on the card and format (label and meaning: ganplay.glossary)
CARD_METRICS = (("fid", "{:.2f}"), ("kid", "{:.4f}"), ("is", "{:.2f}"), ("precision", "{:.2f}"),
                ("recall", "{:.2f}"), ("label_acc", "{:.1%}"), ("coverage", "{:.2f}"))


def metrics_legend() -> str:
    """One line per metric of the cards: what it means and which way is better."""
    lines = [f"- **{metric(key).label}** {metric(key).meaning}; **{metric(key).better} is better**."
             for key, _ in CARD_METRICS]
    return ("**What the numbers mean** (measured with our MNIST classifier's features, not Inception's: "
            "compare the generators with each other, not with published numbers)\n\n" + "\n".join(lines))


def compare(seed, label, truncation, names=COMPARE) -> list[Image.Image]:
    """The same seed and label through each generator (one image each)."""
    return [walk(n, seed, label, truncation) for n in names]


def compare_interpolation(seed_a, seed_b, frames, mode, label, truncation, names=COMPARE) -> list[Image.Image]:
    _frames(frames)
    return [interpolation(n, seed_a, seed_b, frames, mode, label, truncation)[0] for n in names]


def timeline(generator: str, index, seed, label, truncation) -> tuple[Image.Image, str]:
    """The seed at the run's `index`-th saved checkpoint (0 = oldest; -1 or past the end: newest)."""
    paths = checkpoints(generator)
    if not paths:
        raise E.ExploreError(f"{generator} has no checkpoint yet")
    index = E.check_whole(index, "checkpoint index")
    if index < 0 or index >= len(paths):
        index = len(paths) - 1
    gen = E.noise_generator(E.cached_generator(paths[index], f"{short_name(generator)} at checkpoint {index + 1}"),
                            generator)
    img = E.single_image(E.walk(gen, E.check_seed(seed), [], E.check_label(gen, label), truncation), IMAGE_SCALE)
    return img, f"checkpoint {index + 1} of {len(paths)}: step {gen.step}"


def style_mix(generator: str, seed_a, seed_b, crossover, label, truncation) -> Image.Image:
    """A | B | mix (A's coarse styles, B's from the crossover layer on) in one row."""
    gen = E.get_generator(generator)
    x = E.style_mix(gen, E.check_seed(seed_a), E.check_seed(seed_b), crossover, E.check_label(gen, label),
                    truncation)
    return E.grid_image(x, 3, IMAGE_SCALE // 2)


def _amount(a) -> float:
    v = E.check_number(0.0 if a is None or a == "" else a, "slider values must be numbers")
    if not -10 <= v <= 10:
        raise E.ExploreError(f"slider values must be within +-10 standard deviations, got {E.shown(v)}")
    return v


def _direction(d) -> int:
    if isinstance(d, str) and d.upper().startswith("PC"):
        d = d[2:]
        return E.check_whole(d, "direction") - 1
    return E.check_whole(d, "direction")


def style_choices(root: str | Path | None = None) -> list[tuple[str, str]]:
    """The generators that have per-layer styles (StyleGAN-lite), for the style-mixing view."""
    out = []
    for label, value in generator_choices(root):
        try:
            cfg = read_card(value)["config"] if label.startswith("zoo:") else \
                json.loads((E.run_dir(value, root) / "config.json").read_text())
        except (OSError, ValueError):
            continue
        if "style" in str(cfg.get("model", {}).get("arch", "")):
            out.append((label, value))
    return out
