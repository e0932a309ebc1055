"""The config object: defaults, overrides, presets, and errors that name the field."""

import json

import pytest

from ganplay.config import Config, ConfigError, apply_overrides, field_help, load_config
from ganplay.presets import PRESETS, preset_values

REQUIRED_PRESETS = {"ring8-gan", "ring8-wgan-gp", "grid25-gan", "grid25-wgan-gp", "mnist-dcgan",
                    "mnist-cdcgan", "mnist-wgan", "mnist-wgan-gp", "mnist-mlp"}


def test_every_field_has_help_and_default():
    fields = field_help()
    defaults = Config().to_dict()
    # every field of every section, and nothing else, with the default a bare Config has
    expected = {f"{section}.{name}" if isinstance(values, dict) else section
                for section, values in defaults.items() for name in (values if isinstance(values, dict) else [None])}
    assert set(fields) == expected
    for name, info in fields.items():
        section, _, key = name.partition(".")
        default = defaults[section][key] if key else defaults[section]
        assert info["default"] == default, name
        assert info["help"] and len(info["help"]) > 10, name


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_validate(name):
    cfg = Config.from_preset(name)
    assert cfg.name == name
    # a preset is what its table says, over the defaults: every key it sets arrives as set
    for section, values in PRESETS[name]["config"].items():
        for key, value in (values.items() if isinstance(values, dict) else [(None, values)]):
            got = getattr(getattr(cfg, section), key) if key else getattr(cfg, section)
            assert got == value, f"{name}: {section}.{key}"


def test_required_presets_exist():
    assert REQUIRED_PRESETS <= set(PRESETS)
    assert Config.from_preset("mnist-cdcgan").model.n_classes == 10
    mlp = Config.from_preset("mnist-mlp").model
    assert (mlp.z_dim, mlp.g_hidden, mlp.d_hidden) == (100, [128, 256], [256, 128])
    assert Config.from_preset("mnist-wgan").loss.clip > 0
    assert Config.from_preset("mnist-wgan").optim.name == "rmsprop"
    assert Config.from_preset("ring8-wgan-gp").loss.gp_weight > 0


@pytest.mark.parametrize(
    "override, field, hint",
    [
        ("train.batch_size=0", "train.batch_size", "greater than or equal to 1"),
        ("optim.lr_g=0", "optim.lr_g", "greater than 0"),
        ("optim.lr_d=-1e-3", "optim.lr_d", "greater than 0"),
        ("model.arch=resnet", "model.arch", "'mlp', 'dcgan', 'wgan', 'stylegan-lite', 'srgan' or 'pix2pix'"),
        ("loss.name=kl", "loss.name", "'ns'"),
        ("train.steps=many", "train.steps", "valid integer"),
        ("model.bogus=1", "model.bogus", "known here: arch"),
        ("nonsense=1", "nonsense", "known here: name, data"),
        ("optim.schedule=step", "optim.schedule", "'constant', 'linear' or 'cosine'"),
    ],
)
def test_bad_values_name_the_field(override, field, hint):
    with pytest.raises(ConfigError) as err:
        Config.from_preset("mnist-dcgan", [override])
    msg = str(err.value)
    assert field in msg and hint in msg


@pytest.mark.parametrize(
    "values, fragment",
    [
        ({"data": {"name": "mnist5k", "image_size": 40}, "model": {"arch": "dcgan"}},
         "data.image_size: dcgan makes 28, 32, 64"),
        ({"data": {"name": "ring8"}, "model": {"arch": "dcgan"}}, "model.arch: 2D data"),
        ({"data": {"name": "mnist5k"}, "model": {"arch": "dcgan", "n_classes": 7}}, "has 10 classes"),
        ({"loss": {"name": "wasserstein"}}, "Lipschitz"),
        ({"data": {"name": "folder"}, "model": {"arch": "dcgan"}}, "data.root"),
        ({"model": {"pack": 3}, "train": {"batch_size": 64}}, "multiple of model.pack"),
        ({"model": {"layernorm": True}}, "only the wgan critic"),
    ],
)
def test_cross_field_errors(values, fragment):
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.")):
        Config.from_dict(values)


def test_overrides_parse_types():
    out = apply_overrides({"optim": {"lr_g": 1.0}}, ["optim.lr_g=1e-4", "model.g_hidden=[8, 16]",
                                                     "train.compile=true", "loss.name=hinge"])
    assert out == {"optim": {"lr_g": 1e-4}, "model": {"g_hidden": [8, 16]},
                   "train": {"compile": True}, "loss": {"name": "hinge"}}
    with pytest.raises(ConfigError, match="key=value"):
        apply_overrides({}, ["optim.lr_g"])


