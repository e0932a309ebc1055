"""The Train page's setup form: a preset picker and one widget per config field (from
`form_spec`), the validator's messages next to the fields they name, import/export/share.

The form's values live in `st.session_state[STORE]` ({dotted key: value}) so they survive page
switches (Streamlit forgets the state of widgets that are not drawn); each widget's own state is
seeded from there before it is drawn.
"""

from __future__ import annotations

import functools
import json
from dataclasses import replace

import streamlit as st

from ganplay import jobs
from ganplay.config import DRAWN_DATASET, ConfigError
from ganplay.cpu import precision_warning
from ganplay.dashboard import points_editor, share
from ganplay.dashboard.widgets import runs_root
from ganplay.dashboard.form_spec import (LABELS, SECTIONS, FieldSpec, FormResult, build_config, errors_by_field,
                                          flatten, form_fields, format_int_list, parse_int_list)
from ganplay.presets import PRESETS, preset_values

STORE = "form.values"
PRESET_KEY = "form.preset"
NOTICE_KEY = "form.notice"
APPLIED_QUERY_KEY = "form.applied_query"
WIDGET_PREFIX = "cfg."
CUSTOM = "(custom)"
DEFAULT_PRESET = "ring8-gan"
# Set by the page, not typed: drawn points are stored where a job can read them ("Your points")
PAGE_SET = ("data.path",)


def _wkey(spec: FieldSpec) -> str:
    return WIDGET_PREFIX + spec.key


def _bounds(spec: FieldSpec, lim: jobs.Limits) -> tuple:
    lo, hi = spec.min_value, spec.max_value
    if spec.key == "train.steps" and lim.max_steps:
        hi = lim.max_steps
    if spec.key == "train.batch_size" and lim.max_batch_size:
        hi = lim.max_batch_size
    return lo, hi


def _display(spec: FieldSpec, value, lim: jobs.Limits):
    """A config value as its widget holds it (the right type, inside the widget's bounds)."""
    try:
        if spec.kind == "int_list":
            return format_int_list(value)
        if spec.kind == "choice":
            return value if value in spec.options else spec.default
        if spec.kind == "multichoice":
            return [v for v in (value or []) if v in spec.options]
        if spec.kind == "bool":
            return bool(value)
        if spec.kind in ("int", "float"):
            cast = int if spec.kind == "int" else float
            number = cast(value)
            lo, hi = _bounds(spec, lim)
            if lo is not None:
                number = max(number, cast(lo))
            if hi is not None:
                number = min(number, cast(hi))
            return number
        return "" if value is None else str(value)
    except (TypeError, ValueError):
        return _display(spec, spec.default, lim)


def _value(spec: FieldSpec, shown):
    return parse_int_list(shown) if spec.kind == "int_list" else shown


def load_values(flat: dict, notice: str = "", fit: bool = False) -> None:
    """Fill the form with `flat` ({dotted key: value}); call before the widgets are drawn or from
    a widget callback. Demo limits clamp steps and batch size (the notice says so); with `fit`
    (a preset, as the demo offers it) fewer steps also bring it within the demo's cost budget.
    A link or an import is not fitted: over budget, the form says what to lower."""
    lim = jobs.limits()
    clamped = []
    for spec in form_fields():
        shown = _display(spec, flat.get(spec.key, spec.default), lim)
        if spec.kind in ("int", "float") and flat.get(spec.key) not in (None, shown):
            clamped.append(f"{spec.key} {flat.get(spec.key)} → {shown}")
        st.session_state[_wkey(spec)] = shown
    st.session_state[STORE] = {spec.key: _value(spec, st.session_state[_wkey(spec)]) for spec in form_fields()}
    fitted = _fit_to_budget(lim) if fit else ""
    if fitted:
        clamped.append(fitted)
    if clamped and lim.demo:
        notice = (notice + " " if notice else "") + "Demo limits applied: " + ", ".join(clamped) + "."
    st.session_state[NOTICE_KEY] = notice


