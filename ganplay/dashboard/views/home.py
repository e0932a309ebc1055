"""Home: something alive at once (pretrained samples, or the newest runs' grids), what a GAN does,
and the way to train one."""

from pathlib import Path

import streamlit as st

from ganplay import jobs, lessons
from ganplay.previews import PREVIEW_SEED
from ganplay.config import Config
from ganplay.dashboard import gallery, visitor
from ganplay.dashboard.notes import RESPONSIBLE_USE, WHAT_A_GAN_DOES
from ganplay.dashboard.widgets import public_error, runs_root

st.title("ganplay: watch GANs learn")
intro, action = st.columns([3, 1], vertical_alignment="center")
with intro:
    st.markdown(WHAT_A_GAN_DOES)
with action:
    st.page_link("views/train.py", label="**Train your own →**", icon=":material/model_training:")
    if st.button("Quick start: ring8-gan", type="primary", icon=":material/play_arrow:", width="stretch",
                 help="Starts the `ring8-gan` preset (about half a minute on a laptop CPU) and opens "
                      "the Train page to watch it."):
        try:
            lim = jobs.limits()
            cfg, _ = jobs.fit_to_limits(Config.from_preset("ring8-gan"), lim)
            info = jobs.submit(cfg, runs_root(), lim, visitor=visitor.token(), address=visitor.address())
            st.session_state["train.job"] = info.id
            st.switch_page("views/train.py")
        except jobs.JobError as exc:
            st.error(str(exc))


@st.cache_data(show_spinner=False, max_entries=64)
def _zoo_png(weights: str, mtime: float, n: int, seed: int) -> bytes:
    return gallery.sample_png(Path(weights), n, seed)


def _show(slot, image, model: gallery.ZooModel, note: str = "") -> None:
    # PNG as it is: Streamlit would re-encode a grid of thin strokes and dots as a JPEG
    slot.image(image, caption=f"{model.name}: {model.help}{note}", width="stretch", output_format="PNG")


models = gallery.zoo_models()
if models:
    st.subheader("Pretrained generators")
    # The first visit shows the grids shipped with the zoo (seed 0, no torch needed); "New
    # samples" samples live, one grid at a time, each drawn as soon as it is ready.
    seed = st.session_state.get("home.seed", PREVIEW_SEED)
    head, again = st.columns([4, 1], vertical_alignment="center")
    if again.button("New samples", icon=":material/casino:", width="stretch",
                    help="Draw new samples from every generator (a new random seed)."):
        st.session_state["home.seed"] = seed = seed + 1
    status = head.empty()
    slots = {}
    for title, group in gallery.by_kind(models):
        if title:
            st.markdown(title)
        cols = st.columns(min(4 if title else 3, len(group)))  # image-to-image: two pairs a row
        for i, model in enumerate(group):
            with cols[i % len(cols)]:
                slots[model.name] = st.empty()
    models = [m for _, group in gallery.by_kind(models) for m in group]  # in the order drawn
    slots = [slots[m.name] for m in models]
    pending = []
    for model, slot in zip(models, slots):
        if seed == PREVIEW_SEED and model.preview is not None:
            _show(slot, str(model.preview), model)
            continue
        pending.append((model, slot))
        if model.preview is not None:  # the old picture holds the place until the new one is ready
            _show(slot, str(model.preview), model, " (sampling…)")
        else:
            slot.info(f"{model.name}: waiting to be sampled…", icon=":material/hourglass_empty:")
    for done, (model, slot) in enumerate(pending):
        status.progress(done / len(pending), text=f"Sampling seed {seed}: {done} of {len(pending)} grids "
                                                  f"done, now {model.name}…")
        try:
            png = _zoo_png(str(model.weights), model.weights.stat().st_mtime, gallery.grid_size(model), seed)
        except Exception as exc:  # a broken file must not take the page down
            slot.warning(f"{model.name}: {public_error(exc)}")
            continue
        _show(slot, png, model)
    status.caption(f"Seed {seed}" + (" (the samples that ship with the zoo)" if seed == PREVIEW_SEED else "")
                   + f" · {len(models)} generators · press **New samples** for others.")
    st.caption(RESPONSIBLE_USE, help="Each model's card (pretrained/NAME.json) says what it learned from.")
else:
    grids = gallery.newest_grids(jobs.list_runs(runs_root()))
    if grids:
        st.subheader("Your newest runs")
        cols = st.columns(3)
        for col, grid in zip(cols, grids):
            with col:
                st.image(str(grid.image), caption=f"{grid.name}: {grid.caption}", width="stretch",
                         output_format="PNG")
    else:
        st.info("No pretrained generators or runs here yet. Press **Quick start**: you will see a "
                "vanilla GAN chase the eight modes of a ring, and usually catch only a few at a "
                "time.", icon=":material/lightbulb:")

st.subheader("What you can do here")
PLACES = (  # the two learners like best first
    ("views/collapse_lab.py", "Mode collapse lab", ":material/science:",
     "**Mode collapse lab**: watch a GAN lose most of its modes beside a cure that keeps "
     "them, step by step, with the published numbers to compare."),
    ("views/explore.py", "Explore", ":material/explore:",
     "**Explore** a trained generator: walk its latent space with sliders, pick digits by label, "
     "blend two seeds, compare models side by side."),
    ("views/train.py", "Train", ":material/model_training:",
     "**Train** a GAN from a preset or your own setup, watch its losses and samples live, pause "
     "it, change its learning rates mid-run."),
    ("views/playground.py", "2D playground", ":material/scatter_plot:",
     "**2D playground**: see where the discriminator says real or fake and where the generator "
     "is pushed; scrub through a run, or step one by hand like GAN Lab."),
    ("views/runs.py", "Runs", ":material/folder_open:",
     "**Runs**: compare runs' curves and quality, download checkpoints and sample grids."),
    ("views/augment.py", "Does synthetic data help?", ":material/dataset:",
     "**Does synthetic data help?** A small digit classifier trained with and without GAN samples "
     "added, measured over seeds."),
)
for row in (PLACES[:3], PLACES[3:]):
    for col, (page, label, icon, text) in zip(st.columns(3), row):
        with col:
            st.markdown(text)
            st.page_link(page, label=label, icon=icon)

st.subheader("Lessons")
st.markdown("Small tasks that check themselves: each opens the Train page with a starting setup, "
            "most settings locked, and turns green when your run does what it asks.")
for lesson in lessons.list_lessons():
    st.page_link("views/train.py", label=f"**{lesson.title}**: {lesson.check.goal()}", icon=":material/school:",
                 query_params={"lesson": lesson.name})
