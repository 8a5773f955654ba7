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
from balr.validation.inputs import duration_of


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
    # phone's codec was changed: its part of the name says so (a digest of its steps).
    assert re.fullmatch(r"noise_snr10\+phone~[0-9a-f]{6}", condition.name)
    assert [type(s) for s in condition.steps] == [Noise, Telephone]
    assert condition.steps[1].codec == "none" and condition.seed == 7
    assert folder_of_config(Path("out"), cfg) == Path("out") / condition.name  # type: ignore[arg-type]


def test_unchanged_presets_keep_their_names() -> None:
    cfg = composed("condition=[noise_snr10,phone]", "condition.phone.steps.0.codec=gsm")
    assert condition_of(cfg).name == "noise_snr10+phone"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "name", "duration"),
    [("10", "short_10s", 10.0), ("2.5", "short_2.5s", 2.5), ("5.0", "short_5s", 5.0)],
)
def test_a_changed_duration_names_its_seconds_as_validate_reads_them(
    seconds: str, name: str, duration: float
) -> None:
    cfg = composed("condition=short_5s", f"condition.short_5s.steps.0.seconds={seconds}")
    condition = condition_of(cfg)  # type: ignore[arg-type]
    assert condition.name == name and duration_of(condition.name) == duration
    assert folder_of_config(Path("out"), cfg) == Path("out") / name  # type: ignore[arg-type]


def test_any_other_change_appends_a_digest_of_the_steps() -> None:
    offset = "condition.short_5s.steps.0.random_offset=false"
    fixed = condition_of(composed("condition=short_5s", offset)).name  # type: ignore[arg-type]
    both = condition_of(  # type: ignore[arg-type]
        composed("condition=short_5s", offset, "condition.short_5s.steps.0.seconds=10")
    ).name
    assert re.fullmatch(r"short_5s~[0-9a-f]{6}", fixed) and duration_of(fixed) == 5.0
    assert re.fullmatch(r"short_10s~[0-9a-f]{6}", both) and duration_of(both) == 10.0
    snr = [
        condition_of(composed("condition=noise_snr10", f"condition.noise_snr10.steps.0.snr_db={v}"))
        for v in (5, 0)
    ]
    assert snr[0].name != snr[1].name and snr[0].name.startswith("noise_snr10~")  # type: ignore[union-attr]


def test_a_given_name_is_recorded_and_checked() -> None:
    cfg = composed("condition=[noise_snr10,phone]", "condition.phone.name=phone_raw")
    assert condition_of(cfg).name == "noise_snr10+phone_raw"  # type: ignore[arg-type]
    for bad in ("a/b", "x+y", "-x"):
        with pytest.raises(ConfigError, match=re.escape(f"condition.phone.name='{bad}'")):
            condition_of(composed("condition=phone", f"condition.phone.name='{bad}'"))  # type: ignore[arg-type]


def test_a_wrongly_typed_condition_value_is_one_line() -> None:
    with pytest.raises(ConfigError, match=re.escape("condition.phone.steps.0.rate=fast")):
        composed("condition=phone", "condition.phone.steps.0.rate=fast")