def _fit_to_budget(lim: jobs.Limits) -> str:
    """Demo mode: fewer steps when that alone brings the form's job within the CPU and disk
    budget (a preset then fits as it is offered); returns what changed."""
    if not lim.has_budget:
        return ""
    result = build_config(st.session_state[STORE])
    if result.config is None or jobs.limit_errors(result.config, replace(lim, max_cpu_s=None, max_job_bytes=None)):
        return ""  # refused for another reason: the form says which
    cfg, note = jobs.fit_to_limits(result.config, lim)
    if note:
        for key, value in (("train.steps", cfg.train.steps), ("train.batch_size", cfg.train.batch_size)):
            st.session_state[WIDGET_PREFIX + key] = value
            st.session_state[STORE][key] = value
        note += " (to fit this demo's CPU and disk budget)"
    return note


def _preset_flat(name: str) -> dict:
    return flatten(preset_values(name))


def _on_preset_change() -> None:
    name = st.session_state[PRESET_KEY]
    if name != CUSTOM:
        load_values(_preset_flat(name), f"Loaded preset `{name}`.", fit=True)


def _on_import() -> None:
    upload = st.session_state.get("form.import")
    if upload is None:
        return
    try:
        cfg = share.config_from_json(upload.getvalue())
    except ConfigError as exc:
        st.session_state[NOTICE_KEY] = ""
        st.session_state["form.import_error"] = str(exc)
        return
    st.session_state["form.import_error"] = ""
    st.session_state[PRESET_KEY] = CUSTOM
    load_values(flatten(cfg.to_dict()), f"Imported `{upload.name}`.")


def apply_query_params() -> None:
    """A shared link (`?data.name=grid25&optim.lr_g=0.0001...`) fills the form, once per link."""
    params = st.query_params.to_dict()
    if not share.has_config(params):
        return
    canonical = json.dumps(params, sort_keys=True)
    if st.session_state.get(APPLIED_QUERY_KEY) == canonical:
        return
    st.session_state[APPLIED_QUERY_KEY] = canonical
    values, unknown = share.query_to_values(params)
    st.session_state[PRESET_KEY] = CUSTOM
    note = "Filled in from the link."
    if unknown:
        note += f" Ignored unknown settings: {', '.join(unknown)}."
    load_values(values, note)


def _ensure_state() -> None:
    if STORE not in st.session_state:
        st.session_state.setdefault(PRESET_KEY, DEFAULT_PRESET)
        load_values(_preset_flat(DEFAULT_PRESET), fit=True)
    # the preset picker is a widget too: remember its choice across pages
    st.session_state.setdefault(PRESET_KEY, st.session_state.get(PRESET_KEY + ".last", CUSTOM))
    store = st.session_state[STORE]
    lim = jobs.limits()
    for spec in form_fields():
        if _wkey(spec) not in st.session_state:
            st.session_state[_wkey(spec)] = _display(spec, store.get(spec.key, spec.default), lim)


def current_values() -> dict:
    flat = {spec.key: _value(spec, st.session_state[_wkey(spec)]) for spec in form_fields()}
    # drawn points: the session's set (the editor under the form), stored for the job to read
    flat["data.path"] = (points_editor.stored_path(runs_root())
                         if flat.get("data.name") == DRAWN_DATASET else "")
    return flat


def validate(flat: dict) -> FormResult:
    result = build_config(flat)
    if result.config is not None:
        extra = jobs.limit_errors(result.config, jobs.limits())
        if extra:
            return FormResult(result.config, errors_by_field("\n".join(extra)))
    return result


def _data_for(spec: FieldSpec, flat: dict, data_name: str) -> str:
    """The data set a field is drawn for: "" (enabled whatever the data) while it holds a value
    other than its default, so a value the validator refuses with this data can still be fixed."""
    return data_name if flat.get(spec.key, spec.default) == spec.default else ""


