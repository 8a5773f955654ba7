"""Loading autoencoder weights: BA-LR 2.0 state_dicts, balr checkpoints, and broken files."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from balr.errors import CheckpointError
from balr.models import AutoEncoder, BinaryAttributeAutoEncoder, load_model_state
from balr.training.checkpoint import save_checkpoint

BAE_MSE = Path("/work/shared/models/BAE_mse.pt")
VOXCELEB = Path("/work/shared/data/voxceleb-sample")


def _voxceleb_embeddings() -> torch.Tensor:
    """The 106 embeddings of all.csv, read with numpy alone."""
    rows = (VOXCELEB / "all.csv").read_text().splitlines()[1:]
    paths = [VOXCELEB / row.split(",")[1] for row in rows]
    return torch.from_numpy(np.stack([np.loadtxt(p, dtype=np.float32) for p in paths]))


def _reference_forward(
    state: dict[str, torch.Tensor], x: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The README's layers written out with plain tensor ops (eval-mode BatchNorm)."""
    h = torch.relu(x @ state["encoder.0.weight"].T + state["encoder.0.bias"])
    mean, var = state["encoder.2.running_mean"], state["encoder.2.running_var"]
    h = (h - mean) / torch.sqrt(var + 1e-5) * state["encoder.2.weight"] + state["encoder.2.bias"]
    Z = torch.tanh(h @ state["encoder.3.weight"].T + state["encoder.3.bias"])
    binary = (Z > 0).float()
    hidden = torch.tanh(binary @ state["decoder.0.weight"].T + state["decoder.0.bias"])
    return hidden @ state["decoder.2.weight"].T + state["decoder.2.bias"], binary, Z


def _trained_small_model(seed: int = 0) -> AutoEncoder:
    """A small model whose BatchNorm statistics moved away from their initial values."""
    torch.manual_seed(seed)
    model = AutoEncoder(32, 16)
    for _ in range(3):
        model(torch.randn(20, 32) * 2 + 1)
    return model.eval()


# ------------------------------------------------------------------ BA-LR 2.0 file
def test_bae_mse_outputs_equal_an_independent_reimplementation() -> None:
    state = torch.load(BAE_MSE, map_location="cpu", weights_only=True)
    x = _voxceleb_embeddings()
    model = BinaryAttributeAutoEncoder(BAE_MSE)
    with torch.no_grad():
        recon, binary, Z = model(x)
    ref_recon, ref_binary, ref_Z = _reference_forward(state, x)
    assert torch.allclose(Z, ref_Z, atol=1e-5)
    assert torch.allclose(recon, ref_recon, atol=1e-5)
    # Latents within rounding error of 0 (|Z| < 1e-5: none here) could flip; all others agree.
    assert float(ref_Z.abs().min()) > float((Z - ref_Z).abs().max())
    assert torch.equal(binary, ref_binary)
    assert torch.equal(model.binarize_embeddings(x), ref_binary)


def test_bae_mse_dimensions_are_inferred_from_the_weights() -> None:
    _, meta = load_model_state(BAE_MSE)
    assert (meta["input_dim"], meta["internal_dim"], meta["kind"]) == (256, 512, "state_dict")
    model = BinaryAttributeAutoEncoder(BAE_MSE, input_dim=256, internal_dim=512)
    assert (model.input_dim, model.internal_dim) == (256, 512)
    assert not model.training and model.device == torch.device("cpu")


def test_binarize_embeddings_in_small_batches_equals_one_batch() -> None:
    model = BinaryAttributeAutoEncoder(BAE_MSE)
    x = _voxceleb_embeddings()
    whole = model.binarize_embeddings(x)
    assert torch.equal(model.binarize_embeddings(x, batch_size=7), whole)
    assert set(whole.unique().tolist()) <= {0.0, 1.0} and not whole.requires_grad


# ------------------------------------------------------------------ round trips
def test_balr_checkpoint_round_trip_gives_identical_outputs(tmp_path: Path) -> None:
    model = _trained_small_model()
    path = tmp_path / "last.pt"
    config = {"input_dim": 32, "internal_dim": 16}
    save_checkpoint(path, {"model": model.state_dict(), "model_config": config, "epoch": 3})
    loaded = BinaryAttributeAutoEncoder(path)
    x = torch.randn(9, 32)
    with torch.no_grad():
        for ours, theirs in zip(loaded(x), model(x), strict=True):
            assert torch.equal(ours, theirs)
    assert load_model_state(path)[1]["kind"] == "balr-checkpoint"


def test_plain_state_dict_round_trip_gives_identical_outputs(tmp_path: Path) -> None:
    model = _trained_small_model(1)
    path = tmp_path / "weights.pt"
    torch.save(model.state_dict(), path)
    loaded = BinaryAttributeAutoEncoder(path)
    x = torch.randn(5, 32)
    assert torch.equal(loaded.binarize_embeddings(x), model(x)[1].detach())


