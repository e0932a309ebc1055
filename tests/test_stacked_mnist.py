"""Stacked MNIST: the data set (three mnist5k digits as RGB, 1,000 modes) and its mode metrics."""

import math

import pytest
import torch

from ganplay.config import Config
from ganplay.data import load_dataset
from ganplay.metrics import stacked as stk


@pytest.fixture(scope="module")
def stacks():
    return load_dataset(Config.from_dict({"data": {"name": "stacked-mnist"}, "model": {"arch": "dcgan"}}))


def test_stacks_are_three_training_digits_labelled_by_their_triple(stacks):
    from ganplay.data.images import mnist5k

    assert stacks.x.shape == (25_000, 3, 28, 28) and stacks.x.dtype == torch.uint8
    assert stacks.n_classes == 1000 and len(stacks.class_names) == 1000
    assert int(stacks.labels.min()) >= 0 and int(stacks.labels.max()) <= 999
    assert len(stacks.labels.unique()) == 1000  # 25,000 draws leave no triple out
    train = mnist5k(28, "train")
    flat = train.x.reshape(len(train), -1)
    for i in range(3):  # every channel is one of the training digits, of the labelled class
        label = int(stacks.labels[i])
        for c, digit in enumerate((label // 100, label // 10 % 10, label % 10)):
            match = (flat == stacks.x[i, c].reshape(-1)).all(1).nonzero()[:, 0]
            assert len(match) >= 1 and int(train.labels[match[0]]) == digit


def test_mode_metrics_known_cases():
    one_hot = torch.zeros(26, 3, 10)
    one_hot[:, 0, 1] = one_hot[:, 1, 2] = one_hot[:, 2, 3] = 1  # every sample is "123"
    m = stk.stacked_mode_metrics(one_hot)
    assert m["modes"] == 1 and m["kl"] == pytest.approx(math.log(1000))
    every = torch.zeros(1000, 3, 10)
    k = torch.arange(1000)
    every[k, 0, k // 100] = every[k, 1, k // 10 % 10] = every[k, 2, k % 10] = 1
    m = stk.stacked_mode_metrics(every)
    assert m["modes"] == 1000 and m["kl"] == pytest.approx(0.0, abs=1e-12)
    assert stk.mode_ids(every).tolist() == k.tolist()
    with pytest.raises(ValueError, match="per-channel"):
        stk.stacked_mode_metrics(torch.zeros(5, 10))


def test_the_classifier_reads_real_stacks(stacks):
    from ganplay.metrics.classifier import load_classifier

    probs = stk.channel_probs(load_classifier(), stacks.x[:600])
    assert probs.shape == (600, 3, 10)
    assert (stk.mode_ids(probs) == stacks.labels[:600]).double().mean() > 0.95
    with pytest.raises(ValueError, match="3, H, W"):
        stk.channel_probs(load_classifier(), stacks.x[:2, :1])


def test_cheap_metrics_and_data_kind_for_stacked_generators():
    from ganplay.metrics import cheap_metrics, data_kind
    from ganplay.models import build_models

    cfg = Config.from_dict({"data": {"name": "stacked-mnist"},
                            "model": {"arch": "dcgan", "z_dim": 8, "g_channels": 8, "d_channels": 8}})
    assert data_kind(cfg, 3) == ("stacked", "")
    G, _ = build_models(cfg, (3, 28, 28), 0)
    out = cheap_metrics(G, cfg, n=300)
    assert set(out) == {"modes", "kl"} and 1 <= out["modes"] <= 300 and 0 <= out["kl"] <= math.log(1000)
