"""Draw or load your own 2D data (`data.name=points`): a canvas that reports strokes, and the
controls around it. The canvas only draws and reports; `ganplay.pointsets` does every edit (add,
spray, erase, the caps), so a stroke in a browser test and one in a unit test give the same set.

The set lives in the session (`SET_KEY`), shared by the playground and the Train page: draw it in
one, train it in the other. `stored_path(root)` writes it where a job can read it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import streamlit as st

from ganplay import pointsets
from ganplay.config import MIXTURE_DATASETS
from ganplay.pointsets import PointSet, PointsError

SET_KEY = "points.set"
UNDO_KEY = "points.undo"
ERROR_KEY = "points.error"
MAX_STROKES_AT_ONCE = 8  # strokes a canvas sends again while unacknowledged, and the server takes
MODES_KEY = "points.modes"  # (set hash, k) -> (centres, stds)
UNDO_DEPTH = 20
PRESET_POINTS = 1_000  # points sampled when a built-in mixture is loaded for editing
TOOL_LABELS = {"point": "Add points", "spray": "Spray", "erase": "Erase"}

_CSS = """
:host { display: block; }
canvas { display: block; touch-action: none; cursor: crosshair; border: 1px solid #ddd;
         border-radius: 6px; background: #fff; max-width: 100%; }
"""

# Draws the set (and its found modes) and reports each finished stroke in data coordinates.
_JS = """
export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  const view = data.view, dpr = window.devicePixelRatio || 1;
  let canvas = parentElement.querySelector("canvas");
  if (!canvas) {
    canvas = document.createElement("canvas");
    canvas.setAttribute("data-testid", "points-canvas");
    parentElement.appendChild(canvas);
  }
  const host = parentElement.host || parentElement;
  const css = Math.max(240, Math.min(host.clientWidth || 480, 480));
  canvas.style.width = css + "px"; canvas.style.height = css + "px";
  canvas.width = Math.round(css * dpr); canvas.height = Math.round(css * dpr);
  canvas.dataset.count = String(data.xy.length / 2);
  canvas.dataset.view = String(view);
  canvas.dataset.tool = data.tool;  // the tool this drawing holds (a rerun hands it a new one)
  const ctx = canvas.getContext("2d");
  const px = (x) => (x + view) / (2 * view) * css;
  const py = (y) => (view - y) / (2 * view) * css;
  const toData = (e) => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * 2 * view - view,
            view - ((e.clientY - r.top) / r.height) * 2 * view];
  };
  function paint(stroke) {
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, css, css);
    ctx.lineWidth = 1;
    for (let g = -Math.floor(view); g <= Math.floor(view); g++) {
      ctx.strokeStyle = g === 0 ? "#bbb" : "#eee";
      ctx.beginPath(); ctx.moveTo(px(g), 0); ctx.lineTo(px(g), css); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(0, py(g)); ctx.lineTo(css, py(g)); ctx.stroke();
    }
    ctx.fillStyle = "#999"; ctx.font = "10px sans-serif";
    for (let g = -4; g <= 4; g += 2) { if (g) { ctx.fillText(String(g), px(g) + 2, py(0) - 2); ctx.fillText(String(g), px(0) + 2, py(g) - 2); } }
    ctx.fillStyle = "rgba(60, 90, 160, 0.55)";
    const xy = data.xy;
    for (let i = 0; i < xy.length; i += 2) ctx.fillRect(px(xy[i]) - 1.5, py(xy[i + 1]) - 1.5, 3, 3);
    const m = data.modes || [];
    ctx.strokeStyle = "#e8590c"; ctx.lineWidth = 1.5;
    for (const [cx, cy, r] of m) {
      ctx.beginPath(); ctx.arc(px(cx), py(cy), Math.max(r / (2 * view) * css, 3), 0, 2 * Math.PI); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(px(cx) - 4, py(cy) - 4); ctx.lineTo(px(cx) + 4, py(cy) + 4);
      ctx.moveTo(px(cx) + 4, py(cy) - 4); ctx.lineTo(px(cx) - 4, py(cy) + 4); ctx.stroke();
    }
    if (stroke && stroke.length) {
      const erase = data.tool === "erase";
      const width = erase ? Math.max(data.erase_radius * 2, 0.2) : Math.max(data.spread * 2, 0.05);
      ctx.strokeStyle = erase ? "rgba(220, 40, 40, 0.35)" : "rgba(40, 160, 80, 0.35)";
      ctx.lineWidth = Math.max(width / (2 * view) * css, 3); ctx.lineCap = "round"; ctx.lineJoin = "round";
      ctx.beginPath(); ctx.moveTo(px(stroke[0][0]), py(stroke[0][1]));
      for (const [x, y] of stroke) ctx.lineTo(px(x), py(y));
      if (stroke.length === 1) ctx.lineTo(px(stroke[0][0]) + 0.1, py(stroke[0][1]));
      ctx.stroke();
    }
  }
  // the stroke under way lives on the canvas: a rerun between pointerdown and pointerup calls this
  // function again (new listeners), and a stroke kept in its closure was dropped at pointerup
  const s = canvas._gpStroke || (canvas._gpStroke = { path: null, last: null });
  paint(s.path);
  const down = (e) => {
    if (e.button !== 0) return;
    canvas.setPointerCapture(e.pointerId);
    s.path = [toData(e)]; s.last = [e.clientX, e.clientY]; paint(s.path);
  };
  const move = (e) => {
    if (!s.path) return;
    const gap = data.tool === "point" ? 12 : 4;  // CSS pixels between recorded positions
    if (Math.hypot(e.clientX - s.last[0], e.clientY - s.last[1]) < gap) return;
    s.path.push(toData(e)); s.last = [e.clientX, e.clientY]; paint(s.path);
  };
  // Strokes are numbered and sent again until the server says it applied them (data.applied):
  // strokes made while the page reruns reach it as one trigger value, the newest, and the ones it
  // replaced were lost (12 quick clicks made 8 points)
  const q = canvas._gpQueue || (canvas._gpQueue = { next: data.applied + 1, pending: [] });
  q.pending = q.pending.filter((k) => k.id > data.applied);
  q.next = Math.max(q.next, data.applied + 1);
  const up = () => {
    if (!s.path) return;
    const stroke = s.path.map(([x, y]) => [Math.round(x * 1e4) / 1e4, Math.round(y * 1e4) / 1e4]);
    s.path = null;
    q.pending.push({ id: q.next++, tool: data.tool, path: stroke });
    setTriggerValue("stroke", { strokes: q.pending.slice(-data.resend) });
  };
  // Streamlit calls this function again with new data and keeps the canvas: one set of listeners
  const handlers = [["pointerdown", down], ["pointermove", move], ["pointerup", up], ["pointercancel", up]];
  const detach = () => { for (const [name, fn] of canvas._gpHandlers || []) canvas.removeEventListener(name, fn); };
  detach();
  for (const [name, fn] of handlers) canvas.addEventListener(name, fn);
  canvas._gpHandlers = handlers;
  return detach;
}
"""

_canvas = st.components.v2.component("ganplay_points_canvas", css=_CSS, js=_JS)


def current() -> PointSet:
    """The session's point set (empty until drawn or loaded)."""
    return st.session_state.get(SET_KEY) or PointSet.empty()