def test_wrapper_prefixes_of_ddp_and_compile_are_stripped(tmp_path: Path) -> None:
    model = _trained_small_model(2)
    path = tmp_path / "ddp.pt"
    torch.save({f"module._orig_mod.{k}": v for k, v in model.state_dict().items()}, path)
    state, _ = load_model_state(path)
    assert set(state) == set(model.state_dict())


def test_state_without_batch_counter_loads(tmp_path: Path) -> None:
    state = _trained_small_model().state_dict()
    del state["encoder.2.num_batches_tracked"]
    torch.save(state, tmp_path / "old.pt")
    assert BinaryAttributeAutoEncoder(tmp_path / "old.pt").internal_dim == 16


# ------------------------------------------------------------------ errors
def _assert_one_line(error: pytest.ExceptionInfo[CheckpointError], path: Path) -> None:
    message = str(error.value)
    assert str(path) in message and "\n" not in message


def test_explicit_dimensions_that_differ_name_the_file_and_both_shapes(tmp_path: Path) -> None:
    path = tmp_path / "small.pt"
    torch.save(_trained_small_model().state_dict(), path)
    with pytest.raises(CheckpointError, match=r"\(16, 32\).*\(16, 64\)") as error:
        BinaryAttributeAutoEncoder(path, input_dim=64)
    _assert_one_line(error, path)
    with pytest.raises(CheckpointError, match=r"\(16, 32\).*\(8, 32\)"):
        BinaryAttributeAutoEncoder(path, input_dim=32, internal_dim=8)


def test_missing_file_is_a_checkpoint_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist") as error:
        BinaryAttributeAutoEncoder(tmp_path / "nope.pt")
    _assert_one_line(error, tmp_path / "nope.pt")


def test_folder_is_a_checkpoint_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="is a folder"):
        load_model_state(tmp_path)


def test_garbage_bytes_are_a_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.pt"
    path.write_bytes(b"\x00\x13not a torch file at all\xff" * 20)
    with pytest.raises(CheckpointError, match="not a readable torch checkpoint") as error:
        BinaryAttributeAutoEncoder(path)
    _assert_one_line(error, path)


def test_pickle_of_an_arbitrary_object_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "object.pt"
    path.write_bytes(pickle.dumps(Path("/etc"), protocol=2))
    with pytest.raises(CheckpointError, match="not a readable torch checkpoint") as error:
        load_model_state(path)
    _assert_one_line(error, path)


def test_torch_file_of_something_else_is_a_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "list.pt"
    torch.save([1, 2, 3], path)
    with pytest.raises(CheckpointError, match="holds a list") as error:
        load_model_state(path)
    _assert_one_line(error, path)


def test_missing_keys_are_a_checkpoint_error(tmp_path: Path) -> None:
    state = _trained_small_model().state_dict()
    del state["decoder.2.bias"]
    path = tmp_path / "partial.pt"
    torch.save(state, path)
    with pytest.raises(CheckpointError, match=r"missing keys \[decoder\.2\.bias\]") as error:
        BinaryAttributeAutoEncoder(path)
    _assert_one_line(error, path)


def test_state_dict_of_another_model_is_a_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "other.pt"
    torch.save(torch.nn.Linear(3, 2).state_dict(), path)
    with pytest.raises(CheckpointError, match=r"encoder\.0\.weight"):
        load_model_state(path)


def test_wrong_shape_is_a_checkpoint_error(tmp_path: Path) -> None:
    state = _trained_small_model().state_dict()
    state["decoder.0.weight"] = torch.zeros(16, 15)
    torch.save(state, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match=r"'decoder.0.weight' has shape \(16, 15\)"):
        load_model_state(tmp_path / "bad.pt")


def test_model_config_disagreeing_with_weights_is_a_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "inconsistent.pt"
    state = _trained_small_model().state_dict()
    save_checkpoint(path, {"model": state, "model_config": {"input_dim": 64, "internal_dim": 16}})
    with pytest.raises(CheckpointError, match="model_config records input_dim=64"):
        load_model_state(path)


def test_embeddings_of_another_size_are_one_line_naming_the_model(tmp_path: Path) -> None:
    from balr.errors import DatasetError

    path = tmp_path / "best.pt"
    config = {"input_dim": 32, "internal_dim": 16}
    save_checkpoint(path, {"model": _trained_small_model().state_dict(), "model_config": config})
    model = BinaryAttributeAutoEncoder(path)
    model.check_embedding_dim(32, "an embedding has")
    with pytest.raises(DatasetError, match=rf"^an embedding has 8 dimensions but the model {path}"):
        model.check_embedding_dim(8, "an embedding has")
