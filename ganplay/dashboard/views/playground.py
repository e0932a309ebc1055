"""2D playground: real vs generated points over D's decision surface, with G's gradient arrows and
G's manifold (a noise grid mapped into the plane).
Watch a run (live, or scrub back through its snapshots), or step a small GAN by hand (GAN Lab)."""

import streamlit as st

from ganplay import jobs
from ganplay.config import DRAWN_DATASET, LOGIT_LOSSES, POINT_DATASETS, Config
from ganplay.dashboard import points_editor, view2d
from ganplay.dashboard.widgets import Busy, heavy_work, pick_run, runs_root

WATCH, STEP, DRAW = "Watch a run", "Step by hand", "Draw your data"
DATA_LABELS = {DRAWN_DATASET: "your points (Draw your data)"}
STEP_PRESETS = ("ring8-gan", "ring8-wgan-gp", "grid25-gan", "grid25-wgan-gp")
# one D update at the presets' 1e-4 changed D's field by 0.002 at most (invisible); at 3e-3, 0.05
STEP_RATES, STEP_RATE = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2), 3e-3

st.title("2D playground")
st.caption("Background: the discriminator's verdict at each point: blue where D says *real*, red "
           "where it says *fake*, white where it can't tell. D's probability keeps its 0..1 scale "
           "throughout; a critic's unbounded score gets one scale for a whole run, and stepping by "
           "hand, a scale that only ever widens. The axes stay put the same way: one view for a "
           "run, one that only widens by hand. Grey dots: real data. Orange dots: the "
           "generator's samples (orange triangles on the edge: samples beyond the view). Green arrows: where the generator is pushed, "
           "averaged over the samples in each patch of the plane; the longest arrow is the strongest push. "
           "Purple mesh (G's manifold): a regular grid of noise vectors as G maps it into the plane.")
mode = st.segmented_control("Mode", [WATCH, STEP, DRAW], default=WATCH, key="pg.mode",
                            label_visibility="collapsed")
show_field = show_arrows = show_manifold = False  # Draw your data: no GAN, no layers
if mode != DRAW:
    show = st.columns(4)
    show_field = show[0].toggle("D's field", value=True, key="pg.field", wrap=True, help="Heatmap of D's output.")
    show_arrows = show[1].toggle("G's arrows", value=True, key="pg.arrows", wrap=True,
                                 help="The negative gradient of G's loss, averaged over the generated "
                                      "points in each cell of a 12 x 12 grid.")
    show_manifold = show[2].toggle("G's manifold", value=False, key="pg.manifold", wrap=True,
                                   help="A regular grid of noise vectors as G maps it into the plane: where the "
                                        "mesh is stretched G spreads its noise thin, where it folds G maps "
                                        "different noise to the same place.")


def manifold_caption(snap: view2d.Snapshot2D) -> None:
    note = view2d.manifold_note(snap.manifold_z_dim) if show_manifold and snap.manifold is not None else None
    if note:
        st.caption(note)
    elif show_manifold and snap.manifold is None:
        st.caption("This snapshot has no manifold (the run was recorded before snapshots kept one).")


def watch() -> None:
    root = runs_root()
    runs = [r for r in jobs.poll(root) if r.kind == "run" and r.is_points]
    if not runs:
        st.info("No 2D runs here yet. Start one on the Train page (any ring8, grid25, spiral, moons "
                "or swissroll preset), or step a GAN by hand.", icon=":material/info:")
        st.page_link("views/train.py", label="Train", icon=":material/model_training:")
        return
    info = pick_run(runs, "pg.run", "Run", preferred=st.session_state.get("train.job"))
    follow = show[3].toggle("Follow the newest step", value=True, key="pg.follow", wrap=True,
                            help="Off: scrub back through the run's history with the slider.")
    data_name = info.settings.data.name
    loss_name = info.settings.loss.name

    @st.fragment(run_every=1.0 if (info.is_active and follow) else None)
    def view() -> None:
        paths = info.run.sample_paths(".npz")
        if not paths:
            st.info("The first snapshot appears once training starts.", icon=":material/hourglass_top:")
            return
        if follow:
            path = paths[-1]
        else:
            steps = [view2d.step_of(p) for p in paths]
            step = st.select_slider("Step", steps, value=steps[-1], key=f"pg.step.{info.id}",
                                    help="Scrub through the snapshots the run saved "
                                         "(every train.sample_every steps).")
            path = paths[steps.index(step)]
        try:
            snap = view2d.load_snapshot(path)
        except (OSError, KeyError, ValueError):
            st.caption("Reading the newest snapshot…")
            return
        scale = view2d.run_field_scale(paths, loss_name in LOGIT_LOSSES)  # the same for every frame
        left, right = st.columns([3, 1])
        with left:
            st.plotly_chart(view2d.figure_2d(snap, scale, show_field=show_field, show_arrows=show_arrows,
                                             show_manifold=show_manifold, view=view2d.run_view(paths)),
                            key="pg-figure", width="stretch")
            manifold_caption(snap)
        with right:
            st.metric("step", f"{snap.step:,}", help=f"of {info.steps:,}; state: {info.state}")
            coverage = view2d.modes_over_time(info.run.read_metrics(), info.path, data_name)
            total = view2d.mode_count(paths, data_name)
            if coverage and total:
                now = [v for s, v in coverage if s <= snap.step][-1:] or [coverage[0][1]]
                st.metric("modes covered", f"{now[0]:.0f} / {total}",
                          help="Modes with at least one generated sample within 3σ of the centre "
                               "(the VEEGAN/PacGAN protocol; the run's own eval metric when it "
                               "logs one).")
                st.plotly_chart(view2d.coverage_figure(coverage, total, info.steps), key="pg-coverage",
                                width="stretch", config={"displayModeBar": False})  # (it covered the title)
                st.caption(view2d.coverage_note(now[0], total, loss_name))

    view()