def test_load_yaml_and_json(tmp_path):
    y = tmp_path / "c.yaml"
    y.write_text("data:\n  name: grid25\noptim:\n  lr_g: 1.0e-4\n")
    cfg = load_config(y, ["train.seed=3"])
    assert (cfg.data.name, cfg.optim.lr_g, cfg.train.seed) == ("grid25", 1e-4, 3)
    j = tmp_path / "c.json"
    j.write_text(json.dumps(cfg.to_dict()))
    assert load_config(j) == cfg
    bad = tmp_path / "bad.yaml"
    bad.write_text("data: [unclosed")
    with pytest.raises(ConfigError, match="not valid"):
        load_config(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")


def test_round_trip_and_preset_copy_is_fresh():
    cfg = Config.from_preset("ring8-wgan-gp")
    assert Config.from_dict(json.loads(cfg.to_json())) == cfg
    values = preset_values("ring8-gan")
    values["train"]["steps"] = 1
    assert PRESETS["ring8-gan"]["config"]["train"]["steps"] != 1
    with pytest.raises(ConfigError, match="unknown preset 'nope'; presets: ring8-gan"):
        Config.from_preset("nope")
    with pytest.raises(KeyError, match="unknown preset"):
        preset_values("nope")


# -- input that must explain instead of crashing (issue 16, items 6 and 7) ----------------------
DEEP = 100_000  # far past Python's recursion limit


@pytest.mark.parametrize("suffix", [".yaml", ".json", ".txt"])
def test_binary_config_file_is_one_clear_line(tmp_path, suffix):
    path = tmp_path / f"weights{suffix}"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x80" * 64)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "\n" not in str(err.value) and "UTF-8" in str(err.value) and str(path) in str(err.value)


@pytest.mark.parametrize("suffix, text", [
    (".json", "[" * DEEP + "]" * DEEP),
    (".json", '{"a":' * DEEP + "1" + "}" * DEEP),
    (".yaml", "[" * DEEP + "]" * DEEP),
    (".yaml", "{a: " * DEEP + "1" + "}" * DEEP),
], ids=["json-list", "json-object", "yaml-flow-list", "yaml-flow-map"])
def test_deeply_nested_config_file_is_one_clear_line(tmp_path, suffix, text):
    path = tmp_path / f"deep{suffix}"
    path.write_text(text)
    with pytest.raises(ConfigError, match="nested too deeply") as err:
        load_config(path)
    assert "\n" not in str(err.value)


def test_deeply_nested_override_and_import_are_config_errors():
    from ganplay.dashboard.share import config_from_json, config_from_query

    for value in ("[" * DEEP + "]" * DEEP, "{a: " * DEEP + "1" + "}" * DEEP):
        with pytest.raises(ConfigError):
            Config.from_preset("ring8-gan", [f"model.g_hidden={value}"])
        with pytest.raises(ConfigError):
            config_from_query({"model.g_hidden": value})
    for blob in ("[" * DEEP + "]" * DEEP, b"\xff\xfe\x00binary"):
        with pytest.raises(ConfigError) as err:
            config_from_json(blob)
        assert "\n" not in str(err.value)


@pytest.mark.parametrize("override, hint", [
    ("model.g_hidden=[-5]", "greater than or equal to 1"),
    ("model.d_hidden=[0, 8]", "greater than or equal to 1"),
    ("model.g_hidden=[200000,200000]", "less than or equal to 2048"),
    ("model.d_hidden=[64, 1e12]", "model.d_hidden.1"),
    ("model.g_channels=4096", "less than or equal to 256"),
    ("data.root=" + "x" * 5000, "at most 4096 characters"),
], ids=["negative", "zero", "huge", "huge-float", "channels", "long-root"])
def test_layer_widths_and_other_sizes_are_bounded(override, hint):
    with pytest.raises(ConfigError) as err:
        Config.from_preset("ring8-gan", [override])
    assert hint in str(err.value)


def test_error_messages_stay_short_for_huge_values():
    with pytest.raises(ConfigError) as err:
        Config.from_dict({"name": "n" * 1_000_000, "train": {"steps": "9" * 100_000}})
    assert len(str(err.value)) < 1000


def test_every_data_set_architecture_and_loss_has_a_plain_name():
    from ganplay.config import ARCHS, DATASETS, LOSSES, PLAIN_NAMES

    assert set(DATASETS) | set(ARCHS) | set(LOSSES) <= set(PLAIN_NAMES)
    assert Config.from_preset("ring8-wgan-gp").summary() == (
        "8 Gaussians in a ring · small fully connected nets · Wasserstein loss (a critic) · gradient penalty 0.1")


def _alias_bomb(levels: int, fan: int = 10) -> str:
    """A few hundred characters of YAML whose aliases expand to fan**levels values when walked."""
    parts = ["&a0 [" + ",".join(["1"] * fan) + "]"]
    parts += [f"&a{i} [" + ",".join([f"*a{i - 1}"] * fan) + "]" for i in range(1, levels)]
    return "[" + ", ".join(parts) + "]"


def test_yaml_aliases_are_refused_so_a_short_link_cannot_expand_exponentially():
    from ganplay.config import parse_document, parse_value

    bomb = _alias_bomb(9)  # 10**9 values once expanded; it took ~10 s per level-7 value before
    assert len(bomb) < 500
    assert parse_value(bomb) == bomb, "kept as text, for the validator to name"
    with pytest.raises(ConfigError, match=r"aliases \(\*name\) are not allowed"):
        parse_document("model: {g_hidden: &w [64, 64], d_hidden: *w}\n", "YAML", "c.yaml")
    assert parse_value("&w [64, 64]") == [64, 64], "an anchor alone is harmless YAML"
    with pytest.raises(ConfigError, match="model.g_hidden"):  # a link's value reaches the validator as text
        Config.from_preset("mnist-dcgan", [f"model.g_hidden={bomb}"])


def test_a_config_with_more_values_than_any_config_holds_is_refused_before_it_is_walked():
    from ganplay.config import MAX_NODES, check_plain

    check_plain({"model": {"g_hidden": [64] * 100}})
    with pytest.raises(ConfigError, match=f"more than {MAX_NODES:,} values"):
        check_plain({"model": {"g_hidden": [1] * (MAX_NODES + 1)}})
