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