def _updates(n: int) -> str:
    return f"{n:,} update" + ("" if n == 1 else "s")


def step_by_hand() -> None:
    cols = st.columns([2, 2, 1.6], vertical_alignment="bottom")
    preset = cols[0].selectbox("Setup", STEP_PRESETS, key="pg.step_preset",
                               help="The preset's models, loss and optimiser, trained right here.")
    base = Config.from_preset(preset)
    data = cols[1].selectbox("Data", POINT_DATASETS, key="pg.step_data",
                             index=POINT_DATASETS.index(base.data.name),
                             format_func=lambda name: DATA_LABELS.get(name, name),
                             help="Any 2D data set, or the points you drew (Draw your data); the "
                                  "preset's models are used as they are.")
    rate = cols[2].select_slider("Learning rate", STEP_RATES, value=STEP_RATE, key="pg.step_lr",
                                 format_func=lambda r: f"{r:g}",
                                 help=f"For D and G alike. The preset trains at {base.optim.lr_d:g} (D) and "
                                      f"{base.optim.lr_g:g} (G), where one update moves too little to see; "
                                      "step mode starts faster. Changing it starts over.")
    overrides = [f"data.name={data}", f"optim.lr_d={rate}", f"optim.lr_g={rate}"]
    if data == DRAWN_DATASET:
        with st.expander("Your points", expanded=bool(points_editor.problem())):
            points_editor.editor("pg.draw")
        if points_editor.problem():
            st.info(points_editor.problem(), icon=":material/draw:")
            return
        overrides.append(f"data.path={points_editor.stored_path(runs_root())}")
    cfg = base.with_overrides(overrides)
    ident = cfg.to_json()
    asked = None
    # one row that wraps where the page is narrow: in fixed columns a 1024 px projector's main
    # column cut "20 training steps" and broke "Reset" in two
    with st.container(horizontal=True, key="pg-step-buttons"):
        if st.button("One D step", icon=":material/looks_one:",
                     help="Update the discriminator once: the background shifts a little (20 steps show more)."):
            asked = ("d", 1)
        if st.button("One G step", icon=":material/looks_two:",
                     help="Update the generator once: the orange points move along the arrows."):
            asked = ("g", 1)
        if st.button("D + G step", icon=":material/skip_next:",
                     help=f"n_critic ({cfg.optim.n_critic}) D steps, then one G step: one training step."):
            asked = ("both", 1)
        if st.button("20 training steps", icon=":material/fast_forward:"):
            asked = ("both", 20)
        reset = st.button("Reset", icon=":material/restart_alt:", help="New models from the same seed.")
    stepper = st.session_state.get("pg.stepper")
    if reset or stepper is None or st.session_state.get("pg.stepper_cfg") != ident:
        with st.spinner("Building the models…"):
            from ganplay.dashboard.stepper import Stepper

            stepper = Stepper(cfg)
        st.session_state["pg.stepper"], st.session_state["pg.stepper_cfg"] = stepper, ident
    if asked:
        try:
            with heavy_work("your steps"):
                stepper.step(*asked)
        except Busy as exc:
            st.warning(str(exc), icon=":material/hourglass_top:")
    snap = stepper.snapshot()
    left, right = st.columns([3, 1])
    with left:
        title = f"after {_updates(stepper.log.d_steps)} of D and {_updates(stepper.log.g_steps)} of G"
        if stepper.diverged:
            st.error(f"{stepper.diverged}. Press **Reset** to start again.", icon=":material/error:")
        st.plotly_chart(view2d.figure_2d(snap, stepper.field_scale(snap), show_field=show_field,
                                         show_arrows=show_arrows, title=title, show_manifold=show_manifold),
                        key="pg-step-figure", width="stretch")
        manifold_caption(snap)
    with right:
        st.metric("D steps", stepper.log.d_steps)
        st.metric("G steps", stepper.log.g_steps)
        known = snap.modes(data)
        if known is not None:
            st.metric("modes covered", f"{view2d.modes_hit(snap.fake, *known)} / {len(known[0])}",
                      help="Modes with at least one generated point within 3σ of the centre.")
        if stepper.log.history:
            last = stepper.log.history[-1]
            st.caption(f"Last update: {'D' if last['kind'] == 'd' else 'G'} loss {last['loss']:.4f}")
        st.caption("Step mode trains a copy of the preset's models in this page, one update at a "
                   "time; nothing is written to disk. Real runs train in their own process.")


def draw() -> None:
    st.markdown("Draw the real data yourself: **drag** to spray points along a stroke (the tool it "
                "opens with), pick **Add points** to place them one click at a time, or **Erase**; start "
                "from a built-in set and edit it, or load a CSV. Then step a GAN on it by hand, or train "
                "it for real.")
    points_editor.editor("pg.draw")
    problem = points_editor.problem()
    if problem:
        st.info(problem, icon=":material/draw:")
    cols = st.columns(2)
    if cols[0].button("Step a GAN on it by hand", icon=":material/touch_app:", disabled=bool(problem),
                      width="stretch", help=problem or "Step mode, with your points as the data."):
        st.session_state["pg.step_data"] = DRAWN_DATASET
        st.session_state["pg.mode"] = STEP
        st.rerun()
    if cols[1].button("Train it", icon=":material/model_training:", disabled=bool(problem), width="stretch",
                      help=problem or "The Train page, set up for your points (pick the loss and "
                                      "models there)."):
        st.switch_page("views/train.py", query_params={"data.name": DRAWN_DATASET})


if mode == STEP:
    step_by_hand()
elif mode == DRAW:
    draw()
else:
    watch()
