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
