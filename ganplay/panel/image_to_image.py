"""The Image to image tab: super-resolution and outline-to-digit, each GAN beside the same network
trained with L1 only (and bicubic for super-resolution), on a held-out digit or the visitor's
drawing; under each answer what the classifier reads and, against a true digit, PSNR and SSIM.
The work is `ganplay.img2img`'s; this module lays it out."""

from __future__ import annotations

import gradio as gr

from ganplay import img2img
from ganplay.explore import grid_image
from ganplay.panel import guard
from ganplay.panel.numbers import Number

N_ANSWERS = max(len(t.methods) for t in img2img.TASKS.values())
SCALE = 6  # 28 px shown at 168 px, pixels kept sharp

INTRO = ("Two promises of GANs, tested: **super-resolution** (a 7x7 digit made 28x28) and **image to "
         "image** (a digit's outline filled in). Each GAN stands beside the *same* network trained with "
         "L1 only (the average answer, which PSNR rewards) and, for super-resolution, bicubic "
         "interpolation. Pick a held-out digit (never trained on) to see PSNR and SSIM against the truth, "
         "or draw your own (pick the brush at the canvas's left first): a digit for super-resolution; for "
         "pix2pix, the outline around its strokes, as the held-out inputs show it (a 0 is two rings, "
         "outside and inside its stroke; one ring reads as a blot).")


def _picture(x):
    return grid_image(x.unsqueeze(0) if x.dim() == 3 else x, ncol=1, scale=SCALE, pad=0)


def _table(found: list[img2img.Answer], digit: int | None) -> str:
    against = digit is not None
    head = "| method | the classifier reads | confidence |" + (" PSNR (dB) | SSIM |" if against else "")
    rows = [head, "|---" * (5 if against else 3) + "|"]
    for a in found:
        s = a.scores
        row = f"| {a.label} | {s['digit']} | {s['confidence']:.0%} |"
        if against:
            row += f" {s['psnr']:.2f} | {s['ssim']:.3f} |"
        rows.append(row)
    note = (f"True digit: **{digit}**. PSNR and SSIM measure closeness to it pixel by pixel (higher is "
            "closer): a blurry average can win there and still not look like a digit."
            if against else "A drawing has no true image to compare with: only the classifier's reading.")
    return note + "\n\n" + "\n".join(rows)


def _show(kind: str, inputs, found: list[img2img.Answer], digit: int | None):
    # the picture's label short ("GAN"), the table below names the zoo model
    pictures = [gr.update(value=_picture(a.image), label=a.label.split(" (")[0], visible=True) for a in found]
    pictures += [gr.update(value=None, visible=False)] * (N_ANSWERS - len(found))
    return [_picture(img2img.enlarged(inputs)), *pictures, _table(found, digit)]


def answer_heldout(kind: str, index):
    """Every method's answer to held-out digit `index`, scored against its true image."""
    inputs, truth, digit = img2img.heldout(kind, 0 if index is None else index)
    return _show(kind, inputs, img2img.answers(kind, inputs, truth), digit)


def answer_heldout_if_empty(kind: str, index, shown_input):
    """On opening the tab: the held-out digit's answers, unless answers are shown already (the
    visitor's drawing's stay when they come back to the tab)."""
    if shown_input is not None:
        return [gr.skip()] * (1 + N_ANSWERS + 1)  # what _show returns: the input, the answers, the table
    return answer_heldout(kind, index)


def answer_drawing(kind: str, drawing):
    """Every method's answer to the visitor's drawing (the Sketchpad's value, or a picture)."""
    composite = drawing.get("composite") if isinstance(drawing, dict) else drawing
    inputs = img2img.drawing_input(kind, composite)
    return _show(kind, inputs, img2img.answers(kind, inputs), None)


def build(c) -> None:
    gr.Markdown(INTRO)
    task = gr.Radio([(t.title, k) for k, t in img2img.TASKS.items()], value="lowres", label="Task",
                    elem_id="gp-i2i-task")
    with gr.Row():
        with gr.Column(scale=2, min_width=300):
            index = Number(value=0, precision=0, minimum=0, maximum=img2img.EVAL_N - 1,
                              label=f"Held-out digit (0..{img2img.EVAL_N - 1})", elem_id="gp-i2i-index")
            go_pick = gr.Button("Answer this held-out digit", variant="primary", elem_id="gp-i2i-pick")
            pad = guard.Sketchpad(label="Or draw (pick the brush first)", type="numpy", canvas_size=(280, 280),
                               height=400, layers=False, transforms=(),
                               brush=gr.Brush(default_size=16, colors=["#000000"], color_mode="fixed"),
                               elem_id="gp-i2i-pad")
            go_draw = gr.Button("Answer my drawing", elem_id="gp-i2i-draw")
        with gr.Column(scale=3):
            with gr.Row():
                shown = [c.image("input, as the models see it", elem_id="gp-i2i-input", height=190)]
                shown += [c.image(f"answer {i + 1}", elem_id=f"gp-i2i-answer-{i + 1}", height=190)
                          for i in range(N_ANSWERS)]
            table = gr.Markdown(elem_id="gp-i2i-table")
    outputs = [*shown, table]
    go_pick.click(c.ui(answer_heldout), [task, index], outputs, api_name="image_to_image", **c.heavy)
    go_draw.click(c.ui(answer_drawing), [task, pad], outputs, api_name="image_to_image_drawing", **c.heavy)
    c.image_to_image_call = dict(fn=c.ui(answer_heldout_if_empty), inputs=[task, index, shown[0]],
                                 outputs=outputs, **c.heavy)
