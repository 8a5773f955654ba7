"""SparsityLoss: seeded targets, per-speaker chunk sums, errors and differentiability."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from balr.losses import SparsityLoss


def set_up(m: int = 4, dim: int = 16, seed: int = 1234) -> SparsityLoss:
    loss = SparsityLoss()
    loss.setup(M_samples_per_class=m, internal_dim=dim, seed=seed, nb_train_classes=3)
    return loss


def call(loss: SparsityLoss, Z: torch.Tensor) -> torch.Tensor:
    labels = torch.zeros(len(Z), dtype=torch.long)
    return loss(Z, labels, (Z > 0).float(), Z, Z)


def test_targets_are_one_integer_count_per_attribute_below_m() -> None:
    targets = set_up(m=4, dim=300).targets
    assert targets is not None
    assert targets.shape == (300,) and targets.dtype == torch.float32
    assert torch.equal(targets, targets.round())
    assert set(targets.tolist()) == {0.0, 1.0, 2.0, 3.0}


def test_targets_depend_only_on_the_seed() -> None:
    first, second, other = set_up(seed=7), set_up(seed=7), set_up(seed=8)
    assert first.targets is not None and second.targets is not None
    assert torch.equal(first.targets, second.targets)
    assert other.targets is not None and not torch.equal(first.targets, other.targets)


def test_default_seed_is_1234() -> None:
    loss = SparsityLoss()
    loss.setup(M_samples_per_class=4, internal_dim=16)
    explicit = set_up(m=4, dim=16, seed=1234).targets
    assert loss.targets is not None and explicit is not None
    assert torch.equal(loss.targets, explicit)


def test_setup_leaves_the_global_generator_alone() -> None:
    torch.manual_seed(0)
    state = torch.random.get_rng_state()
    set_up()
    assert torch.equal(torch.random.get_rng_state(), state)


def test_targets_are_saved_in_the_state_dict() -> None:
    saved, fresh = set_up(seed=1), set_up(seed=2)
    assert set(saved.state_dict()) == {"targets"}
    fresh.load_state_dict(saved.state_dict())
    assert fresh.targets is not None and saved.targets is not None
    assert torch.equal(fresh.targets, saved.targets)


def test_value_is_the_mean_over_speakers_of_clamped_squared_excess() -> None:
    loss = set_up(m=2, dim=3)
    loss.targets = torch.tensor([0.0, 1.0, 0.0])
    Z = torch.tensor([[0.2, 0.9, -0.5], [0.1, 0.8, -0.5], [0.9, 0.1, 0.9], [0.8, 0.2, 0.9]])
    # speaker 1 sums (0.3, 1.7, -1.0) -> excess (0.3, 0.7, 0); speaker 2 (1.7, 0.3, 1.8)
    # -> (1, 0, 1) after clamping.
    want = ((0.3**2 + 0.7**2) + (1.0 + 1.0)) / 2
    assert call(loss, Z).item() == pytest.approx(want, abs=1e-6)


def test_value_is_a_scalar() -> None:
    assert call(set_up(), torch.rand(8, 16)).shape == ()


def test_batch_not_a_multiple_of_m_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a multiple of M_samples_per_class=4"):
        call(set_up(m=4), torch.rand(10, 16))


def test_wrong_number_of_attributes_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="attributes"):
        call(set_up(dim=16), torch.rand(8, 12))


def test_use_before_setup_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="setup"):
        call(SparsityLoss(), torch.rand(8, 16))


def test_setup_without_sizes_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="M_samples_per_class"):
        SparsityLoss().setup(internal_dim=16)


def test_gradient_reaches_the_encoder_weights() -> None:
    torch.manual_seed(0)
    linear = nn.Linear(8, 16)
    encoder = nn.Sequential(linear, nn.Tanh())
    with torch.no_grad():
        # Small positive latents: per-speaker sums sit just above the zero targets.
        linear.weight.mul_(0.01)
        linear.bias.fill_(0.1)
    loss = set_up(m=4, dim=16)
    assert loss.targets is not None and bool((loss.targets == 0).any())
    value = call(loss, encoder(torch.randn(8, 8)))
    value.backward()
    assert value.item() > 0
    grad = linear.weight.grad
    assert grad is not None and grad.abs().sum() > 0
