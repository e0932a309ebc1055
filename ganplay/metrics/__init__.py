"""Offline quality metrics: how good, and how varied, is what a generator makes?

    from ganplay.metrics import evaluate, cheap_metrics, format_report
    result = evaluate(load_generator("runs/..."), n=10_000, seed=0)   # ganplay eval
    row = cheap_metrics(G, cfg)                                      # the trainer, every eval_every

What is measured depends on the data (`registry.data_kind`):

- ring8, grid25 (`points.py`): the VEEGAN/PacGAN protocol: modes covered, high-quality share,
  reverse KL, over 2,500 samples per seed, mean and standard error over seeds.
- mnist5k, mnist (`image.py`): with ganplay's own MNIST classifier (`classifier.py`, 99% on the
  500 held-out digits): class coverage, class KL, label accuracy (conditional G), FID, KID, IS,
  precision/recall, density/coverage, each next to the real-data floor (held-out vs training
  digits). FID/KID/IS use that classifier, not Inception: compare with the floor, not with papers.
- anything else: an explicit "not available" with the reason, never numbers that mean nothing.

Add a metric with `@register_metric(name, kinds)` (see `registry.py`).
"""

from ganplay.metrics.registry import (METRICS, Metric, MetricInput, SampleSet, data_kind, register_metric,
                                      run_metrics)

_LAZY = ("cheap_metrics", "digits_floor", "evaluate", "format_report", "reference_set")


def __getattr__(name: str):
    # evaluation imports the classifier module; loading it lazily keeps
    # `python -m ganplay.metrics.classifier` free of runpy's double-import warning
    if name in _LAZY:
        from ganplay.metrics import evaluation

        return getattr(evaluation, name)
    raise AttributeError(f"module 'ganplay.metrics' has no attribute {name!r}")


__all__ = ["METRICS", "Metric", "MetricInput", "SampleSet", "data_kind", "register_metric", "run_metrics",
           *_LAZY]
