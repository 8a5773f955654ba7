"""AutoEncoder: layout of BA-LR 2.0 checkpoints, straight-through binarisation, init."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from balr.models import AutoEncoder, binarize

# The table of /work/shared/models/README.md, for input_dim=256, internal_dim=512.
REFERENCE_SHAPES = {
    "encoder.0.weight": (512, 256),
    "encoder.0.bias": (512,),
    "encoder.2.weight": (512,),
    "encoder.2.bias": (512,),
    "encoder.2.running_mean": (512,),
    "encoder.2.running_var": (512,),
    "encoder.2.num_batches_tracked": (),
    "encoder.3.weight": (512, 512),
    "encoder.3.bias": (512,),
    "decoder.0.weight": (512, 512),
    "decoder.0.bias": (512,),
    "decoder.2.weight": (256, 512),
    "decoder.2.bias": (256,),
}


def test_state_dict_keys_and_shapes_match_the_reference_table() -> None:
    state = AutoEncoder().state_dict()
    assert {key: tuple(value.shape) for key, value in state.items()} == REFERENCE_SHAPES


def test_module_order_is_linear_relu_batchnorm_linear_tanh_then_linear_tanh_linear() -> None:
    model = AutoEncoder(8, 4)
    encoder = [nn.Linear, nn.ReLU, nn.BatchNorm1d, nn.Linear, nn.Tanh]
    assert [type(m) for m in model.encoder] == encoder
    assert [type(m) for m in model.decoder] == [nn.Linear, nn.Tanh, nn.Linear]


def test_forward_returns_reconstruction_binary_and_latent() -> None:
    torch.manual_seed(0)
    model = AutoEncoder(16, 12)
    x = torch.randn(10, 16)
    recon, binary, Z = model(x)
    assert recon.shape == (10, 16) and binary.shape == (10, 12) and Z.shape == (10, 12)
    assert torch.equal(binary, (Z > 0).float())
    assert bool((Z.abs() < 1).all())
    assert torch.allclose(recon, model.decoder(binary))
    assert torch.equal(Z, model.encode(x))


def test_binarize_is_one_strictly_above_zero() -> None:
    Z = torch.tensor([-0.7, -1e-8, 0.0, 1e-8, 0.9])
    assert binarize(Z).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert binarize(Z).dtype == Z.dtype


def test_binarize_passes_gradients_within_unit_range_unchanged() -> None:
    Z = torch.tensor([-3.0, -0.2, 0.0, 0.4, 5.0], requires_grad=True)
    grad = torch.tensor([0.3, -1.0, 0.7, 1.0, -0.25])
    binarize(Z).backward(grad)
    assert torch.equal(Z.grad, grad)


def test_binarize_clips_gradient_values_to_unit_range() -> None:
    Z = torch.tensor([0.1, -0.1, 2.0, -2.0], requires_grad=True)
    binarize(Z).backward(torch.tensor([4.0, -2.5, -1.5, 1.01]))
    assert Z.grad.tolist() == [1.0, -1.0, -1.0, 1.0]


def test_gradients_reach_the_encoder_through_binarisation() -> None:
    torch.manual_seed(1)
    model = AutoEncoder(16, 12)
    x = torch.randn(8, 16)
    recon, _, _ = model(x)
    ((recon - x) ** 2).mean().backward()
    assert model.encoder[0].weight.grad is not None
    assert float(model.encoder[0].weight.grad.abs().sum()) > 0


@pytest.mark.parametrize("key", ["encoder.0", "encoder.3", "decoder.0", "decoder.2"])
def test_linear_weights_are_kaiming_normal_fan_in_and_biases_zero(key: str) -> None:
    torch.manual_seed(2)
    linear = dict(AutoEncoder().named_modules())[key]
    assert isinstance(linear, nn.Linear)
    weight = linear.weight.detach()
    expected_std = math.sqrt(2.0 / weight.shape[1])
    assert abs(float(weight.mean())) < 0.02 * expected_std
    assert float(weight.std()) == pytest.approx(expected_std, rel=0.03)
    # A normal law has kurtosis 3 (a uniform one would give 1.8).
    kurtosis = float(((weight - weight.mean()) ** 4).mean() / weight.var() ** 2)
    assert kurtosis == pytest.approx(3.0, abs=0.15)
    assert torch.equal(linear.bias, torch.zeros_like(linear.bias))


def test_batchnorm_starts_as_identity_statistics() -> None:
    norm = AutoEncoder().encoder[2]
    assert torch.equal(norm.weight, torch.ones(512)) and torch.equal(norm.bias, torch.zeros(512))
    assert torch.equal(norm.running_var, torch.ones(512))
