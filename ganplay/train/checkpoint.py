"""Checkpoints as safetensors: weights, optimiser state and RNG state, never pickles.

One checkpoint is `step-XXXXXXX.safetensors` (tensors, with the config and trainer state in the
safetensors header) plus `step-XXXXXXX.json` (the same metadata, for people and dashboards). The
header makes each file self-describing: `load_checkpoint` needs nothing else to rebuild G.

Tensor names: `G.*`, `D.*`, `G_ema.*` (model state dicts), `opt_g.<param>.<key>`,
`opt_d.<param>.<key>` (optimiser state), `rng.<name>` (generator states).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load as st_load_bytes
from safetensors.torch import save as st_save_bytes

from ganplay.assets import pretrained_dir
from ganplay.train.rundir import atomic_write_bytes, atomic_write_json, runs_root, step_of

FORMAT = "ganplay-checkpoint"
VERSION = "1"


class CheckpointError(ValueError):
    """The file is missing, not safetensors, not ours, or does not fit the model. Its message
    names the file as `shown_path` does (relative to the runs folder or pretrained/), never by
    the server's absolute path: public pages show it as it is."""


class CheckpointGone(CheckpointError):
    """A run's checkpoint that was listed a moment ago and is gone: the run keeps only its newest
    `train.keep_checkpoints` and removed this one as it saved a newer one."""


# -- server paths in messages -------------------------------------------------------------------
def _roots() -> list[tuple[str, str]]:
    """(absolute folder, what a message calls it), longest first: the runs folder as `runs`,
    the shipped weights as `pretrained` (each as configured and resolved)."""
    out = {}
    for folder, name in ((runs_root(), "runs"), (pretrained_dir(), "pretrained")):
        folder = Path(folder).expanduser()
        for variant in (folder.absolute(), folder.resolve()):
            text = str(variant).rstrip(os.sep)
            if text and text != os.sep:
                out.setdefault(text, name)
    return sorted(out.items(), key=lambda kv: -len(kv[0]))


def shown_path(path: str | Path) -> str:
    """`path` as a message names it: `runs/<run id>/checkpoints/step-0000020.safetensors` inside
    the runs folder, `pretrained/NAME.safetensors` inside the zoo, else as given (a file a person
    named on the command line). A visitor of a public page never learns where the server keeps them."""
    path = Path(path)
    absolute = path.expanduser().absolute()
    for folder, name in _roots():
        if absolute.is_relative_to(folder):
            rel = absolute.relative_to(folder).as_posix()
            return name if rel == "." else f"{name}/{rel}"
    return str(path)


# an absolute POSIX path in running text: starts with "/" not preceded by a word, a dot, a colon
# or another slash (so "1/2", "and/or" and URLs' "//host/..." are left alone)
_ABSOLUTE = re.compile(r"(?<![\w.:/~-])/(?:[^\s/'\"`()\[\]{},;:]+/)*[^\s/'\"`()\[\]{},;:]*")


def scrub_paths(text: str) -> str:
    """`text` with every absolute server path replaced: inside the runs folder or pretrained/ by
    the name `shown_path` gives, anything else by its last part alone (`.../file.csv`). For
    messages a public page shows (demo mode) whatever raised them."""
    text = str(text)
    for folder, name in _roots():
        text = re.sub(re.escape(folder) + r"(?=[/\s'\"`),;:]|$)", name, text)

    def last_part(m: re.Match) -> str:
        part = m.group(0).rstrip("/").rsplit("/", 1)[-1]
        return f".../{part}" if part else "..."

    return _ABSOLUTE.sub(last_part, text)


def missing_checkpoint(path: str | Path) -> CheckpointError:
    """The error for a checkpoint file that is not there: `CheckpointGone` when it was one of a
    run's (a newer checkpoint sits beside it: the run's rotation removed it), else not found."""
    path = Path(path)
    folder = path.parent
    if folder.name == "checkpoints" and path.name.startswith("step-"):
        newer = [p for p in folder.glob("step-*.safetensors") if p.name > path.name]
        if newer:
            run = shown_path(folder.parent)
            return CheckpointGone(
                f"the step {step_of(path)} checkpoint of {run} was replaced by a newer one while it was being read "
                "(a run keeps only its newest checkpoints): pick again, or reload the page for the current list")
    return CheckpointError(f"checkpoint not found: {shown_path(path)}")


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
        raise missing_checkpoint(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
    except FileNotFoundError:  # removed between the check and the opening
        raise missing_checkpoint(path) from None
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"{shown_path(path)} is not a safetensors file ({scrub_paths(exc)}). ganplay reads only its own safetensors "
            "checkpoints; it never unpickles .pt/.pth/.ckpt files."
        ) from None
    if header.get("format") != FORMAT:
        raise CheckpointError(
            f"{shown_path(path)} is a safetensors file but not a ganplay checkpoint (no '{FORMAT}' header)"
        )
    if header.get("version") != VERSION:
        raise CheckpointError(
            f"{shown_path(path)} is a ganplay checkpoint of version {header.get('version')}; "
            f"this ganplay reads version {VERSION}"
        )
    return header


def load_checkpoint(path: str | Path) -> Checkpoint:
    header = read_header(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:  # a run's rotation removed it after its header was read
        raise missing_checkpoint(path) from None
    except OSError as exc:
        raise CheckpointError(f"cannot read {shown_path(path)}: {exc.strerror}") from None
    try:
        tensors = st_load_bytes(data)
        config, meta = json.loads(header["config"]), json.loads(header["meta"])
    except (SafetensorError, KeyError, ValueError, RecursionError) as exc:  # ValueError: bad JSON
        raise CheckpointError(f"{shown_path(path)}: damaged ganplay checkpoint ({type(exc).__name__}: "
                              f"{str(exc)[:200]})") from None
    return Checkpoint(config=config, meta=meta, tensors=tensors)


def load_state(module: torch.nn.Module, state: dict[str, torch.Tensor], what: str, path) -> None:
    """`load_state_dict` with an error that says which file and part did not fit."""
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0:3]
        raise CheckpointError(f"{shown_path(path)}: {what} weights do not fit this model: {' '.join(first)}") from None
