"""The 2D mode-coverage rule (`ganplay.modes`, numpy): the metrics' protocol and the dashboard's
snapshot counts are both this one function."""

import numpy as np
import pytest
import torch

from ganplay import modes
from ganplay.metrics.points import mode_metrics, where_samples_sit

CENTRES = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])


def test_assign_nearest_centre_distance_and_three_std_radius():
    x = np.array([[0.2, 0.0], [9.0, 0.0], [0.0, 10.5], [5.1, 0.0]])
    nearest, dist, near = modes.assign(x, CENTRES, 0.1)
    assert nearest.tolist() == [0, 1, 2, 1]
    assert dist == pytest.approx([0.2, 1.0, 0.5, 4.9])
    assert near.tolist() == [True, False, False, False]  # only 0.2 is within 3 x 0.1
    assert modes.modes_hit(x, CENTRES, 0.1) == 1
    assert modes.modes_hit(x, CENTRES, 0.2) == 2  # 0.5 is within 3 x 0.2
    assert modes.modes_hit(x, CENTRES, 0.1, threshold=12.0) == 3


def test_one_std_per_mode_judges_each_point_by_its_own_mode():
    x = np.array([[0.5, 0.0], [10.5, 0.0]])
    std = np.array([0.1, 1.0, 1.0])  # 0.5 is beyond 3 x 0.1 of mode 0, within 3 x 1.0 of mode 1
    assert modes.assign(x, CENTRES, std)[2].tolist() == [False, True]
    assert modes.modes_hit(x, CENTRES, std) == 1


def test_points_that_are_not_finite_belong_to_no_mode():
    x = np.array([[np.nan, 0.0], [0.0, np.inf], [10.0, 0.0]])
    nearest, dist, near = modes.assign(x, CENTRES, 0.1)
    assert nearest.tolist() == [1] and near.tolist() == [True]
    assert modes.modes_hit(np.zeros((0, 2)), CENTRES, 0.1) == 0
    assert modes.modes_hit(np.full((4, 2), np.nan), CENTRES, 0.1) == 0


def test_the_metrics_protocol_counts_with_it():
    rng = np.random.default_rng(0)
    x = np.concatenate([CENTRES[:2][rng.integers(0, 2, 300)] + 0.05 * rng.standard_normal((300, 2)),
                        rng.uniform(-5, 15, (100, 2)), [[np.nan, np.nan]]]).astype(np.float32)
    std = np.array([0.05, 0.05, 2.0])
    nearest, _, near = modes.assign(x, CENTRES, std)
    m = mode_metrics(torch.from_numpy(x), torch.from_numpy(CENTRES), torch.from_numpy(std))
    assert m["modes"] == modes.modes_hit(x, CENTRES, std) >= 2
    assert m["hq"] == near.sum() / len(x)  # the non-finite point counts as low quality
    where = where_samples_sit(torch.from_numpy(x), torch.from_numpy(CENTRES), torch.from_numpy(std))
    assert where["nearest"] == np.bincount(nearest, minlength=3).tolist()
    assert where["hq"] == np.bincount(nearest[near], minlength=3).tolist()
