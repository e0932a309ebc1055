"""`ganplay zoo measure NAME`: a zoo entry trained over several training seeds, each scored on fresh
samples, resumable seed by seed (issue 22). Tiny 2D configs: 60 steps of a 16-unit MLP, under a
second per seed."""

import json

import pytest
import torch

from ganplay import zoo
from ganplay import zoo_measure as zm
from ganplay.train import Trainer

NAME = "ring8-gan"
TINY = ["model.g_hidden=[16]", "model.d_hidden=[16]", "model.z_dim=4", "train.batch_size=32", "train.steps=60",
        "train.checkpoint_every=30", "train.sample_every=30", "train.eval_every=0", "train.log_every=10"]


def measure(tmp_path, seeds=range(2), **options):
    options.setdefault("overrides", TINY)
    return zm.measure(NAME, seeds, runs=tmp_path / "runs", root=tmp_path / "zoo", progress=False, **options)


def results_path(tmp_path):
    return tmp_path / "zoo" / "measure" / f"{NAME}.json"


def test_each_seed_is_trained_and_scored_and_a_second_call_trains_nothing(tmp_path, monkeypatch):
    lines = []
    first = measure(tmp_path, say=lines.append)
    saved = json.loads(results_path(tmp_path).read_text())
    assert saved == first
    assert [e["seed"] for e in saved["per_seed"]] == [0, 1]
    for e in saved["per_seed"]:
        assert (e["state"], e["steps"], e["sampling_seed"]) == ("done", 60, 1000 + e["seed"])
        assert {"modes", "hq", "kl"} == set(e["metrics"]) and e["wall_time_s"] >= 0
        assert e["run"] == str(zm.run_path(tmp_path / "runs", NAME, zm.seed_config(NAME, e["seed"], TINY)))
    assert saved["per_seed"][0]["metrics"] != saved["per_seed"][1]["metrics"]  # two trainings, not one
    assert saved["eval"]["n"] == 2500 and saved["kind"] == "points" and saved["n_modes"] == 8
    assert "seed" not in saved["config"]["train"] and "name" not in saved["config"]
    assert saved["config"]["train"]["steps"] == 60 and saved["extra_overrides"] == TINY
    summary = saved["summary"]
    assert summary["n"] == 2 and summary["seeds"] == [0, 1]
    assert summary["metrics"]["kl"]["values"] == [e["metrics"]["kl"] for e in saved["per_seed"]]
    assert lines[0].startswith("seed 0: trained 60 steps in ") and lines[1].startswith("seed 1: trained 60 steps")

    def never(*_args, **_kwargs):
        raise AssertionError("measured again")

    real_score = zm.score
    monkeypatch.setattr(Trainer, "fit", never)
    monkeypatch.setattr(zm, "score", never)
    lines.clear()
    again = measure(tmp_path, say=lines.append)
    assert again["per_seed"] == first["per_seed"] and again["summary"] == first["summary"]
    assert lines == [zm.seed_line({**e, "how": "measured earlier"}, first) for e in first["per_seed"]]
    assert lines[0].startswith("seed 0: measured earlier; modes ") and lines[1].startswith("seed 1: measured earlier")
    # a finished run whose entry was lost is scored again, not trained again: the same numbers
    monkeypatch.setattr(zm, "score", real_score)
    saved["per_seed"] = saved["per_seed"][:1]
    results_path(tmp_path).write_text(json.dumps(saved))
    lines.clear()
    third = measure(tmp_path, say=lines.append)
    assert third["per_seed"] == first["per_seed"] and lines[1].startswith("seed 1: its run finished earlier")


def test_an_interrupted_seed_resumes_from_its_checkpoint(tmp_path, monkeypatch):
    cfg = zm.seed_config(NAME, 1, TINY)
    trainer = Trainer(cfg)
    trainer.start(run_dir=zm.run_path(tmp_path / "runs", NAME, zm.seed_config(NAME, 1, TINY)))
    assert trainer.fit(stop_after=30) == "stopped"  # as Ctrl+C or SIGTERM leave it: a checkpoint at 30
    starts = []
    fit = Trainer.fit

    def spy(self, *args, **kwargs):
        starts.append(self.step)
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "fit", spy)
    lines = []
    resumed = measure(tmp_path, seeds=[1], say=lines.append)
    assert starts == [30] and lines[0].startswith("seed 1: resumed at step 30, 60 steps in ")
    assert resumed["per_seed"][0]["steps"] == 60
    # the same model as one uninterrupted training (each step seeded from the seed and the step)
    whole = measure(tmp_path / "whole", seeds=[1])
    assert starts == [30, 0]
    assert resumed["per_seed"][0]["metrics"] == whole["per_seed"][0]["metrics"]


