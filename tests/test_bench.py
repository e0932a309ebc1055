"""`ganplay bench` when it is told to stop (issue 16, item 10): SIGTERM during a measured run (the
trainer turns it into a stop request) or during the plain loop ends the bench with a message and
exit status 3, instead of `KeyError: <step>` or going on to the next measurement."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from ganplay import bench
from ganplay.train import Trainer

ENV = {**os.environ, "GANPLAY_OFFLINE": "1", "OMP_NUM_THREADS": "1"}


def test_sigterm_during_a_measured_run_stops_the_bench(monkeypatch):
    fits, real_step, real_fit = [], Trainer.train_step, Trainer.fit

    def step(self, on_critic=None):
        if self.step == bench.WARMUP + 2:  # inside the timed window
            os.kill(os.getpid(), signal.SIGTERM)
        return real_step(self, on_critic)

    def fit(self, *args, **kwargs):
        fits.append(self)
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "train_step", step)
    monkeypatch.setattr(Trainer, "fit", fit)
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(bench.BenchStopped, match="ganplay-fp32 \\(repeat 1 of 2\\)"):
        bench.run_bench("mnist-mlp", steps=20, repeats=2, batch_size=8, include_bf16=False)
    assert len(fits) == 1  # nothing was measured after the stop
    assert signal.getsignal(signal.SIGTERM) == before


def _bench_until(line: str, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.Popen([sys.executable, "-m", "ganplay", "bench", "--preset", "mnist-mlp",
                             "--batch-size", "8", "--repeats", "3", "--no-bf16", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    seen = []
    try:
        for text in proc.stderr:
            seen.append(text)
            if line in text:
                break
        else:
            pytest.fail(f"the bench never said {line!r}:\n{''.join(seen)[-3000:]}")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, "".join(seen) + err)


@pytest.mark.slow
@pytest.mark.parametrize("during", ["plain-pytorch", "ganplay-fp32"])
def test_cli_bench_says_it_was_stopped_and_exits(during):
    res = _bench_until(f"measuring {during} (repeat 1 of 3)", "--steps", "1000")
    assert res.returncode == 3, res.stderr[-3000:]
    assert f"bench stopped: stopped while measuring {during}" in res.stderr
    assert "Traceback" not in res.stderr and "KeyError" not in res.stderr
    assert "repeat 2 of 3" not in res.stderr and "images/s" not in res.stdout


@pytest.mark.parametrize("native", ["0", pytest.param("1", marks=pytest.mark.slow)])
def test_bench_reports_each_repeats_ratio_and_measures_bf16_only_where_native(monkeypatch, native):
    import statistics

    monkeypatch.setenv("GANPLAY_BF16_NATIVE", native)
    report = bench.run_bench("mnist-mlp", steps=2, repeats=3, batch_size=4)
    d = report.as_dict()
    assert ("ganplay-bf16" in report.results) is (native == "1")
    assert d["cpu"]["bf16_native"] is (native == "1")
    assert ("bf16 not measured: this CPU emulates it" in " ".join(d["notes"])) is (native == "0")
    for variant, runs in report.results.items():
        plain = report.results["plain-pytorch"]
        per = d["ratio_per_repeat"][variant]
        assert len(per) == 3 and per == [round(v / p, 3) for v, p in zip(runs, plain)]
        assert d["ratio_median"][variant] == round(statistics.median(v / p for v, p in zip(runs, plain)), 3)
        assert d["ratio_min"][variant] == round(min(v / p for v, p in zip(runs, plain)), 3)
    assert d["ratio_per_repeat"]["plain-pytorch"] == [1.0, 1.0, 1.0]
    table = report.table()
    assert ("bf16 native" if native == "1" else "bf16 emulated") in table.splitlines()[0]
    assert "per repeat" in table


@pytest.mark.parametrize("argv, message", [
    (["--steps", "0"], "--steps must be 1..100000, got 0"),
    (["--repeats", "0"], "--repeats must be 1..100, got 0"),
    (["--first-page", "--repeats", "-1"], "--repeats must be 1..100, got -1"),
    (["--preset", "ring8-wgan-gp"], "ring8-wgan-gp is not one (try mnist-dcgan or mnist-mlp)"),
])
def test_bad_bench_arguments_say_why_without_a_traceback(capsys, argv, message):
    from ganplay.cli import EXIT_BAD_INPUT, main

    assert main(["bench", *argv]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err, err
