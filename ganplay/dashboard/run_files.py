"""The Runs page's per-run pieces: metrics for comparison, downloads, the config, deleting."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import streamlit as st

from ganplay import jobs
from ganplay.dashboard import charts
from ganplay.dashboard.form_spec import flatten
from ganplay.dashboard.widgets import Busy, heavy_work, public_error, shown_run_path
from ganplay.glossary import metric
from ganplay.jobs import JobError, RunInfo
from ganplay.train.rundir import RunDir

ONNX_KEY = "runs.onnx"  # (run id, bytes): the newest export only (each can be tens of MB)


def metrics(root: Path, name: str) -> list[dict]:
    return RunDir(Path(root) / name).read_metrics()


def comparison_table(root: Path, names: list[str]) -> dict[str, dict]:
    """Rows: the last logged value of each metric, then the settings in which the runs differ."""
    columns: dict[str, dict] = {}
    configs = {}
    for name in names:
        run = RunDir(Path(root) / name)
        last = charts.last_values(run.read_metrics())
        status = run.read_status()
        columns[name] = {"state": status.get("state", "?"), "step": status.get("step", 0),
                         "wall time (s)": status.get("wall_time")}
        # the glossary's labels, as the charts title them (the logged names are in its help)
        columns[name].update({metric(k).label: v for k, v in last.items() if k not in ("step", "time")})
        try:
            configs[name] = flatten(json.loads(run.config_path.read_text()))
        except (OSError, json.JSONDecodeError):
            configs[name] = {}
    keys = sorted({k for c in configs.values() for k in c})
    for key in keys:
        values = [json.dumps(configs[n].get(key)) for n in names]
        if len(set(values)) > 1:
            for n in names:
                columns[n][key] = json.dumps(configs[n].get(key))
    # one row per metric/setting, one column per run; all text so mixed types display cleanly
    order: dict[str, None] = {}
    for column in columns.values():
        for k in column:
            order.setdefault(k)
    return {n: {k: _fmt(columns[n].get(k)) for k in order} for n in names}


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _onnx_bytes(run_path: Path) -> bytes:
    from ganplay.export import export_onnx
    from ganplay.sampling import load_generator

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "generator.onnx"
        export_onnx(load_generator(run_path), out)
        return out.read_bytes()


def downloads(info: RunInfo) -> None:
    run = info.run
    cols = st.columns(3)
    ckpt = run.latest_checkpoint()
    with cols[0]:
        st.download_button("Newest checkpoint", data=(lambda: ckpt.read_bytes()) if ckpt else b"",
                           file_name=f"{info.path.name}-{ckpt.name}" if ckpt else "none",
                           disabled=ckpt is None, icon=":material/download:", width="stretch",
                           key=f"dl-ckpt-{info.id}",
                           help="safetensors weights + optimiser state, the config in its header: "
                                "`ganplay sample FILE` samples from it, `--resume` continues it.")
    samples = run.sample_paths(".png")
    with cols[1]:
        st.download_button("Newest sample grid", data=(lambda: samples[-1].read_bytes()) if samples else b"",
                           file_name=f"{info.path.name}-{samples[-1].name}" if samples else "none",
                           mime="image/png", disabled=not samples, icon=":material/image:",
                           width="stretch", key=f"dl-grid-{info.id}")
    with cols[2]:
        held = st.session_state.get(ONNX_KEY)
        if not (held and held[0] == info.id):
            if st.button("Export ONNX", icon=":material/conversion_path:", width="stretch",
                         disabled=ckpt is None, key=f"onnx-btn-{info.id}",
                         help="The generator as an ONNX model (inputs: noise z, and labels when "
                              "conditional; an image-to-image model's input image)."):
                try:
                    with heavy_work("the ONNX export"), st.spinner("Exporting…"):
                        st.session_state[ONNX_KEY] = held = (info.id, _onnx_bytes(info.path))
                except Busy as exc:
                    st.warning(str(exc), icon=":material/hourglass_top:")
                except Exception as exc:  # missing onnxscript, unsupported op: say so, keep the page
                    st.error(f"ONNX export failed: {public_error(exc)}")
        if held and held[0] == info.id:
            st.download_button("Download ONNX", data=held[1], icon=":material/download:",
                               file_name=f"{info.path.name}.onnx", width="stretch", key=f"dl-onnx-{info.id}")


def delete_with_confirmation(info: RunInfo) -> None:
    key = f"confirm-delete-{info.id}"
    if not st.session_state.get(key):
        demo = jobs.demo_mode()
        if st.button("Delete this run…", icon=":material/delete:", key=f"del-{info.id}",
                     disabled=info.is_active or demo,
                     help="Off in demo mode: the runs here are shared by every visitor." if demo
                     else "Stop it first." if info.is_active else "Asks for confirmation."):
            st.session_state[key] = True
            st.rerun()
        return
    st.warning(f"Delete **{info.name}** and everything in `{info.path}`? This cannot be undone.")
    yes, no = st.columns(2)
    if yes.button("Yes, delete it", type="primary", key=f"del-yes-{info.id}", width="stretch"):
        try:
            jobs.delete(info)
            st.session_state[key] = False
            st.toast(f"Deleted {info.name}", icon=":material/delete:")
            st.rerun()
        except JobError as exc:
            st.error(str(exc))
    if no.button("Cancel", key=f"del-no-{info.id}", width="stretch"):
        st.session_state[key] = False
        st.rerun()


def d_verdict(info: RunInfo) -> None:
    """D's verdict on an image run (`ganplay.inside.d_verdict`): G's samples and real digits sorted
    by the run's D, drawn when asked (torch is imported then, not with the page)."""
    key = f"verdict-{info.id}"
    st.caption("24 of G's samples and 8 real training digits, scored by the run's newest D and sorted most real "
               "first; the real ones are outlined in orange. The explorer's *Inside the GAN* tab does the same "
               "with more choices.")
    no_checkpoint = info.run.latest_checkpoint() is None
    if st.button("Ask D", icon=":material/gavel:", key=f"verdict-btn-{info.id}", disabled=no_checkpoint,
                 help="Needs a checkpoint (it holds D)." if no_checkpoint else None):
        from ganplay import inside
        from ganplay.explore import png_bytes

        try:
            with heavy_work("D's verdict"), st.spinner("D is scoring…"):
                v = inside.d_verdict(info.path, 24, 8, seed=0)
            st.session_state[key] = (png_bytes(inside.verdict_image(v)), inside.verdict_text(v))
        except ValueError as exc:  # a PacGAN D, missing data, a damaged checkpoint: say why, keep the page
            st.session_state[key] = (None, public_error(exc))
        except Busy as exc:
            st.warning(str(exc), icon=":material/hourglass_top:")
    shown = st.session_state.get(key)
    if shown:
        if shown[0] is not None:
            st.image(shown[0])
        st.markdown(shown[1])


def detail(info: RunInfo, root: Path) -> None:
    st.markdown(f"`{shown_run_path(info)}` · {info.summary()}")
    if info.error:
        st.error(info.error)
    if info.kind == "run":
        downloads(info)
        if not info.is_points and info.settings.g_input == "noise":
            with st.expander("D's verdict: what D finds real"):
                d_verdict(info)
        with st.expander("Configuration"):
            st.json(info.config, expanded=False)
        log = (info.job or {}).get("log")  # (Path("") would be the working folder, which exists)
        if log and Path(log).is_file():
            with st.expander("Job output (job.log, its end)"):
                st.code(jobs.log_tail(log, 4000) or "(empty)", language=None)
    delete_with_confirmation(info)
