"""Checkpoints as safetensors: weights, optimiser state and RNG state, never pickles.

One checkpoint is `step-XXXXXXX.safetensors` (tensors, with the config and trainer state in the
safetensors header) plus `step-XXXXXXX.json` (the same metadata, for people and dashboards). The
header makes each file self-describing: `load_checkpoint` needs nothing else to rebuild G.

Tensor names: `G.*`, `D.*`, `G_ema.*` (model state dicts), `opt_g.<param>.<key>`,
`opt_d.<param>.<key>` (optimiser state), `rng.<name>` (generator states).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load as st_load_bytes
from safetensors.torch import save as st_save_bytes

from ganplay.train.rundir import atomic_write_bytes, atomic_write_json

FORMAT = "ganplay-checkpoint"
VERSION = "1"


class CheckpointError(ValueError):
    """The file is missing, not safetensors, not ours, or does not fit the model."""


@dataclass
class Checkpoint:
    config: dict
    meta: dict
    tensors: dict[str, torch.Tensor] = field(repr=False)

    def state_dict(self, prefix: str) -> dict[str, torch.Tensor]:
        p = prefix + "."
        return {k[len(p) :]: v for k, v in self.tensors.items() if k.startswith(p)}

    def has(self, prefix: str) -> bool:
        return any(k.startswith(prefix + ".") for k in self.tensors)


def flat_state(prefix: str, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    # safetensors refuses tensors that share storage; clone makes each its own
    return {f"{prefix}.{k}": v.detach().cpu().contiguous().clone() for k, v in state.items()}


def optimizer_to_flat(prefix: str, opt: torch.optim.Optimizer) -> tuple[dict, dict]:
    """Split an optimiser's state_dict into tensors (for safetensors) and plain JSON."""
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, pstate in sd["state"].items():
        for key, value in pstate.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{prefix}.{pid}.{key}"] = value.detach().cpu().contiguous().clone()
            else:
                scalars.setdefault(str(pid), {})[key] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def optimizer_from_flat(prefix: str, ckpt: Checkpoint, info: dict) -> dict:
    """Rebuild an optimiser state_dict from `optimizer_to_flat`'s two halves."""
    state: dict[int, dict[str, Any]] = {}
    for name, value in ckpt.state_dict(prefix).items():
        pid, key = name.split(".", 1)
        state.setdefault(int(pid), {})[key] = value
    for pid, values in info.get("scalars", {}).items():
        state.setdefault(int(pid), {}).update(values)
    return {"state": state, "param_groups": info["param_groups"]}


def save_checkpoint(
    path: str | Path,
    config: dict,
    meta: dict,
    tensors: dict[str, torch.Tensor],
    sidecar: bool = True,
) -> None:
    """Write `path` (.safetensors) and, unless told not to, its .json sidecar, atomically."""
    path = Path(path)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "config": json.dumps(config),
        "meta": json.dumps(meta),
    }
    atomic_write_bytes(path, st_save_bytes(tensors, metadata=header))
    if sidecar:
        atomic_write_json(path.with_suffix(".json"), {"format": FORMAT, "version": VERSION, **meta})


def read_header(path: str | Path) -> dict[str, str]:
    """The safetensors header metadata, checked to be ours. Reads no tensor data."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"{path} is not a safetensors file ({exc}). ganplay reads only its own safetensors "
            "checkpoints; it never unpickles .pt/.pth/.ckpt files."
        ) from None
    if header.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is a safetensors file but not a ganplay checkpoint (no '{FORMAT}' header)"
        )
    if header.get("version") != VERSION:
        raise CheckpointError(
            f"{path} is a ganplay checkpoint of version {header.get('version')}; "
            f"this ganplay reads version {VERSION}"
        )
    return header


def load_checkpoint(path: str | Path) -> Checkpoint:
    header = read_header(path)
    try:
        tensors = st_load_bytes(Path(path).read_bytes())
        config, meta = json.loads(header["config"]), json.loads(header["meta"])
    except (SafetensorError, KeyError, ValueError, RecursionError) as exc:  # ValueError: bad JSON
        raise CheckpointError(f"{path}: damaged ganplay checkpoint ({type(exc).__name__}: "
                              f"{str(exc)[:200]})") from None
    return Checkpoint(config=config, meta=meta, tensors=tensors)


def load_state(module: torch.nn.Module, state: dict[str, torch.Tensor], what: str, path) -> None:
    """`load_state_dict` with an error that says which file and part did not fit."""
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0:3]
        raise CheckpointError(f"{path}: {what} weights do not fit this model: {' '.join(first)}") from None