def _widget(spec: FieldSpec, arch: str, lim: jobs.Limits, locked: bool = False, data_name: str = "") -> None:
    key, label = _wkey(spec), spec.label
    unread = bool(data_name) and not spec.read_by(data_name)
    disabled = locked or not spec.applies_to(arch) or unread
    help_text = spec.help + ("\n\n*Locked by the lesson.*" if locked else
                             f"\n\n*Not used with {data_name} data.*" if unread else
                             f"\n\n*Not used by {arch}.*" if disabled else "")
    if spec.kind == "choice":
        st.selectbox(label, spec.options, key=key, help=help_text, disabled=disabled)
    elif spec.kind == "multichoice":
        st.multiselect(label, spec.options, key=key, help=help_text, disabled=disabled)
    elif spec.kind == "bool":
        # wrap: in a column a long label was cut to "Show D the bat…" at 1024 px
        st.toggle(label, key=key, help=help_text, disabled=disabled, wrap=True)
    elif spec.kind in ("int", "float"):
        lo, hi = _bounds(spec, lim)
        cast = int if spec.kind == "int" else float
        st.number_input(label, min_value=None if lo is None else cast(lo),
                        max_value=None if hi is None else cast(hi), step=cast(spec.step or 1),
                        format="%d" if spec.kind == "int" else "%g", key=key, help=help_text,
                        disabled=disabled)
    elif spec.kind == "int_list":
        st.text_input(label, key=key, help=help_text + " Widths separated by commas, e.g. 128, 128.",
                      disabled=disabled)
    else:
        st.text_input(label, key=key, help=help_text, disabled=disabled)


def _field_errors(spec: FieldSpec, result: FormResult) -> None:
    for line in result.errors.get(spec.key, []):
        st.error(line, icon=":material/error:")


def render(locked: frozenset[str] = frozenset()) -> FormResult:
    """Draw the setup section; returns the validated config (or the errors). `locked` fields (a
    lesson's) are drawn disabled, and so is the preset picker when any is."""
    apply_query_params()
    _ensure_state()
    lim = jobs.limits()
    flat = current_values()
    result = validate(flat)

    names = [CUSTOM, *PRESETS]
    top = st.columns([2, 3])
    with top[0]:
        st.selectbox("Preset", names, key=PRESET_KEY, on_change=_on_preset_change, disabled=bool(locked),
                     help="A named starting point. Choosing one fills in every field below; change "
                          "any of them afterwards.")
    st.session_state[PRESET_KEY + ".last"] = st.session_state[PRESET_KEY]
    with top[1]:
        preset = st.session_state.get(PRESET_KEY)
        if preset in PRESETS:
            modified = flat != _display_roundtrip(_preset_flat(preset), lim)
            st.markdown(f"**{preset}**: {PRESETS[preset]['help']}" + (" *(modified)*" if modified else ""))
        else:
            st.markdown("Your own setup: every field below comes from the config, with its help on "
                        "the **?** next to it.")
    if st.session_state.get(NOTICE_KEY):
        st.caption(st.session_state[NOTICE_KEY])

    specs = form_fields()
    arch, data_name = flat.get("model.arch", "mlp"), str(flat.get("data.name", ""))
    # in a lesson (most fields locked) the settings open on the first tab with one to change
    open_tab = next((SECTIONS[s.section] for s in specs if s.section and s.key not in locked), None) \
        if locked else None
    with st.expander("All settings", expanded=bool(result.errors) or open_tab is not None):
        specs = [s for s in specs if s.key not in PAGE_SET]
        for spec in (s for s in specs if not s.section):
            _widget(spec, arch, lim, spec.key in locked, _data_for(spec, flat, data_name))
            _field_errors(spec, result)
        labels = [SECTIONS[s] + (" ⚠" if any(k.startswith(s + ".") for k in result.errors) else "")
                  for s in SECTIONS]
        # open the first section with a problem, so its message is in view
        tabs = st.tabs(labels, default=next((label for label in labels if label.endswith("⚠")), open_tab))
        for tab, section in zip(tabs, SECTIONS):
            with tab:
                fields = [s for s in specs if s.section == section]
                cols = st.columns(3)
                for i, spec in enumerate(fields):
                    with cols[i % 3]:
                        _widget(spec, arch, lim, spec.key in locked, _data_for(spec, flat, data_name))
                        _field_errors(spec, result)
    warning = precision_warning(flat.get("train.precision", ""), "cpu") \
        if flat.get("train.device") in ("cpu", "auto") else None
    if warning:  # outside the expander: seen before Start, even with the settings folded away
        st.warning(f"**{LABELS['train.precision']}: bf16.** {warning[0].upper()}{warning[1:]}. "
                   "(A GPU, if the run finds one, is not affected.)", icon=":material/speed:")
    st.session_state[STORE] = flat
    return result


