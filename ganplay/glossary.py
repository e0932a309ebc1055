"""What each logged or measured number means, in a learner's words: one table the dashboard's
charts and tiles and the panel's Compare tab all read (torch-free)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """`label` as a page shows it, one line of `meaning`, which way is `better` ("higher",
    "lower" or "" when neither), and whether runs with different losses can share its axis
    (`comparable`: a WGAN critic's loss and a vanilla GAN's D loss cannot)."""

    label: str
    meaning: str
    better: str = ""
    comparable: bool = True


METRICS = {
    # 2D mixtures (the VEEGAN/PacGAN protocol) and digit coverage
    "modes": Metric("modes covered", "modes with at least one generated sample within 3 std of their "
                    "centre", "higher"),
    "hq": Metric("high-quality samples", "share (0..1) of generated samples within 3 std of some mode's "
                 "centre (the rest fall between modes)", "higher"),
    "kl": Metric("uneven spread (KL)", "how far the samples' spread over the modes is from even (KL "
                 "divergence of the mode histogram from uniform); 0 is perfectly even", "lower"),
    "classes": Metric("digit classes produced", "classes the bundled classifier finds among the samples",
                      "higher"),
    "class_kl": Metric("uneven digit mix (KL)", "how far the mix of digits the classifier reads is from "
                       "even (KL divergence from uniform): 0 is an even mix, 2.30 one digit only", "lower"),
    # images, measured with our MNIST classifier's features
    "fid": Metric("FID", "(Fréchet distance) how far the generated pictures' features, taken together, "
                  "are from real pictures' (0 = the same)", "lower"),
    "kid": Metric("KID", "(kernel distance) the same question as FID, without FID's bias on small samples "
                  "(about 0, even a little below, = indistinguishable)", "lower"),
    "is": Metric("IS", "(Inception Score) how clearly each picture is one digit and how evenly the ten "
                 "digits come up (10 at most)", "higher"),
    "precision": Metric("precision", "(quality, 0..1) the share of generated pictures that look like real "
                        "ones", "higher"),
    "recall": Metric("recall", "(variety, 0..1) the share of real pictures the generator makes something "
                     "like", "higher"),
    "label_acc": Metric("label acc.", "(conditional generators) how often the classifier reads the label "
                        "the generator was asked for; (image-to-image) how often it reads the true "
                        "digit in the answer", "higher"),
    # image-to-image answers against the true held-out images
    "psnr": Metric("PSNR (dB)", "(image-to-image) how close the answer is to the true image, pixel by "
                   "pixel; a blurry average scores well", "higher"),
    "confidence": Metric("classifier's confidence", "the classifier's mean top probability on the samples "
                         "(image-to-image: on the answers): how plainly each looks like a digit", "higher"),
    "class_min_share": Metric("rarest digit's share", "the share (0..1) of the samples that the least common "
                              "digit gets (an even share is 0.1; 0 when a digit never comes up)", "higher"),
    "ssim": Metric("SSIM", "(image-to-image) how alike the answer and the true image are in local "
                   "brightness, contrast and structure (1 = identical)", "higher"),
    "density": Metric("density", "(quality) how many real pictures' neighbourhoods each generated one "
                      "falls in, scaled so real data scores about 1; above 1 means crowded round typical "
                      "digits"),
    "coverage": Metric("coverage", "(variety, 0..1) the share of real pictures with a generated one close "
                       "by; less fooled by odd pictures than recall", "higher"),
    # training signals: their scale depends on the loss
    "loss_d": Metric("D loss", "the discriminator's loss; its scale depends on the loss used",
                     comparable=False),
    "loss_g": Metric("G loss", "the generator's loss; its scale depends on the loss used", comparable=False),
    "d_real": Metric("D's score on real data", "D(x) on real samples (a probability for logit losses, a "
                     "raw score for critics)", comparable=False),
    "d_fake": Metric("D's score on generated data", "D(G(z)): the same on generated samples",
                     comparable=False),
    "wasserstein": Metric("Wasserstein estimate", "the critic's estimate of the distance between real and "
                          "generated data (critics only)", "lower", comparable=False),
    "grad_norm_d": Metric("size of D's gradients", "‖∇D‖: how hard D's weights are pushed each step",
                          comparable=False),
    "grad_norm_g": Metric("size of G's gradients", "‖∇G‖: how hard G's weights are pushed each step",
                          comparable=False),
    "lr_g": Metric("G's learning rate", "how big a step G's optimiser takes (changes when steered or "
                   "scheduled)"),
    "lr_d": Metric("D's learning rate", "how big a step D's optimiser takes"),
    "n_critic": Metric("D steps per G step", "how many times D is updated for each update of G"),
    "images_per_s": Metric("images per second", "training speed", "higher"),
    "steps_per_s": Metric("steps per second", "training speed", "higher"),
}


def metric(key: str) -> Metric:
    """The entry for `key` (a bare one, labelled with the key, for names not in the table)."""
    return METRICS.get(key, Metric(key, ""))