def set_points(points: PointSet) -> None:
    """Replace the set (the old one goes on the undo stack)."""
    undo = st.session_state.setdefault(UNDO_KEY, [])
    undo.append(current())
    del undo[:-UNDO_DEPTH]
    st.session_state[SET_KEY] = points
    st.session_state[ERROR_KEY] = ""


def _fail(exc: Exception) -> None:
    st.session_state[ERROR_KEY] = str(exc)


def set_hash(points: PointSet) -> str:
    return hashlib.sha256(pointsets.to_csv(points)).hexdigest()[:16]


def found_modes(points: PointSet, k: int = 0) -> tuple[np.ndarray, np.ndarray] | None:
    """The set's modes as training will count them (cached per set), or None when it can't train."""
    try:
        pointsets.checked(points)
    except PointsError:
        return None
    key = (set_hash(points), k)
    cache = st.session_state.setdefault(MODES_KEY, {})
    if key not in cache:
        cache.clear()
        cache[key] = pointsets.find_modes(points.xy, k)
    return cache[key]


def stored_path(root: str | Path) -> str:
    """Where a job reads the session's set (written once per distinct set); '' when the set can't
    train (the form then says why)."""
    try:
        return str(pointsets.store(current(), root))
    except PointsError:
        return ""


def problem() -> str:
    """Why the session's set can't train, or ''."""
    try:
        pointsets.checked(current())
    except PointsError as exc:
        return str(exc)
    return ""


# -- the controls ----------------------------------------------------------------------------
def _on_stroke(key: str) -> None:
    """Apply the canvas's new strokes: `{"strokes": [{"id", "tool", "path"}, ...]}`, those it has
    not acknowledged yet (ids above `<key>.applied`, which the canvas reads back), at most
    MAX_STROKES_AT_ONCE; a bare `{"tool", "path"}` is one stroke."""
    result = st.session_state.get(f"{key}.canvas")
    payload = getattr(result, "stroke", None) if result is not None else None
    if not payload or not isinstance(payload, dict):
        return
    strokes = payload.get("strokes", [payload])
    if not isinstance(strokes, list):
        return
    for stroke in strokes[-MAX_STROKES_AT_ONCE:]:
        if not isinstance(stroke, dict):
            continue
        sid = stroke.get("id")
        numbered = type(sid) is int
        if numbered and sid <= _applied(key):
            continue  # applied on an earlier run; sent again until the canvas heard so
        _apply_stroke(key, stroke)
        if numbered:  # beside the points it made: a run cut short keeps both or neither
            st.session_state[f"{key}.applied"] = sid


def _applied(key: str) -> int:
    return int(st.session_state.get(f"{key}.applied", 0))


