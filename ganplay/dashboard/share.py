"""Sharing a training setup: the exact config as JSON (seed included), and as query parameters
for a link that opens the Train page filled in.

A link carries only the fields that differ from the defaults, one parameter per field, so it stays
short and readable: `?data.name=grid25&optim.lr_g=0.0001&model.g_hidden=[64,64]`.
"""

from __future__ import annotations

import json
from typing import Any, Mapping
from urllib.parse import urlencode

from ganplay.config import Config, ConfigError, parse_document, parse_value
from ganplay.dashboard.form_spec import flatten, form_fields, nest


def config_from_json(text: str | bytes) -> Config:
    """A config from exported JSON; raises ConfigError (with the validator's message). Binary,
    huge or deeply nested uploads are one line of ConfigError too (`parse_document`)."""
    values = parse_document(text, "JSON", "not a JSON config")
    if not isinstance(values, dict):
        raise ConfigError("not a JSON config: expected an object with data, model, loss, optim, train")
    return Config.from_dict(values)


def _encode(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def config_to_query(cfg: Config) -> dict[str, str]:
    """{dotted field: text} for every field that differs from the default."""
    defaults = flatten({})
    return {key: _encode(value) for key, value in flatten(cfg.to_dict()).items()
            if value != defaults[key] and key != "data.path"}  # a server's file: no use elsewhere


def query_string(cfg: Config) -> str:
    return urlencode(config_to_query(cfg))


def query_to_values(params: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Query parameters -> ({dotted field: value} over the defaults, [unknown keys]). Text fields
    keep their text; other values are parsed like `--set` overrides (JSON, then YAML)."""
    kinds = {spec.key: spec.kind for spec in form_fields()}
    values = flatten({})
    unknown = []
    for key, raw in params.items():
        if key not in kinds:
            unknown.append(key)
            continue
        text = (str(raw[-1]) if raw else "") if isinstance(raw, list) else str(raw)  # ?a=1&a=2: the last
        values[key] = text if kinds[key] == "text" else parse_value(text)
        if kinds[key] == "choice" and isinstance(values[key], (bool, float)):
            values[key] = text  # e.g. a choice spelled like a number or yes/no
    return values, unknown


def has_config(params: Mapping[str, str]) -> bool:
    keys = {spec.key for spec in form_fields()}
    return any(k in keys for k in params)


def config_from_query(params: Mapping[str, str]) -> Config:
    values, _ = query_to_values(params)
    return Config.from_dict(nest(values))
