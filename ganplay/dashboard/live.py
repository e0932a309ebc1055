"""The live view of one job: progress, controls, alarms, loss curves, the fixed-noise grid, notes.

Everything is read from the run directory each second (`st.fragment(run_every=1)`), so it is the
same view in every tab and after a refresh; buttons write control requests through `ganplay.jobs`.
While a job starts (no metrics yet) the panel polls four times a second and shows the job's start
phase; the first time it has points it draws them and then switches to the one-second pace.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ganplay import jobs
from ganplay.dashboard import charts, health, hosting, notes, view2d, visitor
from ganplay.dashboard.form_spec import form_fields
from ganplay.dashboard.progress import progress
from ganplay.dashboard.widgets import badge_markdown
from ganplay.glossary import metric
from ganplay.jobs import JobError, RunInfo
from ganplay.train.rundir import step_of

POLL_S = 1.0
START_POLL_S = 0.25  # while a job starts: its first points show within a quarter second
METRIC_TILES = (("loss_d", "D loss"), ("loss_g", "G loss"), ("d_real", "D(x)"), ("d_fake", "D(G(z))"),
                ("wasserstein", "Wasserstein"), ("modes", "modes"), ("classes", "classes"),
                ("images_per_s", "images/s"))


def _act(what: str, fn, info: RunInfo, **kwargs) -> None:
    try:
        fn(info, visitor=visitor.token(), **kwargs)
        st.toast(f"{what}: request sent to {info.name}", icon=":material/send:")
    except (JobError, ValueError) as exc:
        st.error(str(exc))


def controls(info: RunInfo, root: Path) -> None:
    cols = st.columns([1, 1, 1, 3])
    state = info.state
    mine = jobs.may_control(info, visitor.token())
    with cols[0]:
        if state == "paused":
            if st.button("Resume", icon=":material/play_arrow:", key=f"resume-{info.id}", width="stretch",
                         disabled=not mine):
                _act("Resume", jobs.resume, info)
        else:
            if st.button("Pause", icon=":material/pause:", key=f"pause-{info.id}", width="stretch",
                         disabled=state != "running" or info.kind != "run" or not mine):
                _act("Pause", jobs.pause, info)
    with cols[1]:
        if st.button("Stop", icon=":material/stop:", key=f"stop-{info.id}", width="stretch",
                     disabled=not (info.is_active or state == "queued") or not mine,
                     help="Stops after the current step and saves a checkpoint; Continue picks up "
                          "from there."):
            _act("Stop", jobs.stop, info)
    with cols[2]:
        if info.can_continue and st.button("Continue", icon=":material/replay:", key=f"cont-{info.id}",
                                           width="stretch", disabled=not mine,
                                           help="Resume from the newest checkpoint "
                                           "(`ganplay train --resume`)."):
            try:
                jobs.continue_run(info.path, root, visitor=visitor.token(), address=visitor.address())
                st.toast(f"Continuing {info.name}", icon=":material/replay:")
            except JobError as exc:
                st.error(str(exc))
    if not mine:
        cols[3].caption(":material/visibility: Another visitor started this job: you can watch it, "
                        "not change it.")


def _header(info: RunInfo) -> None:
    st.markdown(f"{badge_markdown(info.state)} &nbsp; **{info.name}** · {info.settings.summary()}")


def _tiles(rows: list[dict], state: str, images_per_s: float | None, unit: str = "images") -> None:
    """The newest value of each metric; the speed is the progress bar's (`images_per_s`, smoothed
    over whole cycles of periodic work), so the page shows one speed, not that and the last line's."""
    last = {k: v for k, v in charts.last_values(rows).items() if k not in ("images_per_s", "steps_per_s")}
    if state == "running" and images_per_s:  # a paused job's last speed would be stale
        last["images_per_s"] = images_per_s
    shown = [(k, label) for k, label in METRIC_TILES if k in last]
    if not shown:
        return
    cols = st.columns(len(shown))
    for col, (key, label) in zip(cols, shown):
        label = f"{unit}/s" if key == "images_per_s" else label
        m = metric(key)
        col.metric(label, _short(key, last[key]),
                   help=f"{m.label}: {m.meaning}" + (f" ({m.better} is better)" if m.better else "") + f". Logged as `{key}`.")


def _short(key: str, value: float) -> str:
    if key == "images_per_s":
        return f"{value / 1000:.1f}k" if value >= 10_000 else f"{value:,.0f}"
    if key in ("modes", "classes"):
        return f"{value:.0f}"
    return f"{value:.3f}"


