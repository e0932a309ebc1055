"""Property-based: random and malformed configs thrown at every way a config gets in (a config file
for `ganplay train --config`, a `--set` override, the dashboard's JSON import, a Train-page link's
query string, a checkpoint's header) give a valid config or a short error of our own type, never
another exception (issue 16, "make it stay fixed").

"Short" is the CLI's one line: a file, a value or a header that cannot be read is exactly one
line; a config that reads but does not validate is `invalid config:` and one short line per bad
field (the dashboard files each under its field), at most MAX_ERROR_LINES of them. Examples are
derandomized and few, so this file stays in the quick tier.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganplay.config import MAX_ERROR_LINES, Config, ConfigError, field_help, load_config
from ganplay.dashboard import share
from ganplay.presets import preset_values

FIELDS = sorted(k for k in field_help() if "." in k)
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
OLD_RING = Path(__file__).resolve().parent / "fixtures" / "old_runs" / "ring8"


def outcome(call, ours=(ConfigError,)):
    """Run one entry point: a Config, or None after checking the error is ours and short."""
    try:
        cfg = call()
    except ours as exc:
        msg = str(exc)
        lines = msg.splitlines()
        assert msg.strip(), "an empty error message"
        assert len(lines) == 1 or (lines[0] == "invalid config:" and len(lines) <= MAX_ERROR_LINES + 2), msg[:2000]
        assert all(len(line) <= 400 for line in lines), max(lines, key=len)[:500]
        return None
    assert isinstance(cfg, Config)
    assert Config.from_dict(json.loads(cfg.to_json())) == cfg  # what loads also round-trips
    return cfg


# -- strategies ---------------------------------------------------------------------------------
scalars = (st.none() | st.booleans() | st.integers() | st.integers(-10**30, 10**30) | st.floats()
           | st.sampled_from([0, -1, 1, 2**31, 2**63, 10**400 // 10**300, 1e308, -1e-320, math.inf])
           | st.text(max_size=30))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
deep = st.integers(2, 3000).flatmap(lambda d: st.sampled_from(["[" * d + "]" * d, '{"a":' * d + "1" + "}" * d,
                                                               "- " * d + "x", "[" * d]))
huge = st.sampled_from(["9" * 5000, "1e99999", "-" + "9" * 400, "[" + "200000," * 7 + "200000]",
                        "[" + ",".join(["1"] * 10_000) + "]", "x" * 100_000])
field_values = values | deep | huge | st.sampled_from(["[-5]", "[0]", "[1e12]", "nan", ".inf", "2020-13-45",
                                                         "!!python/object:os.system", "{a: [1, {b: 2}]}"])


@st.composite
def config_dicts(draw):
    """Presets with a few fields replaced by anything, sections replaced, unknown keys added."""
    cfg = preset_values(draw(st.sampled_from(["ring8-gan", "mnist-dcgan", "mnist-cstylegan-lite", "grid25-pacgan"])))
    for _ in range(draw(st.integers(1, 4))):
        key = draw(st.sampled_from(FIELDS) | st.text(max_size=12))
        section, _, name = key.partition(".")
        value = draw(values)
        if name and isinstance(cfg.get(section), dict):
            cfg[section][name] = value
        else:
            cfg[key] = value
    return cfg


documents = (config_dicts().map(json.dumps) | config_dicts().map(lambda d: yaml.safe_dump(d)) | values.map(json.dumps)
             | deep | huge | st.text(max_size=300))
raw_files = documents.map(lambda t: t.encode()) | st.binary(max_size=300) | st.binary(max_size=100).map(lambda b: b"\xff\xfe" + b)


# -- the entry points ---------------------------------------------------------------------------
@SETTINGS
@given(data=raw_files, suffix=st.sampled_from([".yaml", ".json", ".yml", ""]))
def test_config_file(data, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"config{suffix}"
        path.write_bytes(data)
        outcome(lambda: load_config(path))


@SETTINGS
@given(key=st.sampled_from(FIELDS) | st.text(max_size=20), value=field_values.map(str) | st.text(max_size=50))
def test_set_override(key, value):
    outcome(lambda: Config.from_preset("ring8-gan", [f"{key}={value}"]))
    outcome(lambda: Config.from_preset("mnist-dcgan", [f"{key}={value}", "train.seed=1"]))


@SETTINGS
@given(data=documents | raw_files)
def test_dashboard_import(data):
    outcome(lambda: share.config_from_json(data))


@SETTINGS
@given(params=st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10),
                              field_values.map(lambda v: v if isinstance(v, str) else json.dumps(v))
                              | st.lists(st.text(max_size=20), max_size=3),
                              max_size=6))
def test_link_query_string(params):
    cfg = outcome(lambda: share.config_from_query(params))
    if cfg is not None:  # a link made from a valid config opens that config
        assert share.config_from_query(share.config_to_query(cfg)) == cfg


@settings(SETTINGS, max_examples=30)
@given(config=config_dicts().map(json.dumps) | documents, meta=st.none() | documents | values.map(json.dumps))
def test_checkpoint_header(config, meta):
    from ganplay.sampling import SamplingError, load_generator
    from ganplay.train import checkpoint as ckpt

    original = ckpt.load_checkpoint(OLD_RING / "checkpoints" / "step-0000006.safetensors")
    header = {"format": ckpt.FORMAT, "version": ckpt.VERSION, "config": config,
              "meta": json.dumps(original.meta) if meta is None else meta}
    from safetensors.torch import save

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "step-0000001.safetensors"
        path.write_bytes(save(original.tensors, metadata=header))

        def load():
            return load_generator(path).config

        outcome(load, ours=(ConfigError, SamplingError, ckpt.CheckpointError))


def test_the_old_run_header_still_loads():
    """The header test's base file is a valid checkpoint: with its own config and meta it loads."""
    from ganplay.sampling import load_generator

    assert load_generator(OLD_RING).config.name == "old-ring8"


@pytest.mark.parametrize("text", ["[" * 5000 + "]" * 5000, "- " * 5000 + "x", "{a: " * 3000 + "1" + "}" * 3000],
                         ids=["list", "yaml-block", "yaml-flow-map"])
def test_too_deep_everywhere(text):
    """The deepest inputs, at each entry point (Hypothesis draws them rarely)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "deep.yaml"
        path.write_text(text)
        assert outcome(lambda: load_config(path)) is None
    assert outcome(lambda: share.config_from_json(text)) is None
    assert outcome(lambda: share.config_from_query({"model.g_hidden": text})) is None
    assert outcome(lambda: Config.from_preset("ring8-gan", [f"model.g_hidden={text}"])) is None
