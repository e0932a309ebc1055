"""Does synthetic data help? The `ganplay augment` study's results: a table, a plot and what to take
from them. The study itself runs from the command line (tens of minutes on a CPU); this page
reads what it wrote under the runs folder."""

import streamlit as st

from ganplay import augmentation as A
from ganplay.dashboard import charts
from ganplay.dashboard.widgets import runs_root

st.title("Does synthetic data help?")
st.markdown(
    "GAN tutorials promise that generated images enlarge a small data set. Here the promise is "
    "measured: the same small classifier is trained on **n real digits per class** (10, 50, 400), "
    "then on those plus **k digits per class from a conditional GAN trained on the same n digits "
    "only**, and, as the honest baseline, on those plus **classical augmentation** (small affine "
    "moves and elastic warps). Every arm is tested on the same 500 held-out digits nothing here "
    "trained on; each number is the mean of several seeds, the bars one standard deviation.")

studies = A.list_studies(runs_root())
if A.shipped_path().is_file():  # the README's study, measured with `ganplay augment --write-readme`
    studies.append(A.shipped_path().parent)
if not studies:
    st.info("No study in this runs folder yet. Run it from a terminal (30 minutes on a 2-core machine; "
            "results stay here, and this page shows them):", icon=":material/info:")
    st.code("ganplay augment                       # n = 10, 50, 400; 5 seeds\n"
            "ganplay augment --n 10 50 --seeds 2   # a quicker first look", language="bash")
    st.stop()



def _name(folder) -> str:
    return "shipped with ganplay (the README's table)" if folder == A.shipped_path().parent else folder.name


folder = st.selectbox("Study", studies, format_func=_name) if len(studies) > 1 else studies[0]
st.caption(f"Study: {_name(folder)}")
study = A.load_study(folder)
if study is None:
    st.error(f"{A.results_path(folder)} could not be read; run `ganplay augment` again to rewrite it.")
    st.stop()
if study.missing:
    st.warning(f"This study is not finished: {study.expected - study.missing} of {study.expected} classifiers measured. "
               "`ganplay augment` with the same settings carries on where it stopped.",
               icon=":material/hourglass_top:")

st.markdown(A.format_table(study))
st.plotly_chart(charts.augmentation_figure(study.summary(), A.ARM_TEXT), width="stretch")

st.subheader("What to take from it")
for line in A.takeaways(study):
    st.markdown(f"- {line}")
st.markdown(
    "- A GAN trained on n digits cannot know more than those n digits: at best it recombines them, "
    "and where it copies or blurs them, its digits teach the classifier little or mislead it. "
    "Classical augmentation encodes knowledge we have (a digit moved or warped is the same digit) "
    "and costs nothing to train.\n"
    "- The dashed line is the zoo's generator, which saw 450 digits per class: it smuggles in 45x "
    "the data at n = 10, so it is no evidence for augmentation, only for \"more real data helps\".")
s = study.settings
with st.expander("How it was measured"):
    st.markdown(
        f"Seeds {', '.join(map(str, s.seeds))}; each seed picks the real digits, trains the GAN "
        f"(mnist-cdcgan, {s.gan_steps:,} steps, on those digits only) and the classifiers "
        f"({s.classifier_steps:,} batches of {s.batch_size}, the same for every arm). Test set: "
        f"mnist5k's held-out 500 digits. Results: `{A.results_path(folder)}`.")
    st.dataframe(study.cells, hide_index=True, width="stretch")
