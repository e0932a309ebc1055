"""Runs: every run in the runs folder (running and finished), their curves overlaid, their metrics
side by side, downloads, and deleting (with a confirmation)."""

import streamlit as st

from ganplay import jobs
from ganplay.dashboard import charts, run_files
from ganplay.dashboard.progress import progress
from ganplay.dashboard.widgets import ago, pick_run, runs_root
from ganplay.glossary import metric

st.title("Runs")
root = runs_root()
runs = jobs.poll(root)
if jobs.runs_vanish(root):
    st.warning("Runs here vanish when this Space restarts: they are not on persistent storage. "
               "Download what you want to keep (below). The Space's owner can mount a storage bucket "
               "(or persistent storage) at `/data`: runs then go to `/data/ganplay-runs` and survive "
               "restarts.",
               icon=":material/cloud_off:")
if not runs:
    st.info("No runs here yet.", icon=":material/info:")
    st.page_link("views/train.py", label="Train one", icon=":material/model_training:")
    st.stop()

def _number(value, fmt: str) -> str:
    """A table cell: the number, or a dash where a run has logged none yet (not 'None')."""
    return format(value, fmt) if isinstance(value, (int, float)) else "–"


table = []
for r in runs:
    rows = r.run.read_metrics() if r.kind == "run" else []
    last = charts.last_values(rows)
    # the speed as the Train page's progress bar gives it (whole cycles of periodic work), not the
    # newest line's interval alone
    prog = progress(r.status, rows, config=r.settings) if rows else None
    # the long setup last: the numbers stay in view without scrolling sideways
    table.append({"run": r.name, "state": r.state, "step": f"{r.step:,} of {r.steps:,}" if r.steps else "–",
                  "D loss": _number(last.get("loss_d"), ".3f"), "G loss": _number(last.get("loss_g"), ".3f"),
                  "speed": f"{_number(prog.images_per_s, ',.0f')} {prog.unit}/s" if prog and prog.images_per_s
                  else "–", "device": r.status.get("device") or "–",
                  "updated": ago(r.status.get("updated")) or "–",
                  "setup": r.settings.summary() if r.config else ""})
st.dataframe(table, hide_index=True, width="stretch")

finished = [r for r in runs if r.kind == "run"]
st.subheader("Compare")
names = [r.path.name for r in finished]
chosen = st.multiselect("Runs to compare", names, default=names[:3], key="runs.compare",
                        help="Their curves on one chart, their last logged values side by side.")
if chosen:
    rows = {n: run_files.metrics(root, n) for n in chosen}
    keys = charts.comparison_order({k for r in rows.values() for k in charts.numeric_keys(r)})
    if keys:
        if st.session_state.get("runs.metric") not in keys:
            st.session_state["runs.metric"] = keys[0]
        key = st.selectbox("What to compare", keys, key="runs.metric", format_func=lambda k: metric(k).label,
                           help="Quality measures first: they mean the same for every loss. Logged "
                                "names: " + ", ".join(f"{metric(k).label} = `{k}`" for k in keys))
        losses = sorted({r.settings.loss.name for r in finished if r.path.name in chosen})
        if not metric(key).comparable and len(losses) > 1:
            st.warning(f"These runs use different losses ({', '.join(losses)}): their "
                       f"{metric(key).label} values are on different scales and mean different "
                       "things, so their curves can't be compared on one axis. Compare a quality "
                       "measure (modes covered, FID) instead.", icon=":material/warning:")
        st.plotly_chart(charts.overlay_figure(rows, key), key="runs-overlay", width="stretch")
        st.markdown(charts.explain([key]))
    st.dataframe(run_files.comparison_table(root, chosen), width="stretch")

st.subheader("One run")
info = pick_run(runs, "runs.detail", "Run", help="Downloads, configuration, deleting.")
if info is not None:
    run_files.detail(info, root)
