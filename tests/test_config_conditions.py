"""The `condition` config group: every preset builds, lists chain presets, seeds are kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from balr.cli.conditions import condition_of, folder_of_config
from balr.cli.overrides import compose_checked
from balr.cli.paths import conf_dir
from balr.conditions import Noise, Telephone
from balr.config.conditions import CONDITION_PRESETS
from balr.errors import ConfigError


def composed(*overrides: str) -> object:
    return compose_checked("extract", ["input.path=x", *overrides], conf_dir(), False)[0]


def test_the_default_condition_is_clean_and_changes_nothing() -> None:
    cfg = composed()
    condition = condition_of(cfg)  # type: ignore[arg-type]
    assert condition.name == "clean" and condition.is_clean
    assert folder_of_config(Path("out"), cfg) == Path("out")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(CONDITION_PRESETS))
def test_every_preset_builds_its_steps(name: str) -> None:
    condition = condition_of(composed(f"condition={name}"))  # type: ignore[arg-type]
    assert condition.name == name
    assert len(condition.steps) == len(CONDITION_PRESETS[name].steps)


def test_a_list_chains_presets_in_order_under_one_name() -> None:
    cfg = composed("condition=[noise_snr10,phone]", "seed=7", "condition.phone.steps.0.codec=none")
    condition = condition_of(cfg)  # type: ignore[arg-type]
    assert condition.name == "noise_snr10+phone"
    assert [type(s) for s in condition.steps] == [Noise, Telephone]
    assert condition.steps[1].codec == "none" and condition.seed == 7
    assert folder_of_config(Path("out"), cfg) == Path("out/noise_snr10+phone")  # type: ignore[arg-type]


def test_a_wrongly_typed_condition_value_is_one_line() -> None:
    with pytest.raises(ConfigError, match=re.escape("condition.phone.steps.0.rate=fast")):
        composed("condition=phone", "condition.phone.steps.0.rate=fast")