def _notes(loss_name: str) -> None:
    items = notes.chart_notes(loss_name)
    st.markdown("**Reading the curves**")
    st.markdown(items[0])
    with st.expander("More about what the curves mean"):
        for item in items[1:]:
            st.markdown(f"- {item}")


def _starting(info: RunInfo) -> None:
    """The start-up bar: what the job is doing (written by the job itself) and for how long."""
    phase = info.phase
    st.progress(phase.fraction if phase else 0.0, text=phase.text() if phase else "starting…")


def _empty_chart(info: RunInfo) -> None:
    # The empty panels where the curves will be. Also a head start: the browser loads Plotly's
    # script (4.7 MB) for the first chart a tab shows, seconds on a busy laptop, and it does that
    # now, while the job starts, instead of after the first points exist.
    _side_by_side(charts.loss_figures([]), f"loss-chart-empty-{info.id}")


def _side_by_side(figs: list, key: str) -> None:
    """Charts in one row of columns: side by side on a wide page, stacked on a phone."""
    for i, (col, fig) in enumerate(zip(st.columns(len(figs)), figs)):
        col.plotly_chart(fig, key=f"{key}-{i}", width="stretch")


def waiting_for_points(info: RunInfo) -> bool:
    """A job that is starting, or running without a metrics line yet."""
    if info.kind == "launch":
        return info.state == "launching"
    return info.state == "starting" or (info.state == "running" and not info.run.metrics_path.exists())


def run_view(info: RunInfo, root: Path) -> None:
    """The body of the live panel for one entry of `jobs.list_runs`."""
    _header(info)
    lim = jobs.limits()
    if info.kind == "queued":
        st.info(f"Waiting in the queue, position {info.queue_position}. This server runs "
                f"{lim.describe()}; the job starts by itself when a slot frees.",
                icon=":material/schedule:")
        controls(info, root)
        return
    if info.kind == "launch":
        if info.state == "launching":
            _starting(info)
            controls(info, root)
            _empty_chart(info)
        else:
            st.error("The job ended before it started training:", icon=":material/error:")
            st.code(info.note or "(no output)", language=None)
        return

    rows = info.run.read_metrics()
    prog = progress(info.status, rows, config=info.settings)
    if info.state == "starting":
        _starting(info)
    else:
        st.progress(prog.fraction, text=prog.text())
    controls(info, root)
    if info.note and info.state != "interrupted":  # interrupted gets its own warning below
        st.caption(info.note)
    loss_name = info.settings.loss.name
    # modes hit per snapshot, when the run logs no eval metrics of its own
    data_name = info.settings.data.name
    coverage = view2d.snapshot_coverage(rows, info.path, data_name) if info.is_points else []
    total = view2d.mode_count(info.run.sample_paths(".npz"), data_name) if info.is_points else 0
    for alarm in health.diagnose(rows, loss_name, info.state, info.error, coverage, total):
        (st.error if alarm.level == "error" else st.warning)(f"**{alarm.title}.** {alarm.text}")
    if info.state == "interrupted":
        st.warning("This job's process is gone (the machine slept, or it was killed). "
                   + ("Continue it from its last checkpoint." if info.can_continue else
                      "It had not saved a checkpoint yet, so it cannot continue."),
                   icon=":material/warning:")

    _tiles(rows, info.state, prog.images_per_s, prog.unit)
    if rows:
        _side_by_side(charts.loss_figures(rows), f"loss-chart-{info.id}")
        quality = charts.eval_figures(rows)
        if quality:
            _side_by_side(quality, f"eval-chart-{info.id}")
            st.markdown(charts.explain(charts.eval_keys(rows)))
    else:
        st.info("The first points appear after the first training step.", icon=":material/hourglass_top:")
        _empty_chart(info)
    left, right = st.columns([2, 3])
    with left:
        samples = info.run.sample_paths(".png")
        if samples:
            step = step_of(samples[-1])
            what = ("real (grey) and generated (orange) points" if info.is_points
                    else "rows of held-out inputs, the answers, the true digits" if info.settings.g_input != "noise"
                    else "fixed-noise samples")
            st.image(str(samples[-1]), caption=f"{what}, step {step:,}", width=360)
            if info.is_points:
                st.page_link("views/playground.py", label="See D's field and G's arrows in the 2D playground",
                             icon=":material/scatter_plot:")
        else:
            st.caption("The first sample grid appears once training starts.")
    with right:
        if coverage:
            st.caption(f"Modes covered in the newest snapshot: **{coverage[-1][1]:.0f}** "
                       "(at least one generated point within 3σ of the mode's centre)")
        _notes(loss_name)


