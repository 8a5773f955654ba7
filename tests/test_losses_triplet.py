"""TripletMarginLoss and the shared miner, against pytorch-metric-learning as a reference."""

from __future__ import annotations

import pytest
import torch

from balr.losses import TRIPLET_TYPES, TripletMarginLoss, mine_triplets, normalized_distances

pml_losses = pytest.importorskip("pytorch_metric_learning.losses")
pml_miners = pytest.importorskip("pytorch_metric_learning.miners")
pml_distances = pytest.importorskip("pytorch_metric_learning.distances")

MARGIN = 0.3


def make_batch(
    seed: int, speakers: int, per_speaker: int, dim: int = 16, binary: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Clustered outputs, speakers in consecutive chunks; binary ones have duplicate rows."""
    generator = torch.Generator().manual_seed(seed)
    centres = torch.randn(speakers, 1, dim, generator=generator)
    noise = torch.randn(speakers, per_speaker, dim, generator=generator)
    outputs = (centres + noise).reshape(-1, dim)
    if binary:
        outputs = (outputs > 0.3).float()
        rows = torch.arange(0, len(outputs) - 1, 3)
        outputs[rows + 1] = outputs[rows]  # same speaker
        outputs[-1] = outputs[0]  # another speaker
    labels = torch.arange(speakers).repeat_interleave(per_speaker)
    return outputs, labels


def ours(outputs: torch.Tensor, labels: torch.Tensor, kind: str) -> tuple[torch.Tensor, ...]:
    x = outputs.clone().requires_grad_()
    value = TripletMarginLoss(MARGIN, kind)(x, labels, x, x, x)
    value.backward()
    assert x.grad is not None
    return value.detach(), x.grad


def reference(
    outputs: torch.Tensor, labels: torch.Tensor, kind: str, exact: bool = False
) -> tuple[torch.Tensor, ...]:
    """pml's loss fed by pml's miner; `exact` computes the loss's distances without matmul."""
    x = outputs.clone().requires_grad_()
    tuples = pml_miners.TripletMarginMiner(margin=MARGIN, type_of_triplets=kind)(x, labels)
    distance = _ExactDistance() if exact else pml_distances.LpDistance()
    value = pml_losses.TripletMarginLoss(margin=MARGIN, distance=distance)(x, labels, tuples)
    value.backward()
    assert x.grad is not None
    return value.detach(), x.grad


class _ExactDistance(pml_distances.LpDistance):  # type: ignore[name-defined]
    def compute_mat(self, query: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        return torch.cdist(query, ref, compute_mode="donot_use_mm_for_euclid_dist")


def assert_same(got: tuple[torch.Tensor, ...], want: tuple[torch.Tensor, ...]) -> None:
    torch.testing.assert_close(got[0], want[0], atol=1e-5, rtol=0)
    torch.testing.assert_close(got[1], want[1], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", TRIPLET_TYPES)
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("speakers", "per_speaker"), [(4, 5), (6, 8)])
def test_matches_reference_values_and_gradients(
    kind: str, seed: int, speakers: int, per_speaker: int
) -> None:
    outputs, labels = make_batch(seed, speakers, per_speaker)
    assert_same(ours(outputs, labels, kind), reference(outputs, labels, kind))


@pytest.mark.parametrize("kind", TRIPLET_TYPES)
def test_matches_reference_on_shuffled_uneven_labels(kind: str) -> None:
    generator = torch.Generator().manual_seed(7)
    outputs = torch.randn(37, 12, generator=generator)
    labels = torch.randint(0, 6, (37,), generator=generator)
    assert_same(ours(outputs, labels, kind), reference(outputs, labels, kind))


@pytest.mark.parametrize("kind", TRIPLET_TYPES)
def test_matches_reference_on_binary_outputs_with_duplicate_rows(kind: str) -> None:
    # At 24 rows cdist computes exact distances: identical rows are 0 apart, no gradient.
    outputs, labels = make_batch(3, 4, 6, binary=True)
    assert_same(ours(outputs, labels, kind), reference(outputs, labels, kind))


@pytest.mark.parametrize("kind", ["all", "hard", "semihard"])
def test_identical_rows_get_the_exact_distance_gradient_in_large_batches(kind: str) -> None:
    # Past 25 rows cdist uses a matmul: identical rows come out ~1e-3 apart. The gradient
    # must still be the exact distance's (none for identical rows).
    outputs, labels = make_batch(4, 8, 8, dim=32, binary=True)
    got = ours(outputs, labels, kind)
    want = reference(outputs, labels, kind, exact=True)
    torch.testing.assert_close(got[0], want[0], atol=1e-3, rtol=0)
    torch.testing.assert_close(got[1], want[1], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", TRIPLET_TYPES)
@pytest.mark.parametrize("binary", [False, True])
def test_mining_counts_match_the_reference_miner(kind: str, binary: bool) -> None:
    outputs, labels = make_batch(5, 8, 8, binary=binary)
    dist = normalized_distances(outputs)
    mined = mine_triplets(dist, labels, MARGIN, kind)
    a, p, n = pml_miners.TripletMarginMiner(margin=MARGIN, type_of_triplets=kind)(outputs, labels)
    assert torch.equal(mined.usage(), torch.bincount(torch.cat([a, p, n]), minlength=64))
    active = (dist[a, p] - dist[a, n]) + MARGIN > 0
    weights = torch.zeros(64, 64)
    weights.index_put_((a[active], p[active]), torch.tensor(1.0), accumulate=True)
    weights.index_put_((a[active], n[active]), torch.tensor(-1.0), accumulate=True)
    assert int(mined.num_active) == int(active.sum())
    assert torch.equal(mined.pair_weights(), weights)


def test_no_violating_triplet_gives_zero_with_a_zero_gradient() -> None:
    outputs = torch.tensor([[1.0, 0.0], [1.0, 0.01], [0.0, 1.0], [0.01, 1.0]])
    value, grad = ours(outputs, torch.tensor([0, 0, 1, 1]), "all")
    assert float(value) == 0.0
    assert torch.equal(grad, torch.zeros_like(grad))


def test_easy_triplets_never_have_a_loss() -> None:
    outputs, labels = make_batch(0, 4, 5)
    value, grad = ours(outputs, labels, "easy")
    assert float(value) == 0.0
    assert torch.equal(grad, torch.zeros_like(grad))


def test_single_speaker_batch_has_no_triplet() -> None:
    outputs, _ = make_batch(0, 1, 6)
    value, grad = ours(outputs, torch.zeros(6, dtype=torch.long), "all")
    assert float(value) == 0.0
    assert torch.isfinite(grad).all()


def test_all_distinct_speakers_have_no_triplet() -> None:
    outputs = torch.randn(5, 4)
    value, grad = ours(outputs, torch.arange(5), "all")
    assert float(value) == 0.0
    assert torch.equal(grad, torch.zeros_like(grad))


def test_labels_may_be_a_list_or_any_integer_dtype() -> None:
    outputs, labels = make_batch(1, 4, 5)
    loss = TripletMarginLoss()
    want = loss(None, labels, outputs, None, None)
    for given in (labels.tolist(), labels.int(), labels.to(torch.int16)):
        assert torch.equal(loss(None, given, outputs, None, None), want)


def test_float_labels_are_a_value_error() -> None:
    with pytest.raises(ValueError, match="integers"):
        TripletMarginLoss()(None, torch.zeros(4), torch.randn(4, 3), None, None)


def test_label_count_must_match_the_batch() -> None:
    with pytest.raises(ValueError, match="3 labels"):
        TripletMarginLoss()(None, torch.arange(3), torch.randn(4, 3), None, None)


def test_unknown_triplet_type_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="semihard"):
        TripletMarginLoss(type_of_triplets="hardest")


def test_loss_is_a_scalar() -> None:
    outputs, labels = make_batch(2, 4, 4)
    assert TripletMarginLoss()(None, labels, outputs, None, None).shape == ()


def test_voxceleb_sized_batch_matches_the_reference_miner_counts() -> None:
    # 32 speakers x 16: 3.8M "all" triplets, mined without a per-triplet tensor.
    outputs, labels = make_batch(6, 32, 16, dim=64)
    mined = mine_triplets(normalized_distances(outputs), labels, MARGIN, "all")
    a, p, n = pml_miners.TripletMarginMiner(margin=MARGIN, type_of_triplets="all")(outputs, labels)
    assert torch.equal(mined.usage(), torch.bincount(torch.cat([a, p, n]), minlength=512))
