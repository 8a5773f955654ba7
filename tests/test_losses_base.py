"""BaseAutoEncoderLoss semantics (name, weight, setup), MSELoss and the LOSSES registry."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F

import balr.losses
from balr.losses import (
    LOSSES,
    ArcFaceLoss,
    BaseAutoEncoderLoss,
    MSELoss,
    SparsityLoss,
    TripletMarginLoss,
)

SETUP_KWARGS = {
    "input_dim": 8,
    "internal_dim": 6,
    "nb_train_classes": 3,
    "M_samples_per_class": 2,
    "seed": 1,
}


def test_registry_maps_the_four_config_names_to_their_classes() -> None:
    assert {
        "mse": MSELoss,
        "triplet": TripletMarginLoss,
        "arcface": ArcFaceLoss,
        "sparsity": SparsityLoss,
    } == LOSSES


@pytest.mark.parametrize("key", sorted(LOSSES))
def test_each_loss_is_named_after_its_registry_key(key: str) -> None:
    cls: Any = LOSSES[key]
    loss = cls()
    assert isinstance(loss, BaseAutoEncoderLoss)
    assert loss.name == key


def test_package_exports_every_loss_class() -> None:
    for cls in (BaseAutoEncoderLoss, MSELoss, TripletMarginLoss, ArcFaceLoss, SparsityLoss):
        assert cls.__name__ in balr.losses.__all__


def test_weight_defaults_to_one_as_a_float_tensor() -> None:
    weight = MSELoss().weight
    assert isinstance(weight, torch.Tensor)
    assert weight.dtype == torch.float32 and weight.ndim == 0
    assert float(weight) == 1.0


@pytest.mark.parametrize("key", sorted(LOSSES))
def test_weight_keeps_the_given_value(key: str) -> None:
    cls: Any = LOSSES[key]
    assert float(cls(weight=0.001).weight) == pytest.approx(0.001)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_negative_or_non_finite_weight_is_a_value_error(bad: float) -> None:
    with pytest.raises(ValueError, match="weight"):
        MSELoss(weight=bad)


def test_weight_is_neither_a_parameter_nor_in_the_state_dict() -> None:
    loss = MSELoss(weight=2.0)
    assert list(loss.parameters()) == []
    assert loss.state_dict() == {}


def test_weight_follows_the_module_when_converted() -> None:
    loss = MSELoss(weight=0.5).to(torch.float64)
    assert loss.weight.dtype == torch.float64
    assert float(loss.weight) == 0.5


def test_state_dict_without_weight_loads_strictly() -> None:
    loss = TripletMarginLoss(weight=3.0)
    loss.load_state_dict({}, strict=True)
    assert float(loss.weight) == 3.0


def test_name_is_read_only() -> None:
    with pytest.raises(AttributeError):
        MSELoss().name = "other"  # type: ignore[misc]


@pytest.mark.parametrize("key", sorted(LOSSES))
def test_setup_accepts_and_ignores_unknown_keywords(key: str) -> None:
    cls: Any = LOSSES[key]
    cls().setup(**SETUP_KWARGS, something_new=42)


def test_base_class_is_abstract() -> None:
    with pytest.raises(TypeError):
        BaseAutoEncoderLoss("base")  # type: ignore[abstract]


def test_mse_is_the_mean_squared_error_between_recon_and_input() -> None:
    torch.manual_seed(0)
    x, recon = torch.randn(5, 8), torch.randn(5, 8)
    value = MSELoss()(x, torch.arange(5), torch.zeros(5, 6), recon, torch.zeros(5, 6))
    assert value.ndim == 0
    assert torch.allclose(value, ((recon - x) ** 2).mean())
    assert torch.allclose(value, F.mse_loss(recon, x))


def test_mse_gradient_reaches_the_reconstruction() -> None:
    x = torch.zeros(3, 4)
    recon = torch.ones(3, 4, requires_grad=True)
    MSELoss()(x, torch.arange(3), x, recon, x).backward()
    assert recon.grad is not None
    assert torch.allclose(recon.grad, torch.full((3, 4), 2.0 / 12))