def live_panel(root: Path, ident: str) -> RunInfo | None:
    """Poll and draw the job `ident` every second while it is active."""
    info = jobs.find(root, ident)
    if info is None:
        return None
    polling = info.is_active or info.state == "queued"
    starting = polling and waiting_for_points(info)
    drawn = f"live.first-points.{info.id}"  # set once this start's first points were drawn
    if starting:
        st.session_state.pop(drawn, None)  # a new start (a continued run starts again)

    @st.fragment(run_every=(START_POLL_S if starting else POLL_S) if polling else None)
    def panel() -> None:
        jobs.start_queued(root)
        fresh = jobs.find(root, ident)
        if fresh is None:
            st.info("This run is gone (deleted, or the runs folder changed).")
            return
        if starting and st.session_state.get(drawn):
            st.rerun()  # the first points are on screen: back to the one-second pace
        # the server's warm-up (torch, the panel build) gives way to these polls as to pages, and to
        # the job they watch for as long as it runs: run meanwhile, it made the ETA err by 20-40%
        if fresh.is_active:
            hosting.watching_a_job()
        with hosting.drawing_page():
            run_view(fresh, root)
        if starting and not waiting_for_points(fresh):
            st.session_state[drawn] = True
        # it got its run directory, paused, resumed or finished: rerun the page for one status on it,
        # after drawing, so a click made in this run (Stop as the job resumes) is acted on, not lost
        if polling and (fresh.kind != info.kind or fresh.state != info.state):
            st.rerun()

    panel()
    return info


STEER_LABELS = {k: metric(k).label for k in ("lr_g", "lr_d", "n_critic")}


@st.fragment  # Apply reruns this form alone, not the whole Train page around it
def steer_form(info: RunInfo) -> None:
    """Change lr_g, lr_d and n_critic of a running job; the job logs each change as an event
    that shows on the charts."""
    if info.kind != "run" or info.state not in ("running", "paused"):
        return
    if not jobs.may_control(info, visitor.token()):
        return
    optim = info.settings.optim
    current = {"lr_g": optim.lr_g, "lr_d": optim.lr_d, "n_critic": optim.n_critic}
    for row in info.run.read_metrics():
        if row.get("event") == "set":
            current.update({k: row[k] for k in current if k in row})
    specs = {s.key.split(".")[1]: s for s in form_fields() if s.section == "optim"}  # the config's bounds
    help_of = {k: s.help for k, s in specs.items()}  # each ends with its config key
    lr_floor = 1e-7  # the config's lower bound is exclusive (> 0); a number box needs an inclusive one
    with st.form(f"steer-{info.id}", border=True):
        st.markdown("**Steer the running job** (applied at its next step, marked on the charts)")
        cols = st.columns(4, vertical_alignment="bottom")
        lr_g = cols[0].number_input(STEER_LABELS["lr_g"], key=f"steer.lr_g.{info.id}", value=float(current["lr_g"]), min_value=lr_floor,
                                    max_value=float(specs["lr_g"].max_value),
                                    step=float(current["lr_g"]) / 2, format="%g", help=help_of.get("lr_g"))
        lr_d = cols[1].number_input(STEER_LABELS["lr_d"], key=f"steer.lr_d.{info.id}", value=float(current["lr_d"]), min_value=lr_floor,
                                    max_value=float(specs["lr_d"].max_value),
                                    step=float(current["lr_d"]) / 2, format="%g", help=help_of.get("lr_d"))
        n_critic = cols[2].number_input(STEER_LABELS["n_critic"], key=f"steer.n_critic.{info.id}", value=int(current["n_critic"]),
                                        min_value=int(specs["n_critic"].min_value),
                                        max_value=int(specs["n_critic"].max_value), step=1,
                                        help=help_of.get("n_critic"))
        if cols[3].form_submit_button("Apply", icon=":material/tune:", width="stretch"):
            changed = {k: v for k, v in (("lr_g", lr_g), ("lr_d", lr_d), ("n_critic", int(n_critic)))
                       if v != current[k]}
            if not changed:
                st.info("Nothing changed.")
            else:
                try:
                    jobs.steer(info, visitor=visitor.token(), **changed)
                    st.success("Sent: " + ", ".join(f"{STEER_LABELS[k]} {v:g}" for k, v in changed.items()))
                except JobError as exc:
                    st.error(str(exc))
