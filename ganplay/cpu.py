"""How ganplay's processes wait for CPU threads. Torch-free: it must run before torch is imported.

PyTorch's OpenMP threads spin on a core while they wait for each other at the end of every
parallel operation. With a core to themselves that costs nothing; with anything else running on
the machine (the dashboard drawing a page, a second job, a browser) a spinning thread keeps its
core while the thread it waits for is descheduled, and the small operations of our models pay a
scheduler time slice each. Measured on the 2-core development machine while other processes kept
it busy: ring8-gan trained at 6-8 steps/s with 2 spinning threads against 146-255 steps/s with
passive waits (or one thread), and mnist-dcgan at 2.5 against 25.8 steps/s. That was the
dashboard-started run that took 686 s instead of the CLI's 25.5 s.

Passive waiting changes no result (it is only how an idle thread waits), but on a quiet machine
it costs: ring8-gan 1,500 steps took 11.0 s passive against 4.9 s spinning, mnist-dcgan 100 steps
3.4 s against 2.1 s. So it is the default where other work is certain, the dashboard server (a
browser, page draws, the panel) and the jobs it starts (they inherit its environment), and not of
a `ganplay` command run alone. An OMP_WAIT_POLICY already set in the environment wins.

2D point data trains on one thread (`training_threads`), from the command line and the dashboard
alike. Its MLPs gain nothing from a second thread on a quiet machine (ring8-gan 303 against 316
steps/s spinning), and one thread neither spins nor waits: with one other busy process on the 2
cores it ran 300 steps/s against 86 spinning and 262 passive, with two 192 against 126 and 104;
passive waits alone ran it at 137 on a quiet machine. The thread count changes the float
arithmetic, so it is fixed per kind of data, not per process: the same config trains to the same
numbers whether the dashboard or a terminal starts it. Image models keep torch's default (two
threads here: mnist-dcgan 48 steps/s spinning against 29 on one). OMP_NUM_THREADS set in the
environment wins.
"""

from __future__ import annotations

import os
import sys

WAIT_POLICY = "PASSIVE"
# CPU flags of native bf16 arithmetic: AVX512-BF16, or AMX's bf16 tiles (Sapphire Rapids on).
BF16_FLAGS = ("avx512_bf16", "amx_bf16")
BF16_OVERRIDE = "GANPLAY_BF16_NATIVE"  # "1"/"0": what bf16_native() says, whatever the CPU (tests)


def passive_waits() -> bool:
    """Ask OpenMP for passive waits unless the environment says otherwise. Returns whether it can
    still take effect (False once torch is imported: OpenMP reads the variable when it loads)."""
    os.environ.setdefault("OMP_WAIT_POLICY", WAIT_POLICY)
    return "torch" not in sys.modules


def training_threads(points: bool) -> int | None:
    """The intra-op threads `ganplay train` gives a run: 1 for 2D point data, None (torch's
    default) for images or when OMP_NUM_THREADS is set."""
    if os.environ.get("OMP_NUM_THREADS", "").strip():
        return None
    return 1 if points else None


def bf16_native() -> bool:
    """Whether this CPU does bf16 arithmetic natively. Without it (most laptops: AVX2 only) PyTorch
    emulates bf16, and a bf16 matmul ran 50-130x slower than fp32; with AMX one ran ~5x faster.
    Read from /proc/cpuinfo's flags (no torch import, so the dashboard's form can ask), else from
    torch; GANPLAY_BF16_NATIVE=1/0 overrides both."""
    forced = os.environ.get(BF16_OVERRIDE, "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return any(flag in line.split() for flag in BF16_FLAGS)
    except OSError:
        pass
    import torch

    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:  # an older torch without the probes
        return False


BF16_SLOW = ("bf16 on this CPU is emulated (it has no AVX512-BF16 or AMX), so it trains several times "
             "slower than fp32 (DCGAN 4-11x); use train.precision=fp32, or auto, which picks fp32 here")


def resolve_precision(precision: str, device_type: str, points: bool, cuda_bf16: bool = False) -> str:
    """The precision a run trains in: fp32 and bf16 as asked; `auto` picks bf16 where it pays (a GPU
    with bf16, or a CPU with native bf16 training image models) and fp32 everywhere else (2D
    MLPs are too small for bf16 to gain, and emulated bf16 is far slower)."""
    if precision != "auto":
        return precision
    if device_type == "cuda":
        return "bf16" if cuda_bf16 else "fp32"
    if device_type == "cpu" and not points and bf16_native():
        return "bf16"
    return "fp32"


def precision_warning(precision: str, device_type: str) -> str | None:
    """What to say before a run asked for bf16 on a CPU that only emulates it."""
    if precision == "bf16" and device_type == "cpu" and not bf16_native():
        return BF16_SLOW
    return None


def one_thread_worker() -> None:
    """A process pool's initializer for trainings run side by side (`lab measure`, `zoo measure`):
    one torch thread each, and (on Linux) die with the parent, so that stopping a measurement leaves
    no training running in the background."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)
