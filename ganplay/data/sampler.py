"""Which samples go into batch b: a pure function of (n, batch_size, b, seed).

The stream of indices is the concatenation of epoch permutations, epoch e shuffled by its own
seeded generator. Nothing is carried from one batch to the next, so a resumed run draws exactly the
batches the uninterrupted run would have drawn, and each rank of a distributed run can take its own
batch numbers.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from torch import Tensor


def _epoch_seed(seed: int, epoch: int) -> int:
    # torch's CPU generator keeps only the low 32 bits of a seed, so (seed, epoch) is hashed into
    # 32 bits rather than packed into one wide integer (which would lose the seed)
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


@lru_cache(maxsize=4)  # a batch spans at most two epochs (unless batch_size > n)
def _permutation(n: int, seed: int, epoch: int) -> Tensor:
    return torch.randperm(n, generator=torch.Generator().manual_seed(_epoch_seed(seed, epoch)))


def batch_indices(n: int, batch_size: int, batch_number: int, seed: int) -> Tensor:
    """The `batch_number`-th (0-based) batch of `batch_size` indices into `range(n)`.

    Every epoch (n consecutive indices of the stream) holds each index exactly once; a batch may
    run on from the end of one epoch into the next.
    """
    if n < 1 or batch_size < 1 or batch_number < 0:
        raise ValueError(f"batch_indices: need n >= 1, batch_size >= 1, batch_number >= 0; "
                         f"got {n}, {batch_size}, {batch_number}")
    start = batch_number * batch_size
    epoch, offset = divmod(start, n)
    parts = []
    remaining = batch_size
    while remaining:
        take = min(remaining, n - offset)
        parts.append(_permutation(n, seed, epoch)[offset:offset + take])
        remaining -= take
        epoch, offset = epoch + 1, 0
    return parts[0].clone() if len(parts) == 1 else torch.cat(parts)
