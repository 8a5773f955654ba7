"""The hyperplane-hash initialisation of the encoder."""

from __future__ import annotations

import torch

from balr.models import AutoEncoder
from balr.models.init import init_hyperplane_hash


def _embeddings(n: int = 400, dim: int = 32, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, dim, generator=g) + 0.5  # non-negative, off-centre, like real embeddings
    return x / x.norm(dim=1, keepdim=True)


def _hash_model(x: torch.Tensor, internal_dim: int, seed: int = 7) -> AutoEncoder:
    model = AutoEncoder(x.shape[1], internal_dim)
    init_hyperplane_hash(model, x, seed=seed)
    return model.eval()


def test_first_layer_holds_opposite_rows_centred_on_the_data_mean() -> None:
    x = _embeddings()
    model = _hash_model(x, 64)
    first = model.encoder[0]
    assert torch.equal(first.weight[:32], -first.weight[32:])
    centred = first(x.mean(0, keepdim=True))
    assert torch.allclose(centred, torch.zeros_like(centred), atol=1e-5)


def test_pre_tanh_activation_is_a_linear_projection_of_the_centred_embedding() -> None:
    x = _embeddings()
    model = _hash_model(x, 64)
    pre = model.encoder[:4](x)
    # Least squares from the centred embeddings explains the activations exactly.
    centred = torch.cat([x - x.mean(0), torch.ones(len(x), 1)], dim=1)
    solution = torch.linalg.lstsq(centred, pre).solution
    assert torch.allclose(centred @ solution, pre, atol=1e-4)


def test_bits_of_the_mean_direction_flip_with_its_reflection() -> None:
    x = _embeddings()
    model = _hash_model(x, 128)
    mean = x.mean(0, keepdim=True)
    offset = 0.05 * (x[:1] - mean)
    _, bits_plus, _ = model(mean + offset)
    _, bits_minus, _ = model(mean - offset)
    # Hyperplanes through the centre: opposite offsets fall on opposite sides of every one.
    assert torch.equal(bits_plus + bits_minus, torch.ones_like(bits_plus))


def test_hash_bits_are_balanced_on_the_training_data() -> None:
    x = _embeddings(n=2000)
    model = _hash_model(x, 256)
    _, bits, _ = model(x)
    assert 0.4 < bits.mean().item() < 0.6


def test_same_seed_gives_the_same_encoder_and_another_seed_does_not() -> None:
    x = _embeddings()
    a, b, c = _hash_model(x, 64, seed=1), _hash_model(x, 64, seed=1), _hash_model(x, 64, seed=2)
    encoder_a, encoder_b = a.encoder.state_dict(), b.encoder.state_dict()
    assert all(torch.equal(encoder_a[k], encoder_b[k]) for k in encoder_a)
    assert not torch.equal(a.encoder[3].weight, c.encoder[3].weight)


def test_batchnorm_statistics_make_eval_mode_match_the_training_batch() -> None:
    x = _embeddings(n=1000)
    model = _hash_model(x, 64)
    hidden = model.encoder[:2](x)
    assert torch.allclose(model.encoder[2].running_mean, hidden.mean(0), atol=1e-4)


def test_more_attributes_than_twice_the_input_dim_stay_valid() -> None:
    x = _embeddings(dim=16)
    model = _hash_model(x, 100)  # 50 pairs > 16 dims: several stacked rotations
    _, bits, _ = model(x)
    assert bits.shape == (len(x), 100) and torch.isfinite(model.encoder[0].weight).all()
