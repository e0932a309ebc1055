"""The Project your digit tab: draw a digit (or upload a picture), find the latent code that
reproduces it for the generator chosen above, see the reconstruction beside the input with its
error, and walk on from there with the Walk and Labels tabs.

The search is `ganplay.projection`'s; this module checks the input (through `img2img`'s picture
checks), runs it with a progress bar and lays out the answer. What a visitor finds stays theirs:
the last projection and the code their walks start from live in per-session `gr.State`s
(`projected` here, `c.start` made by `start_note`), never in this module. A projection is the
panel's heaviest call: one at a time per visitor (a per-session guard, as API clients can send
several), `concurrency_id="project"` for everyone (1 at a time in demo mode, where the queue's
position shows in the outputs), and steps capped (`P.MAX_STEPS`, `DEMO_STEPS` in demo mode).

Bad input (a blank canvas, a file that is no picture, one too large, a second projection while
the first runs) is answered in the result's text, the pictures emptied, and not as an error toast
like the other tabs': inside the dashboard the panel's frame is as tall as its content, so a
toast at its top is out of sight of a visitor scrolled down to this tab's button. API clients
read the same text (the third output).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import gradio as gr
import torch

from ganplay import explore as E
from ganplay import projection as P
from ganplay.img2img import read_picture
from ganplay.panel import CONCURRENCY, guard
from ganplay.panel import handlers as H
from ganplay.panel.errors import public_message
from ganplay.panel.numbers import Slider

SCALE = 6  # 28 px shown at 168 px, pixels kept sharp
DEMO_STEPS = 300
DEMO_AT_ONCE = 1
AUTO = "auto"
SPACE_CHOICES = [("z: the noise (every generator)", "z"), ("w: one style for every layer", "w"),
                 ("w+: a style per layer (closest)", "w+")]
LABEL_CHOICES = [("the classifier's reading", AUTO)] + [(str(i), i) for i in range(10)]
EMPTY_DRAWING = "The canvas is empty: draw a digit first (pick the brush at the canvas's left)."
EMPTY_UPLOAD = "No digit found in the picture: it is all one shade. Upload a dark digit on light paper or the reverse."

INTRO = ("Draw a digit (pick the brush at the canvas's left first) or upload a picture of one, and the app "
         "searches for the **latent code** whose picture comes closest, for the generator chosen above: "
         "**z**, the noise, for every generator; for StyleGAN-lite also **w** (the mapped style, the same for "
         "every layer) or **w+** (a style per layer: closest, but further from what the generator makes by "
         "itself). Then press *Walk on from here*: the Walk tab's sliders, map and interpolation and the "
         "Labels tab start from your digit instead of the seed.")


def max_steps() -> int:
    return DEMO_STEPS if H.limits().demo else P.MAX_STEPS


def check_steps(steps) -> int:
    steps, cap = P.check_steps(steps), max_steps()
    if steps > cap:
        raise E.ExploreError(f"this public demo searches for at most {cap} steps, got {steps}")
    return steps


# -- one projection per visitor at a time -------------------------------------------------------
_BUSY: set[str] = set()
_BUSY_LOCK = threading.Lock()


class one_at_a_time:
    """Refuses a visitor's second projection while their first still runs (the queue's limit is
    for everyone; an API client can send several at once)."""

    def __init__(self, session: str | None) -> None:
        self.session = session

    def __enter__(self):
        if self.session is None:
            return self
        with _BUSY_LOCK:
            if self.session in _BUSY:
                raise E.ExploreError("Your last projection is still running: one at a time, please.")
            _BUSY.add(self.session)
        return self

    def __exit__(self, *exc) -> None:
        if self.session is not None:
            with _BUSY_LOCK:
                _BUSY.discard(self.session)


# -- the work, without Gradio -------------------------------------------------------------------
@dataclass
class Outcome:
    generator: str
    target: torch.Tensor  # (1, C, H, W)
    found: P.Projection
    baseline: float  # the best of 100 random seeds' error
    reads_target: int | None  # the classifier's readings (28 px grey digits only)
    reads_image: int | None
    label_row: torch.Tensor | None  # the same z under every label (conditional, z)
    start: H.Start
    auto: bool = False  # the label was the classifier's reading


def run(generator: str, picture, space: str = "z", steps=P.DEFAULT_STEPS, label=AUTO, progress=None,
        empty: str = EMPTY_DRAWING) -> Outcome:
    """Project a picture (a numpy drawing or upload, see `img2img`) for `generator`; `label` is a
    class or AUTO (the classifier's reading; ignored by unconditional generators)."""
    gen = E.get_generator(generator)
    space, steps = P.check_space(gen, space), check_steps(steps)
    try:
        target = P.target_from_picture(gen, picture)
    except E.ExploreError as exc:
        if str(exc).startswith("The canvas is empty"):
            raise E.ExploreError(empty) from None
        raise
    wanted = None if not gen.n_classes or label in (None, "", AUTO) else label
    found = P.project(gen, target, steps, space, wanted, progress)
    baseline = float(P.random_seed_errors(gen, target, torch.tensor([found.label]) if gen.n_classes else None)[0])
    reads_target = reads_image = None
    if gen.out_shape == (1, 28, 28):
        reads_target, reads_image = (int(v) for v in P.classifier_labels(torch.cat([target, found.image])))
    row = E.all_classes(gen, found.latent) if gen.n_classes and space == "z" else None
    return Outcome(str(generator), target, found, baseline, reads_target, reads_image, row,
                   H.Start(str(generator), found.latent), auto=bool(gen.n_classes) and wanted is None)


def summary(o: Outcome) -> str:
    """The answer in words: the error against the best random seed's, the readings, the search."""
    f = o.found
    times = o.baseline / max(f.error, 1e-9)
    lines = [f"**Error {f.error:.4f}** (mean squared per pixel, pixels in [-1, 1]; 0 is identical). "
             f"The best of 100 random seeds gets {o.baseline:.4f}: the search came {times:.0f}x closer."]
    if o.reads_target is not None:
        lines.append(f"The classifier reads your digit as **{o.reads_target}** and the reconstruction as "
                     f"**{o.reads_image}**.")
    under = ""
    if f.label is not None:
        under = f" under label {f.label}" + (" (the digit the classifier read)" if o.auto else "")
    lines.append(f"Searched {f.latent.kind} of {H.short_name(o.generator)}{under}: {f.steps} steps in "
                 f"{f.seconds:.1f} s.")
    if f.label is not None and f.latent.kind != "z":
        lines.append("StyleGAN-lite's label enters the mapping, before w: search **z** to see your digit under "
                     "every label.")
    elif o.label_row is not None:
        lines.append("Below: the same z under every label.")
    return "  \n".join(lines)


# -- Gradio's side ------------------------------------------------------------------------------
def _picture(x: torch.Tensor):
    return E.grid_image(x[:1], 1, SCALE, pad=0)


def _show(o: Outcome):
    row = gr.update(value=E.grid_image(o.label_row, 5, H.GRID_SCALE + 1), visible=True) \
        if o.label_row is not None else gr.update(value=None, visible=False)
    return [_picture(o.target), _picture(o.found.image), summary(o), row, o.start,
            gr.update(interactive=True)]


REFUSED = "**Not projected:** "


def _refused(message: str):
    """The outputs for bad input: the message where the answer goes, nothing kept to walk on from."""
    return [None, None, REFUSED + message, gr.update(value=None, visible=False), None,
            gr.update(interactive=False)]


def _reporter(progress, space: str):
    if progress is None:
        return None

    def report(step: int, steps: int, error: float) -> None:
        progress((step, steps), desc=f"searching {space}: error {error:.4f}")

    return report


def project_drawing(generator, drawing, space, steps, label, request: gr.Request = None,
                    progress=gr.Progress()):
    """The Sketchpad's drawing projected (its `composite`, or a picture as such)."""
    composite = drawing.get("composite") if isinstance(drawing, dict) else drawing
    try:
        with one_at_a_time(getattr(request, "session_hash", None)):
            return _show(run(generator, composite, space, steps, label, _reporter(progress, space)))
    except ValueError as exc:
        return _refused(public_message(exc))


def project_upload(generator, upload, space, steps, label, request: gr.Request = None,
                   progress=gr.Progress()):
    """An uploaded picture projected (checked by `img2img.read_picture` first)."""
    try:
        picture = read_picture(upload)
        with one_at_a_time(getattr(request, "session_hash", None)):
            return _show(run(generator, picture, space, steps, label, _reporter(progress, space), EMPTY_UPLOAD))
    except ValueError as exc:
        return _refused(public_message(exc))


def note_text(start: H.Start) -> str:
    kind = {"z": "its z", "w": "its w", "w+": "its w+ (a style per layer)"}[start.latent.kind]
    return (f"**Walking from your projected digit** ({kind}, for {H.short_name(start.generator)}): the Walk "
            "tab's sliders, map and interpolation and the Labels tab start there, not at the seed.")


def walk_on(projected, generator, n_sliders: int = H.N_SLIDERS):
    """The projected code becomes where the visitor's walks start: the note shows, the label
    (conditional) is the one it was found under, truncation 1 and sliders at 0 (so the walk starts
    at the reconstruction), and the Walk tab opens."""
    if not isinstance(projected, H.Start):
        raise E.ExploreError("Project a digit first.")
    if projected.generator != str(generator):
        raise E.ExploreError(f"Your digit was projected for {H.short_name(projected.generator)}; the generator "
                             f"is now {H.short_name(generator)}: project it again.")
    label = projected.latent.label
    return [projected, gr.update(visible=True), note_text(projected),
            gr.update(value=label) if label is not None else gr.update(), 1.0, *([0.0] * n_sliders),
            gr.Tabs(selected="walk")]


def back_to_seeds():
    return None, gr.update(visible=False), ""


def spaces_for(generator):
    """The space choices for a generator: z, w, w+ for StyleGAN-lite (w+ first picked), else z."""
    try:
        style = E.is_style(E.get_generator(generator))
    except ValueError:
        return gr.update()
    return gr.update(choices=SPACE_CHOICES if style else SPACE_CHOICES[:1], value="w+" if style else "z")


def start_note(c) -> None:
    """The per-visitor code walks start from (`c.start`, None: the seed) and the note that says so,
    with its Back to seeds button; drawn where it is called (above the tabs)."""
    c.start = gr.State(None)
    with gr.Row(visible=False, elem_id="gp-start-note", equal_height=True) as row:
        text = gr.Markdown(elem_id="gp-start-text")
        back = gr.Button("Back to seeds", size="sm", scale=0, min_width=140, elem_id="gp-back-to-seeds")
    c.start_row, c.start_text, c.back_to_seeds = row, text, back


DEMO_TEXT = (f"**Public demo:** one projection at a time for all visitors, at most {DEMO_STEPS} steps; while "
             "others' run, your place in the queue shows on the pictures.")


def build(c) -> None:
    gr.Markdown(INTRO)
    projected = gr.State(None)  # this visitor's last projection (an H.Start)
    cap = c.limits
    steps_cap = max_steps()
    if cap.demo:
        gr.Markdown(DEMO_TEXT, elem_id="gp-project-demo")
    with gr.Row():
        space = gr.Radio(SPACE_CHOICES, value="w+", label="Search in", scale=3, min_width=260,
                         info="StyleGAN-lite has w and w+; the others z only", elem_id="gp-project-space")
        label = gr.Dropdown(LABEL_CHOICES, value=AUTO, label="Label to search under", scale=2, min_width=220,
                            info="Conditional generators only", elem_id="gp-project-label")
        steps = Slider(20, steps_cap, value=min(P.DEFAULT_STEPS, steps_cap), step=10, scale=2, min_width=220,
                          label="Search steps", info=f"More: closer, slower (at most {steps_cap})",
                          elem_id="gp-project-steps")
    with gr.Row():
        with gr.Column(scale=2, min_width=300):
            pad = guard.Sketchpad(label="Draw a digit", type="numpy", canvas_size=(280, 280),
                               height=400, layers=False, transforms=(),
                               brush=gr.Brush(default_size=20, colors=["#000000"], color_mode="fixed"),
                               elem_id="gp-project-pad")
            go_draw = gr.Button("Project my drawing", variant="primary", elem_id="gp-project-draw")
            upload = gr.File(label="Or upload a picture of a digit (PNG or JPEG, at most 1 MB)",
                             file_types=["image"], type="filepath", elem_id="gp-project-upload")
            go_upload = gr.Button("Project the uploaded picture", elem_id="gp-project-upload-button")
        with gr.Column(scale=3):
            with gr.Row():
                shown = c.image("your digit", elem_id="gp-project-input", height=210)
                recon = c.image("reconstruction", elem_id="gp-project-output", height=210)
            result = gr.Markdown(elem_id="gp-project-result")
            row = c.image("the same z under every label", elem_id="gp-project-labels", height=230, visible=False)
            go_walk = gr.Button("Walk on from here", variant="primary", interactive=False,
                                elem_id="gp-project-walk-on")
    outputs = [shown, recon, result, row, projected, go_walk]
    queue = dict(concurrency_id="project", concurrency_limit=DEMO_AT_ONCE if cap.demo else CONCURRENCY,
                 show_progress="full", trigger_mode="once")
    go_draw.click(c.ui(project_drawing), [c.generator, pad, space, steps, label], outputs,
                  api_name="project_drawing", **queue)
    go_upload.click(c.ui(project_upload), [c.generator, upload, space, steps, label], outputs,
                    api_name="project_upload", **queue)

    walked = go_walk.click(c.ui(walk_on), [projected, c.generator],
                           [c.start, c.start_row, c.start_text, c.label, c.truncation, *c.sliders, c.tabs],
                           api_name="walk_on")
    back = c.back_to_seeds.click(back_to_seeds, None, [c.start, c.start_row, c.start_text], api_name="back_to_seeds")
    for event, name in ((walked, "walk_on"), (back, "back_to_seeds")):
        c.redraw(event, name)
        c.inside_follows(event)
    # a code belongs to its generator: choosing another returns to seeds (the handlers ignore a
    # code of another generator anyway, so the order of these events does not matter)
    c.generator.change(back_to_seeds, None, [c.start, c.start_row, c.start_text], api_name="project_reset",
                       api_visibility="undocumented")
    c.generator.change(spaces_for, c.generator, space, api_name="project_spaces", api_visibility="undocumented")