def test_a_stopped_command_keeps_the_seeds_before_and_continues_where_it_stopped(tmp_path, monkeypatch, capsys):
    from ganplay.cli import main

    fit = Trainer.fit
    first = measure(tmp_path, seeds=[0])
    monkeypatch.setattr(Trainer, "fit", lambda self, on_step=None: fit(self, on_step, stop_after=30))  # as Ctrl+C
    threads = torch.get_num_threads()
    try:
        args = ["zoo", "measure", NAME, "--seeds", "3", "--quiet", "--out", str(tmp_path / "zoo" / "measure"),
                "--runs", str(tmp_path / "runs"), "--set", *TINY]
        assert main(args) == 3  # EXIT_STOPPED
    finally:
        torch.set_num_threads(threads)
    captured = capsys.readouterr()
    assert captured.out.startswith("seed 0: measured earlier")
    assert f"stopped: {NAME} seed 1 stopped at step 30" in captured.err and "the same command continues it" in captured.err
    assert json.loads(results_path(tmp_path).read_text())["per_seed"] == first["per_seed"]  # seed 0 kept
    monkeypatch.setattr(Trainer, "fit", fit)
    lines = []
    done = measure(tmp_path, seeds=range(3), say=lines.append)
    assert [e["seed"] for e in done["per_seed"]] == [0, 1, 2]
    assert lines[1].startswith("seed 1: resumed at step 30") and lines[2].startswith("seed 2: trained 60 steps")


def test_other_settings_are_refused_or_kept_apart_never_mixed(tmp_path):
    first = measure(tmp_path, seeds=[0])
    other = TINY + ["optim.lr_g=0.001"]
    with pytest.raises(zm.MeasureError, match=r"1 seed measured with other settings \(optim\.lr_g: 0\.0001 there, "
                                              r"0\.001 here\): add --fresh .* or --out DIR"):
        measure(tmp_path, seeds=[1], overrides=other)
    assert json.loads(results_path(tmp_path).read_text()) == first  # untouched
    apart = measure(tmp_path, seeds=[0], overrides=other, out_dir=tmp_path / "apart")
    assert apart["per_seed"][0]["run"] != first["per_seed"][0]["run"]  # its own run directory too
    assert apart["per_seed"][0]["metrics"] != first["per_seed"][0]["metrics"]
    fresh = measure(tmp_path, seeds=[0], overrides=other, fresh=True)  # that run is finished: scored only
    assert fresh["config"]["optim"]["lr_g"] == 0.001 and fresh["per_seed"] == apart["per_seed"]
    with pytest.raises(zm.MeasureError, match="--set train.seed"):
        measure(tmp_path, seeds=[0], overrides=TINY + ["train.seed=3"])
    with pytest.raises(zoo.ZooError, match="unknown zoo model"):
        zm.measure("no-such-model", [0], runs=tmp_path, root=tmp_path, progress=False)


