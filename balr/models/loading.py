"""Reading autoencoder weights from balr checkpoints and BA-LR 2.0 state_dict files."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from balr.data.guard import check_regular
from balr.errors import CheckpointError
from balr.models.autoencoder import AutoEncoder

# Wrappers that prefix parameter names: DistributedDataParallel and torch.compile.
_WRAPPER_PREFIXES = ("module.", "_orig_mod.")
# BatchNorm's batch counter is not needed for inference; old files may lack it.
_OPTIONAL_KEYS = ("encoder.2.num_batches_tracked",)


def expected_shapes(input_dim: int, internal_dim: int) -> dict[str, tuple[int, ...]]:
    """state_dict key -> shape of an AutoEncoder(input_dim, internal_dim)."""
    with torch.device("meta"):
        model = AutoEncoder(input_dim, internal_dim)
    return {key: tuple(value.shape) for key, value in model.state_dict().items()}


def load_model_state(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read AutoEncoder weights from a balr checkpoint or a plain state_dict file.

    Returns the state_dict (on CPU) and metadata: ``input_dim`` and ``internal_dim``
    (recorded in the checkpoint's ``model_config`` or inferred from the weights) and
    ``kind`` ("balr-checkpoint" or "state_dict").

    Raises:
        CheckpointError: the file is missing, unreadable, or not an AutoEncoder state.
    """
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(
            f"model checkpoint {path} is a folder: give a file in it, e.g. {path / 'best.pt'}"
        )
    if not path.exists():
        raise CheckpointError(f"model checkpoint {path} does not exist: check the path")
    check_regular(path, CheckpointError, "model checkpoint (best.pt)")
    try:
        payload = load_tensors_only(path, map_location="cpu")
    except Exception as error:  # torch raises many exception types on foreign bytes
        reason = describe_load_error(error)
        raise CheckpointError(
            f"{path} is not a readable torch checkpoint ({reason}): give a balr checkpoint"
            " (last.pt/best.pt) or a BA-LR autoencoder state_dict"
        ) from None
    state, config, kind = _unwrap(payload, path)
    dims = _infer_dims(state, path)
    if config and (config.get("input_dim"), config.get("internal_dim")) != dims:
        raise CheckpointError(
            f"{path}: model_config records input_dim={config.get('input_dim')},"
            f" internal_dim={config.get('internal_dim')} but the weights have {dims[0]},"
            f" {dims[1]}: the checkpoint is inconsistent, re-save it"
        )
    _check_keys_and_shapes(state, dims, path)
    return state, {"input_dim": dims[0], "internal_dim": dims[1], "kind": kind}


def _unwrap(payload: Any, path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any], str]:
    """(state_dict without wrapper prefixes, recorded model_config, kind of file)."""
    config: dict[str, Any] = {}
    kind = "state_dict"
    if isinstance(payload, Mapping) and isinstance(payload.get("model"), Mapping):
        recorded = payload.get("model_config")
        config = dict(recorded) if isinstance(recorded, Mapping) else {}
        payload, kind = payload["model"], "balr-checkpoint"
    if not isinstance(payload, Mapping) or not all(
        isinstance(value, torch.Tensor) for value in payload.values()
    ):
        raise CheckpointError(
            f"{path} holds a {type(payload).__name__}, not an autoencoder state_dict: give a"
            " balr checkpoint or a BA-LR autoencoder state_dict"
        )
    return {_strip(str(key)): value for key, value in payload.items()}, config, kind


def _strip(key: str) -> str:
    for prefix in _WRAPPER_PREFIXES:
        while key.startswith(prefix):
            key = key[len(prefix) :]
    return key


def _infer_dims(state: dict[str, torch.Tensor], path: Path) -> tuple[int, int]:
    first = state.get("encoder.0.weight")
    if first is None or first.dim() != 2:
        raise CheckpointError(
            f"{path} is not an autoencoder state_dict: it has no 2-D 'encoder.0.weight'"
            f" (keys: {', '.join(list(state)[:5]) or 'none'}): give a balr checkpoint or a"
            " BA-LR autoencoder state_dict"
        )
    return int(first.shape[1]), int(first.shape[0])


def _check_keys_and_shapes(
    state: dict[str, torch.Tensor], dims: tuple[int, int], path: Path
) -> None:
    expected = expected_shapes(*dims)
    missing = [key for key in expected if key not in state and key not in _OPTIONAL_KEYS]
    unexpected = [key for key in state if key not in expected]
    if missing or unexpected:
        raise CheckpointError(
            f"{path} does not fit the autoencoder: missing keys [{', '.join(missing)}],"
            f" unexpected keys [{', '.join(unexpected)}]: give a balr checkpoint or a BA-LR"
            " autoencoder state_dict"
        )
    for key, shape in expected.items():
        if key in state and tuple(state[key].shape) != shape:
            raise CheckpointError(
                f"{path}: '{key}' has shape {tuple(state[key].shape)} but input_dim={dims[0]},"
                f" internal_dim={dims[1]} needs {shape}: the file is not an AutoEncoder state"
            )
    for key in _OPTIONAL_KEYS:
        state.setdefault(key, torch.tensor(0, dtype=torch.long))


def load_tensors_only(path: Path, map_location: str | torch.device = "cpu") -> Any:
    """`torch.load` that never runs pickled code (`weights_only`) and stays quiet.

    torch warns about foreign pickle protocols before refusing them; the caller's one-line
    error says all there is to say, so the multi-line warning is dropped.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return torch.load(path, map_location=map_location, weights_only=True)


def describe_load_error(error: BaseException) -> str:
    """A short reason why torch.load refused a file, for one-line error messages."""
    text = str(error).strip()
    if "Weights only load failed" in text or "invalid load key" in text:
        return "not a torch file of tensors (corrupt, truncated, or holding Python objects)"
    return (text.splitlines() or [type(error).__name__])[0][:120]
