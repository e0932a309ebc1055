"""The mode collapse lab: a lesson an educator can run in class (no UI code here).

- `scenarios.py`: the lessons (ring8, grid25, MNIST digits, Stacked MNIST), the collapsing config
  on the left, the cures on the right (each a few overrides), and how a run is judged.
- `record.py`: train one side and record it as a replay; `replay.py`: the replay file.
- `measure.py`: train every side over seeds and count how often it collapses / covers.
- `play.py`: playing a pair, torch-free (each side's title and colour, the shared view and
  timeline, the numbers a side shows, a live pair read back from its runs).
- `slides.py`: a PNG figure and an animated GIF of a replay pair, for slides.
"""

from ganplay.lab.scenarios import (COLLAPSE, CURES, SCENARIOS, Cure, LabError, Scenario, cure, judge,
                                   scenario, side_config, side_overrides)

__all__ = ["COLLAPSE", "CURES", "SCENARIOS", "Cure", "LabError", "Scenario", "cure", "judge",
           "scenario", "side_config", "side_overrides"]