def test_the_summary_counts_goals_over_seeds():
    points = {"kind": "points", "n_modes": 8, "per_seed": [
        {"seed": 2, "state": "done", "metrics": {"modes": 8.0, "hq": 0.90, "kl": 0.01}},
        {"seed": 0, "state": "done", "metrics": {"modes": 7.0, "hq": 0.95, "kl": 0.20}},
        {"seed": 1, "state": "done", "metrics": {"modes": 8.0, "hq": 0.91, "kl": 0.02}},
        {"seed": 3, "state": "failed", "steps": 12, "error": "diverged"}]}
    s = zm.summarise(points)
    assert (s["n"], s["seeds"], s["failed"]) == (4, [0, 1, 2], [3])
    assert s["every_mode_seeds"] == 2 and s["metrics"]["modes"]["values"] == [7.0, 8.0, 8.0]
    assert (s["hq_min"], s["hq_median"], s["metrics"]["hq"]["max"]) == (0.90, 0.91, 0.95)
    assert s["metrics"]["kl"] == {"values": [0.20, 0.02, 0.01], "min": 0.01, "median": 0.02, "max": 0.20}
    assert zoo.training_seeds_words(s) == ("over 4 training seeds (1 failed to train): every mode in 2 of 4, "
                                           "high quality 90.0-95.0% (median 91.0%)")
    assert zm.summary_line("ring8-pacgan", s).startswith("ring8-pacgan: over 4 training seeds")
    digits = {"kind": "images", "conditional": True, "per_seed": [
        {"seed": s, "state": "done", "metrics": {"label_acc": acc, "class_min_share": low, "class_kl": kl,
                                                 "confidence": conf, "classes": 10.0}}
        for s, acc, low, kl, conf in ((0, 0.97, 0.08, 0.004, 0.95), (1, 0.95, 0.005, 0.2, 0.90),
                                      (2, 0.96, 0.09, 0.003, 0.94))]}
    d = zm.summarise(digits)
    assert (d["label_acc_min"], d["class_min_share_min"], d["digit_missing_seeds"], d["class_kl_max"]) == \
        (0.95, 0.005, 1, 0.2)
    assert d["confidence_mean"] == pytest.approx(0.93)
    assert zoo.training_seeds_words(d) == (
        "over 3 training seeds: label accuracy 95.0-97.0% (median 96.0%), the rarest digit under 1% of samples "
        "in 1 of 3, class KL at most 0.200, classifier confidence 93.0% on average")
    assert zm.summarise({"per_seed": []})["n"] == 0 and zoo.training_seeds_words(zm.summarise({})) == ""


def points_card(config: dict) -> dict:
    return {"name": NAME, "config": config, "help": "x", "metrics": {
        "kind": "points", "available": True, "n_modes": 8, "modes": {"mean": 0.0, "stderr": 0.0, "values": [0.0] * 5},
        "hq": {"mean": 0.0, "stderr": 0.0, "values": [0.0] * 5}, "where": {"centres": [], "seeds": []}}}


def test_a_card_of_the_measured_config_gets_the_training_seeds_block(tmp_path):
    root = tmp_path / "zoo"
    root.mkdir()
    card = points_card({**zm.seed_config(NAME, 0, TINY).to_dict(), "name": f"zoo-{NAME}"})
    zoo.card_path(NAME, root).write_text(json.dumps(card))
    lines = []
    results = measure(tmp_path, say=lines.append)
    assert lines[-1] == f"card {NAME}: training_seeds block written (2 seeds)"
    card = zoo.read_card(NAME, root)
    block = card["training_seeds"]
    assert block == zm.card_block(card, root)  # what `zoo build` puts on a card it writes
    assert {k: block[k] for k in results["summary"]} == results["summary"]
    assert block["results"] == f"measure/{NAME}.json" and block["eval"] == results["eval"]
    words = zoo.training_seeds_words(results["summary"])
    assert card["help"] == zoo.describe_card(card) and card["help"].endswith(f"; {words}.")
    assert words.startswith(f"over 2 training seeds: every mode in {block['every_mode_seeds']} of 2, high quality ")
    assert zoo.unsupported_claims(card["help"], card) == []
    wrong = 1 - block["every_mode_seeds"] if block["every_mode_seeds"] < 2 else 0
    for claim in ("over 5 training seeds", f"every mode in {wrong} of 2", "high quality 99.0-99.5% (median 99.2%)"):
        assert zoo.unsupported_claims(claim, card), claim
    # a card of another config (the shipped 6,000 steps) is left alone, and names no training seeds
    other = points_card({**zm.seed_config(NAME, 0).to_dict(), "name": f"zoo-{NAME}"})
    assert zm.card_block(other, root) is None
    zoo.card_path(NAME, root).write_text(json.dumps(other))
    lines.clear()
    measure(tmp_path, say=lines.append)
    assert lines[-1] == f"card {NAME}: not changed (its config is not the measured one)"
    assert "training_seeds" not in zoo.read_card(NAME, root)
    assert zoo.unsupported_claims("over 2 training seeds: every mode in 0 of 2", other)
    # results kept elsewhere (--out) never touch the card
    zoo.card_path(NAME, root).write_text(json.dumps(card))
    measure(tmp_path, seeds=[0], out_dir=tmp_path / "elsewhere")
    assert zoo.read_card(NAME, root) == card


