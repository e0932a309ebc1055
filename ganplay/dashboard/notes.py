"""Plain-language notes shown beside the charts: how to read them for the run's own loss."""

from __future__ import annotations

from ganplay.zoo import DATA_LIMITS, MISUSE, POINTS_LIMITS

WHAT_A_GAN_DOES = (
    "A GAN is two networks playing a game. The **generator** (G) turns random noise into samples; "
    "the **discriminator** (D) sees real data and G's samples and learns to tell them apart. G is "
    "trained to fool D, D to catch G, and as each gets better the other has to improve too, until "
    "G's samples look like the real thing. Nobody tells G what a digit or a ring of points looks "
    "like: it learns that only from D's verdicts."
)

GENERAL = [
    "GAN losses are not a score that should fall to zero: the two networks compete, so the curves "
    "see-saw. Steady, bounded wiggles are healthy; a curve that runs off or flattens at an extreme "
    "is not.",
    "**D(x)** is D's verdict on real data, **D(G(z))** its verdict on G's samples. D(x) near 1 and "
    "D(G(z)) near 0 means the discriminator is winning; both near the middle means G fools it.",
    "**Gradient norms** (log scale) show how hard each network is being pushed. A sudden jump of "
    "several orders of magnitude usually comes just before a run diverges.",
    "**Mode collapse** looks like this: the samples stop varying (one digit everywhere, all points "
    "on one or two Gaussians) while the losses may look perfectly calm. Watch the sample grid, not "
    "only the curves.",
]

BY_LOSS = {
    "ns": "Non-saturating loss: when D cannot tell real from fake, D(x) = D(G(z)) = 0.5 and D's "
          "loss is 2 ln 2 ≈ 1.39, G's ln 2 ≈ 0.69. A D loss that sinks towards 0 means D is winning. "
          "A balance is good news only if the samples vary too: a collapsed G can fool D with a few "
          "outputs (see modes covered, or the samples).",
    "minimax": "The original minimax loss: G's loss is ln(1 − D(G(z))), so it is negative and "
               "saturates: when D wins early, G's gradient vanishes and learning stalls. That is "
               "why practice switched to the non-saturating loss.",
    "lsgan": "Least-squares loss: D's outputs are scores aimed at 1 for real and 0 for fake. At the "
             "balance point both outputs sit near 0.5 and D's loss near 0.25.",
    "hinge": "Hinge loss: D only cares about margins (real above +1, fake below −1); D's loss of 0 "
             "means every sample is past its margin, i.e. D wins outright.",
    "wasserstein": "Wasserstein loss: D is a critic that scores, not a classifier. A **negative "
                   "critic loss is expected** (it is fake score − real score), and the Wasserstein "
                   "estimate (real − fake) shrinking towards 0 means G's distribution is getting "
                   "closer to the data. D's outputs here are raw scores, not probabilities.",
}


def chart_notes(loss_name: str) -> list[str]:
    """The notes for a run with loss `loss_name`, most specific first."""
    specific = BY_LOSS.get(loss_name)
    return ([specific] if specific else []) + GENERAL

# One paragraph where people generate (Home, under the zoo's pictures); each card says the same
# for its own model, the README at more length.
RESPONSIBLE_USE = (f"**About these pictures.** The digit models {DATA_LIMITS['mnist5k']}; the 2D ones "
                   f"{POINTS_LIMITS}. {MISUSE}")
