"""ArcFaceLoss: setup, centres as parameters, and pytorch-metric-learning as a reference."""

from __future__ import annotations

import pytest
import torch

from balr.losses import TRIPLET_TYPES, ArcFaceLoss

pml_losses = pytest.importorskip("pytorch_metric_learning.losses")
pml_miners = pytest.importorskip("pytorch_metric_learning.miners")

MARGIN = 0.3


def make_batch(
    seed: int, classes: int, speakers: int, per_speaker: int, dim: int
) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randperm(classes, generator=generator)[:speakers].repeat_interleave(per_speaker)
    outputs = torch.randn(len(labels), dim, generator=generator)
    return outputs, labels


def set_up(classes: int, dim: int, kind: str = "all", seed: int = 0) -> ArcFaceLoss:
    torch.manual_seed(seed)
    loss = ArcFaceLoss(MARGIN, kind)
    loss.setup(nb_train_classes=classes, internal_dim=dim)
    return loss


def run_ours(loss: ArcFaceLoss, outputs: torch.Tensor, labels: torch.Tensor) -> tuple:
    x = outputs.clone().requires_grad_()
    value = loss(x, labels, x, x, x)
    value.backward()
    assert loss.centres is not None
    return value.detach(), x.grad, loss.centres.grad


def run_reference(loss: ArcFaceLoss, outputs: torch.Tensor, labels: torch.Tensor) -> tuple:
    assert loss.centres is not None
    classes, dim = loss.centres.shape
    ref = pml_losses.ArcFaceLoss(classes, dim, margin=28.6, scale=64).to(outputs.dtype)
    ref.W.data.copy_(loss.centres.detach().T)
    x = outputs.clone().requires_grad_()
    miner = pml_miners.TripletMarginMiner(margin=MARGIN, type_of_triplets=loss.type_of_triplets)
    value = ref(x, labels, miner(x, labels))
    value.backward()
    return value.detach(), x.grad, ref.W.grad.T


@pytest.mark.parametrize("kind", TRIPLET_TYPES)
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_reference_values_and_gradients(kind: str, seed: int) -> None:
    outputs, labels = make_batch(seed, classes=20, speakers=5, per_speaker=6, dim=16)
    loss = set_up(20, 16, kind, seed)
    got, want = run_ours(loss, outputs, labels), run_reference(loss, outputs, labels)
    torch.testing.assert_close(got[0], want[0], atol=1e-5, rtol=1e-6)
    torch.testing.assert_close(got[1], want[1], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(got[2], want[2], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", TRIPLET_TYPES)
def test_matches_reference_in_float64_on_binary_outputs(kind: str) -> None:
    outputs, labels = make_batch(3, classes=12, speakers=6, per_speaker=5, dim=24)
    outputs = (outputs > 0.2).double()
    loss = set_up(12, 24, kind).double()
    got, want = run_ours(loss, outputs, labels), run_reference(loss, outputs, labels)
    for ours, ref in zip(got, want, strict=True):
        torch.testing.assert_close(ours, ref, atol=1e-9, rtol=1e-9)


def test_unmined_batch_weighs_every_sample_and_matches_reference() -> None:
    # A single speaker has no triplet: every sample weighs 1.
    outputs, _ = make_batch(4, classes=5, speakers=1, per_speaker=6, dim=8)
    labels = torch.full((6,), 2)
    loss = set_up(5, 8)
    got, want = run_ours(loss, outputs, labels), run_reference(loss, outputs, labels)
    torch.testing.assert_close(got[0], want[0])
    assert float(got[0]) > 0


def test_use_before_setup_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="setup"):
        ArcFaceLoss()(None, torch.arange(4), torch.randn(4, 3), None, None)


def test_setup_without_sizes_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="nb_train_classes"):
        ArcFaceLoss().setup(input_dim=4)


def test_setup_creates_trainable_centres_per_class() -> None:
    loss = set_up(7, 5)
    assert loss.centres is not None
    assert loss.centres.shape == (7, 5)
    assert loss.centres.requires_grad
    assert [p is loss.centres for p in loss.parameters()] == [True]
    assert set(loss.state_dict()) == {"centres"}


def test_setup_is_deterministic_given_the_global_seed() -> None:
    first, second, other = set_up(7, 5, seed=3), set_up(7, 5, seed=3), set_up(7, 5, seed=4)
    assert first.centres is not None and second.centres is not None and other.centres is not None
    assert torch.equal(first.centres, second.centres)
    assert not torch.equal(first.centres, other.centres)


def test_centres_round_trip_through_the_state_dict() -> None:
    trained, fresh = set_up(6, 4, seed=1), set_up(6, 4, seed=2)
    fresh.load_state_dict(trained.state_dict())
    assert fresh.centres is not None and trained.centres is not None
    assert torch.equal(fresh.centres, trained.centres)


def test_an_optimizer_step_on_the_centres_lowers_the_loss() -> None:
    outputs, labels = make_batch(5, classes=10, speakers=4, per_speaker=4, dim=8)
    loss = set_up(10, 8)
    optimizer = torch.optim.SGD(loss.parameters(), lr=0.5)
    before = loss(None, labels, outputs, None, None)
    before.backward()
    optimizer.step()
    assert loss(None, labels, outputs, None, None).item() < before.item()


def test_labels_may_be_a_list_or_int32() -> None:
    outputs, labels = make_batch(6, classes=10, speakers=3, per_speaker=4, dim=8)
    loss = set_up(10, 8)
    want = loss(None, labels, outputs, None, None)
    for given in (labels.tolist(), labels.int()):
        assert torch.equal(loss(None, given, outputs, None, None), want)


def test_unknown_triplet_type_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="type_of_triplets"):
        ArcFaceLoss(type_of_triplets="hardest")
