"""The `balr extract` schema: encoder targets, and defaults that agree with the library's."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
from hydra.utils import get_object

from balr.config.extract import ENCODER_CONFIGS, ExtractOptionsConfig
from balr.config.schema import NON_EXPERIMENT_KEYS
from balr.extract.runner import ExtractOptions

# Config fields whose library argument has another name.
RENAMED = {"format": "fmt"}


@pytest.mark.parametrize("name", sorted(ENCODER_CONFIGS))
def test_encoder_targets_take_every_field_with_the_same_defaults(name: str) -> None:
    node = ENCODER_CONFIGS[name]
    params = inspect.signature(get_object(node._target_)).parameters
    for field in dataclasses.fields(node):
        if field.name == "_target_":
            continue
        assert field.name in params, f"{name}: {field.name}"
        default = params[field.name].default
        if isinstance(field.default, str) and field.default.startswith("${"):
            continue  # an interpolation of a top-level key (device)
        if default is not inspect.Parameter.empty:
            assert field.default == default, f"{name}: {field.name}"


def test_extract_options_defaults_are_the_schema_defaults() -> None:
    config, options = ExtractOptionsConfig(), ExtractOptions()
    for field in dataclasses.fields(config):
        assert getattr(config, field.name) == getattr(
            options, RENAMED.get(field.name, field.name)
        ), field.name


def test_shard_keys_name_sweep_jobs_but_run_only_keys_do_not() -> None:
    assert "extract.shard" not in NON_EXPERIMENT_KEYS
    assert {"extract.workers", "extract.strict", "force"} <= set(NON_EXPERIMENT_KEYS)
