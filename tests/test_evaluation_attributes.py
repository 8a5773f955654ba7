"""Activation rates, speaker profiles and attribute statistics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from balr.evaluation import (
    activation_rates,
    attribute_statistics,
    attribute_typicality,
    speaker_profiles,
)

# 5 samples x 4 attributes; speakers 0 (rows 0-1), 1 (rows 2-3), row 4 without speaker.
BINARY = torch.tensor(
    [
        [1, 0, 0, 1],
        [1, 1, 0, 0],
        [1, 0, 0, 0],
        [1, 0, 0, 0],
        [1, 0, 1, 0],
    ],
    dtype=torch.float32,
)
LABELS = torch.tensor([0, 0, 1, 1, -1])


def test_activation_rates_are_shares_of_samples() -> None:
    np.testing.assert_allclose(activation_rates(BINARY), [1.0, 0.2, 0.2, 0.2])


def test_speaker_profiles_have_an_attribute_any_sample_activates() -> None:
    profiles, speakers = speaker_profiles(BINARY, LABELS)
    assert speakers.tolist() == [0, 1]
    assert profiles.tolist() == [[True, True, False, True], [True, False, False, False]]


def test_typicality_is_the_share_of_speakers_having_the_attribute() -> None:
    # Attribute 2 is only active in the row without speaker.
    np.testing.assert_allclose(attribute_typicality(BINARY, LABELS), [1.0, 0.5, 0.0, 0.5])


def test_attribute_statistics_values() -> None:
    stats = attribute_statistics(BINARY, LABELS)
    expected = {
        "attr_active_rate_mean": 0.4,
        "attr_active_rate_std": float(np.std([1.0, 0.2, 0.2, 0.2])),
        "attr_active_rate_min": 0.2,
        "attr_active_rate_max": 1.0,
        "attr_active_per_sample_mean": 1.6,
        "attr_never_active": 0.0,
        "attr_always_active": 1.0,
        "attr_typicality_mean": 0.5,
        "attr_typicality_std": float(np.std([1.0, 0.5, 0.0, 0.5])),
        "attr_typicality_min": 0.0,
        "attr_typicality_median": 0.5,
        "attr_typicality_max": 1.0,
        "attr_in_every_profile": 1.0,
    }
    assert stats.keys() == expected.keys()
    for key, value in expected.items():
        assert stats[key] == pytest.approx(value), key


def test_attribute_statistics_count_never_active_dimensions() -> None:
    binary = torch.zeros(4, 6)
    binary[:, 0] = 1
    stats = attribute_statistics(binary, torch.tensor([0, 0, 1, 1]))
    assert stats["attr_never_active"] == 5.0
    assert stats["attr_always_active"] == 1.0


def test_attribute_statistics_values_are_plain_floats() -> None:
    stats = attribute_statistics(BINARY.numpy(), LABELS.numpy())
    assert all(type(v) is float for v in stats.values())


def test_typicality_is_nan_without_labelled_samples() -> None:
    stats = attribute_statistics(BINARY, torch.full((5,), -1))
    assert np.isnan(stats["attr_typicality_mean"])
    assert stats["attr_active_rate_max"] == 1.0


def test_attribute_statistics_reject_non_binary_values() -> None:
    with pytest.raises(ValueError, match="0/1"):
        attribute_statistics(torch.tensor([[0.5, 1.0]]), torch.tensor([0]))


def test_attribute_statistics_scale_to_a_large_val_set() -> None:
    rng = np.random.default_rng(0)
    binary = torch.from_numpy(rng.random((36_000, 512)) < 0.05).float()
    labels = torch.from_numpy(rng.integers(0, 1_000, 36_000))
    stats = attribute_statistics(binary, labels)
    assert 0.04 < stats["attr_active_rate_mean"] < 0.06
    assert 0.0 < stats["attr_typicality_min"] <= stats["attr_typicality_max"] < 1.0