def test_the_command_prints_a_line_per_seed_and_the_summary(tmp_path, capsys):
    from ganplay.cli import main

    threads = torch.get_num_threads()
    try:
        common = ["--quiet", "--out", str(tmp_path / "out"), "--runs", str(tmp_path / "runs")]
        assert main(["zoo", "measure", NAME, "--seeds", "2", *common, "--set", *TINY]) == 0
        out = capsys.readouterr().out.splitlines()
        summary = json.loads((tmp_path / "out" / f"{NAME}.json").read_text())["summary"]
        assert out[0].startswith("seed 0: trained 60 steps") and out[1].startswith("seed 1: trained 60 steps")
        assert out[2] == f"{NAME}: " + zoo.training_seeds_words(summary)
        assert out[2].startswith(f"{NAME}: over 2 training seeds: every mode in {summary['every_mode_seeds']} of 2, "
                                 "high quality ")
        assert out[3] == f"results: {tmp_path / 'out' / (NAME + '.json')}"
        # one more seed later: the first two re-used
        assert main(["zoo", "measure", NAME, "--first-seed", "2", "--seeds", "1", *common, "--set", *TINY]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[0].startswith("seed 2: trained") and out[1].startswith(f"{NAME}: over 3 training seeds")
        for bad, message in ((["no-such-model"], "unknown zoo model 'no-such-model'"),
                             ([NAME, "--seeds", "0"], "--seeds must be 1..100"),
                             ([NAME, "--first-seed", "-1"], "--first-seed must be 0..10000"),
                             ([NAME, "--jobs", "0"], "--jobs must be 1..16"),
                             ([NAME, "--set", "train.seed=4"], "--set train.seed: the measurement sets it"),
                             ([NAME, *common, "--set", *TINY, "train.steps=61"], "train.steps: 60 there, 61 here")):
            assert main(["zoo", "measure", *bad]) == 2, bad
            assert message in capsys.readouterr().err, bad
    finally:
        torch.set_num_threads(threads)


def test_digit_generators_get_confidence_and_the_rarest_digit_s_share():
    from ganplay.metrics import evaluate
    from ganplay.sampling import load_generator

    result = evaluate(load_generator("mnist-dcgan"), n=200, seed=0, spread=0, memorisation=False, floor=False)
    assert 0 <= result["confidence"] <= 1 and 0 <= result["class_min_share"] <= 0.1
    assert result["class_min_share"] == pytest.approx(min(result["class_shares"][0]))
    numbers = zm.scalar_metrics(result)
    assert {"confidence", "class_min_share", "classes", "class_kl", "fid", "precision"} <= set(numbers)
    assert not {"n", "image_size", "kid_std", "is_std", "conditional"} & set(numbers)


def test_two_seeds_at_a_time_give_the_same_numbers(tmp_path):
    """--jobs 2: worker processes with one thread each (about 6 s: each imports torch)."""
    one = measure(tmp_path / "one")
    two = measure(tmp_path / "two", jobs=2)
    strip = lambda r: [{k: v for k, v in e.items() if k not in ("run", "wall_time_s")} for e in r["per_seed"]]  # noqa: E731
    assert strip(one) == strip(two)


def test_zoo_build_puts_a_measurement_of_its_config_on_the_card(tmp_path, monkeypatch):
    root = tmp_path / "zoo"
    monkeypatch.setitem(zoo.ZOO, NAME, zoo.ZooEntry(NAME, NAME, "Vanilla GAN on ring8", tuple(TINY)))  # a tiny entry
    results = zm.measure(NAME, range(2), runs=tmp_path / "runs", root=root, progress=False)
    assert results["extra_overrides"] == [] and results["overrides"] == TINY
    from ganplay.zoo_build import build

    card = build(NAME, root=root, runs=tmp_path / "built", progress=False)
    assert card["training_seeds"] == zm.card_block(card, root) and card["training_seeds"]["n"] == 2
    assert card == zoo.read_card(NAME, root) and "over 2 training seeds: every mode in " in card["help"]
    assert card["help"] == zoo.describe_card(card) and zoo.unsupported_claims(card["help"], card) == []


def test_zoo_build_exports_the_measurements_finished_training_of_its_seed_instead_of_training_it_again(
        tmp_path, monkeypatch):
    from safetensors.torch import load_file

    from ganplay.train.checkpoint import load_checkpoint
    from ganplay.train.rundir import RunDir
    from ganplay.zoo_build import build, export_weights

    root = tmp_path / "zoo"
    monkeypatch.setitem(zoo.ZOO, NAME, zoo.ZooEntry(NAME, NAME, "Vanilla GAN on ring8", tuple(TINY)))
    zm.measure(NAME, range(2), runs=tmp_path / "runs", root=root, progress=False)
    seed0 = zm.run_path(tmp_path / "runs", NAME, zm.seed_config(NAME, 0))
    real_fit = Trainer.fit

    def never(*_args, **_kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr(Trainer, "fit", never)
    card = build(NAME, root=root, runs=tmp_path / "built", progress=False, evaluate=False,
                 measured=tmp_path / "runs")
    assert card["run"] == str(seed0) and card["steps"] == 60 and not (tmp_path / "built").exists()
    shipped = load_file(zoo.weights_path(NAME, root))
    exported = tmp_path / "again.safetensors"
    export_weights(RunDir(seed0).latest_checkpoint(), exported)
    assert shipped.keys() == load_file(exported).keys()
    assert all(torch.equal(shipped[k], load_file(exported)[k]) for k in shipped)
    assert load_checkpoint(zoo.weights_path(NAME, root)).config["name"] == f"zoo-{NAME}"  # the entry's, not the seed's
    # an unfinished run of the seed (or none) is trained as before
    status = json.loads((seed0 / "status.json").read_text())
    (seed0 / "status.json").write_text(json.dumps({**status, "state": "stopped"}))
    monkeypatch.setattr(Trainer, "fit", real_fit)
    card = build(NAME, root=root, runs=tmp_path / "built", progress=False, evaluate=False,
                 measured=tmp_path / "runs")
    assert card["run"] != str(seed0) and str(tmp_path / "built") in card["run"]


def test_the_readme_table_lists_each_cards_training_seeds_in_words(tmp_path):
    from ganplay.zoo_table import readme_table

    per_seed = [{"seed": s, "state": "done", "wall_time_s": t, "metrics": {"modes": m, "hq": hq, "kl": 0.01}}
                for s, t, m, hq in ((0, 230.0, 8.0, 0.90), (1, 251.0, 7.0, 0.93))]
    metrics = {"kind": "points", "n_modes": 8, "modes": {"mean": 8.0, "stderr": 0.0, "values": [8.0]},
               "hq": {"mean": 0.9, "stderr": 0.0, "values": [0.9]}, "kl": {"mean": 0.01, "stderr": 0.0, "values": [0.01]}}
    card = {"name": "ring8-pacgan", "metrics": metrics}
    zoo.card_path("ring8-pacgan", tmp_path).write_text(json.dumps(card))
    zoo.weights_path("ring8-pacgan", tmp_path).write_bytes(b"")  # a card counts beside its weights
    assert "independent trainings" not in readme_table(tmp_path)  # nothing measured: no table
    zoo.measure_path("ring8-pacgan", tmp_path).parent.mkdir(parents=True)
    zoo.measure_path("ring8-pacgan", tmp_path).write_text(json.dumps({"per_seed": per_seed}))
    summary = zm.summarise({"kind": "points", "n_modes": 8, "per_seed": per_seed})
    card["training_seeds"] = {**summary, "results": "measure/ring8-pacgan.json"}
    zoo.card_path("ring8-pacgan", tmp_path).write_text(json.dumps(card))
    table = readme_table(tmp_path)
    assert ("| `ring8-pacgan` | Over 2 training seeds: every mode in 1 of 2, high quality 90.0-93.0% (median 91.5%) "
            "| 230-251 s each |") in table


def test_a_seed_another_measurement_is_training_is_skipped_and_a_stale_lock_taken_over(tmp_path):
    import subprocess
    import sys

    from ganplay.jobs.records import _proc_start_ticks

    run = zm.run_path(tmp_path / "runs", NAME, zm.seed_config(NAME, 1, TINY))
    run.mkdir(parents=True)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (run / zm.LOCK_NAME).write_text(json.dumps({"pid": other.pid, "pid_start": _proc_start_ticks(other.pid)}))
        lines = []
        busy = measure(tmp_path, say=lines.append)
        assert [e["seed"] for e in busy["per_seed"]] == [0]
        assert lines[0] == f"seed 1: being trained by another measurement (process {other.pid}); skipped"
        assert not (run / "config.json").exists()  # nothing written into the other command's run
        with pytest.raises(zm.MeasureError, match="being trained by another measurement"):
            zm.train_seed(zm.seed_config(NAME, 1, TINY), run)
    finally:
        other.kill()
        other.wait()
    lines = []
    taken = measure(tmp_path, say=lines.append)  # its process is gone: the lock is stale
    assert [e["seed"] for e in taken["per_seed"]] == [0, 1] and lines[1].startswith("seed 1: trained")
    assert not (run / zm.LOCK_NAME).exists()
