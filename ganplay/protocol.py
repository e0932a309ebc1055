"""The measurement protocols' numbers that pages and tables quote: how many samples each check
draws and where the memorisation check flags copying. Plain numbers, no torch, so a page or the
README table can say them without loading the metrics that use them (`ganplay.metrics`)."""

from __future__ import annotations

POINTS_N = 2_500  # 2D mixtures: the VEEGAN/PacGAN protocol's sample count
STACKED_N = 26_000  # Stacked MNIST: the protocol's 26,000 samples (three digits each)
# a training-time check draws fewer (it runs every eval_every steps): digits 1,000, Stacked 5,000
CHEAP_N = {"points": POINTS_N, "digits": 1_000, "stacked": 5_000}
# the collapse lab's replay frames: the training-time counts, but Stacked MNIST's full protocol,
# so a replay's curve is on the published anchors' scale
FRAME_N = {**CHEAP_N, "stacked": STACKED_N}
# memorisation: a share of samples closer to a training digit than 95% of held-out digits are;
# new digits show 5% by construction, so twice that is flagged as copying
MEMO_FLAG_SHARE = 0.10
