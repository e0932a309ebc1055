"""`ganplay augment`: each arm's training set is what it says (the GAN of an arm saw only that arm's
digits), results are written per cell and read back without training, bad settings are refused."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from ganplay import augmentation as A
from ganplay.config import Config
from ganplay.data import load_dataset

TINY = A.Settings(n_values=(2,), seeds=(0,), gan_steps=3, classifier_steps=3, batch_size=8)


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    study, folder = A.run_study(root, TINY, progress=False)
    return study, folder


@pytest.mark.slow  # trains a tiny study (GAN and 5 classifiers)
def test_every_arm_trains_on_what_it_says(tiny_study):
    study, folder = tiny_study
    sizes = {c["arm"]: c["train_images"] for c in study.cells}
    n = 2
    assert sizes == {"real": 10 * n, "classical": 10 * n * (1 + A.CLASSICAL_COPIES), "gan-k=n": 20 * n,
                     "gan-k=10n": 10 * n + 100 * n, "zoo-k=10n": 10 * n + 100 * n}
    assert all(0.0 <= c["accuracy"] <= 1.0 for c in study.cells)
    written = json.loads((folder / "results.json").read_text())
    assert written["cells"] == study.cells and {r["arm"] for r in written["summary"]} == set(A.ARMS)


@pytest.mark.slow  # trains a tiny study (GAN and 5 classifiers)
def test_the_gan_of_an_arm_saw_only_that_arms_digits(tiny_study):
    _, folder = tiny_study
    cfg = Config.from_dict(json.loads((folder / "gan-n2-seed0" / "config.json").read_text()))
    assert cfg.data.per_class == 2 and cfg.train.seed == 0 and cfg.model.n_classes == 10
    seen = load_dataset(cfg)
    x, y = A.real_digits(2, 0)
    assert torch.equal(seen.x, x) and torch.equal(seen.labels, y)  # the same 20 digits, nothing more
    assert len(seen) == 20


@pytest.mark.slow  # trains a tiny study (GAN and 5 classifiers)
def test_a_second_call_reads_the_results_back_without_training(tiny_study, monkeypatch):
    study, folder = tiny_study

    def no_training(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr(A, "train_gan", no_training)
    monkeypatch.setattr(A, "classifier_accuracy", no_training)
    again, same = A.run_study(folder.parents[1], TINY, progress=False)
    assert same == folder and again.cells == study.cells
    assert "n = 2 per class" in A.format_table(again)


def test_the_seeds_spread_is_reported():
    study = A.Study(A.Settings(n_values=(10,), seeds=(0, 1, 2)),
                    [{"n": 10, "seed": s, "arm": "real", "accuracy": a, "train_images": 100}
                     for s, a in zip((0, 1, 2), (0.8, 0.9, 1.0))])
    (row,) = study.summary()
    assert row["mean"] == pytest.approx(0.9) and row["std"] == pytest.approx(0.1)
    assert (row["min"], row["max"], row["seeds"]) == (0.8, 1.0, 3)
    assert "90.0% ± 10.0" in A.format_table(study)


def test_settings_out_of_range_are_refused_before_anything_runs():
    for bad, message in [(A.Settings(n_values=(451,)), "must be 1..450"), (A.Settings(n_values=()), "must be 1..450"),
                         (A.Settings(seeds=()), "seeds must be"), (A.Settings(classifier_steps=0), "1..100000")]:
        with pytest.raises(A.AugmentError, match=message):
            bad.check()
    assert A.Settings().check() == A.Settings()


@pytest.mark.slow  # a subprocess per case; Settings.check itself is tested above
@pytest.mark.parametrize("args, message", [
    (["--n", "500"], "n (real digits per class) must be 1..450"),
    (["--n", "0"], "n (real digits per class) must be 1..450"),
    (["--gan-steps", "0"], "gan_steps and classifier_steps must be 1..100000"),
    (["--seeds", "999999999999"], "--seeds must be 1..100, got 999999999999"),  # was a MemoryError
])
def test_bad_settings_get_one_clear_line(tmp_path, args, message):
    res = subprocess.run([sys.executable, "-m", "ganplay", "augment", "--out", str(tmp_path), *args],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and message in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "augment").exists()


@pytest.mark.slow  # trains a tiny study (GAN and 5 classifiers)
def test_publishing_ships_the_study_and_rewrites_the_readme_table(tiny_study, tmp_path, monkeypatch):
    study, folder = tiny_study
    readme = tmp_path / "README.md"
    readme.write_text("# x\n<!-- augment:start -->\nold\n<!-- augment:end -->\nrest\n")
    shipped = tmp_path / "pretrained" / "augment" / "results.json"
    monkeypatch.setattr(A, "shipped_path", lambda: shipped)
    monkeypatch.setattr("ganplay.readme.README", readme)
    import ganplay.readme

    monkeypatch.setattr(ganplay.readme.write_block, "__defaults__", (readme,))
    assert A.publish(folder) is True
    assert A.load_study(shipped.parent).cells == study.cells
    block = ganplay.readme.read_block("augment", readme)
    assert block == A.readme_text(study) and "n = 2 per class" in block and readme.read_text().endswith("rest\n")
    assert A.publish(folder) is False  # already current


def test_an_unfinished_study_is_not_published(tmp_path):
    study = A.Study(TINY, [{"n": 2, "seed": 0, "arm": "real", "accuracy": 0.5, "train_images": 20}])
    (tmp_path / "results.json").write_text(json.dumps(study.as_dict()))
    with pytest.raises(A.AugmentError, match="not finished \\(4 classifiers to go\\)"):
        A.publish(tmp_path)


def test_a_study_counts_the_classifiers_it_lacks():
    cell = {"n": 2, "seed": 0, "arm": "real", "accuracy": 0.5, "train_images": 20}
    study = A.Study(A.Settings(n_values=(2, 5), seeds=(0, 1)), [cell, dict(cell)])  # the same cell twice
    assert study.expected == 2 * 2 * len(A.ARMS) == 20 and study.missing == 19
    full = A.Study(TINY, [{**cell, "arm": arm} for arm in A.ARMS])
    assert full.expected == len(A.ARMS) and full.missing == 0


def test_list_studies_finds_those_with_results_newest_first(tmp_path):
    import os

    assert A.list_studies(tmp_path) == []
    older, newer = A.study_dir(tmp_path, TINY), A.study_dir(tmp_path, A.Settings())
    for folder, when in ((older, 1_000_000), (newer, 2_000_000)):
        folder.mkdir(parents=True)
        A.results_path(folder).write_text("{}")
        os.utime(A.results_path(folder), (when, when))
    (older.parent / "started-no-results").mkdir()
    assert A.list_studies(tmp_path) == [newer, older]


def test_the_readme_carries_the_shipped_study():
    """README's augmentation table is what `ganplay augment --write-readme` wrote from the shipped
    results, and those results are a finished study with generators trained on each arm's own n."""
    from ganplay.readme import read_block

    study = A.load_study(A.shipped_path().parent)
    assert study is not None, "run `ganplay augment --write-readme`"
    assert len(study.cells) == len(study.settings.n_values) * len(study.settings.seeds) * len(A.ARMS)
    assert study.settings.n_values == (10, 50, 400) and len(study.settings.seeds) == 5
    assert read_block("augment") == A.readme_text(study)
