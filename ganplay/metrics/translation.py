"""How good is an image-to-image model's answer? Measured against the true images of held-out digits.

    psnr       peak signal-to-noise ratio in dB over pixels in [0, 1] (torchmetrics): higher is
               closer, pixel by pixel; a blurry average scores well here
    ssim       structural similarity (torchmetrics, 11 px Gaussian window): local means, contrast
               and structure; 1 is identical
    label_acc  the share of answers the bundled MNIST classifier reads as the true digit: does
               the answer look like the right digit?
    confidence the classifier's mean top probability on the answers: how plainly each looks like
               some digit (a blurred stroke gets a hesitant reading)

`answers(method, inputs)` gives what a baseline (bicubic) or a model makes of the same inputs, so
the panel, the cards and the trainer's eval lines all measure the same way.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ganplay.config import Config
from ganplay.data import DataError, load_dataset

EVAL_N = 500  # mnist5k's 500 held-out digits; other data sets: their first 500 images


def heldout_pairs(cfg: Config, n: int = EVAL_N) -> tuple[Tensor, Tensor, Tensor | None]:
    """(inputs, true images, labels) in [-1, 1]: the held-out split where the data set has one."""
    try:
        data = load_dataset(cfg, "heldout")
    except DataError:
        data = load_dataset(cfg)
    idx = torch.arange(min(n, len(data)))
    x, labels = data.batch(idx)
    return data.input_batch(idx), x, labels


def bicubic(inputs: Tensor, size: tuple[int, int]) -> Tensor:
    """The classical answer: a low-resolution input enlarged by bicubic interpolation."""
    return F.interpolate(inputs.float(), size=size, mode="bicubic", align_corners=False).clamp(-1, 1)


def scores(answers: Tensor, truth: Tensor, labels: Tensor | None = None, classifier=None,
           spread: bool = False) -> dict:
    """psnr, ssim (and label_acc, confidence with labels and a classifier) of `answers` against
    `truth`, each the mean over images (PSNR too, as super-resolution papers average it); with
    `spread`, each as {"mean", "stderr"} (the standard error over the images)."""
    from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

    a = (answers.float().cpu().clamp(-1, 1) + 1) / 2
    t = (truth.float().cpu() + 1) / 2
    per_image = {"psnr": peak_signal_noise_ratio(a, t, data_range=1.0, reduction="none", dim=(1, 2, 3)),
                 "ssim": structural_similarity_index_measure(a, t, data_range=1.0, reduction="none")}
    if labels is not None and classifier is not None:
        with torch.no_grad():
            probs = classifier.head(classifier.features(
                answers.float().to(next(classifier.parameters()).device))).softmax(1).cpu()
        per_image["label_acc"] = (probs.argmax(1) == labels.cpu()).float()
        per_image["confidence"] = probs.max(1).values
    return {k: _summary(v, spread) for k, v in per_image.items()}


def _summary(values: Tensor, spread: bool):
    mean = float(values.mean())
    if not spread:
        return mean
    return {"mean": mean, "stderr": float(values.std() / len(values) ** 0.5) if len(values) > 1 else 0.0}


def translation_metrics(G: torch.nn.Module, cfg: Config, n: int = EVAL_N, classifier_path=None,
                        spread: bool = False, pairs: tuple | None = None) -> dict:
    """psnr, ssim, label_acc, confidence of G's answers for `n` held-out inputs (G in eval mode,
    restored)."""
    from ganplay.metrics import classifier as clf

    G = getattr(G, "module", G)
    device = next(G.parameters()).device
    inputs, truth, labels = pairs or heldout_pairs(cfg, n)  # `pairs`: a caller's heldout_pairs
    was_training = G.training
    G.eval()
    try:
        with torch.no_grad(), torch.autocast(device.type, enabled=False):
            answers = G(None, inputs.to(device)).float()
    finally:
        G.train(was_training)
    model = clf.load_classifier(classifier_path, device=device) if labels is not None else None
    return scores(answers, truth, labels, model, spread)