def _display_roundtrip(flat: dict, lim: jobs.Limits) -> dict:
    return {spec.key: _value(spec, _display(spec, flat.get(spec.key, spec.default), lim))
            for spec in form_fields()}


def render_sharing(result: FormResult, locked: bool = False) -> None:
    """Export / import the exact config as JSON, a link that opens this page filled in, and the
    setup as one plain PyTorch script (`ganplay.eject`). No import while a lesson locks the form.
    Four buttons drawn as they come, for the caller's row (a wrapping horizontal container: fixed
    columns cut their labels to "Imp…" and "Sha…" in a 1024 px projector's main column); an
    import's error goes under the row (`import_error`)."""
    cfg = result.config if result.ok else None
    exported = ""
    if cfg is not None:  # drawn points travel as points.csv beside the JSON (the editor's CSV button)
        exported = (cfg.with_overrides(["data.path=points.csv"]) if cfg.data.name == DRAWN_DATASET
                    else cfg).to_json()
    st.download_button("Export config", data=exported,
                       file_name=f"{(cfg.name if cfg else '') or 'ganplay-config'}.json",
                       mime="application/json", disabled=cfg is None, icon=":material/download:",
                       help="The exact config as JSON, seed included: `ganplay train --config FILE` "
                            "trains the same run. Drawn points: save them (Your points → CSV) "
                            "as points.csv beside it.")
    with st.popover("Import config", icon=":material/upload:", disabled=locked):
        st.file_uploader("A config JSON exported from here (or written by hand)", type=["json"],
                         key="form.import", on_change=_on_import, max_upload_size=1)
    with st.popover("Share link", icon=":material/link:", disabled=cfg is None):
        if cfg is not None:
            base = (st.context.url or "").split("?")[0] or "train"
            st.code(f"{base}?{share.query_string(cfg)}", language=None, wrap_lines=True)
            st.caption("Opens the Train page with this setup filled in (only the settings "
                       "that differ from the defaults are in the link)." +
                       (" Points don't fit in a link: send your points as CSV (Your points → "
                        "CSV) with it." if cfg.data.name == DRAWN_DATASET else ""))
    _script_button(cfg)


def import_error() -> None:
    """Why the last config import failed (under the buttons' row), if it did."""
    if st.session_state.get("form.import_error"):
        st.error(st.session_state["form.import_error"])


def _script_button(cfg) -> None:
    """Export as Python script (`ganplay.eject`), written only when pressed; a setup that does not
    eject exactly says why, and the button is off."""
    from ganplay import eject  # torch-free; imported here so the form loads without it

    refused = eject.refusals(cfg) if cfg is not None else ["the setup has errors"]
    name, mime = eject.download_name(cfg) if cfg is not None else ("train.py", "text/x-python")
    drawn = cfg is not None and cfg.data.name == DRAWN_DATASET
    why = ("Export as Python script: one self-contained PyTorch file (no ganplay needed) that trains "
           "exactly this setup; on CPU its losses equal ganplay's bit for bit. "
           f"`python {'train.py' if drawn else name} --steps N`.")
    if drawn:
        why += " Your points: a zip of train.py and the points.csv it reads."
    if refused:
        why = "Not available: " + "; ".join(refused)
    st.download_button("Python script", data=b"" if refused else functools.partial(eject.download_bytes, cfg),
                       file_name=name, mime=mime, disabled=bool(refused), icon=":material/code:",
                       help=why)