def _apply_stroke(key: str, stroke: dict) -> None:
    try:
        path = stroke.get("path") or []  # the engine thins, bounds and converts it (`stroke_path`)
        seed = int(st.session_state.get("points.strokes", 0))
        st.session_state["points.strokes"] = seed + 1
        set_points(pointsets.apply_stroke(current(), stroke.get("tool") or "", path,
                                          float(st.session_state.get(f"{key}.spread", 0.15)), seed))
    except (PointsError, ValueError, TypeError) as exc:
        _fail(exc)


def _on_upload(key: str) -> None:
    upload = st.session_state.get(f"{key}.upload")
    if upload is None:
        return
    try:
        pointsets.check_size(upload.size)  # before its bytes are copied out
        set_points(pointsets.parse_csv(upload.getvalue()))
    except PointsError as exc:
        _fail(f"{upload.name}: {exc}")


def _on_load_preset(key: str) -> None:
    from ganplay.sampling import mixture_points  # only here: sampling a built-in mixture loads torch

    set_points(PointSet(mixture_points(st.session_state.get(f"{key}.preset"), PRESET_POINTS)))


def _on_clear() -> None:
    set_points(PointSet.empty())


def _on_undo() -> None:
    undo = st.session_state.get(UNDO_KEY) or []
    if undo:
        st.session_state[SET_KEY] = undo.pop()
        st.session_state[ERROR_KEY] = ""


def editor(key: str = "points", modes: int = 0) -> PointSet:
    """The drawing area and its controls; returns the session's set as it now is."""
    tools = list(TOOL_LABELS)
    row = st.columns([3, 2], vertical_alignment="bottom")
    tool = row[0].segmented_control("Tool", tools, default="spray", format_func=TOOL_LABELS.get,
                                    key=f"{key}.tool", help="Add points: one per click (a drag leaves a "
                                    "dotted line). Spray: points along the stroke, scattered by the "
                                    "spread. Erase: removes the points near the stroke.") or "spray"
    spread = row[1].slider("Spread", 0.0, 1.0, 0.15, 0.01, key=f"{key}.spread",
                           help="How far sprayed points scatter from the stroke (their std); the "
                                f"eraser reaches {pointsets.ERASE_RADIUS_STDS:g} times as far (at least "
                                f"{pointsets.ERASE_MIN_RADIUS:g}).")
    points = current()
    found = found_modes(points, modes)
    shown = [[float(c[0]), float(c[1]), float(3 * s)] for c, s in zip(*found)] if found else []
    _canvas(key=f"{key}.canvas", data={
        "xy": np.round(points.xy, 3).ravel().tolist(), "view": pointsets.VIEW, "tool": tool,
        "spread": spread, "erase_radius": pointsets.erase_radius(spread), "modes": shown,
        "applied": _applied(key), "resend": MAX_STROKES_AT_ONCE,
    }, on_stroke_change=lambda: _on_stroke(key), width="stretch")
    if st.session_state.get(ERROR_KEY):
        st.error(st.session_state[ERROR_KEY], icon=":material/error:")
    summary = f"**{len(points):,}** point{'s' if len(points) != 1 else ''} (at most {pointsets.MAX_POINTS:,})"
    if found:
        summary += (f"; **{len(found[0])}** mode{'s' if len(found[0]) != 1 else ''} found (orange: each "
                    "centre and its 3σ circle, what coverage counts)")
    st.caption(summary + ". Modes are found by k-means, with the number of clusters that gives the "
               "best silhouette score from 2 to 12 (one when no split is clear); `data.modes` sets it.")
    b = st.columns([2, 1, 1, 1, 1], vertical_alignment="bottom")
    b[0].selectbox("Start from a built-in set", MIXTURE_DATASETS, key=f"{key}.preset")
    b[1].button("Load", key=f"{key}.load", on_click=_on_load_preset, args=(key,), width="stretch",
                help=f"Replace the points with {PRESET_POINTS:,} points of the chosen data set, to edit.")
    b[2].button("Undo", key=f"{key}.undo", on_click=_on_undo, width="stretch", icon=":material/undo:",
                disabled=not st.session_state.get(UNDO_KEY))
    b[3].button("Clear", key=f"{key}.clear", on_click=_on_clear, width="stretch", icon=":material/delete:")
    b[4].download_button("CSV", data=pointsets.to_csv(points), file_name="points.csv", mime="text/csv",
                         key=f"{key}.download", width="stretch", icon=":material/download:",
                         disabled=not len(points), help="The points as x,y rows: `--set data.name=points "
                         "data.path=points.csv` trains on them from the command line.")
    st.file_uploader("Or load a CSV (x,y and an optional label column; header optional)", type=["csv", "txt"],
                     key=f"{key}.upload", on_change=_on_upload, args=(key,), max_upload_size=1,
                     help=f"At most {pointsets.MAX_POINTS:,} points and {pointsets.MAX_CSV_BYTES / 1e6:.0f} MB.")
    return current()
