"""The panel's number widgets: gr.Number and gr.Slider that refuse what no person types.

The page's widgets send numbers, but the API takes any JSON: `1e400` arrives as infinity, and
Gradio's own preprocess then raised OverflowError (`int(round(inf))`) that printed a 2.7 kB
traceback per call while the visitor read `{"error": null}`. These check the value first and
refuse it with a `gr.Error` that says what was wrong (and prints nothing): not a number (text,
a list, true/false), not finite (inf, NaN), beyond `MAX_MAGNITUDE`, or out of the widget's range
(Gradio's own words: "... greater than maximum value ..."). The page draws them as the widgets
they extend (`is_template`: same front-end component, same API).
"""

from __future__ import annotations

import math

import gradio as gr

from ganplay.explore import shown

MAX_MAGNITUDE = 2**53  # no number the panel takes comes near (seeds stop at 2**31 - 1)


def checked(label: str | None, payload):
    """`payload` if it is a finite number within +-MAX_MAGNITUDE (or None), else gr.Error."""
    what = label or "This number"
    if payload is None:
        return None
    if isinstance(payload, bool) or not isinstance(payload, (int, float)):
        raise gr.Error(f"{what}: expected a number, got {shown(payload)}", print_exception=False)
    if isinstance(payload, float) and not math.isfinite(payload):
        raise gr.Error(f"{what}: expected a finite number, got {shown(payload)} (a value too large, or not a "
                       "number)", print_exception=False)
    if abs(payload) > MAX_MAGNITUDE:
        raise gr.Error(f"{what}: {shown(payload)} is far out of range", print_exception=False)
    return payload


def _quietly(preprocess, payload):
    """Gradio's own checks (bounds, rounding) with its refusal re-raised as a quiet gr.Error."""
    try:
        return preprocess(payload)
    except gr.Error as exc:
        raise gr.Error(exc.message, print_exception=False) from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise gr.Error(f"not a number this widget takes ({type(exc).__name__})", print_exception=False) from None


class Number(gr.Number):
    is_template = True  # drawn as Gradio's Number

    def preprocess(self, payload):
        return _quietly(super().preprocess, checked(self.label, payload))


class Slider(gr.Slider):
    is_template = True  # drawn as Gradio's Slider

    def preprocess(self, payload):
        return _quietly(super().preprocess, checked(self.label, payload))
