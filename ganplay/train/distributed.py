"""Device choice and torchrun/DDP setup, in one place.

Under `torchrun --nproc_per_node=N -m ganplay train ...` every process trains on its own shard
of the batches (gloo on CPU, NCCL on CUDA) and only rank 0 writes the run directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


class DeviceError(RuntimeError):
    pass


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def resolve_device(preference: str, local_rank: int = 0) -> torch.device:
    """`auto` picks CUDA, then Apple MPS, then CPU. Asking for a missing one is a clear error."""
    has_mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank % torch.cuda.device_count())
        return torch.device("mps") if has_mps else torch.device("cpu")
    if preference == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError("train.device=cuda, but PyTorch sees no CUDA GPU here; use auto or cpu")
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    if preference == "mps":
        if not has_mps:
            raise DeviceError("train.device=mps, but Apple MPS is not available here; use auto or cpu")
        return torch.device("mps")
    return torch.device("cpu")


def init_distributed(device_preference: str) -> tuple[DistInfo, torch.device]:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1); else a single process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo(), resolve_device(device_preference)
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(device_preference, local_rank)
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend)
    return DistInfo(rank=rank, world_size=world, local_rank=local_rank), device


def shutdown_distributed() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
